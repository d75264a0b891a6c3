"""Bulk writes in chunks: the dialect upsert (``INSERT … ON CONFLICT DO UPDATE`` on SQLite and
PostgreSQL) and the plain insert.

Rows are sent ``CHUNK`` at a time so one statement never carries a whole county export (SQLite
and PostgreSQL both cap the bound parameters of one statement).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func, insert
from sqlalchemy.engine import Connection

__all__ = ["CHUNK", "insert_rows", "upsert"]

CHUNK = 5000


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    keep_when_null: Iterable[str] = (),
) -> None:
    """Insert ``rows``; a row whose ``keys`` exist replaces the stored values, except that a
    column in ``keep_when_null`` keeps its stored value when the new one is null."""
    if not rows:
        return
    stmt: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    keep = set(keep_when_null)
    set_ = {
        name: (
            func.coalesce(stmt.excluded[name], table.c[name])
            if name in keep
            else stmt.excluded[name]
        )
        for name in rows[0]
        if name not in keys
    }
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=set_)
    for start in range(0, len(rows), CHUNK):
        conn.execute(stmt, rows[start : start + CHUNK])


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (no conflict handling)."""
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start : start + CHUNK])
