"""The payment store's per-person summaries: written with each month partition, read for one
household's payments, and never trusted when older than their partition."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from creditfarm.storage.paystore import (
    PAYMENT_SCHEMA,
    payment_files,
    person_activity,
    stage_payments,
)


def _frame(rows: list[tuple[str, str, str | None, float]]) -> pd.DataFrame:
    """(txn_id, time, person_key, amount) → a frame of the store's columns."""
    return pd.DataFrame(
        {
            "txn_id": [r[0] for r in rows],
            "point_id": "P1",
            "txn_time": pd.to_datetime([r[1] for r in rows]),
            "txn_type": "取款",
            "amount": [r[3] for r in rows],
            "status": "成功",
            "person_key": [r[2] for r in rows],
            "card_key": "C",
            "point_village_code": "469029100201",
            "bill_category": None,
            "direction": "out",
            "run_id": 1,
        }
    )


ROWS = [
    ("T1", "2021-07-03 09:00:00", "alice", 100.0),
    ("T2", "2021-07-20 10:00:00", "alice", 50.0),
    ("T3", "2021-08-01 08:30:00", "alice", 20.0),
    ("T4", "2021-08-15 12:00:00", "bob", 70.0),
    ("T5", "2021-08-16 12:00:00", None, 10.0),  # unlinked: counted for nobody
]


def _summary(root: Path, month: str) -> Path:
    return root / "_persons" / f"month={month}.parquet"


def test_activity_from_summaries_by_hand(tmp_path):
    stage_payments(tmp_path, _frame(ROWS)).commit()
    assert len(payment_files(tmp_path)) == 2
    assert _summary(tmp_path, "2021-07").exists() and _summary(tmp_path, "2021-08").exists()
    # alice: T1, T2 (July), T3 (August) → 3, first 07-03 09:00, last 08-01 08:30
    assert person_activity(tmp_path, ["alice"]) == (
        3,
        pd.Timestamp("2021-07-03 09:00:00"),
        pd.Timestamp("2021-08-01 08:30:00"),
    )
    # alice and bob together: 4, last is bob's 08-15
    n, first, last = person_activity(tmp_path, ["alice", "bob"])
    assert (n, first, last) == (
        4,
        pd.Timestamp("2021-07-03 09:00"),
        pd.Timestamp("2021-08-15 12:00"),
    )
    assert person_activity(tmp_path, ["carol"]) == (0, None, None)
    assert person_activity(tmp_path, []) == (0, None, None)


def test_a_replaced_transaction_moves_to_its_new_person(tmp_path):
    stage_payments(tmp_path, _frame(ROWS)).commit()
    # T3 exported again, now bob's: alice keeps T1, T2; bob has T3, T4
    stage_payments(tmp_path, _frame([("T3", "2021-08-01 08:30:00", "bob", 20.0)])).commit()
    assert person_activity(tmp_path, ["alice"])[0] == 2
    assert person_activity(tmp_path, ["bob"]) == (
        2,
        pd.Timestamp("2021-08-01 08:30:00"),
        pd.Timestamp("2021-08-15 12:00:00"),
    )


def test_a_summary_older_than_its_partition_is_not_read(tmp_path):
    stage_payments(tmp_path, _frame(ROWS)).commit()
    summary = _summary(tmp_path, "2021-07")
    part = tmp_path / "month=2021-07" / "part-0.parquet"
    wrong = pa.table(
        {
            "person_key": ["alice"],
            "transactions": pa.array([40], pa.int64()),
            "first_time": pa.array([pd.Timestamp("2021-07-01")], pa.timestamp("s")),
            "last_time": pa.array([pd.Timestamp("2021-07-31")], pa.timestamp("s")),
        }
    )
    pq.write_table(wrong, summary)
    fresh = part.stat().st_mtime_ns
    os.utime(summary, ns=(fresh + 10**9, fresh + 10**9))
    # a summary at least as new as its partition is what is read (40 July + 1 August) …
    assert person_activity(tmp_path, ["alice"])[0] == 41
    # … one older than its partition (a commit stopped between the two) is not: the
    # partitions are scanned, 3 transactions
    os.utime(summary, ns=(fresh - 10**9, fresh - 10**9))
    assert person_activity(tmp_path, ["alice"])[0] == 3
    summary.unlink()
    assert person_activity(tmp_path, ["alice"])[0] == 3


def test_an_aborted_write_leaves_no_summary(tmp_path):
    staged = stage_payments(tmp_path, _frame(ROWS))
    staged.abort()
    assert not any(tmp_path.rglob("*.parquet"))
    assert PAYMENT_SCHEMA.field("person_key").type == pa.string()
