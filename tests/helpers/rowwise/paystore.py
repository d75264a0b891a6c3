"""Service-point payment flows in columnar storage: Parquet, hive-partitioned by month.

Layout: ``<root>/month=YYYY-MM/part-0.parquet``. Every partition holds each ``txn_id`` once
(a newer import of the same transaction replaces the older row), so readers never deduplicate.
The same files are what DuckDB reads locally and Spark reads at province scale.

Writes are staged: ``stage_payments`` writes new partition files beside the old ones and returns
a ``StagedWrite``; the ingest step commits it (atomic renames) only after the SQL side of the
same import has committed, or aborts it, so an import is all-or-nothing.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["PAYMENT_SCHEMA", "StagedWrite", "stage_payments"]

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


def _partition_file(root: Path, month: str) -> Path:
    return root / f"month={month}" / "part-0.parquet"


def stage_payments(root: Path, frame: pd.DataFrame) -> StagedWrite:
    """Stage ``frame`` (columns of PAYMENT_SCHEMA) merged into the month partitions it touches."""
    staged = StagedWrite()
    if frame.empty:
        return staged
    frame = frame[_COLUMNS].copy()
    frame["txn_time"] = pd.to_datetime(frame["txn_time"]).astype("datetime64[s]")
    months = frame["txn_time"].dt.strftime("%Y-%m")
    for month, part in frame.groupby(months, sort=True):
        final = _partition_file(root, str(month))
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            old = pq.read_table(final).to_pandas()
            known = old["txn_id"].isin(part["txn_id"])
            staged.replaced_rows += int(known.sum())
            staged.new_rows += len(part) - int(known.sum())
            merged = pd.concat([old[~known], part], ignore_index=True)
        else:
            staged.new_rows += len(part)
            merged = part
        merged = merged.sort_values(["txn_time", "txn_id"], kind="stable")
        table = pa.Table.from_pandas(merged, schema=PAYMENT_SCHEMA, preserve_index=False)
        tmp = final.with_name(f".staged-{uuid.uuid4().hex}.parquet")
        pq.write_table(table, tmp, compression="zstd")
        staged.moves.append((tmp, final))
    return staged
