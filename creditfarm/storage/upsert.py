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
from contextlib import contextmanager
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import JSON, Table
from sqlalchemy.engine import Connection

from creditfarm.storage.engine import driver_rows

__all__ = ["CHUNK", "WRITE_CACHE_KIB", "bulk_writes", "insert_rows", "upsert"]

CHUNK = 5000
# SQLite's page cache while a file's rows are written: with the default 2 MB, inserting a
# county's rows into tables keyed by random hashes re-reads index pages all the time (3× slower).
WRITE_CACHE_KIB = 256 * 1024


@contextmanager
def bulk_writes(conn: Connection) -> Iterator[None]:
    """Writes of many rows: on SQLite with a large page cache, restored afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


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


def _stored_keys(conn: Connection, table: Table, keys: Sequence[str], given: pa.Array) -> pa.Array:
    """The ``keys`` of the rows ``table`` holds, joined by a tab when there are several; with
    one text key and fewer ``given`` keys than stored rows, only those among ``given`` (looked
    up by the key's index ``_PROBE`` at a time): a payment file registers a few hundred new
    keyed values against a registry of a million, and reading the whole registry for each of
    24 files cost more than writing them."""
    quote = conn.dialect.identifier_preparer.quote
    name = quote(table.name)
    if len(keys) == 1 and _is_text(table, keys[0]):
        count = int(driver_rows(conn, f"SELECT COUNT(*) FROM {name}")[0][0])
        distinct = pc.unique(given).to_pylist()
        if len(distinct) < count:
            column = quote(keys[0])
            found: list[str] = []
            for start in range(0, len(distinct), _PROBE):
                part = distinct[start : start + _PROBE]
                marks = ", ".join("?" * len(part))
                sql = f"SELECT {column} FROM {name} WHERE {column} IN ({marks})"
                found += [str(row[0]) for row in driver_rows(conn, sql, part)]
            return pa.array(found, pa.string())
    stored = driver_rows(conn, f"SELECT {', '.join(quote(k) for k in keys)} FROM {name}")
    return pa.array(["\t".join(str(v) for v in row) for row in stored], pa.string())


_PROBE = 5000  # keys a lookup (SQLite allows 32,766 parameters a statement)


def _is_text(table: Table, column: str) -> bool:
    try:
        return table.c[column].type.python_type is str
    except NotImplementedError:
        return False


def _new_rows(conn: Connection, table: Table, rows: Rows, keys: Sequence[str]) -> np.ndarray:
    """Which rows insert a key neither stored nor given by an earlier row."""
    if isinstance(rows, pa.Table):
        parts = [pc.cast(rows.column(k), pa.string()).combine_chunks() for k in keys]
    else:
        parts = [pa.array([row[k] for row in rows]).cast(pa.string()) for k in keys]
    joined = pc.binary_join_element_wise(*parts, "\t") if len(parts) > 1 else parts[0]
    new = np.zeros(len(joined), dtype=bool)
    if joined.null_count:
        return new  # a null key: leave it to the database, row by row
    first = np.unique(pc.dictionary_encode(joined).indices.to_numpy(), return_index=True)[1]
    new[first] = True
    stored = _stored_keys(conn, table, keys, joined)
    if len(stored):
        new &= ~pc.is_in(joined, value_set=stored).to_numpy(zero_copy_only=False)
    return new


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
    applied in order, so of two rows with the same keys the later one wins.

    On SQLite, rows with a key not stored yet (nor given by an earlier row) are sent as plain
    inserts first, in their order, and the others as upserts after them: the same outcome
    (such a row would not conflict; an upsert that updates takes no rowid), but SQLite with
    foreign keys on runs ``ON CONFLICT DO UPDATE`` about four times slower than an insert.
    PostgreSQL takes every row as an upsert (its sequences count conflicting rows too, so
    reordering would change the ids it hands out)."""
    if conn.dialect.name != "sqlite" or not len(rows):
        _write(conn, table, rows, keys, keep_when_null)
        return
    new = _new_rows(conn, table, rows, keys)
    _write(conn, table, _take(rows, new), None)
    _write(conn, table, _take(rows, ~new), keys, keep_when_null)


def _take(rows: Rows, mask: np.ndarray) -> Rows:
    if isinstance(rows, pa.Table):
        return rows.filter(pa.array(mask))
    return [row for row, keep in zip(rows, mask, strict=True) if keep]


def insert_rows(conn: Connection, table: Table, rows: Rows) -> None:
    """Insert ``rows`` (no conflict handling)."""
    _write(conn, table, rows, None)
