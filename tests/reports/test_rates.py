"""Filing and pre-credit rates of a small hand-written county (2 towns, 3 villages, 6 households).

什玲村: H001 (archive by head 黎明 and by spouse 黎芳), H002 (archive by spouse 李梅), H003 (none)
八村村: H004 (archive by head 符军), H005 (none);  南林村: H006 (none). An outsider's archive links
to no household and counts nowhere.
"""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from creditfarm.ingest import ingest_folder
from creditfarm.reports.rates import (
    RATE_COLUMNS,
    against_target,
    rates,
    report_heading,
    take_snapshot,
)
from creditfarm.storage.models import Assessment, RateSnapshot, VillageStatus
from tests.helpers.paths import COUNTY


def _assess(ws, household_no: str, as_of: date, pre_credited: bool, created: datetime) -> None:
    row: dict[str, Any] = {
        "household_no": household_no,
        "village_code": None,
        "as_of": as_of,
        "model_version": "m1",
        "policy_version": "p1",
        "probability": 0.05,
        "score": 70.0,
        "grade": "A",
        "credit_household": True,
        "pre_credit_limit": 50_000.0 if pre_credited else 0.0,
        "pre_credited": pre_credited,
        "thin_file": False,
        "vetoes": [],
        "caps": [],
        "features": {},
        "contributions": {},
        "reasons": {},
        "created_at": created,
    }
    with ws.engine.begin() as conn:
        conn.execute(insert(Assessment), [row])


def test_village_rates_by_hand(ws):
    ingest_folder(ws, COUNTY)
    table = rates(ws, level="village")
    assert list(table.columns) == RATE_COLUMNS
    got = table.set_index("code")
    # 什玲村: 3 households, filed H001 + H002 = 2 → 2/3
    assert got.loc["469029100201", ["name", "town_name", "households", "filed"]].tolist() == [
        "什玲村",
        "什玲镇",
        3,
        2,
    ]
    assert got.loc["469029100201", "filing_rate"] == pytest.approx(2 / 3)
    # 八村村: 2 households, filed H004 → 1/2;  南林村: 1 household, none filed → 0
    assert got.loc["469029100202", "filing_rate"] == pytest.approx(0.5)
    assert got.loc["469029101201", ["households", "filed", "filing_rate"]].tolist() == [1, 0, 0.0]
    assert (table["pre_credited"] == 0).all() and (table["pre_credit_rate"] == 0).all()


def test_town_and_county_rates_by_hand(ws):
    ingest_folder(ws, COUNTY)
    town = rates(ws, level="town").set_index("code")
    # 什玲镇 = 什玲村 + 八村村: 5 households, 3 filed → 0.6; 南林乡: 1 household, 0 filed
    assert town.loc["469029100", ["name", "households", "filed"]].tolist() == ["什玲镇", 5, 3]
    assert town.loc["469029100", "filing_rate"] == pytest.approx(0.6)
    assert town.loc["469029101", "filing_rate"] == 0.0
    county = rates(ws, level="county")
    # whole county: 6 households, 3 filed → 0.5
    assert county[["code", "name", "households", "filed"]].values.tolist() == [
        ["469029", "保亭县", 6, 3]
    ]
    assert county.loc[0, "filing_rate"] == pytest.approx(0.5)


def test_pre_credit_counts_the_latest_assessment_only(ws):
    ingest_folder(ws, COUNTY)
    t0 = datetime(2022, 7, 1, tzinfo=UTC)
    t1 = datetime(2022, 7, 2, tzinfo=UTC)
    _assess(ws, "H001", date(2022, 6, 30), True, t0)
    _assess(ws, "H002", date(2021, 6, 30), True, t0)
    _assess(ws, "H002", date(2022, 6, 30), False, t0)  # later as_of: no longer pre-credited
    _assess(ws, "H004", date(2022, 6, 30), False, t0)
    _assess(ws, "H004", date(2022, 6, 30), True, t1)  # same as_of, re-scored later: granted
    village = rates(ws, level="village").set_index("code")
    # 什玲村: H001 only → 1 of 3;  八村村: H004 → 1 of 2
    assert village.loc["469029100201", "pre_credited"] == 1
    assert village.loc["469029100201", "pre_credit_rate"] == pytest.approx(1 / 3)
    assert village.loc["469029100202", "pre_credit_rate"] == pytest.approx(0.5)
    county = rates(ws, level="county")
    assert county.loc[0, "pre_credited"] == 2  # 2 of 6
    assert county.loc[0, "pre_credit_rate"] == pytest.approx(2 / 6)


def test_snapshot_stores_every_level(ws):
    ingest_folder(ws, COUNTY)
    stored = take_snapshot(ws)
    assert stored == 3 + 2 + 1  # villages + towns + county
    with ws.engine.connect() as conn:
        rows = conn.execute(select(RateSnapshot)).mappings().all()
    county = next(r for r in rows if r["level"] == "county")
    assert (county["code"], county["households"], county["filed"]) == ("469029", 6, 3)


