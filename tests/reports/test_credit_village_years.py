"""信用村 assessment by year: stored results, the history between consecutive years (评定 /
保持 / 摘牌), the printable 评定表 and 公示 list — on the hand-made county of
``test_credit_village.build`` (V1 fails, V2 passes, V3 fails; 什玲镇 = V1 + V2)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from creditfarm.access import AccessDenied
from creditfarm.reports.credit_village import (
    assess_year,
    assessed_years,
    assessment_sheet_xlsx,
    history,
    publicity_xlsx,
    year_results,
)
from creditfarm.workspace import Workspace
from tests.helpers.county import V1, V2, V3, add_loans, loan
from tests.helpers.principals import ADMIN, BANK, PBOC, committee, officer
from tests.reports.test_credit_village import build


def _status(ws: Workspace, code: str) -> dict[int, str]:
    found = history(year_results(ws, principal=PBOC))
    rows = found[found["code"] == code]
    return dict(zip(rows["year"], rows["status_label"], strict=True))


def test_years_and_their_history(ws: Workspace) -> None:
    keys = build(ws)
    assert assess_year(ws, year=2020, principal=BANK) == 3
    assert assess_year(ws, year=2021, principal=ADMIN) == 3
    # G02 now owes a 次级 loan: V2's NPL ratio 10,000 / 20,000 = 50% and a borrower in
    # arrears — V2 fails from now on
    add_loans(ws, [loan("L9", keys["G02"][0], balance=10000, overdue=100, classification="次级")])
    assess_year(ws, year=2022, principal=BANK)
    assert assessed_years(ws) == [2020, 2021, 2022]
    assert _status(ws, V2) == {2020: "评定", 2021: "保持", 2022: "摘牌"}
    assert _status(ws, V1) == {2020: "未达标", 2021: "未达标", 2022: "未达标"}
    # 什玲镇: 1 of 2 villages in 2020 (50% ≥ 50%: rated), none in 2022
    towns = history(year_results(ws, principal=PBOC, level="town"))
    town = towns[towns["name"] == "什玲镇"].set_index("year")
    assert town["credit"].to_dict() == {2020: True, 2021: True, 2022: False}
    assert town.loc[2022, "status_label"] == "摘牌"
    assert town.loc[2020, "figures"]["credit_villages"] == 1
    # assessing a year again replaces it: 2021 on today's data — V2 fails in 2021 too
    assess_year(ws, year=2021, principal=BANK)
    assert _status(ws, V2) == {2020: "评定", 2021: "摘牌", 2022: "未达标"}
    stored = year_results(ws, principal=PBOC)
    assert len(stored) == 3 * 3  # three villages, three years: nothing doubled
    v2 = stored[(stored["code"] == V2) & (stored["year"] == 2020)].iloc[0]
    assert v2["figures"]["credit_household_share"] == pytest.approx(1.0)  # 2 of 2
    assert v2["assessed_by"] == "supervisor1"


def test_a_gap_year_compares_with_the_year_assessed_before(ws: Workspace) -> None:
    build(ws)
    assess_year(ws, year=2019, principal=BANK)
    assess_year(ws, year=2021, principal=BANK)  # 2020 never assessed
    assert _status(ws, V2) == {2019: "评定", 2021: "保持"}


def test_who_may_assess_and_see(ws: Workspace) -> None:
    build(ws)
    for who in (PBOC, officer(V1), committee(V1)):
        with pytest.raises(AccessDenied):
            assess_year(ws, year=2021, principal=who)
    assess_year(ws, year=2021, principal=BANK)
    mine = year_results(ws, principal=committee(V3))
    assert list(mine["code"]) == [V3]  # a village committee: its own village
    assert year_results(ws, principal=committee(V3), level="town").empty


def test_assessment_sheet(ws: Workspace) -> None:
    build(ws)
    assess_year(ws, year=2020, principal=BANK)
    assess_year(ws, year=2021, principal=BANK)
    sheet = openpyxl.load_workbook(
        io.BytesIO(assessment_sheet_xlsx(ws, village_code=V2, year=2021, principal=PBOC))
    )["信用村评定表"]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert sheet["A1"].value == "保亭县2021年度信用村评定表"
    assert "八村（469029100202）" in texts and "2户" in texts
    assert "100.0%" in texts  # 信用户占比 2 / 2
    assert "信用村（保持）" in texts
    assert "2020年 信用村（评定）；2021年 信用村（保持）" in texts
    assert "人民银行县支行意见（盖章）" in texts
    assert sheet.page_setup.paperSize == 9
    with pytest.raises(ValueError, match="2019"):
        assessment_sheet_xlsx(ws, village_code=V2, year=2019, principal=PBOC)
    with pytest.raises(AccessDenied):
        assessment_sheet_xlsx(ws, village_code=V2, year=2021, principal=committee(V1))


def test_publicity_list(ws: Workspace) -> None:
    build(ws)
    assess_year(ws, year=2021, principal=BANK)
    sheet = openpyxl.load_workbook(
        io.BytesIO(publicity_xlsx(ws, village_code=V2, year=2021, principal=BANK))
    )["公示名单"]
    assert sheet["A1"].value == "保亭县什玲镇八村2021年度信用户公示名单"
    assert "信用村（评定）" in str(sheet["A2"].value) and "信用户 2 户" in str(sheet["A2"].value)
    rows = [r[:4] for r in sheet.iter_rows(min_row=4, max_row=5, values_only=True)]
    assert rows == [(1, "赵20", "G01", "AA"), (2, "赵21", "G02", "AA")]
    with pytest.raises(AccessDenied):
        publicity_xlsx(ws, village_code=V2, year=2021, principal=PBOC)  # no households
