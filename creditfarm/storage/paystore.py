"""Service-point payment flows in columnar storage: Parquet, hive-partitioned by month.

Layout: ``<root>/month=YYYY-MM/part-0.parquet``. Every partition holds each ``txn_id`` once
(a newer import of the same transaction replaces the older row), so readers never deduplicate.
The same files are what DuckDB reads locally and Spark reads at province scale.

Beside each partition, ``<root>/_persons/month=YYYY-MM.parquet`` holds its per-person summary
(transactions, first and last time, sorted by ``person_key`` in small row groups), written with
the partition: one household's payments (``person_activity``) read a few row groups of 24 small
files instead of every transaction. Spark skips folders starting with ``_``.

Writes are staged: ``stage_payment_rows`` (rows in a DuckDB relation, what the import writes)
and ``stage_payments`` (a DataFrame) write new partition files beside the old ones and return
a ``StagedWrite``; the ingest step commits it (atomic renames) only after the SQL side of the
same import has committed, or aborts it, so an import is all-or-nothing.

A store belongs to one workspace (``creditfarm.storage.store_marker``): given the reader's
``workspace_id`` — as ``Workspace.payments_root`` always checks — a store whose marker names
another workspace is refused before anything is read or written.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from creditfarm.storage.store_journal import write_journal
from creditfarm.storage.store_marker import check_store

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "PAYMENT_SCHEMA",
    "StagedWrite",
    "connect",
    "payment_files",
    "person_activity",
    "read_payments",
    "stage_payment_rows",
    "stage_payments",
]

PAYMENT_SCHEMA = pa.schema(
    [
        ("txn_id", pa.string()),
        ("point_id", pa.string()),
        ("txn_time", pa.timestamp("s")),
        ("txn_type", pa.string()),
        ("amount", pa.float64()),
        ("status", pa.string()),  # 成功 / 失败
        ("person_key", pa.string()),  # HMAC of the cardholder's resident ID (null: unlinked)
        ("card_key", pa.string()),  # HMAC of the card number (null when absent)
        ("point_village_code", pa.string()),
        ("bill_category", pa.string()),
        ("direction", pa.string()),  # in / out: money into or out of the cardholder's account
        ("run_id", pa.int64()),
    ]
)
_COLUMNS = [f.name for f in PAYMENT_SCHEMA]


@dataclass
class StagedWrite:
    """New partition files waiting to replace the current ones."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)  # (staged, final)
    new_rows: int = 0  # transactions not seen before
    replaced_rows: int = 0  # transactions already stored, replaced by this import

    def commit(self) -> None:
        for staged, final in self.moves:
            os.replace(staged, final)  # atomic per partition
        self.moves.clear()

    def abort(self) -> None:
        for staged, _ in self.moves:
            staged.unlink(missing_ok=True)
        self.moves.clear()

    def write_journal(self, root: Path, *, run_id: int) -> Path:
        """Record the moves before the SQL transaction of ``run_id`` commits (``store_journal``)."""
        return write_journal(root, run_id=run_id, moves=self.moves)


def _partition_file(root: Path, month: str) -> Path:
    return root / f"month={month}" / "part-0.parquet"


def changed_transactions(root: Path, con: duckdb.DuckDBPyConnection, relation: str) -> pa.Table:
    """The rows of ``relation`` (``_line`` and the PAYMENT_SCHEMA columns) whose ``txn_id`` is
    already stored, in the month partition it would replace, with another time, amount, person
    or card: a re-sent transaction number with other content is a conflict, not an update.
    Columns: ``_line`` and the stored ``stored_time`` and ``stored_amount``."""
    months = con.execute(
        f"SELECT DISTINCT strftime(txn_time, '%Y-%m') FROM {relation} WHERE txn_time IS NOT NULL"
    ).fetchall()
    parts = [p for (m,) in months if (p := _partition_file(root, str(m))).exists()]
    if not parts:
        return pa.table({"_line": pa.array([], pa.int64())})
    files = "[" + ", ".join(_sql_text(p.as_posix()) for p in parts) + "]"
    return con.sql(
        f"""SELECT n._line, o.txn_time AS stored_time, o.amount AS stored_amount
            FROM {relation} n JOIN read_parquet({files}) o ON o.txn_id = n.txn_id
            WHERE o.txn_time IS DISTINCT FROM date_trunc('second', n.txn_time)
               OR abs(o.amount - n.amount) > 0.005 OR (o.amount IS NULL) <> (n.amount IS NULL)
               OR o.person_key IS DISTINCT FROM n.person_key
               OR o.card_key IS DISTINCT FROM n.card_key
            ORDER BY n._line"""
    ).to_arrow_table()


