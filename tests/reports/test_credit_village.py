"""信用村 / 信用乡镇 on a hand-made county; every expected figure is worked out in the comments."""

from __future__ import annotations

import io

import openpyxl
import pytest

from creditfarm.access import AccessDenied
from creditfarm.reports.credit_village import (
    assess_towns,
    assess_villages,
    count_behind,
    criteria_long,
    export_xlsx,
    households_behind,
    village_households,
)
from creditfarm.workspace import Workspace
from tests.helpers.county import (
    FILED,
    V1,
    V2,
    V3,
    Member,
    add_assessment,
    add_household,
    add_loans,
    add_regions,
    loan,
)
from tests.helpers.principals import BANK, PBOC, committee


def build(ws: Workspace) -> dict[str, list[str]]:
    """V1: 10 households, 9 filed, 7 credit households; loans: H01 50,000 normal, H02 30,000
    overdue 10 days (关注), H03 20,000 次级, H04 settled. V2: 2 households, both filed and credit,
    one normal loan of 10,000. V3 (another town): 1 household, not filed, grade C."""
    add_regions(ws)
    keys: dict[str, list[str]] = {}
    for i in range(1, 11):
        hh = f"H{i:02d}"
        members = [Member(f"王{i}", "户主", i)] + ([Member("李芳", "配偶", 100)] if i == 1 else [])
        keys[hh] = add_household(ws, hh, V1, members, archive=FILED if i <= 9 else None)
        # H01 was B before; its latest assessment (higher id) is A: the latest counts.
        if i == 1:
            add_assessment(ws, hh, grade="B", score=50, village=V1)
        add_assessment(ws, hh, grade="A" if i <= 7 else "B", score=65 if i <= 7 else 50, village=V1)
    add_loans(ws, [loan("L1", keys["H01"][1], balance=50000)])  # the spouse's loan counts for H01
    add_loans(ws, [loan("L2", keys["H02"][0], balance=30000, overdue=10, classification="关注")])
    add_loans(ws, [loan("L3", keys["H03"][0], balance=20000, overdue=100, classification="次级")])
    add_loans(ws, [loan("L4", keys["H04"][0], balance=0, overdue=40, status="结清")])
    for j, hh in enumerate(("G01", "G02"), start=20):
        keys[hh] = add_household(ws, hh, V2, [Member(f"赵{j}", "户主", j)], archive=FILED)
        add_assessment(ws, hh, grade="AA", score=75, village=V2)
    add_loans(ws, [loan("L5", keys["G01"][0], balance=10000)])
    keys["K01"] = add_household(ws, "K01", V3, [Member("陈一", "户主", 30)])
    add_assessment(ws, "K01", grade="C", score=30, village=V3)
    return keys


def test_village_criteria_by_hand(ws: Workspace) -> None:
    build(ws)
    villages = assess_villages(ws).set_index("village_code")
    v1 = villages.loc[V1]
    assert v1["households"] == 10
    assert v1["credit_household_share"] == pytest.approx(0.70)  # 7 / 10
    assert bool(v1["credit_household_share_pass"])  # 70% ≥ 70%: the edge passes
    # borrowers: H01, H02, H03 (H04 settled) = 3; in arrears: H02 (overdue), H03 (次级) = 2
    assert v1["borrowers"] == 3
    assert v1["borrowers_without_arrears"] == pytest.approx(1 / 3)  # (3 - 2) / 3
    assert not bool(v1["borrowers_without_arrears_pass"])  # 33% < 85%
    # NPL: 20,000 / (50,000 + 30,000 + 20,000) = 0.20
    assert v1["non_performing_ratio"] == pytest.approx(0.20)
    assert not bool(v1["non_performing_ratio_pass"])
    assert v1["filing_rate"] == pytest.approx(0.90)  # 9 / 10
    assert bool(v1["filing_rate_pass"])
    assert not bool(v1["credit_village"])

    v2 = villages.loc[V2]  # 2/2 credit, 1/1 borrower clean, NPL 0/10,000, 2/2 filed
    assert (v2["credit_household_share"], v2["borrowers_without_arrears"]) == (1.0, 1.0)
    assert v2["non_performing_ratio"] == 0.0
    assert bool(v2["credit_village"])

    v3 = villages.loc[V3]  # no borrowers: criterion has no value and passes; 0/1 credit, 0/1 filed
    assert v3["borrowers_without_arrears"] != v3["borrowers_without_arrears"]  # NaN
    assert bool(v3["borrowers_without_arrears_pass"])
    assert not bool(v3["credit_village"])


