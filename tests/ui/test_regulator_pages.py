"""The PBoC user's monthly report and trend, end to end through the page (AppTest on the
sample-sized county): pboc1 picks a month, fills the footer, downloads the workbook, and the
test opens it and checks the total, the town subtotals and last month's columns against counts
taken straight from the tables."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
import streamlit as st
from openpyxl import load_workbook
from sqlalchemy import text
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from creditfarm.access import Principal, Role
from creditfarm.workspace import open_workspace
from tests.helpers.app_county import AppCounty
from tests.helpers.paths import UI

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("app_county")]

PBOC1 = Principal(username="pboc1", role=Role.pboc_analyst)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bytes]]:
    """Every file a download button offers, by file name (the bytes the browser would save)."""
    offered: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        if isinstance(path_or_data, bytes) and filename:
            offered[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    yield offered


def _filed_by(app_env: AppCounty, day: date) -> dict[str, int]:
    """Households filed on or before ``day`` per village, counted here from the tables."""
    ws = open_workspace(app_env.settings)
    try:
        with ws.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT h.village_code, COUNT(DISTINCT h.household_no) FROM household h "
                    "JOIN archive a ON a.household_no = h.household_no "
                    "WHERE a.filed_date <= :d GROUP BY h.village_code"
                ),
                {"d": day},
            ).all()
            names: dict[str, str] = dict(
                conn.execute(text("SELECT village_code, village_name FROM region")).all()
            )
            households: dict[str, int] = dict(
                conn.execute(
                    text("SELECT village_code, COUNT(*) FROM household GROUP BY village_code")
                ).all()
            )
    finally:
        ws.engine.dispose()
    filed = {names[v]: int(n) for v, n in rows}
    return {"__households__": sum(households.values()), **filed}


def test_pboc_user_downloads_the_monthly_report(
    app_env: AppCounty, downloads: dict[str, bytes]
) -> None:
    at = AppTest.from_file(str(UI / "page_rates.py"), default_timeout=180)
    at.session_state["principal"] = PBOC1
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    months = at.selectbox(key="report_month").options
    assert months[0].endswith("月") and "年" in months[0]  # 2022年6月: Chinese labels
    newest = at.selectbox(key="report_month").value
    assert isinstance(newest, date)
    at.text_input(key="report_unit").set_value("人民银行保亭县支行")
    at.text_input(key="report_preparer").set_value("王五")
    at.text_input(key="report_reviewer").set_value("赵六")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    name = next(n for n in downloads if "月报" in n)
    assert name.endswith(f"{newest.year}年{newest.month}月.xlsx")
    book = load_workbook(io.BytesIO(downloads[name]))
    sheet = book["月报"]
    rows = [r for r in sheet.iter_rows(min_row=6, values_only=True) if r[2]]
    body = [r for r in rows if not str(r[0] or "").startswith("填报")]
    total = body[0]
    assert total[2] == "全县合计"
    towns = [r for r in body if str(r[2]).endswith("小计")]
    villages = [r for r in body if r[0] is not None]
    assert [r[0] for r in villages] == list(range(1, len(villages) + 1))  # 序号 1…N
    # households and filed: the total is the sum of the subtotals, each the sum of its villages
    assert total[3] == sum(r[3] for r in towns) == sum(r[3] for r in villages)
    assert total[4] == sum(r[4] for r in towns) == sum(r[4] for r in villages)
    # this month against the tables: households filed by the month's end
    this_month = _filed_by(app_env, newest)
    assert total[3] == this_month["__households__"]
    assert total[4] == sum(v for k, v in this_month.items() if k != "__households__")
    assert total[5] == round(100 * total[4] / total[3], 1)
    # last month's column: households filed by the previous month's end, counted here
    last_end = newest.replace(day=1) - pd.Timedelta(days=1)
    last_month = _filed_by(app_env, last_end)
    filed_last = sum(v for k, v in last_month.items() if k != "__households__")
    assert total[6] == round(100 * filed_last / total[3], 1)
    assert total[7] == pytest.approx(round(total[5] - total[6], 1))
    for village in villages:
        name_ = village[2]
        assert village[6] == round(100 * last_month.get(name_, 0) / village[3], 1)
    footer = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "填报单位：人民银行保亭县支行" in footer and "审核人：赵六" in footer


def test_trend_is_one_point_per_month(app_env: AppCounty) -> None:
    at = AppTest.from_file(str(UI / "page_rates.py"), default_timeout=180)
    at.session_state["principal"] = PBOC1
    at.run()
    assert not at.exception
    trend = next(df.value for df in at.dataframe if "月份" in df.value.columns)
    months = pd.to_datetime(trend["月份"])
    assert months.is_unique and months.is_monotonic_decreasing  # newest month first
    assert (months.dt.is_month_end).all()  # one point per month, at its end
    assert {"建档率比上月(百分点)", "建档率同比(百分点)"} <= set(trend.columns)
    labels = {m.label for m in at.metric}
    assert any(label.startswith("建档率比上月") for label in labels)
    assert any("沿用最近年度" in c.value or "年目标" in c.value for c in at.caption)


SUPERVISOR = Principal(username="supervisor1", role=Role.credit_supervisor)


def test_a_village_is_assessed_for_a_year_and_its_history_shows(
    app_env: AppCounty, downloads: dict[str, bytes]
) -> None:
    at = AppTest.from_file(str(UI / "page_village.py"), default_timeout=180)
    at.session_state["principal"] = SUPERVISOR
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    years = at.selectbox(key="year").options
    assert years[:2] == ["2022年", "2021年"]  # the data's year (2022-06-30) first
    at.selectbox(key="year").set_value(2021).run()
    at.button(key="assess").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已保存2021年度评定结果" in s.value for s in at.success)
    at.selectbox(key="year").set_value(2022).run()
    at.button(key="assess").click().run()
    villages = next(df.value for df in at.dataframe if "信用户占比达标" in df.value.columns)
    rated = villages["评定结果"] == "信用村"
    # the same data both years: a credit village is 保持 in 2022, the others 未达标
    assert (villages.loc[rated, "评定情况"] == "保持").all()
    assert (villages.loc[~rated, "评定情况"] == "未达标").all()
    past = next(df.value for df in at.dataframe if "2021年" in df.value.columns)
    assert len(past) == len(villages)
    assert set(past["2021年"]) <= {"评定", "未达标"} and set(past["2022年"]) <= {"保持", "未达标"}
    assert (past["2021年"] == "评定").sum() == rated.sum()
    # one village's 评定表 of 2022: opened, its history printed
    code = villages.loc[rated, "村代码"].iloc[0] if rated.any() else villages["村代码"].iloc[0]
    at.selectbox(key="village").set_value(code).run()
    assert not at.exception, [e.value for e in at.exception]
    sheet_name = next(n for n in downloads if n.endswith("2022年度信用村评定表.xlsx"))
    sheet = load_workbook(io.BytesIO(downloads[sheet_name]))["信用村评定表"]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(t.startswith("2021年 ") and "2022年 " in t for t in texts)
    assert any(n.endswith("整村授信名单.pdf") for n in downloads)


def test_a_newer_export_keeps_the_earlier_quarantine(
    app_env: AppCounty, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from creditfarm.settings import get_settings

    at = AppTest.from_file(str(UI / "page_import.py"), default_timeout=180)
    at.session_state["principal"] = Principal(username="admin1", role=Role.admin)
    at.run()

    def hukou_quarantined(at: AppTest) -> int:
        report = next(df.value for df in at.dataframe if "数据来源" in df.value.columns)
        return int(report.set_index("数据来源").loc["户籍", "隔离行数"])

    before = hukou_quarantined(at)
    assert before > 0  # the generated county's 户籍 has bad rows on purpose
    # a newer export of 户籍.csv (same name): five rows already known and one bad ID
    root = tmp_path_factory.mktemp("imports")
    (root / "newer").mkdir()
    lines = (app_env.sample_dir / "户籍.csv").read_bytes().splitlines(keepends=True)
    # in the file's own encoding (the generator writes 户籍 in GB18030)
    bad = "12345,甲,H999,户主,469029100201,男,1980-01-01,汉族\r\n".encode("gb18030")
    (root / "newer" / "户籍.csv").write_bytes(b"".join(lines[:6]) + bad)
    monkeypatch.setenv("CREDITFARM_IMPORT_DIR", str(root))
    get_settings.cache_clear()
    st.cache_resource.clear()
    at.text_input(key="folder").set_value("newer").run()
    at.button(key="import-folder").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # the earlier export's quarantined rows stay; the newer one's bad row is added
    assert hukou_quarantined(at) == before + 1
    per_file = next(df.value for df in at.dataframe if "导入时间" in df.value.columns)
    hukou = per_file[per_file["文件"] == "户籍.csv"]
    assert len(hukou) == 2 and hukou["隔离行数"].tolist()[-1] == 1
    assert hukou["导入时间"].str.match(r"^\d{4}年\d{1,2}月\d{1,2}日").all()
