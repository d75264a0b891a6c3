"""creditfarm in the browser: a thin router over the pages in ``ui/`` (``streamlit run app.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run app.py` puts this folder on the path; make sure when launched from elsewhere.
ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

st.set_page_config(
    page_title="creditfarm 农户信用", page_icon=":material/agriculture:", layout="wide"
)

# The default page answers at "/" (its url_path is not reachable on its own).
pages = [
    st.Page(
        ROOT / "ui" / "page_officer.py",
        title="农户评估",
        icon=":material/agriculture:",
        url_path="officer",
        default=True,
    ),
    st.Page(
        ROOT / "ui" / "page_rates.py",
        title="建档与预授信",
        icon=":material/trending_up:",
        url_path="rates",
    ),
    st.Page(
        ROOT / "ui" / "page_village.py",
        title="信用村评定",
        icon=":material/holiday_village:",
        url_path="villages",
    ),
    st.Page(
        ROOT / "ui" / "page_model.py", title="模型", icon=":material/analytics:", url_path="model"
    ),
    st.Page(
        ROOT / "ui" / "page_import.py",
        title="数据导入",
        icon=":material/upload_file:",
        url_path="import",
    ),
]
st.navigation(pages).run()