_SUMMARY_DIR = "_persons"


def _summary_file(root: Path, month: str) -> Path:
    return root / _SUMMARY_DIR / f"month={month}.parquet"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def stage_payment_rows(
    root: Path,
    con: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    batch_rows: int = 262_144,
    workspace_id: str | None = None,
) -> StagedWrite:
    """Stage the rows of ``relation`` (a table or view in ``con`` with the columns of
    PAYMENT_SCHEMA, each ``txn_id`` once) merged into the month partitions they touch: a
    partition's rows whose ``txn_id`` the new rows carry are replaced, and every partition
    is written sorted by (txn_time, txn_id). DuckDB does the merge and sort (spilling when
    the month is large); Parquet is written a batch at a time. With ``workspace_id`` the store's
    marker is checked first."""
    if workspace_id is not None:
        check_store(root, workspace_id=workspace_id)
    staged = StagedWrite()
    months = con.execute(
        f"SELECT DISTINCT strftime(txn_time, '%Y-%m') AS m FROM {relation} ORDER BY m"
    ).fetchall()
    try:
        for (month,) in months:
            _stage_month(root, con, relation, str(month), staged, batch_rows)
    except BaseException:
        staged.abort()
        raise
    return staged


def _stage_month(
    root: Path,
    con: duckdb.DuckDBPyConnection,
    relation: str,
    month: str,
    staged: StagedWrite,
    batch_rows: int,
) -> None:
    """Stage one month's partition: its stored rows less those the new rows replace, plus the
    new rows."""
    columns = ", ".join(_COLUMNS)
    final = _partition_file(root, month)
    final.parent.mkdir(parents=True, exist_ok=True)
    new = f"(SELECT {columns} FROM {relation} WHERE strftime(txn_time, '%Y-%m') = '{month}')"
    count = con.execute(f"SELECT count(*) FROM {new}").fetchall()[0]
    if final.exists():
        old = f"read_parquet({_sql_text(final.as_posix())})"
        known = con.execute(
            f"SELECT count(*) FROM {old} o SEMI JOIN {new} n ON o.txn_id = n.txn_id"
        ).fetchall()[0]
        staged.replaced_rows += int(known[0])
        staged.new_rows += int(count[0]) - int(known[0])
        merged = (
            f"SELECT {columns} FROM {old} o ANTI JOIN {new} n ON o.txn_id = n.txn_id "
            f"UNION ALL SELECT {columns} FROM {new}"
        )
    else:
        staged.new_rows += int(count[0])
        merged = f"SELECT {columns} FROM {new}"
    tmp = final.with_name(f".staged-{uuid.uuid4().hex}.parquet")
    reader = con.sql(f"SELECT * FROM ({merged}) ORDER BY txn_time, txn_id").to_arrow_reader(
        batch_rows
    )
    staged.moves.append((tmp, final))  # listed first: an abort removes a partial file
    with pq.ParquetWriter(tmp, PAYMENT_SCHEMA, compression="zstd") as writer:
        for batch in reader:
            writer.write_table(pa.Table.from_batches([batch]).cast(PAYMENT_SCHEMA))
    # The partition's per-person summary, written after it and moved after it, so a summary is
    # never older than its partition unless a commit stopped between the two (then readers scan).
    summary = _summary_file(root, month)
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary_tmp = summary.with_name(f".staged-{uuid.uuid4().hex}.parquet")
    staged.moves.append((summary_tmp, summary))
    con.execute(
        f"""COPY (SELECT person_key, count(*) AS transactions, min(txn_time) AS first_time,
                     max(txn_time) AS last_time
                  FROM read_parquet({_sql_text(tmp.as_posix())})
                  WHERE person_key IS NOT NULL GROUP BY person_key ORDER BY person_key)
            TO {_sql_text(summary_tmp.as_posix())} (FORMAT parquet, ROW_GROUP_SIZE 4096)"""
    )


