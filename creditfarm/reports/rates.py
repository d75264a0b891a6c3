"""Filing (建档率) and pre-credit (预授信率) rates per village, town and county.

households   = distinct 户籍 households (the denominator of every rate);
filed        = households with an archive (linked through any member: an archive opened in the
               spouse's name files the spouse's household);
pre_credited = households whose current line (``creditfarm.storage.current_line``: the
               officer's effective decision on the current assessment, else the model's) is
               above 0; 0 until scoring runs.
A region with no households has rates of 0. The per-village counts are kept in the
``villagestatus`` table and reused while the data they were counted from is unchanged (the
stamp: newest import run and assessment, row counts), so rates for every village read a
thousand rows instead of every household; they are counted again, in SQL, when the stamp moves.
``against_target`` sets a table beside the year's targets of the county plan (policy
``[[targets]]``): gaps, which rates fall short, shortfalls first; ``target_for`` says which
year's target judges data of a year.

Monthly figures (``monthly_rates``, ``take_snapshot``) are counted as of each month's end of the
data's own dates — archives filed by then, the assessment current among those dated by then —
never by the clock of the run that counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from creditfarm.policy.config import Policy, Target
from creditfarm.storage.current_line import current_line_select, current_lines
from creditfarm.storage.models import (
    Archive,
    Assessment,
    Decision,
    Household,
    ImportRun,
    RateSnapshot,
    Region,
    VillageStatus,
)
from creditfarm.workspace import Workspace

__all__ = [
    "LEVELS",
    "RATE_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "Level",
    "ReportHeading",
    "TargetChoice",
    "against_target",
    "data_months",
    "first_assessed",
    "household_status",
    "month_end",
    "monthly_rates",
    "rates",
    "report_heading",
    "take_snapshot",
    "target_for",
    "village_counts",
    "village_towns",
]

Level = Literal["village", "town", "county"]
LEVELS: tuple[Level, ...] = ("village", "town", "county")
RATE_COLUMNS = [
    "code",
    "name",
    "town_name",
    "households",
    "filed",
    "filing_rate",
    "pre_credited",
    "pre_credit_rate",
]


def household_status(ws: Workspace) -> pd.DataFrame:
    """One row per 户籍 household: household_no, village_code, filed, pre_credited,
    credit_household (both of the current line), line_source (decision | model; None where
    not scored)."""
    hh_t = Household.__table__  # type: ignore[attr-defined]
    ar_t = Archive.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        households = pd.DataFrame(
            conn.execute(select(hh_t.c.household_no, hh_t.c.village_code)).all(),
            columns=["household_no", "village_code"],
        )
        filed = set(
            conn.execute(
                select(ar_t.c.household_no).where(ar_t.c.household_no.is_not(None)).distinct()
            ).scalars()
        )
    households["filed"] = households["household_no"].isin(filed)
    current = current_lines(ws.engine).set_index("household_no")
    households["pre_credited"] = households["household_no"].isin(
        current.index[current["pre_credited"]]
    )
    households["credit_household"] = households["household_no"].isin(
        current.index[current["credit_household"]]
    )
    households["line_source"] = households["household_no"].map(current["source"])
    return households


_COUNTS = ["village_code", "households", "filed", "pre_credited"]
_STAMP_ROW = "*"  # the villagestatus row that carries the stamp even when no village has counts


def _stamp(conn: Connection) -> str:
    """What the counts depend on: a change to households, archives, assessments or decisions
    moves it (imports add a run; scoring adds assessments, never updating one in place; every
    change of a decision adds a row or raises its version)."""
    a_t = Assessment.__table__  # type: ignore[attr-defined]
    d_t = Decision.__table__  # type: ignore[attr-defined]
    parts = [
        conn.execute(select(func.max(ImportRun.__table__.c.id))).scalar(),  # type: ignore[attr-defined]
        conn.execute(select(func.max(a_t.c.id), func.count()).select_from(a_t)).one(),
        conn.execute(select(func.count()).select_from(Household.__table__)).scalar(),  # type: ignore[attr-defined]
        conn.execute(select(func.count()).select_from(Archive.__table__)).scalar(),  # type: ignore[attr-defined]
        conn.execute(select(func.max(d_t.c.id), func.sum(d_t.c.version))).one(),
    ]
    return "|".join(str(p) for p in parts)


def _count_villages(
    conn: Connection, *, as_of: date | None = None
) -> list[tuple[str, int, int, int]]:
    """households, filed and pre-credited per village, counted in SQL (``household_status``
    summed by village). ``as_of``: as the data stood at the end of that day — archives filed
    on or before it, the assessment current among those dated on or before it (户籍 has no
    dates: every household of the newest 户籍 counts)."""
    h_t = Household.__table__  # type: ignore[attr-defined]
    ar_t = Archive.__table__  # type: ignore[attr-defined]
    filed_rows = select(ar_t.c.household_no).where(ar_t.c.household_no.is_not(None))
    if as_of is not None:
        filed_rows = filed_rows.where(ar_t.c.filed_date <= as_of)
    filed = filed_rows.distinct().subquery("filed")
    lines = current_line_select(until=as_of).subquery("lines")
    granted = select(lines.c.household_no).where(lines.c.pre_credited.is_(True)).subquery("granted")
    stmt = (
        select(
            h_t.c.village_code,
            func.count(),
            func.count(filed.c.household_no),
            func.count(granted.c.household_no),
        )
        .select_from(
            h_t.outerjoin(filed, filed.c.household_no == h_t.c.household_no).outerjoin(
                granted, granted.c.household_no == h_t.c.household_no
            )
        )
        .where(h_t.c.village_code.is_not(None))
        .group_by(h_t.c.village_code)
    )
    return [(str(v), int(n), int(f), int(p)) for v, n, f, p in conn.execute(stmt).all()]


def village_counts(ws: Workspace, *, as_of: date | None = None) -> pd.DataFrame:
    """Per village with households: village_code, households, filed, pre_credited — the stored
    counts while their stamp holds, else counted again (and stored). ``as_of``: counted as the
    data stood at the end of that day (never cached)."""
    if as_of is not None:
        with ws.engine.connect() as conn:
            return pd.DataFrame(_count_villages(conn, as_of=as_of), columns=_COUNTS)
    v_t = VillageStatus.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        stamp = _stamp(conn)
        stored = conn.execute(
            select(v_t.c.village_code, v_t.c.households, v_t.c.filed, v_t.c.pre_credited).where(
                v_t.c.stamp == stamp
            )
        ).all()
    if any(row[0] == _STAMP_ROW for row in stored):
        rows = [tuple(row) for row in stored if row[0] != _STAMP_ROW]
        return pd.DataFrame(rows, columns=_COUNTS)
    sqlite = ws.engine.dialect.name == "sqlite"
    try:
        with ws.engine.begin() as conn:
            if sqlite:  # never wait long on an import's write lock just to keep a cache
                conn.exec_driver_sql("PRAGMA busy_timeout=200")
            try:
                stamp = _stamp(conn)  # of the data counted, in the same transaction
                rows = _count_villages(conn)
                conn.execute(delete(v_t))
                conn.execute(
                    insert(v_t),
                    [
                        {
                            "village_code": v,
                            "households": n,
                            "filed": f,
                            "pre_credited": p,
                            "stamp": stamp,
                        }
                        for v, n, f, p in [(_STAMP_ROW, 0, 0, 0), *rows]
                    ],
                )
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA busy_timeout=30000")
    except DBAPIError:
        # Another writer holds the database (an import) or stored the counts first: count
        # without keeping them; the next call stores them.
        with ws.engine.connect() as conn:
            rows = _count_villages(conn)
    return pd.DataFrame(rows, columns=_COUNTS)


def _regions(ws: Workspace) -> pd.DataFrame:
    t = Region.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(
                t.c.village_code,
                t.c.village_name,
                t.c.town_code,
                t.c.town_name,
                t.c.county_code,
                t.c.county_name,
            )
        ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "village_code",
            "village_name",
            "town_code",
            "town_name",
            "county_code",
            "county_name",
        ],
        dtype=object,
    )
    frame["town_code"] = frame["town_code"].fillna(frame["village_code"].str[:9])
    frame["county_code"] = frame["county_code"].fillna(frame["village_code"].str[:6])
    frame["county_name"] = frame["county_name"].fillna("")
    return frame


def village_towns(ws: Workspace) -> dict[str, str]:
    """Each village's town code (the region table's; else the code's first 9 digits)."""
    regions = _regions(ws)
    return dict(zip(regions["village_code"], regions["town_code"], strict=True))


