"""creditfarm in the browser: sign-in, then a thin router over the pages in ``ui/`` that the
signed-in role may use (``streamlit run app.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run app.py` puts this folder on the path; make sure when launched from elsewhere.
ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from creditfarm.access import Permission, can  # noqa: E402
from ui.signin import require_sign_in  # noqa: E402

st.set_page_config(
    page_title="creditfarm 农户信用", page_icon=":material/agriculture:", layout="wide"
)

principal = require_sign_in()

# (page file, title, icon, url path, the permission that opens it)
PAGES = [
    ("page_officer", "农户评估", ":material/agriculture:", "officer", Permission.view_households),
    ("page_rates", "建档与预授信", ":material/trending_up:", "rates", Permission.view_rates),
    ("page_index", "普惠金融指数", ":material/insights:", "index", Permission.view_rates),
    (
        "page_village",
        "信用村评定",
        ":material/holiday_village:",
        "villages",
        Permission.view_credit_village,
    ),
    ("page_model", "模型", ":material/analytics:", "model", Permission.view_model),
    ("page_import", "数据导入", ":material/upload_file:", "import", Permission.import_data),
    ("page_admin", "用户与审计", ":material/admin_panel_settings:", "admin", Permission.read_audit),
]
allowed = [p for p in PAGES if can(principal, p[4])]
# The first page the role may use answers at "/" (its url_path is not reachable on its own).
pages = [
    st.Page(ROOT / "ui" / f"{name}.py", title=title, icon=icon, url_path=url, default=i == 0)
    for i, (name, title, icon, url, _) in enumerate(allowed)
]
st.navigation(pages).run()
