"""The rate trend from stored snapshots, worked by hand; the data stamp the app caches under."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import insert

from creditfarm.ingest import ingest_folder
from creditfarm.reports.freshness import data_stamp
from creditfarm.reports.rates import take_snapshot
from creditfarm.reports.trend import TREND_COLUMNS, rate_trend, snapshots
from creditfarm.storage.models import RateSnapshot
from tests.helpers.paths import COUNTY

T1 = datetime(2022, 7, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2022, 8, 1, 9, 0, tzinfo=UTC)


def _store(ws, rows: list[tuple[datetime, str, str, int, int, int]]) -> None:
    keys = ("taken_at", "level", "code", "households", "filed", "pre_credited")
    with ws.engine.begin() as conn:
        conn.execute(insert(RateSnapshot), [dict(zip(keys, r, strict=True)) for r in rows])


def test_trend_reads_the_county_rows_oldest_first(ws):
    _store(
        ws,
        [
            (T2, "county", "469029", 10, 8, 5),
            (T2, "village", "V1", 6, 5, 3),  # not added again: the county row holds it
            (T1, "county", "469029", 10, 6, 0),
            (T1, "village", "V1", 6, 4, 0),
        ],
    )
    trend = rate_trend(ws)
    assert list(trend.columns) == TREND_COLUMNS
    assert list(trend["taken_at"]) == [pd.Timestamp(T1), pd.Timestamp(T2)]
    assert trend["filing_rate"].tolist() == pytest.approx([6 / 10, 8 / 10])
    assert trend["pre_credit_rate"].tolist() == pytest.approx([0.0, 5 / 10])


def test_trend_sums_villages_when_no_county_row_is_stored(ws):
    _store(
        ws,
        [
            (T1, "village", "V1", 6, 4, 1),
            (T1, "village", "V2", 4, 2, 1),
            (T2, "village", "V1", 0, 0, 0),  # a snapshot with no households: rates of 0
        ],
    )
    trend = rate_trend(ws).set_index("taken_at")
    # T1: (4 + 2) / (6 + 4) = 0.6 filed, (1 + 1) / 10 = 0.2 pre-credited
    assert trend.loc[pd.Timestamp(T1), ["households", "filed", "pre_credited"]].tolist() == [
        10,
        6,
        2,
    ]
    assert trend.loc[pd.Timestamp(T1), "filing_rate"] == pytest.approx(0.6)
    assert trend.loc[pd.Timestamp(T1), "pre_credit_rate"] == pytest.approx(0.2)
    assert trend.loc[pd.Timestamp(T2), ["filing_rate", "pre_credit_rate"]].tolist() == [0.0, 0.0]


def test_no_snapshots_no_trend(ws):
    assert snapshots(ws).empty
    assert rate_trend(ws).empty


def test_taken_snapshot_shows_in_the_trend(ws):
    ingest_folder(ws, COUNTY)
    take_snapshot(ws)
    (row,) = rate_trend(ws).itertuples()
    # the hand-written county: 6 households, 3 filed, none scored
    assert (row.households, row.filed, row.pre_credited) == (6, 3, 0)
    assert row.filing_rate == pytest.approx(0.5)
    assert str(row.taken_at.tz) == "UTC"


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
