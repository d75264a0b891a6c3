"""The printable 整村授信 list of one village, Excel and PDF, opened and read back, on a hand-made
village of five assessed households (and one of another village that must not appear)."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import update
from sqlmodel import col
from typer.testing import CliRunner

from creditfarm.access import AccessDenied
from creditfarm.cli import _common, app
from creditfarm.scoring.village_list import village_list, village_list_pdf, village_list_xlsx
from creditfarm.storage.models import Assessment
from tests.helpers.county import V1, V2, Member, add_assessment, add_household, add_regions, make_id
from tests.helpers.principals import BANK, PBOC, officer

# household, head, ID serial, village, grade, limit, vetoes, caps
HOUSEHOLDS = [
    ("H1", "黎明", 1, V1, "AA", 80000.0, [], []),
    ("H2", "李梅", 2, V1, "A", 50000.0, [], ["thin_file_cap"]),
    ("H3", "符军", 3, V1, "B", 0.0, [], ["min_limit"]),
    ("H4", "王芳", 4, V1, "AA", 0.0, ["blacklist"], []),
    ("H5", "陈强", 5, V1, "A", 40000.0, [], ["poverty_product"]),
    ("H6", "林海", 6, V2, "AAA", 100000.0, [], []),
]


@pytest.fixture
def village(ws):
    add_regions(ws)
    for hh, name, serial, code, grade, limit, vetoes, caps in HOUSEHOLDS:
        add_household(ws, hh, code, [Member(name, serial=serial)], archive={})
        aid = add_assessment(
            ws, hh, grade=grade, score=70.0, limit=limit, village=code, vetoes=vetoes
        )
        with ws.engine.begin() as conn:
            conn.execute(update(Assessment).where(col(Assessment.id) == aid).values(caps=caps))
    return ws


def _masked(serial: int) -> str:
    return "469029" + "*" * 8 + make_id(serial)[-4:]  # 前6后4


def test_rows_by_hand(village):
    vl = village_list(village, village_code=V1, principal=BANK, bank="保亭农商银行")
    assert vl.title == "保亭县什玲镇什玲村整村授信农户名单"
    assert "授信银行：保亭农商银行" in vl.subtitle and "评估日：2022年6月30日" in vl.subtitle
    rows = vl.rows.set_index("household_no")
    assert list(rows.index) == ["H1", "H2", "H3", "H4", "H5"]  # H6 is another village's
    assert list(vl.rows["seq"]) == [1, 2, 3, 4, 5]
    assert rows.loc["H1", "head_name"] == "黎明"
    assert rows.loc["H1", "head_id_masked"] == _masked(1)
    assert rows.loc["H1", ["limit", "term_years", "credit_household", "note"]].tolist() == [
        80000,
        3,  # policy [limit].term_years
        "是",
        "",  # a full line needs no reason
    ]
    assert "白户" in rows.loc["H2", "note"]  # capped: the thin-file cap
    assert pd.isna(rows.loc["H3", "term_years"]) and "最低额度" in rows.loc["H3", "note"]
    assert rows.loc["H4", "credit_household"] == "否"
    assert "黑名单" in rows.loc["H4", "note"]  # a veto: 0
    assert rows.loc["H5", "term_years"] == 3 and "扶贫小额信贷" in rows.loc["H5", "note"]


def test_who_may_have_the_list(village):
    assert len(village_list(village, village_code=V1, principal=officer(V1)).rows) == 5
    with pytest.raises(AccessDenied):
        village_list(village, village_code=V1, principal=officer(V2))
    with pytest.raises(AccessDenied):
        village_list(village, village_code=V1, principal=PBOC)


def test_the_workbook(village):
    vl = village_list(village, village_code=V1, principal=BANK, today=date(2022, 7, 5))
    sheet = load_workbook(io.BytesIO(village_list_xlsx(vl)))["整村授信名单"]
    assert sheet["A1"].value == "保亭县什玲镇什玲村整村授信农户名单"
    assert "制表日期：2022年7月5日" in str(sheet["A2"].value)
    header = [c.value for c in sheet[3]]
    assert header[:3] == ["序号", "户主", "户号"] and "户主签字" in header
    first = [c.value for c in sheet[4]]
    assert first[:9] == [1, "黎明", "H1", _masked(1), "AA", 80000, 3, "是", None]
    third = [c.value for c in sheet[6]]
    assert third[5:7] == [0, "—"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$3:$3"
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "村两委（盖章）：" in texts and "信贷员：" in texts


def test_the_pdf(village):
    vl = village_list(village, village_code=V1, principal=BANK, bank="保亭农商银行")
    reader = PdfReader(io.BytesIO(village_list_pdf(vl)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "保亭县什玲镇什玲村整村授信农户名单" in text
    assert "授信银行：保亭农商银行" in text
    for name in ("黎明", "李梅", "符军", "王芳", "陈强"):
        assert name in text
    assert "林海" not in text  # another village
    assert _masked(1) in text and make_id(1) not in text  # 前6后4 only
    assert "8万元" in text and "户主签字" in text and "村两委（盖章）" in text
    assert "黑名单" in text


def test_cli_list_writes_both_formats(village, monkeypatch, tmp_path):
    monkeypatch.setattr(_common, "workspace", lambda db=None: village)
    runner = CliRunner()
    pdf = tmp_path / "list.pdf"
    done = runner.invoke(
        app, ["list", "--village", V1, "--format", "pdf", "--out", str(pdf), "--bank", "农商行"]
    )
    assert done.exit_code == 0, done.output
    assert "5 households" in done.output
    assert "黎明" in PdfReader(pdf).pages[0].extract_text()
    xlsx = tmp_path / "list.xlsx"
    assert runner.invoke(app, ["list", "--village", V1, "--out", str(xlsx)]).exit_code == 0
    assert load_workbook(xlsx)["整村授信名单"]["B4"].value == "黎明"
    unknown = runner.invoke(app, ["list", "--village", "469029999999", "--out", str(xlsx)])
    assert unknown.exit_code != 0
