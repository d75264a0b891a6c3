"""The current line of a household: the one rule every count, list, card and export uses.

**The current line is the officer's effective decision on the current assessment where there
is one, else the model's line** (the current assessment is ``storage.assessments``'s rule). A
decision waiting for approval (maker-checker) changes nothing until a second person approves
it; a decision on an older assessment no longer counts once the household is scored again (the
new assessment is reviewed afresh).

Per household: ``line`` (yuan), ``credit_household`` (信用户), ``pre_credited`` (line > 0 where
decided; the model's flag, which also needs no veto, otherwise), ``source`` (``decision`` or
``model``; ``SOURCE_ZH`` labels them 人工决定 / 模型), ``decided_by`` and the model's own values
beside them. ``current_line_select`` is the SQL form (the rates count villages with it in the
database); ``current_lines`` the frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Boolean, Float, Select, String, case, literal, select, type_coerce
from sqlalchemy.engine import Engine

from creditfarm.storage.assessments import (
    ASSESSMENT_TABLE,
    as_list,
    current_assessment_select,
    current_ids,
)
from creditfarm.storage.models import Decision

__all__ = [
    "LINE_COLUMNS",
    "SOURCE_ZH",
    "current_line_select",
    "current_lines",
]

SOURCE_ZH: dict[str, str] = {"decision": "人工决定", "model": "模型"}

LINE_COLUMNS = [
    "household_no",
    "village_code",
    "assessment_id",
    "line",
    "credit_household",
    "pre_credited",
    "source",
    "decided_by",
    "decision_id",
    "pending_decision_id",
    "decision_version",
    "model_limit",
    "model_credit_household",
    "model_pre_credited",
]

_D = Decision.__table__  # type: ignore[attr-defined]


def _decisions(status: str, name: str) -> Any:
    return (
        select(
            _D.c.assessment_id,
            _D.c.id,
            _D.c.limit,
            _D.c.credit_household,
            _D.c.decided_by,
        )
        .where(_D.c.status == status)
        .subquery(name)
    )


def current_line_select(
    *,
    village_code: str | None = None,
    as_of: date | None = None,
    until: date | None = None,
    household_no: str | None = None,
    extra: Sequence[str] = (),
) -> Select[Any]:
    """A SELECT of ``LINE_COLUMNS`` (then the assessment's ``extra`` columns), one row per
    household with a current assessment (of one village, one as-of date's newest run, or one
    household when given). ``until``: the line of the assessment current among those dated
    by that day (a month's end of the data). A decision reviews its assessment's result, so
    it counts wherever that assessment does, whenever the officer made it: the newest month
    then agrees with today's rates."""
    a = ASSESSMENT_TABLE.c
    eff = _decisions("effective", "effective")
    pend = _decisions("pending", "pending")
    decided = eff.c.id.is_not(None)
    return (
        select(
            a.household_no,
            a.village_code,
            a.id.label("assessment_id"),
            type_coerce(case((decided, eff.c.limit), else_=a.pre_credit_limit), Float).label(
                "line"
            ),
            type_coerce(
                case((decided, eff.c.credit_household), else_=a.credit_household), Boolean
            ).label("credit_household"),
            type_coerce(case((decided, eff.c.limit > 0), else_=a.pre_credited), Boolean).label(
                "pre_credited"
            ),
            type_coerce(case((decided, literal("decision")), else_=literal("model")), String).label(
                "source"
            ),
            eff.c.decided_by,
            eff.c.id.label("decision_id"),
            pend.c.id.label("pending_decision_id"),
            a.decision_version,
            a.pre_credit_limit.label("model_limit"),
            a.credit_household.label("model_credit_household"),
            a.pre_credited.label("model_pre_credited"),
            *(a[c] for c in extra),
        )
        .select_from(
            ASSESSMENT_TABLE.outerjoin(eff, eff.c.assessment_id == a.id).outerjoin(
                pend, pend.c.assessment_id == a.id
            )
        )
        .where(
            _current(village_code=village_code, as_of=as_of, until=until, household_no=household_no)
        )
        .order_by(a.household_no)
    )


def _current(
    *, village_code: str | None, as_of: date | None, until: date | None, household_no: str | None
) -> Any:
    a = ASSESSMENT_TABLE.c
    if household_no is None or until is not None:
        return a.id.in_(current_ids(village_code=village_code, as_of=as_of, until=until))
    # One household: its current assessment without ranking the county.
    return a.id == current_assessment_select(household_no).scalar_subquery()


def current_lines(
    engine: Engine,
    *,
    village_code: str | None = None,
    as_of: date | None = None,
    household_no: str | None = None,
    extra: Sequence[str] = (),
) -> pd.DataFrame:
    """The current line of every scored household, columns ``LINE_COLUMNS`` and then the
    assessment's ``extra`` columns (one query: a view that needs both ranks the assessments
    once), by household_no: line a float, the flags bool, ids nullable integers, decided_by
    None where the model's; an extra as_of is a date, vetoes and caps lists."""
    stmt = current_line_select(
        village_code=village_code, as_of=as_of, household_no=household_no, extra=extra
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=[*LINE_COLUMNS, *extra])
    if "as_of" in extra:
        frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date  # SQLite hands back text
    for col in ("vetoes", "caps"):
        if col in extra:
            frame[col] = frame[col].map(as_list)
    for col in ("thin_file",):
        if col in extra:
            frame[col] = frame[col].astype(bool)
    frame["line"] = frame["line"].astype(float)
    frame["model_limit"] = frame["model_limit"].astype(float)
    for col in ("credit_household", "pre_credited", "model_credit_household", "model_pre_credited"):
        frame[col] = frame[col].astype(bool)
    for col in ("decision_id", "pending_decision_id"):
        frame[col] = frame[col].astype("Int64")
    frame["decision_version"] = frame["decision_version"].astype(int)
    frame["decided_by"] = (
        frame["decided_by"].astype(object).where(frame["decided_by"].notna(), None)
    )
    return frame.reset_index(drop=True)