def test_bad_level(ws):
    with pytest.raises(ValueError, match="level"):
        rates(ws, level="province")  # type: ignore[arg-type]


def test_empty_database_has_no_rows(ws):
    assert rates(ws, level="village").empty


def test_against_target_gaps_flags_and_order(ws):
    ingest_folder(ws, COUNTY)
    _assess(ws, "H004", date(2022, 6, 30), True, datetime(2022, 7, 1, tzinfo=UTC))
    table = against_target(
        rates(ws, level="village"), filing_target=0.6, pre_credit_target=0.4
    ).set_index("code")
    # 什玲村 2/3 filed, 0/3 pre-credited; 八村村 1/2, 1/2; 南林村 0/1, 0/1
    assert table.loc["469029100201", "filing_gap"] == pytest.approx(2 / 3 - 0.6)
    assert table.loc["469029100202", "pre_credit_gap"] == pytest.approx(0.5 - 0.4)
    assert table["filing_below"].to_dict() == {
        "469029101201": True,  # 0 < 0.6
        "469029100202": True,  # 0.5 < 0.6
        "469029100201": False,  # 0.667
    }
    assert table["pre_credit_below"].to_dict() == {
        "469029101201": True,
        "469029100202": False,  # 0.5 ≥ 0.4
        "469029100201": True,  # 0 < 0.4
    }
    # all three fall short somewhere; lowest filing rate first: 南林村 0, 八村村 0.5, 什玲村 0.667
    assert list(table.index) == ["469029101201", "469029100202", "469029100201"]
    assert table["below_target"].all()
    on_target = against_target(rates(ws, level="village"), filing_target=0.0, pre_credit_target=0.0)
    assert not on_target["below_target"].any()  # a rate equal to its target meets it


def test_report_heading(ws):
    today = date(2023, 1, 5)
    assert report_heading(ws, today=today).as_of == today  # nothing scored yet
    assert report_heading(ws, today=today).county_name == ""
    ingest_folder(ws, COUNTY)
    _assess(ws, "H001", date(2021, 6, 30), True, datetime(2022, 7, 1, tzinfo=UTC))
    _assess(ws, "H002", date(2022, 6, 30), True, datetime(2022, 7, 1, tzinfo=UTC))
    heading = report_heading(ws, today=today)
    assert (heading.as_of, heading.county_name) == (date(2022, 6, 30), "保亭县")


def _stored_counts(ws) -> dict[str, tuple[int, int, int]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(VillageStatus)).all()
    return {r.village_code: (r.households, r.filed, r.pre_credited) for r in rows}


def test_counts_are_kept_and_reused_while_the_data_is_unchanged(ws):
    ingest_folder(ws, COUNTY)
    rates(ws, level="village")
    # 什玲村 3 households / 2 filed, 八村村 2 / 1, 南林村 1 / 0; none pre-credited yet; the
    # stamp row "*" carries no counts
    assert _stored_counts(ws) == {
        "*": (0, 0, 0),
        "469029100201": (3, 2, 0),
        "469029100202": (2, 1, 0),
        "469029101201": (1, 0, 0),
    }
    # Stored counts are what rates read while the stamp holds (proved by altering one).
    with ws.engine.begin() as conn:
        conn.execute(
            update(VillageStatus)
            .where(VillageStatus.village_code == "469029101201")  # type: ignore[arg-type]
            .values(households=4, filed=1)
        )
    assert rates(ws, level="village").set_index("code").loc["469029101201", "filing_rate"] == 0.25


def test_counts_follow_a_new_assessment_and_a_new_import(ws):
    ingest_folder(ws, COUNTY)
    assert rates(ws, level="county").loc[0, "pre_credited"] == 0
    _assess(ws, "H001", date(2022, 6, 30), True, datetime(2022, 7, 1, tzinfo=UTC))
    # a new assessment moves the stamp: 什玲村 now 1 of 3 pre-credited
    village = rates(ws, level="village").set_index("code")
    assert village.loc["469029100201", "pre_credited"] == 1
    assert _stored_counts(ws)["469029100201"] == (3, 2, 1)
    _assess(ws, "H001", date(2022, 6, 30), False, datetime(2022, 7, 2, tzinfo=UTC))
    assert rates(ws, level="county").loc[0, "pre_credited"] == 0  # re-scored, not granted
    # a re-import (a new run, even when unchanged) is counted again, to the same figures
    with ws.engine.begin() as conn:
        conn.execute(update(VillageStatus).values(households=99))
    ingest_folder(ws, COUNTY)
    assert rates(ws, level="county").loc[0, "households"] == 6
