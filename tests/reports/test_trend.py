"""Monthly rates as of each month's end of the data, the trend by month with 比上月 / 同比 and
the year's target, and the stored snapshots — on the hand-made county of
``tests.helpers.monthly_county`` (10 households), every figure worked by hand."""

from __future__ import annotations

import math
from datetime import date

import pytest

from creditfarm.ingest import ingest_folder
from creditfarm.reports.freshness import data_stamp
from creditfarm.reports.rates import (
    data_months,
    monthly_rates,
    rates,
    take_snapshot,
    target_for,
)
from creditfarm.reports.trend import TREND_COLUMNS, rate_trend, snapshots
from tests.helpers import monthly_county
from tests.helpers.county import V1, V2, V3
from tests.helpers.paths import COUNTY


def test_months_come_from_the_data_dates(ws):
    monthly_county.build(ws)
    months = data_months(ws)
    # the earliest dated fact: H7 filed 2021-01-31; the newest: H6 filed 2022-02-01
    assert months[0] == date(2021, 1, 31) and months[-1] == date(2022, 2, 28)
    assert len(months) == 14
    assert date(2021, 2, 28) in months and date(2021, 6, 30) in months


def test_rates_as_of_a_month_end_by_hand(ws):
    monthly_county.build(ws)
    dec = rates(ws, level="village", as_of=date(2021, 12, 31)).set_index("code")
    # 什玲村: H1 (11-10), H2 (12-01) filed; H1, H2 pre-credited in the 12-31 assessment
    assert dec.loc[V1, ["households", "filed", "pre_credited"]].tolist() == [4, 2, 2]
    # 八村: H5 filed on 12-31 itself (counted), not pre-credited; 加茂村: H7 only
    assert dec.loc[V2, ["households", "filed", "pre_credited"]].tolist() == [2, 1, 0]
    assert dec.loc[V3, ["households", "filed", "pre_credited"]].tolist() == [4, 1, 1]
    jan = rates(ws, level="county", as_of=date(2022, 1, 31))
    # filed by 01-31: H1 H2 H3 H5 H7 H8 H9 = 7; pre-credited in the 01-31 run: H1 H3 H5 H7 H8
    assert jan[["households", "filed", "pre_credited"]].values.tolist() == [[10, 7, 5]]
    nov = rates(ws, level="county", as_of=date(2021, 11, 30))
    assert nov[["filed", "pre_credited"]].values.tolist() == [[2, 0]]  # H7, H1; nobody scored
    # without as_of: everything, the newest assessment (H6 filed too)
    now = rates(ws, level="county")
    assert now[["filed", "pre_credited"]].values.tolist() == [[8, 5]]


def test_monthly_rates_has_every_level_per_month(ws):
    monthly_county.build(ws)
    frame = monthly_rates(ws, months=[date(2022, 1, 31)])
    assert sorted(frame["level"].unique()) == ["county", "town", "village"]
    town = frame[frame["level"] == "town"].set_index("code")
    # 什玲镇 = 什玲村 (3 filed, 2 granted) + 八村 (1 filed, 1 granted)
    assert town.loc["469029100000", ["households", "filed", "pre_credited"]].tolist() == [6, 4, 3]
    assert town.loc["469029101000", ["households", "filed", "pre_credited"]].tolist() == [4, 3, 2]


