"""村村有服务, service-point use and agri-insurance coverage on a hand-made county."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from creditfarm.reports.indicators import indicators, monthly_report_xlsx, payment_use
from creditfarm.workspace import Workspace
from tests.helpers.county import (
    V1,
    V2,
    V3,
    Member,
    add_gov,
    add_household,
    add_payments,
    add_point,
    add_regions,
    gov_record,
    payment,
)


def build(ws: Workspace) -> None:
    """V1 (什玲镇): H1 (two members) and H2; V2 (什玲镇): H3; V3 (加茂镇): H4.
    Points: V1 active, V2 撤销 (closed), V3 none.
    Agri insurance: H2 and H3 (two policies, one household)."""
    add_regions(ws)
    a, b = add_household(ws, "H1", V1, [Member("甲", "户主", 1), Member("乙", "配偶", 2)])
    (c,) = add_household(ws, "H2", V1, [Member("丙", "户主", 3)])
    (d,) = add_household(ws, "H3", V2, [Member("丁", "户主", 4)])
    add_household(ws, "H4", V3, [Member("戊", "户主", 5)])
    add_point(ws, "P1", V1)
    add_point(ws, "P2", V2, status="撤销")
    add_gov(ws, [gov_record("agri_insurance", c, policy_type="水稻")])
    add_gov(ws, [gov_record("agri_insurance", d, 1, policy_type="水稻")])
    add_gov(ws, [gov_record("agri_insurance", d, 2, policy_type="橡胶")])
    rows = [
        payment("t1", a, datetime(2022, 6, 30, 12)),  # in the 12 months to 2022-06-30
        payment("t2", a, datetime(2022, 1, 5)),
        payment("t3", a, datetime(2021, 7, 1, 8)),
        payment("t4", a, datetime(2022, 3, 1), status="失败"),  # failed: not counted
        payment("t5", a, datetime(2021, 6, 30, 8)),  # 12 months before as-of: outside
        payment("t6", b, datetime(2022, 2, 1)),
        payment("t7", b, datetime(2022, 5, 1)),
        payment("t8", d, datetime(2022, 4, 1)),
    ]
    add_payments(ws, rows)


def test_payment_use_window(ws: Workspace) -> None:
    build(ws)
    use, as_of = payment_use(ws)
    assert as_of == date(2022, 6, 30)  # newest transaction's day
    counts = dict(zip(use["household_no"], use["txns"], strict=True))
    assert counts == {"H1": 5, "H3": 1}  # H1: t1 t2 t3 (member 甲) + t6 t7 (member 乙)


def test_village_indicators(ws: Workspace) -> None:
    build(ws)
    table = indicators(ws, level="village").set_index("code")
    v1 = table.loc[V1]
    assert (v1["villages"], v1["villages_with_point"], v1["service_coverage"]) == (1, 1, 1.0)
    assert v1["households"] == 2
    assert v1["txns_per_household"] == pytest.approx(2.5)  # 5 transactions / 2 households
    assert v1["use_share"] == pytest.approx(0.5)  # H1 used a point, H2 did not
    assert v1["insurance_coverage"] == pytest.approx(0.5)  # H2 insured of 2
    v2 = table.loc[V2]
    assert v2["service_coverage"] == 0.0  # its only point is closed
    assert v2["insured_households"] == 1  # two policies, one household
    assert v2["insurance_target"] == 0.65


def test_town_and_county_indicators(ws: Workspace) -> None:
    build(ws)
    towns = indicators(ws, level="town").set_index("name")
    # 什玲镇: villages V1 (point) + V2 (closed) → 1/2; households H1 H2 H3, insured H2 H3 → 2/3
    assert towns.loc["什玲镇", "service_coverage"] == pytest.approx(0.5)
    assert towns.loc["什玲镇", "insurance_coverage"] == pytest.approx(2 / 3)
    assert towns.loc["什玲镇", "txns_per_household"] == pytest.approx(6 / 3)  # (5 + 1) / 3
    county = indicators(ws, level="county").iloc[0]
    # 3 villages, 1 served; 4 households, 2 insured (50% < 65% target); 6 txns / 4 households
    assert (county["villages"], county["villages_with_point"]) == (3, 1)
    assert county["insurance_coverage"] == pytest.approx(0.5)
    assert county["txns_per_household"] == pytest.approx(1.5)
    with pytest.raises(ValueError, match="level"):
        indicators(ws, level="province")


def test_monthly_report_layout(sqlite_ws: Workspace) -> None:
    build(sqlite_ws)
    rates = pd.DataFrame(
        {
            "code": ["A", "B"],
            "name": ["好村", "差村"],
            "town_name": ["镇", "镇"],
            "households": [100, 50],
            "filed": [95, 20],
            "filing_rate": [0.95, 0.40],
            "pre_credited": [80, 10],
            "pre_credit_rate": [0.80, 0.20],
        }
    )
    data = monthly_report_xlsx(
        rates=rates,
        indicator_table=indicators(sqlite_ws, level="village"),
        filing_target=0.9,
        pre_credit_target=0.7,
        period="2022年6月",
        unit_name="保亭县",
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["建档与预授信"]
    assert sheet["A1"].value == "保亭县农户建档与预授信情况月报（2022年6月）"
    assert sheet["D3"].value == "户籍户数(户)"
    assert sheet["B4"].value == "差村"  # below target first
    assert sheet["H4"].value == pytest.approx(-50.0)  # (0.40 - 0.90) × 100 percentage points
    assert book["其他指标"]["B4"].value == "什玲村"
