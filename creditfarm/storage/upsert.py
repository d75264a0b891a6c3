"""Bulk writes: the dialect upsert (``INSERT … ON CONFLICT DO UPDATE`` on SQLite and
PostgreSQL) and the plain insert, sent with the driver's ``executemany``.

Rows come as Python dicts or as an Arrow table (columns named as the table's; a JSON column
then holds JSON text). Each column's values are bound as SQLAlchemy would bind them (its
type's bind processor: dates as text on SQLite, JSON serialised), but the statement is
compiled once and run by the driver row after row, without SQLAlchemy's per-row work: 200,000
rows take seconds, not tens of seconds. Rows are sent ``CHUNK`` at a time, so a county export
is never converted to Python objects all at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeAlias

import pyarrow as pa
from sqlalchemy import JSON, Table
from sqlalchemy.engine import Connection

__all__ = ["CHUNK", "insert_rows", "upsert"]

CHUNK = 5000


Rows: TypeAlias = Sequence[dict[str, Any]] | pa.Table


def _chunks(rows: Rows) -> Iterator[tuple[list[str], list[list[Any]], bool]]:
    """(column names, values per column, JSON given as text) for ``CHUNK`` rows at a time."""
    if isinstance(rows, pa.Table):
        names = rows.column_names
        for start in range(0, rows.num_rows, CHUNK):
            part = rows.slice(start, CHUNK)
            yield names, [part.column(name).to_pylist() for name in names], True
        return
    if not rows:
        return
    names = list(rows[0])
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        yield names, [[row[name] for row in part] for name in names], False


def _statement(
    conn: Connection,
    table: Table,
    names: list[str],
    json_text: bool,
    keys: Sequence[str] | None,
    keep_when_null: Iterable[str],
) -> str:
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    values = []
    for name in names:
        if json_text and isinstance(table.c[name].type, JSON) and dialect.name == "postgresql":
            values.append(f"CAST({marker} AS JSON)")
        else:
            values.append(marker)
    target = quote(table.name)
    sql = (
        f"INSERT INTO {target} ({', '.join(quote(n) for n in names)}) VALUES ({', '.join(values)})"
    )
    if keys is None:
        return sql
    keep = set(keep_when_null)
    sets = [
        (
            f"{quote(n)} = COALESCE(excluded.{quote(n)}, {target}.{quote(n)})"
            if n in keep
            else f"{quote(n)} = excluded.{quote(n)}"
        )
        for n in names
        if n not in keys
    ]
    conflict = f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) "
    return sql + conflict + (f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING")


def _bound(
    conn: Connection, table: Table, names: list[str], columns: list[list[Any]], json_text: bool
) -> list[tuple[Any, ...]]:
    dialect = conn.dialect
    bound = []
    for name, values in zip(names, columns, strict=True):
        column_type = table.c[name].type
        if json_text and isinstance(column_type, JSON):
            bound.append(values)  # already JSON text
            continue
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        bound.append([process(v) for v in values] if process else values)
    return list(zip(*bound, strict=True))


def _write(
    conn: Connection,
    table: Table,
    rows: Rows,
    keys: Sequence[str] | None,
    keep_when_null: Iterable[str] = (),
) -> None:
    sql: str | None = None
    for names, columns, json_text in _chunks(rows):
        if sql is None:
            sql = _statement(conn, table, names, json_text, keys, keep_when_null)
        params = _bound(conn, table, names, columns, json_text)
        if params:
            conn.exec_driver_sql(sql, params)


def upsert(
    conn: Connection,
    table: Table,
    rows: Rows,
    *,
    keys: Sequence[str],
    keep_when_null: Iterable[str] = (),
) -> None:
    """Insert ``rows``; a row whose ``keys`` exist replaces the stored values, except that a
    column in ``keep_when_null`` keeps its stored value when the new one is null. Rows are
    applied in order, so of two rows with the same keys the later one wins."""
    _write(conn, table, rows, keys, keep_when_null)


def insert_rows(conn: Connection, table: Table, rows: Rows) -> None:
    """Insert ``rows`` (no conflict handling)."""
    _write(conn, table, rows, None)
