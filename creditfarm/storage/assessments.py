"""Which assessment of a household is current: the one rule every view uses.

A household is scored again at every run, and a run may be back-dated (``score --as-of``), so a
household holds many assessments. **The current assessment is the one with the newest as-of
date; among assessments of that date, the one of the newest run** (the highest id: a run inserts
its rows after every earlier run's). A back-dated run therefore never replaces a newer date.

Every caller — the household card, search, the rates, the review queue, the 整村授信 list, the
explanation views and ``explain`` — reads through this module; none writes its own rule.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Engine

from creditfarm.storage.models import Assessment

__all__ = [
    "ASSESSMENT_TABLE",
    "as_list",
    "current_assessment_id",
    "current_assessment_select",
    "current_assessments",
    "current_ids",
    "previous_grades",
]

ASSESSMENT_TABLE = Assessment.__table__  # type: ignore[attr-defined]
_A = ASSESSMENT_TABLE.c

_COLUMNS = (
    "id",
    "household_no",
    "village_code",
    "as_of",
    "model_version",
    "policy_version",
    "probability",
    "score",
    "grade",
    "credit_household",
    "pre_credit_limit",
    "pre_credited",
    "thin_file",
    "vetoes",
    "caps",
)


def _ranked(
    *, village_code: str | None = None, as_of: date | None = None, until: date | None = None
) -> Any:
    """Every assessment with its rank within its household (1 = current), as a subquery."""
    rank = (
        func.row_number()
        .over(partition_by=_A.household_no, order_by=(_A.as_of.desc(), _A.id.desc()))
        .label("rank")
    )
    inner = select(_A.id, _A.household_no, _A.grade, rank)
    if village_code is not None:
        inner = inner.where(_A.village_code == village_code)
    if as_of is not None:
        inner = inner.where(_A.as_of == as_of)
    if until is not None:
        inner = inner.where(_A.as_of <= until)
    return inner.subquery("ranked")


def current_ids(
    *, village_code: str | None = None, as_of: date | None = None, until: date | None = None
) -> Select[Any]:
    """A SELECT of the ids of the current assessment of each household.

    ``village_code`` keeps that village's assessments; ``as_of`` keeps assessments of that date
    only (the peers of one assessment: the newest run of that date per household); ``until``
    the assessments dated on or before it (what was current at that date, e.g. a month's end).
    """
    ranked = _ranked(village_code=village_code, as_of=as_of, until=until)
    return select(ranked.c.id).where(ranked.c.rank == 1)


def current_assessment_select(household_no: str) -> Select[Any]:
    """A SELECT of the id of one household's current assessment (for use in a transaction)."""
    return (
        select(_A.id)
        .where(_A.household_no == household_no)
        .order_by(_A.as_of.desc(), _A.id.desc())
        .limit(1)
    )


def current_assessment_id(engine: Engine, *, household_no: str) -> int | None:
    """The id of the current assessment of one household, or None if it was never scored."""
    with engine.connect() as conn:
        return conn.execute(current_assessment_select(household_no)).scalar()


def as_list(value: Any) -> list[str]:
    """A JSON list column as a Python list (some drivers hand JSON back as text)."""
    if value is None:
        return []
    if isinstance(value, str):
        return list(json.loads(value))
    return list(value)


def current_assessments(
    engine: Engine, *, village_code: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """The current assessment of every household, one row each (columns ``_COLUMNS``, id as
    ``assessment_id``), ordered by household_no. Booleans are bool, as_of a date, vetoes and
    caps lists."""
    stmt = (
        select(*(_A[c] for c in _COLUMNS))
        .where(_A.id.in_(current_ids(village_code=village_code, as_of=as_of)))
        .order_by(_A.household_no)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=list(_COLUMNS))
    frame = frame.rename(columns={"id": "assessment_id"})
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date  # SQLite hands back text
    for col in ("credit_household", "pre_credited", "thin_file"):
        frame[col] = frame[col].astype(bool)
    for col in ("vetoes", "caps"):
        frame[col] = frame[col].map(as_list)
    return frame.reset_index(drop=True)


def previous_grades(engine: Engine) -> pd.DataFrame:
    """Per household, the grade of the assessment just before the current one (same order):
    columns household_no, previous_grade; households scored once are absent."""
    ranked = _ranked()
    stmt = select(ranked.c.household_no, ranked.c.grade).where(ranked.c.rank == 2)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=["household_no", "previous_grade"])