def test_failing_villages_listed_first(ws: Workspace) -> None:
    build(ws)
    order = list(assess_villages(ws)["village_code"])
    assert order == [V1, V3, V2]  # failing (by code) before passing


def test_town_roll_up(ws: Workspace) -> None:
    build(ws)
    towns = assess_towns(ws, villages=assess_villages(ws)).set_index("town_name")
    # 什玲镇: V1 fails, V2 passes → 1 / 2 = 50% ≥ 50%: a 信用乡(镇)
    assert towns.loc["什玲镇", "credit_village_share"] == pytest.approx(0.5)
    assert bool(towns.loc["什玲镇", "credit_town"])
    # 加茂镇: 0 / 1
    assert not bool(towns.loc["加茂镇", "credit_town"])


def test_households_behind_figures(ws: Workspace) -> None:
    build(ws)
    hh = village_households(ws, village_code=V1, principal=BANK).set_index("household_no")
    assert len(hh) == 10
    assert sorted(hh.index[hh["credit_household"]]) == [f"H{i:02d}" for i in range(1, 8)]
    assert sorted(hh.index[hh["in_arrears"]]) == ["H02", "H03"]
    assert hh.loc["H03", "npl_balance"] == 20000
    assert not hh.loc["H04", "borrower"]


def test_households_behind_each_drill_down(ws: Workspace) -> None:
    build(ws)
    facts = village_households(ws, principal=BANK)

    def behind(figure: str, village: str = V1) -> list[str]:
        rows = households_behind(facts, village_code=village, figure=figure, principal=BANK)
        assert count_behind(facts, village_code=village, figure=figure) == len(rows)
        return sorted(rows["household_no"])

    assert behind("credit_household") == [f"H{i:02d}" for i in range(1, 8)]  # grade A: H01–H07
    assert behind("filed") == [f"H{i:02d}" for i in range(1, 10)]  # H10 not filed
    assert behind("borrower") == ["H01", "H02", "H03"]  # H04's loan is settled
    assert behind("in_arrears") == ["H02", "H03"]
    assert behind("npl") == ["H03"]  # the 次级 loan
    assert behind("all") == [f"H{i:02d}" for i in range(1, 11)]
    assert behind("all", V2) == ["G01", "G02"]
    with pytest.raises(ValueError, match="unknown figure"):
        behind("loans")


def test_who_sees_which_villages_and_households(ws: Workspace) -> None:
    build(ws)
    # A village committee: its own village's figures, names masked, no household rows.
    own = village_households(ws, principal=committee(V1))
    assert set(own["village_code"]) == {V1} and len(own) == 10
    assert all("*" in n for n in own["head_name"] if n)
    assert count_behind(own, village_code=V1, figure="in_arrears") == 2  # H02, H03
    with pytest.raises(AccessDenied):
        households_behind(own, village_code=V1, figure="in_arrears", principal=committee(V1))
    with pytest.raises(AccessDenied):  # another village's figures
        village_households(ws, village_code=V2, principal=committee(V1))
    # The PBoC analyst: every village's aggregates, never the households.
    county = village_households(ws, principal=PBOC)
    assert set(county["village_code"]) >= {V1, V2}
    with pytest.raises(AccessDenied):
        households_behind(county, village_code=V1, figure="all", principal=PBOC)


def test_criteria_long_and_export(ws: Workspace) -> None:
    build(ws)
    villages = assess_villages(ws)
    long = criteria_long(ws, villages=villages)
    assert len(long) == 3 * 4  # 3 villages × 4 criteria
    row = long[(long["village_code"] == V1) & (long["criterion"] == "non_performing_ratio")].iloc[0]
    assert (row["label"], row["comparison"], row["threshold"], row["passed"]) == (
        "不良贷款率",
        "<",
        0.05,
        False,
    )
    data = export_xlsx(ws, villages=villages, towns=assess_towns(ws, villages=villages), year=2022)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["信用村评定"]
    assert sheet["A1"].value == "保亭县2022年度信用村评定结果"  # the county and the year
    assert sheet["A2"].value == "数据截至2022年6月30日"  # the assessments' as-of date
    assert sheet["A4"].value == "未达标"  # the result first
    assert sheet["D4"].value == "什玲村"  # first data row: V1 (failing first)
    assert sheet["F4"].value == pytest.approx(0.70)
    assert book["信用乡镇评定"]["F4"].value == "未达标"  # 加茂镇 (failing first)