def rates(ws: Workspace, *, level: Level = "village", as_of: date | None = None) -> pd.DataFrame:
    """Filing and pre-credit rates per area of ``level``, sorted by code; columns
    ``code,name,town_name,households,filed,filing_rate,pre_credited,pre_credit_rate``.
    ``as_of``: as the data stood at the end of that day (``_count_villages``)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return _rates_of(_regions(ws), village_counts(ws, as_of=as_of), level)


def _rates_of(regions: pd.DataFrame, per_village: pd.DataFrame, level: Level) -> pd.DataFrame:
    """``rates`` from the region table and the per-village counts."""
    merged = regions.merge(per_village, on="village_code", how="left")
    for col in ("households", "filed", "pre_credited"):
        merged[col] = merged[col].fillna(0).astype(int)
    if level == "village":
        merged["code"], merged["name"] = merged["village_code"], merged["village_name"]
        grouped = merged
    else:
        keys = (
            ["town_code", "town_name", "county_code"]
            if level == "town"
            else ["county_code", "county_name"]
        )
        grouped = merged.groupby(keys, dropna=False, as_index=False)[
            ["households", "filed", "pre_credited"]
        ].sum()
        if level == "town":
            grouped["code"], grouped["name"] = grouped["town_code"], grouped["town_name"]
        else:
            grouped["code"], grouped["name"] = grouped["county_code"], grouped["county_name"]
            grouped["town_name"] = ""
    out = grouped[["code", "name", "town_name", "households", "filed", "pre_credited"]].copy()
    denominator = out["households"].where(out["households"] > 0)
    out["filing_rate"] = (out["filed"] / denominator).fillna(0.0).astype(float)
    out["pre_credit_rate"] = (out["pre_credited"] / denominator).fillna(0.0).astype(float)
    out = out.sort_values("code", kind="stable").reset_index(drop=True)
    return out[RATE_COLUMNS]


def against_target(
    table: pd.DataFrame, *, filing_target: float, pre_credit_target: float
) -> pd.DataFrame:
    """``table`` (a ``rates`` result) with ``filing_gap`` / ``pre_credit_gap`` (rate − target,
    a share), ``filing_below`` / ``pre_credit_below`` (under the target) and ``below_target``
    (either), areas below target first and, within each part, lowest filing rate first."""
    out = table.copy()
    out["filing_gap"] = out["filing_rate"] - filing_target
    out["pre_credit_gap"] = out["pre_credit_rate"] - pre_credit_target
    out["filing_below"] = out["filing_rate"] < filing_target
    out["pre_credit_below"] = out["pre_credit_rate"] < pre_credit_target
    out["below_target"] = out["filing_below"] | out["pre_credit_below"]
    return out.sort_values(["below_target", "filing_rate"], ascending=[False, True], kind="stable")


@dataclass(frozen=True)
class TargetChoice:
    """Which of the policy's yearly targets judges data of ``year``, and a sentence saying so."""

    year: int  # the year of the data
    target: Target | None  # None: the data is older than the plan's first target
    note: str  # Chinese, for pages and reports


