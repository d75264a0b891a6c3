"""The monthly report workbook, opened with openpyxl, against figures worked by hand on the
county of ``tests.helpers.monthly_county`` (January 2022 against December 2021)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from creditfarm.access import AccessDenied
from creditfarm.reports.monthly import ReportFooter, monthly_report_xlsx, report_months
from tests.helpers import monthly_county
from tests.helpers.principals import BANK, PBOC, committee, officer

FOOTER = ReportFooter(
    filing_unit="人民银行保亭县支行", preparer="王五", reviewer="赵六", report_date=date(2022, 2, 5)
)
FIRST_ROW = 6  # title, period, unit, two header rows


def _sheet(data: bytes, name: str = "月报") -> Worksheet:
    book = load_workbook(io.BytesIO(data))
    sheet = book[name]
    assert isinstance(sheet, Worksheet)
    return sheet


def _rows(sheet: Worksheet) -> dict[str, list[object]]:
    """Data rows by their 村 column (全县合计, 什玲镇小计, 什玲村, …): columns D–P."""
    out: dict[str, list[object]] = {}
    for row in sheet.iter_rows(min_row=FIRST_ROW, values_only=True):
        if row[2] is None:
            break
        out[str(row[2])] = [row[0], *row[3:16]]
    return out


def test_january_report_by_hand(ws):
    monthly_county.build(ws)
    sheet = _sheet(monthly_report_xlsx(ws, month=date(2022, 1, 15), principal=PBOC, footer=FOOTER))
    assert sheet["A1"].value == "保亭县农户建档与预授信情况月报"
    assert "2022年1月" in str(sheet["A2"].value) and "2022年1月31日" in str(sheet["A2"].value)
    assert "2021年12月31日" in str(sheet["A2"].value)  # last month's end
    assert str(sheet["A3"].value).startswith("单位")
    assert "沿用最近年度（2021年）目标" in str(sheet["I3"].value)  # 2022 has no target of its own
    assert sheet["A4"].value == "序号" and sheet["F5"].value == "本月建档率(%)"
    assert sheet["G5"].value == "上月建档率(%)" and sheet["J5"].value == "与目标差距(百分点)"
    rows = _rows(sheet)
    assert list(rows) == ["全县合计", "什玲镇小计", "什玲村", "八村", "加茂镇小计", "加茂村"]
    #                       序号, 户数, 建档, 本月%, 上月%, 比上月, 目标, 差距,
    #                              预授信, 本月%, 上月%, 比上月, 目标, 差距
    # county: filed 7/10 (Dec 4/10), granted 5/10 (Dec 3/10); targets 90 / 70
    assert rows["全县合计"] == [None, 10, 7, 70.0, 40.0, 30.0, 90.0, -20.0,
                                5, 50.0, 30.0, 20.0, 70.0, -20.0]  # fmt: skip
    # 什玲镇: filed 4/6 (Dec 3/6), granted 3/6 (Dec 2/6)
    assert rows["什玲镇小计"] == [None, 6, 4, 66.7, 50.0, 16.7, 90.0, -23.3,
                                  3, 50.0, 33.3, 16.7, 70.0, -20.0]  # fmt: skip
    # 什玲村: filed 3/4 (Dec 2/4), granted H1 H3 (Dec H1 H2)
    assert rows["什玲村"] == [1, 4, 3, 75.0, 50.0, 25.0, 90.0, -15.0,
                              2, 50.0, 50.0, 0.0, 70.0, -20.0]  # fmt: skip
    # 八村: filed H5 (Dec too), granted H5 in January only
    assert rows["八村"] == [2, 2, 1, 50.0, 50.0, 0.0, 90.0, -40.0,
                            1, 50.0, 0.0, 50.0, 70.0, -20.0]  # fmt: skip
    # 加茂镇 = 加茂村: filed 3/4 (Dec 1/4), granted H7 H8 (Dec H7)
    expected = [4, 3, 75.0, 25.0, 50.0, 90.0, -15.0, 2, 50.0, 25.0, 25.0, 70.0, -20.0]
    assert rows["加茂镇小计"] == [None, *expected]
    assert rows["加茂村"] == [3, *expected]
    # the rates are percentages: a cell pasted elsewhere reads 75, not 0.75
    assert sheet.cell(FIRST_ROW + 2, 6).value == 75.0
    assert sheet.cell(FIRST_ROW + 2, 6).number_format == "0.0"


def test_footer_and_print_setup(ws):
    monthly_county.build(ws)
    sheet = _sheet(monthly_report_xlsx(ws, month=date(2022, 1, 31), principal=PBOC, footer=FOOTER))
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "填报单位：人民银行保亭县支行" in texts
    assert "填报人：王五" in texts and "审核人：赵六" in texts
    assert "填报日期：2022年2月5日" in texts
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    # print area: A1 to the footer row (6 data rows from row 6, a blank row, the footer)
    assert sheet.print_area == "'月报'!$A$1:$P$13"
    assert sheet.print_title_rows == "$4:$5"
    assert sheet.column_dimensions["B"].width > 10
    assert sheet.sheet_properties.pageSetUpPr.fitToPage


def test_months_before_the_first_assessment_show_no_pre_credit_rate(ws):
    monthly_county.build(ws)
    sheet = _sheet(monthly_report_xlsx(ws, month=date(2021, 12, 31), principal=PBOC))
    total = _rows(sheet)["全县合计"]
    # December: filed 4/10 (Nov 2/10); granted 3/10, November had no assessment yet: —
    assert total[:8] == [None, 10, 4, 40.0, 20.0, 20.0, 90.0, -50.0]
    assert total[8:12] == [3, 30.0, "—", "—"]
    assert "2021年目标" in str(sheet["I3"].value)


def test_trend_sheet_by_month(ws):
    monthly_county.build(ws)
    sheet = _sheet(
        monthly_report_xlsx(ws, month=date(2022, 1, 31), principal=PBOC), name="月度趋势"
    )
    rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert list(rows)[-1] == "2022年1月"  # up to the report's month only
    assert rows["2022年1月"][1:] == (10, 7, 70.0, 30.0, 60.0, 5, 50.0, 20.0, "—")
    assert rows["2021年11月"][7] == "—"  # no assessment by then


def test_only_county_wide_roles_export_the_report(ws):
    monthly_county.build(ws)
    assert monthly_report_xlsx(ws, month=date(2022, 1, 31), principal=BANK)
    with pytest.raises(AccessDenied):
        monthly_report_xlsx(ws, month=date(2022, 1, 31), principal=committee("469029100201"))
    with pytest.raises(AccessDenied):
        monthly_report_xlsx(ws, month=date(2022, 1, 31), principal=officer("469029100201"))


def test_report_months_newest_first(ws):
    monthly_county.build(ws)
    months = report_months(ws)
    assert months[0] == date(2022, 2, 28) and months[-1] == date(2021, 1, 31)


def test_cli_monthly_writes_the_report(ws, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from creditfarm.cli import _common, app

    monthly_county.build(ws)
    monkeypatch.setattr(_common, "workspace", lambda db=None: ws)
    runner = CliRunner()
    out = tmp_path / "月报.xlsx"
    done = runner.invoke(
        app, ["monthly", "--month", "2022-01", "--out", str(out), "--unit", "人民银行保亭县支行"]
    )
    assert done.exit_code == 0, done.output
    sheet = _sheet(out.read_bytes())
    assert "2022年1月" in str(sheet["A2"].value)
    assert _rows(sheet)["全县合计"][1:4] == [10, 7, 70.0]
    newest = runner.invoke(app, ["monthly", "--out", str(out)])
    assert newest.exit_code == 0 and "2022年2月" in newest.output  # the data's newest month
    bad = runner.invoke(app, ["monthly", "--month", "June", "--out", str(out)])
    assert bad.exit_code != 0 and "--month" in bad.output
