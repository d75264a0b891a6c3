"""The inclusive-finance index on a three-village county, every figure worked out by hand.

The county (保亭县 469029), May and June 2022:

- 什玲村 V1 (什玲镇): H1 (甲, archive 2021-03-01, AA credit household, pre-credited) and H2 (丙,
  archive filed 2022-06-10, grade B: neither; agricultural insurance). Point P1 opened 2020.
- 八村 V2 (什玲镇): H3 (丁, archive 2021-03-01, grade A credit household, pre-credited). Its only
  point is closed (撤销).
- 加茂村 V3 (加茂镇): H4 (戊, no archive, never assessed, agricultural insurance). Point P3
  opened 2022-06-15.

Payments (successful unless said; a card where said):
  t1 甲 2022-06-05 withdrawal, card · t2 甲 2021-07-10 代理缴费, card · t3 甲 2021-06-20
  withdrawal, card · t4 甲 2022-03-01 failed · t5 丁 2022-05-20 代理缴费 (电费), no card ·
  t6 戊 2022-06-25 withdrawal, card.
  The window of June is July 2021–June 2022, of May June 2021–May 2022.
Loans (the book's snapshot is 2022-06-30, the month of the newest dated row):
  L1 甲 农户小额信用贷款 (credit) 20,000, 2021-07-01 → 2022-07-01, current;
  L2 丙 农户联保贷款 30,000, 2022-06-01 → 2023-06-01, current;
  L3 丁 惠农e贷 (credit) 10,000, 2021-01-01 → 2022-01-01, 150 days overdue, 次级, not settled:
     the spell starts at maturity, is non-performing from 2022-04-01 (90 days), in arrears in
     both months;
  L4 戊 创业担保贷款 50,000, 2020-01-01 → 2021-01-01, settled at maturity: never outstanding;
  L5 甲 扶贫小额信贷 (credit) 5,000, 2022-05-15 → 2022-06-20, settled at maturity: outstanding
     at the close of May only.

Bounds (catalogue): U2 [0, 0.5]; U4 [0, 24]; U5 [0, 12]; Q1 [0, 0.10] lower is better;
Q2 [0.5, 1]; every other share [0, 1]. Dimension weights (policy): usage 1, access 1, quality
0.5, so ||w|| = 1.5.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from creditfarm.access import AccessDenied, Principal, Role, system_principal
from creditfarm.policy.indicators import (
    DEFAULT_CATALOGUE_FILE,
    CatalogueError,
    default_catalogue,
    load_catalogue,
)
from creditfarm.reports.inclusion import FORMULAS, InclusionIndex, inclusion_index
from creditfarm.reports.rates import rates
from creditfarm.storage.models import Archive
from creditfarm.workspace import Workspace
from tests.helpers.county import (
    V1,
    V2,
    V3,
    Member,
    add_household,
    add_loans,
    add_payments,
    add_regions,
    insert_rows,
    payment,
)
from tests.helpers.inclusion_county import JUNE, MAY, build, loan_row, person
from tests.helpers.principals import committee

W = {"usage": 1.0, "access": 1.0, "quality": 0.5}
NORM_W = math.sqrt(1 + 1 + 0.25)  # 1.5
PBOC = Principal(username="pboc_t", role=Role.pboc_analyst)
T1, T2 = "469029100000", "469029101000"


def compute(ws: Workspace, **kw: object) -> InclusionIndex:
    return inclusion_index(ws, principal=PBOC, month=JUNE, months=2, **kw)  # type: ignore[arg-type]


def row(frame: pd.DataFrame, level: str, code: str, month: date) -> pd.Series:
    hit = frame[(frame["level"] == level) & (frame["code"] == code) & (frame["month"] == month)]
    assert len(hit) == 1, (level, code, month)
    return hit.iloc[0]


NAN = float("nan")
# The indicators by hand, per village and month: numerator / denominator as the formula says.
EXPECTED: dict[tuple[str, date], dict[str, float]] = {
    (V1, JUNE): {
        "active_card_share": 1 / 2,  # H1's card used (t1, t2); H2 none
        "borrower_share": 2 / 2,  # H1 (L1), H2 (L2)
        "credit_loan_share": 20000 / (20000 + 30000),  # L1 of L1 + L2
        "txns_per_household": 2 / 2,  # t1, t2 (t3 before July 2021, t4 failed)
        "bill_payments_per_household": 1 / 2,  # t2
        "service_coverage": 1 / 1,  # P1
        "filing_rate": 2 / 2,  # H1 and H2 (filed 06-10)
        "pre_credit_rate": 1 / 2,  # H1 (H2's limit is 0)
        "non_performing_ratio": 0 / 50000,
        "borrowers_without_arrears": 2 / 2,
        "credit_household_share": 1 / 2,  # H1
        "insurance_coverage": 1 / 2,  # H2
    },
    (V2, JUNE): {
        "active_card_share": 0 / 1,  # t5 without a card
        "borrower_share": 1 / 1,  # L3
        "credit_loan_share": 10000 / 10000,
        "txns_per_household": 1 / 1,  # t5
        "bill_payments_per_household": 1 / 1,  # t5
        "service_coverage": 0 / 1,  # P2 closed
        "filing_rate": 1 / 1,
        "pre_credit_rate": 1 / 1,
        "non_performing_ratio": 10000 / 10000,  # L3 non-performing since 2022-04-01
        "borrowers_without_arrears": 0 / 1,
        "credit_household_share": 1 / 1,
        "insurance_coverage": 0 / 1,
    },
    (V3, JUNE): {
        "active_card_share": 1 / 1,  # t6, card
        "borrower_share": 0 / 1,  # L4 settled in 2021
        "credit_loan_share": NAN,  # no loan outstanding
        "txns_per_household": 1 / 1,
        "bill_payments_per_household": 0 / 1,
        "service_coverage": 1 / 1,  # P3 opened 06-15
        "filing_rate": 0 / 1,
        "pre_credit_rate": 0 / 1,
        "non_performing_ratio": NAN,
        "borrowers_without_arrears": NAN,
        "credit_household_share": 0 / 1,
        "insurance_coverage": 1 / 1,
    },
    (V1, MAY): {
        "active_card_share": 1 / 2,  # t2, t3 with H1's card
        "borrower_share": 1 / 2,  # H1 (L1, L5); L2 not yet issued
        "credit_loan_share": (20000 + 5000) / (20000 + 5000),
        "txns_per_household": 2 / 2,  # t2, t3
        "bill_payments_per_household": 1 / 2,
        "service_coverage": 1 / 1,
        "filing_rate": 1 / 2,  # H2 files in June
        "pre_credit_rate": 0 / 2,  # the assessments are dated June 30
        "non_performing_ratio": 0 / 25000,
        "borrowers_without_arrears": 1 / 1,
        "credit_household_share": 0 / 2,
        "insurance_coverage": 1 / 2,  # undated: as in June
    },
    (V3, MAY): {
        "active_card_share": 0 / 1,
        "borrower_share": 0 / 1,
        "credit_loan_share": NAN,
        "txns_per_household": 0 / 1,
        "bill_payments_per_household": 0 / 1,
        "service_coverage": 0 / 1,  # P3 not yet open
        "filing_rate": 0 / 1,
        "pre_credit_rate": 0 / 1,
        "non_performing_ratio": NAN,
        "borrowers_without_arrears": NAN,
        "credit_household_share": 0 / 1,
        "insurance_coverage": 1 / 1,
    },
}


def test_the_catalogue_holds_the_bounds_and_weights_the_answers_use(ws: Workspace) -> None:
    bounds = {i.key: (i.lower, i.upper, i.direction) for i in default_catalogue().indicators}
    assert bounds["borrower_share"] == (0.0, 0.5, "+")
    assert bounds["txns_per_household"] == (0.0, 24.0, "+")
    assert bounds["bill_payments_per_household"] == (0.0, 12.0, "+")
    assert bounds["non_performing_ratio"] == (0.0, 0.10, "-")
    assert bounds["borrowers_without_arrears"] == (0.5, 1.0, "+")
    others = set(bounds) - {
        "borrower_share",
        "txns_per_household",
        "bill_payments_per_household",
        "non_performing_ratio",
        "borrowers_without_arrears",
    }
    assert {bounds[k] for k in others} == {(0.0, 1.0, "+")}
    assert {i.weight for i in default_catalogue().indicators} == {1.0}
    assert {d: ws.policy.index.weight(d) for d in W} == W
    assert set(FORMULAS) == set(bounds)  # every catalogue indicator has its formula


@pytest.mark.parametrize(("village", "month"), list(EXPECTED))
def test_every_indicator_of_every_village(ws: Workspace, village: str, month: date) -> None:
    build(ws)
    got = row(compute(ws).values, "village", village, month)
    for key, expected in EXPECTED[(village, month)].items():
        if math.isnan(expected):
            assert pd.isna(got[key]), key
        else:
            assert got[key] == pytest.approx(expected), key


def test_town_and_county_sum_numerators_and_denominators(ws: Workspace) -> None:
    build(ws)
    result = compute(ws)
    town = row(result.values, "town", T1, JUNE)  # V1 + V2: 3 households
    assert town["households"] == 3
    assert town["credit_loan_share"] == pytest.approx((20000 + 10000) / (50000 + 10000))
    assert town["non_performing_ratio"] == pytest.approx(10000 / 60000)
    assert town["borrowers_without_arrears"] == pytest.approx(2 / 3)  # H1, H2 of H1 H2 H3
    assert town["service_coverage"] == pytest.approx(1 / 2)
    county = row(result.values, "county", "469029", JUNE)
    assert county["households"] == 4
    assert county["txns_per_household"] == pytest.approx((2 + 1 + 1) / 4)
    assert county["filing_rate"] == pytest.approx(3 / 4)
    assert county["service_coverage"] == pytest.approx(2 / 3)
    assert county["borrower_share"] == pytest.approx(3 / 4)


def _ifi(usage: float, access: float, quality: float) -> float:
    gaps = [1.0 * (1 - usage), 1.0 * (1 - access), 0.5 * (1 - quality)]
    return 1 - math.sqrt(sum(g * g for g in gaps)) / NORM_W


# Dimension scores by hand (normalised indicators averaged within their dimension), June.
V1_JUNE = (
    (0.5 + 1.0 + 0.4 + 1 / 24 + 0.5 / 12) / 5,  # U2: 1.0 / 0.5 clipped to 1
    (1.0 + 1.0 + 0.5) / 3,
    (1.0 + 1.0 + 0.5 + 0.5) / 4,  # Q1: (0.10 - 0) / 0.10; Q2: (1 - 0.5) / 0.5
)
V2_JUNE = (
    (0.0 + 1.0 + 1.0 + 1 / 24 + 1 / 12) / 5,
    (0.0 + 1.0 + 1.0) / 3,
    (0.0 + 0.0 + 1.0 + 0.0) / 4,  # Q1: NPL 100% clipped to 0; Q2: 0 below its lower bound
)
V3_JUNE = (
    (1.0 + 0.0 + 1 / 24 + 0.0) / 4,  # U3 has no value: left out of the mean
    (1.0 + 0.0 + 0.0) / 3,
    (0.0 + 1.0) / 2,  # Q1, Q2 have no value
)
V3_MAY = (0.0, 0.0, (0.0 + 1.0) / 2)


def test_dimension_scores_and_index_per_village(ws: Workspace) -> None:
    build(ws)
    result = compute(ws)
    for code, dims in ((V1, V1_JUNE), (V2, V2_JUNE), (V3, V3_JUNE)):
        got = row(result.index, "village", code, JUNE)
        assert (got["usage"], got["access"], got["quality"]) == pytest.approx(dims)
        assert got["ifi"] == pytest.approx(_ifi(*dims))
    # V1 by hand: gaps 0.603333, 0.166667, 0.125 → distance 0.638290 → 1 - 0.638290 / 1.5
    assert row(result.index, "village", V1, JUNE)["ifi"] == pytest.approx(0.574473, abs=1e-6)
    assert row(result.index, "village", V1, JUNE)["weakest"] == "usage"
    assert row(result.index, "village", V2, JUNE)["weakest"] == "quality"  # 0.25
    county = row(result.index, "county", "469029", JUNE)
    county_dims = (
        (0.5 + 1.0 + 0.5 + 1 / 24 + 0.5 / 12) / 5,  # U2 0.75 / 0.5 clipped
        (2 / 3 + 3 / 4 + 2 / 4) / 3,
        (0.0 + (2 / 3 - 0.5) / 0.5 + 0.5 + 0.5) / 4,  # Q1 1/6 above the bound: 0
    )
    assert (county["usage"], county["access"], county["quality"]) == pytest.approx(county_dims)
    assert county["ifi"] == pytest.approx(_ifi(*county_dims))


def test_shortfalls_split_one_minus_the_index(ws: Workspace) -> None:
    build(ws)
    result = compute(ws)
    u, a, q = V1_JUNE
    gaps = {"usage": 1 - u, "access": 1 - a, "quality": 0.5 * (1 - q)}
    distance = math.sqrt(sum(g * g for g in gaps.values()))
    usage_part = gaps["usage"] ** 2 / (distance * NORM_W)
    # Within usage, by weight x (1 - x): U1 0.5, U2 0, U3 0.6, U4 23/24, U5 23/24.
    usage_gaps = {
        "active_card_share": 0.5,
        "borrower_share": 0.0,
        "credit_loan_share": 0.6,
        "txns_per_household": 23 / 24,
        "bill_payments_per_household": 23 / 24,
    }
    got = row(result.losses, "village", V1, JUNE)
    for key, g in usage_gaps.items():
        assert got[key] == pytest.approx(usage_part * g / sum(usage_gaps.values())), key
    # Access: only A3 (pre-credit 0.5) falls short, so it carries the access part whole.
    assert got["pre_credit_rate"] == pytest.approx(gaps["access"] ** 2 / (distance * NORM_W))
    assert got["filing_rate"] == 0.0
    keys = list(FORMULAS)
    assert got[keys].sum() == pytest.approx(1 - _ifi(*V1_JUNE))


def test_moves_split_the_change_and_leave_still_indicators_out(ws: Workspace) -> None:
    build(ws)
    result = compute(ws)
    moves = result.moves("village", V3).set_index("indicator")
    change = _ifi(*V3_JUNE) - _ifi(*V3_MAY)
    assert result.table("village").set_index("code").loc[V3, "change"] == pytest.approx(change)
    # gaps May (1, 1, 0.25) and June (1 - usage, 1 - access, 0.25)
    g0 = (1.0, 1.0, 0.25)
    g1 = (1 - V3_JUNE[0], 1 - V3_JUNE[1], 0.5 * (1 - V3_JUNE[2]))
    n0 = math.sqrt(sum(g * g for g in g0))
    n1 = math.sqrt(sum(g * g for g in g1))
    denominator = (n1 + n0) * NORM_W
    # U1 0 → 1 and U4 0 → 1/24, each a quarter of usage (4 indicators with a value);
    # A1 0 → 1, a third of access.
    assert moves.loc["active_card_share", "effect"] == pytest.approx(
        (1 / 4) * (g1[0] + g0[0]) / denominator
    )
    assert moves.loc["txns_per_household", "effect"] == pytest.approx(
        (1 / 24 / 4) * (g1[0] + g0[0]) / denominator
    )
    assert moves.loc["service_coverage", "effect"] == pytest.approx(
        (1 / 3) * (g1[1] + g0[1]) / denominator
    )
    for still in ("borrower_share", "filing_rate", "pre_credit_rate", "insurance_coverage"):
        assert moves.loc[still, "effect"] == 0.0, still
    assert moves["effect"].sum() == pytest.approx(change)
    assert moves.loc["service_coverage", "value_last"] == 0.0
    assert moves.loc["service_coverage", "value"] == 1.0


def test_balance_between_villages(ws: Workspace) -> None:
    build(ws)
    result = compute(ws)
    y = [_ifi(*V1_JUNE), _ifi(*V2_JUNE), _ifi(*V3_JUNE)]
    mu = sum(y) / 3
    sd = math.sqrt(sum((v - mu) ** 2 for v in y) / 3)
    theil = sum((v / mu) * math.log(v / mu) for v in y) / 3
    town1 = (y[0] + y[1]) / 2
    between = (2 * town1 / (3 * mu)) * math.log(town1 / mu) + (y[2] / (3 * mu)) * math.log(
        y[2] / mu
    )
    got = result.balance.set_index("month").loc[JUNE]
    assert got["villages"] == 3
    assert got["mean"] == pytest.approx(mu)
    assert got["cv"] == pytest.approx(sd / mu)
    assert got["theil"] == pytest.approx(theil)
    assert got["theil_between_towns"] == pytest.approx(between)
    assert got["theil_within_towns"] + got["theil_between_towns"] == pytest.approx(theil)


def test_nothing_changes_nothing_moves(ws: Workspace) -> None:
    build(ws)
    first = compute(ws)
    # Rows dated after June (a payment and a loan in July) leave June's figures alone.
    add_payments(ws, [{**payment("t9", person(ws, 1), datetime(2022, 7, 2, 9)), "card_key": "k1"}])
    again = compute(ws)
    pd.testing.assert_frame_equal(first.index, again.index)
    pd.testing.assert_frame_equal(first.values, again.values)
    # Two months in which nothing in 加茂村 happened have the same index.
    spring = inclusion_index(ws, principal=PBOC, month=date(2022, 4, 30), months=2)
    march, april = (row(spring.index, "village", V3, m)["ifi"] for m in spring.months)
    assert march == april
    assert (spring.moves("village", V3)["effect"] == 0.0).all()


def test_the_index_moves_the_right_way(ws: Workspace) -> None:
    build(ws)
    before = compute(ws)
    insert_rows(
        ws,
        {
            Archive: [
                {
                    "head_person_key": person(ws, 5),
                    "household_no": "H4",
                    "head_name": "戊",
                    "filed_date": date(2022, 6, 20),
                    "village_code": V3,
                }
            ]
        },
    )
    after = compute(ws)
    v3_before = row(before.index, "village", V3, JUNE)
    v3_after = row(after.index, "village", V3, JUNE)
    assert row(after.values, "village", V3, JUNE)["filing_rate"] == 1.0
    assert v3_after["access"] == pytest.approx(V3_JUNE[1] + 1 / 3)
    assert v3_after["ifi"] == pytest.approx(_ifi(V3_JUNE[0], V3_JUNE[1] + 1 / 3, V3_JUNE[2]))
    assert v3_after["ifi"] > v3_before["ifi"]
    assert (
        row(after.index, "village", V3, MAY)["ifi"] == row(before.index, "village", V3, MAY)["ifi"]
    )  # filed in June: May is as it was
    assert (
        row(after.index, "county", "469029", JUNE)["ifi"]
        > row(before.index, "county", "469029", JUNE)["ifi"]
    )
    assert (
        row(after.index, "village", V1, JUNE)["ifi"]
        == row(before.index, "village", V1, JUNE)["ifi"]
    )


def test_a_worse_non_performing_ratio_lowers_the_index(ws: Workspace) -> None:
    build(ws)
    before = row(compute(ws).index, "village", V1, JUNE)
    # A third V1 loan (to 甲), 50,000, 120 days overdue and 次级 by the snapshot: NPL 50,000 of
    # 100,000 outstanding → Q1 0.5, above its bound: 0; H1 now in arrears → Q2 (1/2 - 0.5) / 0.5.
    add_loans(
        ws,
        [
            loan_row(
                "L6",
                person(ws, 1),
                "农户小额信用贷款",
                50000,
                date(2021, 1, 1),
                date(2022, 1, 1),
                overdue=120,
                cls="次级",
            ),
        ],
    )
    after = row(compute(ws).index, "village", V1, JUNE)
    assert after["quality"] == pytest.approx((0.0 + 0.0 + 0.5 + 0.5) / 4)
    assert after["ifi"] < before["ifi"]


def test_rates_and_index_agree_at_the_newest_month(ws: Workspace) -> None:
    build(ws)
    result = compute(ws)
    village_rates = rates(ws, level="village").set_index("code")
    for code in (V1, V2, V3):
        got = row(result.values, "village", code, JUNE)
        assert got["filing_rate"] == pytest.approx(village_rates.loc[code, "filing_rate"])
        assert got["pre_credit_rate"] == pytest.approx(village_rates.loc[code, "pre_credit_rate"])


def test_a_village_committee_sees_its_own_village_only(ws: Workspace) -> None:
    build(ws)
    result = inclusion_index(ws, principal=committee(V3), month=JUNE, months=2)
    assert set(result.index.loc[result.index["level"] == "village", "code"]) == {V3}
    county = row(result.index, "county", "469029", JUNE)
    assert county["households"] == 1  # its own village's households only
    assert row(result.index, "village", V3, JUNE)["ifi"] == pytest.approx(_ifi(*V3_JUNE))


def test_the_default_months_end_at_the_newest_dated_row(sqlite_ws: Workspace) -> None:
    build(sqlite_ws)
    result = inclusion_index(sqlite_ws, principal=system_principal())
    assert result.month == JUNE  # t6 on 2022-06-25, the assessments of 06-30
    assert len(result.months) == sqlite_ws.policy.index.months
    assert result.months[-2] == MAY


def test_refused_without_the_rates_permission(sqlite_ws: Workspace) -> None:
    build(sqlite_ws)
    nobody = Principal(username="x", role=Role.pboc_analyst)
    object.__setattr__(nobody, "permissions", frozenset())
    with pytest.raises(AccessDenied):
        inclusion_index(sqlite_ws, principal=nobody)


def test_a_bad_catalogue_names_the_file_and_the_entry(tmp_path: Path) -> None:
    text = DEFAULT_CATALOGUE_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "indicators.toml"
    bad.write_text(text.replace("upper = 24.0", "upper = -1.0", 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"indicators\.toml: indicator\.3: .*upper"):
        load_catalogue(bad)
    bad.write_text(text.replace('code = "U2"', 'code = "U1"', 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match="U1"):
        load_catalogue(bad)


def test_a_county_without_payments_or_loans(sqlite_ws: Workspace) -> None:
    """Only 户籍 and archives: payment indicators are 0, loan indicators have no value and are
    left out of their dimensions, and the index still stands on what there is."""
    add_regions(sqlite_ws)
    add_household(sqlite_ws, "H1", V1, [Member("甲", serial=1)], archive={})
    add_household(sqlite_ws, "H2", V1, [Member("乙", serial=2)])
    result = inclusion_index(sqlite_ws, principal=PBOC, months=2)
    assert result.month == date(2021, 3, 31)  # the archive's month: the only dated row
    got = row(result.values, "village", V1, result.month)
    assert got["txns_per_household"] == 0.0
    assert got["filing_rate"] == pytest.approx(1 / 2)
    assert pd.isna(got["non_performing_ratio"]) and pd.isna(got["credit_loan_share"])
    index = row(result.index, "village", V1, result.month)
    usage = (0.0 + 0.0 + 0.0 + 0.0) / 4  # U1 U2 U4 U5 (U3 has no value)
    access = (0.0 + 0.5 + 0.0) / 3  # no point; one of two filed; nobody assessed
    quality = (0.0 + 0.0) / 2  # Q3 Q4 (Q1 Q2 have no value)
    gaps = [1 - usage, 1 - access, 0.5 * (1 - quality)]
    assert index["ifi"] == pytest.approx(1 - math.sqrt(sum(g * g for g in gaps)) / NORM_W)