def target_for(policy: Policy, year: int) -> TargetChoice:
    """The target of ``year`` when the policy defines one; for a later year the newest defined
    year's (the plan's last target stays in force, and the note says so); none before the
    first defined year."""
    defined = sorted(policy.targets, key=lambda t: t.year)
    exact = [t for t in defined if t.year == year]
    if exact:
        return TargetChoice(year, exact[0], f"{year}年目标")
    earlier = [t for t in defined if t.year < year]
    if earlier:
        newest = earlier[-1]
        note = f"{year}年未设目标，沿用最近年度（{newest.year}年）目标"
        return TargetChoice(year, newest, note)
    first = defined[0].year if defined else year
    return TargetChoice(year, None, f"{year}年早于方案首个目标年度（{first}年），不设目标")


@dataclass(frozen=True)
class ReportHeading:
    as_of: date  # as-of date of the newest assessment; today before the first scoring run
    county_name: str  # "" when the region table names no county


def report_heading(ws: Workspace, *, today: date | None = None) -> ReportHeading:
    """The date the figures stand at and the county they cover, for titles and the report."""
    a_t = Assessment.__table__  # type: ignore[attr-defined]
    r_t = Region.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        newest = conn.execute(select(func.max(a_t.c.as_of))).scalar()
        county = conn.execute(select(func.max(r_t.c.county_name))).scalar()
    as_of = pd.Timestamp(newest).date() if newest else (today or date.today())
    return ReportHeading(as_of=as_of, county_name=county or "")


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return (pd.Timestamp(day) + pd.offsets.MonthEnd(0)).date()


