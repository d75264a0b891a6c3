"""How fresh the stored data is, as one small value that changes whenever a page's figures can.

The app caches every query result under this stamp, so an import, a scoring run, an officer's
decision or a rate snapshot shows at once and nothing else re-runs a query.
"""

from __future__ import annotations

from sqlalchemy import func, select

from creditfarm.storage.models import Assessment, Decision, Household, ImportRun, RateSnapshot
from creditfarm.workspace import Workspace

__all__ = ["data_stamp"]


def data_stamp(ws: Workspace) -> tuple[int | None, ...]:
    """(newest import run, assessment, decision and rate snapshot id, household count, sum of
    decision versions): ids only grow, so the tuple changes after every write the pages show;
    the count also changes when households are written outside an import run, the versions
    when a decision is approved, rejected or superseded."""
    models = (ImportRun, Assessment, Decision, RateSnapshot)
    tables = [m.__table__ for m in models]  # type: ignore[attr-defined, union-attr]
    households = Household.__table__  # type: ignore[attr-defined]
    query = select(
        *(select(func.max(t.c.id)).scalar_subquery() for t in tables),
        select(func.count()).select_from(households).scalar_subquery(),
        select(func.sum(Decision.__table__.c.version)).scalar_subquery(),  # type: ignore[attr-defined]
    )
    with ws.engine.connect() as conn:
        return tuple(None if v is None else int(v) for v in conn.execute(query).one())
