"""``upsert`` on SQLite: rows with new keys inserted, rows with stored keys updated, the later
of two rows with one key winning, whichever way the stored keys are found (the whole table
read, or only the given keys looked up when they are fewer than the rows stored)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from creditfarm.storage import upsert as upsert_module
from creditfarm.storage.engine import make_engine
from creditfarm.storage.upsert import upsert


def _table() -> Table:
    return Table(
        "kv",
        MetaData(),
        Column("key", String, primary_key=True),
        Column("value", String, nullable=False),
        Column("n", Integer),
    )


@pytest.mark.parametrize("stored", [0, 3, 50])
@pytest.mark.parametrize("probe", [2, 5000])
def test_upsert_inserts_new_updates_stored_and_the_later_row_wins(
    tmp_path: Path, stored: int, probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upsert_module, "_PROBE", probe)  # several lookups, or one
    engine = make_engine(f"sqlite:///{tmp_path / 'u.db'}")
    table = _table()
    table.create(engine)
    before = {f"k{i:03d}": f"old{i}" for i in range(stored)}
    with engine.begin() as conn:
        if before:
            upsert(
                conn,
                table,
                [{"key": k, "value": v, "n": 0} for k, v in before.items()],
                keys=("key",),
            )
    rows = pa.table(
        {
            "key": ["k001", "new1", "new2", "new1"],
            "value": ["changed", "first", "second", "first-again"],
            "n": [1, 2, 3, 4],
        }
    )
    with engine.begin() as conn:
        upsert(conn, table, rows, keys=("key",))
    with engine.connect() as conn:
        got = {k: (v, n) for k, v, n in conn.execute(select(table.c.key, table.c.value, table.c.n))}
    expected = {k: (v, 0) for k, v in before.items()}
    expected["k001"] = ("changed", 1)  # stored → updated; given when none is stored → inserted
    expected["new1"] = ("first-again", 4)  # the later of the two rows
    expected["new2"] = ("second", 3)
    assert got == expected