def data_months(ws: Workspace) -> list[date]:
    """Every month's end from the month of the earliest dated fact (an archive's filing date,
    an assessment's as-of date) to the month of the newest: the months the data covers."""
    ar_t = Archive.__table__  # type: ignore[attr-defined]
    a_t = Assessment.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        spans = [
            conn.execute(select(func.min(ar_t.c.filed_date), func.max(ar_t.c.filed_date))).one(),
            conn.execute(select(func.min(a_t.c.as_of), func.max(a_t.c.as_of))).one(),
        ]
    days = [pd.Timestamp(d).date() for span in spans for d in span if d is not None]
    if not days:
        return []
    ends = pd.date_range(month_end(min(days)), month_end(max(days)), freq="ME")
    return [d.date() for d in ends]


def first_assessed(ws: Workspace) -> date | None:
    """The as-of date of the earliest assessment: before it no household was assessed, so a
    pre-credit rate of that time is not known (shown as —), not 0."""
    a_t = Assessment.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        first = conn.execute(select(func.min(a_t.c.as_of))).scalar()
    return pd.Timestamp(first).date() if first is not None else None


SNAPSHOT_COLUMNS = ["as_of", "level", *RATE_COLUMNS]


def _first_filed(conn: Connection) -> pd.DataFrame:
    """Per 户籍 household with a village and an archive: the day it was first filed."""
    h_t = Household.__table__  # type: ignore[attr-defined]
    ar_t = Archive.__table__  # type: ignore[attr-defined]
    stmt = (
        select(h_t.c.village_code, func.min(ar_t.c.filed_date))
        .select_from(h_t.join(ar_t, ar_t.c.household_no == h_t.c.household_no))
        .where(h_t.c.village_code.is_not(None))
        .group_by(h_t.c.household_no, h_t.c.village_code)
    )
    frame = pd.DataFrame(conn.execute(stmt).all(), columns=["village_code", "first_filed"])
    frame["first_filed"] = pd.to_datetime(frame["first_filed"]).dt.date
    return frame


def _pre_credit_dates(conn: Connection) -> list[date]:
    """The days on which a pre-credit count can change: the assessments' as-of dates (between
    two of them the assessments dated by a day, and so the current ones, are the same)."""
    a_t = Assessment.__table__  # type: ignore[attr-defined]
    days = conn.execute(select(a_t.c.as_of).distinct()).scalars()
    return sorted(pd.Timestamp(d).date() for d in days)