def stage_payments(
    root: Path, frame: pd.DataFrame, *, workspace_id: str | None = None
) -> StagedWrite:
    """Stage ``frame`` (columns of PAYMENT_SCHEMA) merged into the month partitions it touches."""
    if workspace_id is not None:
        check_store(root, workspace_id=workspace_id)
    if frame.empty:
        return StagedWrite()
    frame = frame[_COLUMNS].copy()
    frame["txn_time"] = pd.to_datetime(frame["txn_time"]).astype("datetime64[s]")
    table = pa.Table.from_pandas(frame, schema=PAYMENT_SCHEMA, preserve_index=False)
    import duckdb  # loaded on first use: commands that never touch payments skip it

    con = duckdb.connect()
    try:
        con.register("new_payments", table)
        return stage_payment_rows(root, con, "new_payments")
    finally:
        con.close()


def payment_files(root: Path) -> list[Path]:
    return sorted(root.glob("month=*/part-0.parquet")) if root.exists() else []


def connect(root: Path, *, workspace_id: str | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a ``payments`` view over the store (empty view if none)."""
    # Imported here: pages and commands that never read payments skip DuckDB's start-up.
    import duckdb

    if workspace_id is not None:
        check_store(root, workspace_id=workspace_id)
    con = duckdb.connect()
    files = payment_files(root)
    if files:
        glob = (root / "month=*" / "part-0.parquet").as_posix()
        con.execute(
            f"CREATE VIEW payments AS SELECT * EXCLUDE (month) FROM "
            f"read_parquet('{glob}', hive_partitioning = true)"
        )
    else:
        empty = PAYMENT_SCHEMA.empty_table()
        con.register("_empty_payments", empty)
        con.execute("CREATE VIEW payments AS SELECT * FROM _empty_payments")
    return con


def _fresh_summaries(root: Path, files: list[Path]) -> list[Path] | None:
    """The summary of every partition, or None when one is missing or older than its partition
    (a store written before summaries existed, or a commit that stopped half-way)."""
    out = []
    for part in files:
        month = part.parent.name.removeprefix("month=")
        summary = _summary_file(root, month)
        try:
            if summary.stat().st_mtime_ns < part.stat().st_mtime_ns:
                return None
        except FileNotFoundError:
            return None
        out.append(summary)
    return out


def person_activity(
    root: Path, person_keys: list[str], *, workspace_id: str | None = None
) -> tuple[int, pd.Timestamp | None, pd.Timestamp | None]:
    """(transactions, first time, last time) of these persons' payments: from the per-person
    summaries when every partition has a fresh one, else by scanning the partitions."""
    if not person_keys:
        return 0, None, None
    import duckdb

    if workspace_id is not None:
        check_store(root, workspace_id=workspace_id)
    files = payment_files(root)
    if not files:
        return 0, None, None
    summaries = _fresh_summaries(root, files)
    placeholders = ", ".join("?" for _ in person_keys)
    con = duckdb.connect()
    try:
        if summaries is not None:
            listed = ", ".join(_sql_text(p.as_posix()) for p in summaries)
            sql = (
                "SELECT sum(transactions), min(first_time), max(last_time) "
                f"FROM read_parquet([{listed}]) WHERE person_key IN ({placeholders})"
            )
        else:
            listed = ", ".join(_sql_text(p.as_posix()) for p in files)
            sql = (
                "SELECT count(*), min(txn_time), max(txn_time) "
                f"FROM read_parquet([{listed}]) WHERE person_key IN ({placeholders})"
            )
        row = con.execute(sql, person_keys).fetchone()
    finally:
        con.close()
    if not row or not row[0]:
        return 0, None, None
    return int(row[0]), pd.Timestamp(row[1]), pd.Timestamp(row[2])


def read_payments(root: Path, *, workspace_id: str | None = None) -> pd.DataFrame:
    """All stored payments as a DataFrame (small stores and tests)."""
    con = connect(root, workspace_id=workspace_id)
    try:
        return con.execute("SELECT * FROM payments ORDER BY txn_time, txn_id").df()
    finally:
        con.close()