def test_trend_one_point_per_month_with_changes_and_targets(ws):
    monthly_county.build(ws)
    trend = rate_trend(ws)
    assert list(trend.columns) == TREND_COLUMNS
    assert len(trend) == 14
    assert trend["month"].iloc[0] == "2021年1月" and trend["month"].iloc[-1] == "2022年2月"
    by = trend.set_index("month")
    # filed: 1 of 10 from Jan to Oct 2021, 2 in Nov, 4 in Dec, 7 in Jan 2022, 8 in Feb
    assert by.loc["2021年10月", "filing_rate"] == pytest.approx(0.1)
    assert by.loc["2021年11月", "filing_rate"] == pytest.approx(0.2)
    assert by.loc["2021年12月", "filing_rate"] == pytest.approx(0.4)
    assert by.loc["2022年2月", "filing_rate"] == pytest.approx(0.8)
    # 比上月 in percentage points
    assert by.loc["2021年11月", "filing_mom"] == pytest.approx(10.0)
    assert by.loc["2022年1月", "filing_mom"] == pytest.approx(30.0)
    assert math.isnan(by.loc["2021年1月", "filing_mom"])  # no month before in the data
    # 同比: Jan 2022 (0.7) against Jan 2021 (0.1); Dec 2021 has no Dec 2020
    assert by.loc["2022年1月", "filing_yoy"] == pytest.approx(60.0)
    assert by.loc["2022年2月", "filing_yoy"] == pytest.approx(70.0)
    assert math.isnan(by.loc["2021年12月", "filing_yoy"])
    # pre-credit: unknown before the first assessment (2021-12-31), then 3/10, 5/10, 5/10
    assert math.isnan(by.loc["2021年11月", "pre_credit_rate"])
    assert by.loc["2021年12月", "pre_credit_rate"] == pytest.approx(0.3)
    assert math.isnan(by.loc["2021年12月", "pre_credit_mom"])
    assert by.loc["2022年1月", "pre_credit_mom"] == pytest.approx(20.0)
    assert by.loc["2022年2月", "pre_credit_mom"] == pytest.approx(0.0)
    # targets: 2021 data against 2021's (90% / 70%); 2022 is not defined: 2021's, said so
    assert by.loc["2021年12月", "target_year"] == 2021
    assert by.loc["2021年12月", "filing_gap"] == pytest.approx(-50.0)
    assert by.loc["2021年12月", "target_note"] == "2021年目标"
    assert by.loc["2022年2月", "target_year"] == 2021
    assert by.loc["2022年2月", "pre_credit_gap"] == pytest.approx(-20.0)
    assert "2022年未设目标" in by.loc["2022年2月", "target_note"]
    assert "2021年" in by.loc["2022年2月", "target_note"]


def test_trend_of_one_village(ws):
    monthly_county.build(ws)
    trend = rate_trend(ws, level="village", code=V2).set_index("month")
    # 八村: H5 filed 2021-12-31, H6 2022-02-01; H5 granted only in January
    assert trend["filing_rate"].tolist()[-4:] == pytest.approx([0.0, 0.5, 0.5, 1.0])
    assert trend.loc["2022年1月", "pre_credit_rate"] == pytest.approx(0.5)
    assert trend.loc["2022年1月", "pre_credit_mom"] == pytest.approx(50.0)


def test_target_for_years_the_policy_does_and_does_not_define(ws):
    y2020, y2021 = target_for(ws.policy, 2020).target, target_for(ws.policy, 2021).target
    assert y2020 is not None and y2020.filing_rate == pytest.approx(0.8)
    assert y2021 is not None and y2021.pre_credit_rate == pytest.approx(0.7)
    later = target_for(ws.policy, 2023)
    assert later.target is not None and later.target.year == 2021
    assert "沿用最近年度（2021年）" in later.note
    earlier = target_for(ws.policy, 2019)
    assert earlier.target is None and "不设目标" in earlier.note


def test_snapshots_store_each_month_once(ws):
    monthly_county.build(ws)
    stored = take_snapshot(ws)
    assert stored == 14 * (3 + 2 + 1)  # months × (villages + towns + county)
    again = take_snapshot(ws)  # the same months again replace, never add
    taken = snapshots(ws)
    assert again == stored and len(taken) == stored
    county = taken[taken["level"] == "county"].set_index("as_of")
    assert county.loc[date(2022, 1, 31), ["filed", "pre_credited"]].tolist() == [7, 5]


def test_no_data_no_trend(ws):
    assert data_months(ws) == []
    assert rate_trend(ws).empty
    assert take_snapshot(ws) == 0
    assert snapshots(ws).empty


def test_data_stamp_changes_with_every_write_a_page_shows(ws):
    empty = data_stamp(ws)
    assert empty == (None, None, None, None, 0, None)
    ingest_folder(ws, COUNTY)
    imported = data_stamp(ws)
    assert imported[0] is not None and imported[4] == 6  # an import run; 6 households
    take_snapshot(ws)
    snapped = data_stamp(ws)
    assert snapped[3] is not None and snapped[:3] == imported[:3]
    assert data_stamp(ws) == snapped  # nothing written: the same stamp, caches stay valid


def test_monthly_rates_agree_with_rates_as_of_each_month(ws):
    """The fast monthly count and the direct count as of a day are the same figures."""
    monthly_county.build(ws)
    months = data_months(ws)
    frame = monthly_rates(ws)
    for end in months:
        for level in ("village", "town", "county"):
            fast = frame[(frame["as_of"] == end) & (frame["level"] == level)]
            direct = rates(ws, level=level, as_of=end)
            columns = ["code", "households", "filed", "pre_credited"]
            assert fast[columns].values.tolist() == direct[columns].values.tolist(), (end, level)
