"""``creditfarm index``: table, CSV and the Excel filing on the hand-worked three-village county
(tests/helpers/inclusion_county.py; its figures are worked out in tests/reports/test_inclusion.py).
The PBoC analyst may run it; the export is in the audit trail."""

from __future__ import annotations

import io
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from creditfarm.accounts import add_user, audit_events
from creditfarm.cli import _common, app, inclusion
from creditfarm.workspace import Workspace
from tests.helpers.county import V1, V2, V3
from tests.helpers.inclusion_county import build
from tests.helpers.principals import ADMIN

runner = CliRunner()


@pytest.fixture
def ws_cli(sqlite_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for module in (_common, inclusion):  # the command imported the function by name
        monkeypatch.setattr(module, "workspace", lambda db=None, **_: sqlite_ws)
    build(sqlite_ws)
    add_user(sqlite_ws, username="pboc1", role="pboc_analyst", password="pboc1-secret")
    monkeypatch.setenv("CREDITFARM_USER", "pboc1")
    monkeypatch.setenv("CREDITFARM_PASSWORD", "pboc1-secret")
    return sqlite_ws


def _ifi(usage: float, access: float, quality: float) -> float:
    gaps = [1 - usage, 1 - access, 0.5 * (1 - quality)]
    return 1 - math.sqrt(sum(g * g for g in gaps)) / 1.5


# 什玲村 in June, by hand (tests/reports/test_inclusion.py): usage, access, quality.
V1_JUNE = ((0.5 + 1.0 + 0.4 + 1 / 24 + 0.5 / 12) / 5, 2.5 / 3, 3.0 / 4)


def test_the_table_shows_each_village_and_the_balance(ws_cli: Workspace) -> None:
    result = runner.invoke(app, ["index", "--level", "village", "--month", "2022-06"])
    assert result.exit_code == 0, result.output
    assert "普惠金融指数（按村，2022年6月）" in result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert set(lines) == {V1, V2, V3}
    assert f"{_ifi(*V1_JUNE):.3f}" in lines[V1]  # 0.574
    assert "使用情况" in lines[V1]  # its weakest dimension
    assert "村间均衡：3 个村" in result.output


def test_csv_holds_every_month_and_indicator(ws_cli: Workspace) -> None:
    result = runner.invoke(app, ["index", "--level", "town", "--format", "csv"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.output), dtype={"code": str})
    months = ws_cli.policy.index.months
    assert len(frame) == 2 * months  # two towns, every month
    june = frame[(frame["month"] == "2022-06-30") & (frame["code"] == "469029100000")].iloc[0]
    assert june["households"] == 3
    assert june["credit_loan_share"] == pytest.approx(30000 / 60000)
    assert june["service_coverage"] == pytest.approx(1 / 2)


def test_the_filing_workbook(ws_cli: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "filing.xlsx"
    result = runner.invoke(
        app,
        [
            "index",
            "--level",
            "village",
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--unit",
            "测试支行",
        ],
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["普惠金融指标体系", "分村指数", "指数趋势", "指标说明"]
    sheet = book["普惠金融指标体系"]
    assert sheet["A1"].value == "保亭县普惠金融指标体系报表"
    assert sheet["A2"].value.startswith("报告期：2022年6月\u3000上期：2022年5月")
    assert sheet["A3"].value.startswith("填报单位：测试支行\u3000填报日期：")
    rows = {r[2]: r for r in sheet.iter_rows(min_row=6, values_only=True) if r[2]}
    # A2 filing rate of the county: 3 of 4 households in June, 2 of 4 in May (丙 filed 06-10);
    # the change in percentage points; the 2022 target of policy [[targets]] (2021's, 90%).
    filing = rows["A2"]
    assert filing[3] == "农户建档率"
    assert (filing[5], filing[6]) == (pytest.approx(3 / 4), pytest.approx(2 / 4))
    assert filing[7] == pytest.approx(25.0)
    assert (filing[8], filing[9]) == (pytest.approx(0.9), "未达标")
    # Q1 non-performing: 10,000 of 60,000 in June, 10,000 of 35,000 in May; lower is better.
    npl = rows["Q1"]
    assert (npl[5], npl[6]) == (pytest.approx(10000 / 60000), pytest.approx(10000 / 35000))
    assert npl[9] == "未达标"  # above the 5% ceiling
    assert rows["U1"][8] == "—"  # no target in the plans
    assert rows["A4"][5] == "数据暂缺"
    index_row = next(r for r in sheet.iter_rows(values_only=True) if r[3] == "普惠金融指数(IFI)")
    assert isinstance(index_row[5], float) and 0 < index_row[5] < 1
    areas = book["分村指数"]
    codes = [areas.cell(row=r, column=1).value for r in range(4, 7)]
    assert codes == [V1, V2, V3]
    assert areas.cell(row=4, column=5).value == pytest.approx(_ifi(*V1_JUNE))
    events = audit_events(ws_cli, principal=ADMIN)
    assert events[["actor", "action"]].values.tolist()[0] == ["pboc1", "export"]


def test_xlsx_needs_an_output_file_and_a_month_must_parse(ws_cli: Workspace) -> None:
    result = runner.invoke(app, ["index", "--format", "xlsx"])
    assert result.exit_code == 2 and "--out" in result.output
    result = runner.invoke(app, ["index", "--month", "June"])
    assert result.exit_code == 2 and "--month" in result.output


def test_an_empty_workspace_is_a_clear_error(
    sqlite_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (_common, inclusion):
        monkeypatch.setattr(module, "workspace", lambda db=None, **_: sqlite_ws)
    monkeypatch.delenv("CREDITFARM_USER", raising=False)  # demo mode: the demo operator
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 2 and "import first" in result.output
