"""One file's accepted rows in a DuckDB table, so a file of any size is held in bounded memory:
DuckDB keeps the table in memory up to its ``memory_limit`` and spills the rest to a temporary
directory. Rows are appended a batch at a time; duplicates by natural key are dropped in SQL.

The work database belongs to one import call (``open_work_db``); it holds the rows of the file
being imported and the lookup tables linkage reads (persons, cards, points, villages).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = ["MEMORY_LIMIT", "RowStore", "open_work_db", "quote"]

MEMORY_LIMIT = "1GB"  # DuckDB's share of an import's memory; the rest spills to disk


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def open_work_db(temp_dir: Path, *, memory_limit: str = MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database that spills to ``temp_dir`` past ``memory_limit``."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        ":memory:",
        config={
            "memory_limit": memory_limit,
            "temp_directory": str(temp_dir),
            "preserve_insertion_order": True,
        },
    )


class RowStore:
    """A table ``name`` with ``schema`` in the work database, filled a batch at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: pa.Schema) -> None:
        self.con = con
        self.name = f"rows_{uuid.uuid4().hex[:12]}"
        self.schema = schema
        empty = schema.empty_table()
        con.register("_empty_rows", empty)
        con.execute(f"CREATE TABLE {self.name} AS SELECT * FROM _empty_rows")
        con.unregister("_empty_rows")
        self.count = 0

    def append(self, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        self.con.register("_batch_rows", rows)
        try:
            self.con.execute(f"INSERT INTO {self.name} SELECT * FROM _batch_rows")
        finally:
            self.con.unregister("_batch_rows")
        self.count += rows.num_rows

    def drop_duplicates(
        self, key: Sequence[str], identity: Sequence[str], line: str = "_line"
    ) -> list[tuple[int, int, list[str]]]:
        """Delete every row but the last (by ``line``) of each ``key``; for each deleted row,
        in line order: (its line, the winner's line, the ``identity`` fields that differ)."""
        if self.count < 2:
            return []
        part = ", ".join(quote(k) for k in key)
        groups = f"SELECT {part} FROM {self.name} GROUP BY {part} HAVING count(*) > 1"
        if not self.con.execute(f"SELECT count(*) FROM ({groups})").fetchall()[0][0]:
            return []  # every key once: nothing to rank
        # Only the rows whose key repeats are ranked (keys may be null: null matches null).
        same = " AND ".join(f"t.{quote(k)} IS NOT DISTINCT FROM g.{quote(k)}" for k in key)
        repeated = f"SELECT t.* FROM {self.name} t SEMI JOIN ({groups}) g ON {same}"
        diffs = ", ".join(
            f"l.{quote(f)} IS DISTINCT FROM w.{quote(f)} AS d{i}" for i, f in enumerate(identity)
        )
        select_diffs = f", {diffs}" if diffs else ""
        order = f"ORDER BY {quote(line)} DESC"
        ranked = (
            f"SELECT {quote(line)} AS line, row_number() OVER (PARTITION BY {part} {order}) AS rn, "
            f"first_value({quote(line)}) OVER (PARTITION BY {part} {order}) AS win FROM rep"
        )
        losers = self.con.execute(
            f"WITH rep AS MATERIALIZED ({repeated}), r AS ({ranked}) "
            f"SELECT r.line, r.win{select_diffs} FROM r "
            f"JOIN rep l ON l.{quote(line)} = r.line "
            f"JOIN rep w ON w.{quote(line)} = r.win "
            f"WHERE r.rn > 1 ORDER BY r.line"
        ).fetchall()
        if not losers:
            return []
        lines = pa.table({"line": pa.array([row[0] for row in losers], pa.int64())})
        self.con.register("_loser_lines", lines)
        try:
            self.con.execute(
                f"DELETE FROM {self.name} WHERE {quote(line)} IN (SELECT line FROM _loser_lines)"
            )
        finally:
            self.con.unregister("_loser_lines")
        self.count -= len(losers)
        return [
            (int(row[0]), int(row[1]), [f for f, d in zip(identity, row[2:], strict=True) if d])
            for row in losers
        ]

    def arrow(self, columns: str = "*") -> pa.Table:
        """The rows in line order."""
        return self.con.sql(f"SELECT {columns} FROM {self.name} ORDER BY _line").to_arrow_table()

    def drop(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {self.name}")
