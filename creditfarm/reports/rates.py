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
``[[targets]]``): gaps, which rates fall short, shortfalls first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

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
    "Level",
    "ReportHeading",
    "against_target",
    "household_status",
    "rates",
    "report_heading",
    "take_snapshot",
    "village_counts",
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


def _count_villages(conn: Connection) -> list[tuple[str, int, int, int]]:
    """households, filed and pre-credited per village, counted in SQL (``household_status``
    summed by village)."""
    h_t = Household.__table__  # type: ignore[attr-defined]
    ar_t = Archive.__table__  # type: ignore[attr-defined]
    filed = (
        select(ar_t.c.household_no)
        .where(ar_t.c.household_no.is_not(None))
        .distinct()
        .subquery("filed")
    )
    lines = current_line_select().subquery("lines")
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


def village_counts(ws: Workspace) -> pd.DataFrame:
    """Per village with households: village_code, households, filed, pre_credited — the stored
    counts while their stamp holds, else counted again (and stored)."""
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


def rates(ws: Workspace, *, level: Level = "village") -> pd.DataFrame:
    """Filing and pre-credit rates per area of ``level``, sorted by code; columns
    ``code,name,town_name,households,filed,filing_rate,pre_credited,pre_credit_rate``."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    regions = _regions(ws)
    per_village = village_counts(ws)
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


def take_snapshot(ws: Workspace) -> int:
    """Store the counts of every level at this moment (RateSnapshot rows); returns rows stored."""
    taken_at = datetime.now(UTC)
    rows = []
    for level in LEVELS:
        for rec in rates(ws, level=level).itertuples(index=False):
            rows.append(
                {
                    "taken_at": taken_at,
                    "level": level,
                    "code": str(rec.code),
                    "households": int(rec.households),
                    "filed": int(rec.filed),
                    "pre_credited": int(rec.pre_credited),
                }
            )
    if rows:
        with ws.engine.begin() as conn:
            conn.execute(insert(RateSnapshot.__table__), rows)  # type: ignore[attr-defined]
    return len(rows)
