"""The filing and pre-credit trend by month, as of each month's end of the data.

One point per month (``creditfarm.reports.rates.monthly_rates``: archives filed by the month's
end, the assessment current among those dated by then), for the county, a town or a village,
with 比上月 (change from the month before) and 同比 (change from the same month a year before)
in percentage points (百分点), and the target of the data's year (``rates.target_for``: a year
the policy does not define is judged against the newest defined year's, and ``target_note``
says so). Before the first assessment no household was assessed: the pre-credit rate of those
months is unknown (NaN, shown as —), not 0.

``snapshots`` reads what ``take_snapshot`` stored (the record of what was counted when).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select

from creditfarm.reports.rates import Level, first_assessed, monthly_rates, target_for
from creditfarm.storage.models import RateSnapshot
from creditfarm.workspace import Workspace

__all__ = ["SNAPSHOT_COLUMNS", "TREND_COLUMNS", "month_label", "rate_trend", "snapshots"]

SNAPSHOT_COLUMNS = ["taken_at", "as_of", "level", "code", "households", "filed", "pre_credited"]
TREND_COLUMNS = [
    "month_end",
    "month",
    "households",
    "filed",
    "pre_credited",
    "filing_rate",
    "pre_credit_rate",
    "filing_mom",
    "filing_yoy",
    "pre_credit_mom",
    "pre_credit_yoy",
    "target_year",
    "filing_target",
    "pre_credit_target",
    "filing_gap",
    "pre_credit_gap",
    "target_note",
]
_COUNTS = ["households", "filed", "pre_credited"]


def month_label(day: date) -> str:
    """2022-06-30 → 2022年6月."""
    return f"{day.year}年{day.month}月"


def snapshots(ws: Workspace) -> pd.DataFrame:
    """Every stored monthly snapshot row, ``SNAPSHOT_COLUMNS``; ``taken_at`` as UTC timestamps,
    ``as_of`` as dates. Rows stored before monthly snapshots (no ``as_of``) are left out."""
    t = RateSnapshot.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(*(t.c[c] for c in SNAPSHOT_COLUMNS)).where(t.c.as_of.is_not(None))
        ).all()
    frame = pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)
    frame["taken_at"] = pd.to_datetime(frame["taken_at"], utc=True, format="ISO8601")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    for col in _COUNTS:
        frame[col] = frame[col].astype(int)
    return frame


def _points(new: pd.Series, old: pd.Series) -> pd.Series:
    """new − old in percentage points (NaN where either is unknown)."""
    return (new - old) * 100


def rate_trend(
    ws: Workspace,
    *,
    level: Level = "county",
    code: str | None = None,
    monthly: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per month of the data, oldest first: ``TREND_COLUMNS``. ``level`` and ``code``
    pick the area (default: the county; several counties are summed). ``monthly`` lets a
    caller pass the ``monthly_rates`` frame it already holds."""
    monthly = monthly_rates(ws) if monthly is None else monthly
    rows = monthly[monthly["level"] == level]
    if code is not None:
        rows = rows[rows["code"] == code]
    trend = (
        rows.groupby("as_of", as_index=False)[_COUNTS].sum().rename(columns={"as_of": "month_end"})
    )
    if trend.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    trend = trend.sort_values("month_end").reset_index(drop=True)
    denominator = trend["households"].where(trend["households"] > 0)
    trend["filing_rate"] = (trend["filed"] / denominator).fillna(0.0).astype(float)
    trend["pre_credit_rate"] = (trend["pre_credited"] / denominator).fillna(0.0).astype(float)
    first = first_assessed(ws)
    unassessed = trend["month_end"].map(lambda d: first is None or d < first)
    trend.loc[unassessed, "pre_credit_rate"] = float("nan")
    trend["month"] = trend["month_end"].map(month_label)
    # Month by month: the month before and the same month a year before, where the data has it.
    by_month = trend.set_index(trend["month_end"].map(lambda d: (d.year, d.month)))
    for rate, prefix in (("filing_rate", "filing"), ("pre_credit_rate", "pre_credit")):
        values = by_month[rate]
        before = [values.get(_shift(y, m, -1), float("nan")) for y, m in by_month.index]
        year_ago = [values.get((y - 1, m), float("nan")) for y, m in by_month.index]
        trend[f"{prefix}_mom"] = _points(trend[rate], pd.Series(before, dtype=float))
        trend[f"{prefix}_yoy"] = _points(trend[rate], pd.Series(year_ago, dtype=float))
    choices = [target_for(ws.policy, d.year) for d in trend["month_end"]]
    trend["target_year"] = [c.target.year if c.target else None for c in choices]
    trend["filing_target"] = [c.target.filing_rate if c.target else None for c in choices]
    trend["pre_credit_target"] = [c.target.pre_credit_rate if c.target else None for c in choices]
    trend["filing_target"] = trend["filing_target"].astype(float)
    trend["pre_credit_target"] = trend["pre_credit_target"].astype(float)
    trend["filing_gap"] = _points(trend["filing_rate"], trend["filing_target"])
    trend["pre_credit_gap"] = _points(trend["pre_credit_rate"], trend["pre_credit_target"])
    trend["target_note"] = [c.note for c in choices]
    return trend[TREND_COLUMNS]


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1
