"""The filing and pre-credit trend from the rate snapshots (one taken after every import and
scoring run, ``creditfarm.reports.rates.take_snapshot``).

The trend is the county rows of the snapshots; where none are stored, the village rows of each
snapshot are summed instead. Rates follow ``creditfarm.reports.rates``: counts over 户籍
households, 0 for a snapshot with no households.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from creditfarm.storage.models import RateSnapshot
from creditfarm.workspace import Workspace

__all__ = ["SNAPSHOT_COLUMNS", "TREND_COLUMNS", "rate_trend", "snapshots"]

SNAPSHOT_COLUMNS = ["taken_at", "level", "code", "households", "filed", "pre_credited"]
TREND_COLUMNS = [
    "taken_at",
    "households",
    "filed",
    "pre_credited",
    "filing_rate",
    "pre_credit_rate",
]
_COUNTS = ["households", "filed", "pre_credited"]


def snapshots(ws: Workspace) -> pd.DataFrame:
    """Every stored snapshot row, ``SNAPSHOT_COLUMNS``; ``taken_at`` as UTC timestamps."""
    t = RateSnapshot.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        rows = conn.execute(select(*(t.c[c] for c in SNAPSHOT_COLUMNS))).all()
    frame = pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)
    frame["taken_at"] = pd.to_datetime(frame["taken_at"], utc=True, format="ISO8601")
    for col in _COUNTS:
        frame[col] = frame[col].astype(int)
    return frame


def rate_trend(ws: Workspace, *, taken: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per snapshot, oldest first: ``TREND_COLUMNS``. ``taken`` lets a caller pass the
    ``snapshots`` frame it already holds."""
    taken = snapshots(ws) if taken is None else taken
    rows = taken[taken["level"] == "county"]
    if rows.empty:
        rows = taken[taken["level"] == "village"]
    trend = rows.groupby("taken_at", as_index=False)[_COUNTS].sum()
    denominator = trend["households"].where(trend["households"] > 0)
    trend["filing_rate"] = (trend["filed"] / denominator).fillna(0.0).astype(float)
    trend["pre_credit_rate"] = (trend["pre_credited"] / denominator).fillna(0.0).astype(float)
    return trend.sort_values("taken_at").reset_index(drop=True)[TREND_COLUMNS]