def monthly_rates(ws: Workspace, *, months: list[date] | None = None) -> pd.DataFrame:
    """Rates of every level as of each month's end (``data_months`` unless ``months`` given),
    one row per (as_of, level, area): ``SNAPSHOT_COLUMNS``, oldest month first.

    The same figures as ``rates(as_of=month_end)`` for every month, counted faster: households
    filed by a day are those first filed on or before it, and pre-credited households are
    counted (``_count_villages``) once per assessment date, since they change only then."""
    months = data_months(ws) if months is None else sorted(months)
    if not months:
        return pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    regions = _regions(ws)
    with ws.engine.connect() as conn:
        now = pd.DataFrame(_count_villages(conn), columns=_COUNTS)
        first_filed = _first_filed(conn)
        change_days = _pre_credit_dates(conn)
        granted: dict[date, pd.Series] = {}
        for end in months:
            day = max((d for d in change_days if d <= end), default=None)
            if day is not None and day not in granted:
                counted = pd.DataFrame(_count_villages(conn, as_of=day), columns=_COUNTS)
                granted[day] = counted.set_index("village_code")["pre_credited"]
    households = now.set_index("village_code")["households"]
    villages = pd.Index(regions["village_code"].unique(), name="village_code")
    filed_on = first_filed.groupby(["village_code", "first_filed"]).size()
    long = []
    for end in months:
        day = max((d for d in change_days if d <= end), default=None)
        by_day = filed_on[filed_on.index.get_level_values("first_filed") <= end]
        per_village = pd.DataFrame(index=villages)
        per_village["households"] = households.reindex(villages, fill_value=0)
        per_village["filed"] = (
            by_day.groupby(level="village_code").sum().reindex(villages, fill_value=0)
        )
        per_village["pre_credited"] = (
            granted[day].reindex(villages, fill_value=0) if day is not None else 0
        )
        long.append(per_village.reset_index().assign(as_of=end))
    counts = pd.concat(long, ignore_index=True)
    for col in _COUNTS[1:]:
        counts[col] = counts[col].fillna(0).astype(int)
    merged = regions.merge(counts, on="village_code", how="left")
    frames = []
    for level in LEVELS:
        if level == "village":
            grouped = merged.assign(code=merged["village_code"], name=merged["village_name"])
        else:
            keys = (
                ["town_code", "town_name", "county_code"]
                if level == "town"
                else ["county_code", "county_name"]
            )
            grouped = merged.groupby(["as_of", *keys], dropna=False, as_index=False)[
                ["households", "filed", "pre_credited"]
            ].sum()
            code, name = keys[0], keys[1]
            grouped = grouped.assign(code=grouped[code], name=grouped[name])
            if level == "county":
                grouped["town_name"] = ""
        frames.append(_with_rates(grouped).assign(level=level))
    out = pd.concat(frames, ignore_index=True)
    order = {level: i for i, level in enumerate(LEVELS)}
    out = out.sort_values(
        ["as_of", "level", "code"], key=lambda c: c.map(order) if c.name == "level" else c
    )
    return out.reset_index(drop=True)[SNAPSHOT_COLUMNS]


def _with_rates(grouped: pd.DataFrame) -> pd.DataFrame:
    """``grouped`` (counts per area) with the two rates (0 where an area has no households)."""
    out = grouped.copy()
    denominator = out["households"].where(out["households"] > 0)
    out["filing_rate"] = (out["filed"] / denominator).fillna(0.0).astype(float)
    out["pre_credit_rate"] = (out["pre_credited"] / denominator).fillna(0.0).astype(float)
    return out


def take_snapshot(ws: Workspace) -> int:
    """Store the rates of every level as of each month's end of the data (``monthly_rates``);
    a month stored before is replaced by its new count (a late import may back-fill it).
    Returns rows stored."""
    taken_at = datetime.now(UTC)
    frame = monthly_rates(ws)
    rows = [
        {
            "taken_at": taken_at,
            "as_of": rec.as_of,
            "level": rec.level,
            "code": str(rec.code),
            "households": int(rec.households),
            "filed": int(rec.filed),
            "pre_credited": int(rec.pre_credited),
        }
        for rec in frame.itertuples(index=False)
    ]
    if rows:
        t = RateSnapshot.__table__  # type: ignore[attr-defined]
        with ws.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.as_of.in_(sorted(set(frame["as_of"])))))
            conn.execute(insert(t), rows)
    return len(rows)
