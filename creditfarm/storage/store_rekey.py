"""The payment store's half of a re-key of the hash secret (``maintenance.rekey``).

The SQL half changes every person and card key in one transaction; the store's Parquet files
hold the same keys and cannot join that transaction. So, before the SQL commit, the mapping
(old key → new key, hashes only: nothing in it opens an ID) is written to the store with the
key check of the new secret; after the commit every partition is rewritten through it, one
atomic rename each. A process killed anywhere is finished by ``recover_rekey`` on the next open
of the workspace: the mapping is applied when the database already records the new secret,
and dropped when it does not (the SQL commit never happened). Applying it twice changes
nothing, since no new key is an old key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from creditfarm.storage.store_journal import store_lock

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported inside the functions: every open of a workspace calls recover_rekey,
# and most find nothing to do.

__all__ = ["apply_rekey_map", "finish_rekey", "recover_rekey", "write_rekey_map"]

_MAP = ".rekey-map.parquet"
_META = ".rekey-map.json"
_COLUMNS = ("person_key", "card_key")


def write_rekey_map(root: Path, *, to_check: str, mapping: Mapping[str, str]) -> None:
    """Write the mapping (old key → new key, person and card keys alike) durably; the meta
    file is renamed into place last: its presence means the map is complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "old": pa.array(list(mapping), pa.string()),
            "new": pa.array(list(mapping.values()), pa.string()),
        }
    )
    tmp = root / (_MAP + ".tmp")
    pq.write_table(table, tmp)
    meta_tmp = root / (_META + ".tmp")
    with open(meta_tmp, "w", encoding="utf-8") as handle:
        json.dump({"to_key_check": to_check}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / _MAP)
    os.replace(meta_tmp, root / _META)


def _remap(values: pa.ChunkedArray, old: pa.Array, new: pa.Array) -> pa.Array:
    """``values`` with each old key replaced by its new one; other values (and nulls) kept."""
    import pyarrow.compute as pc

    array = values.combine_chunks()
    index = pc.index_in(array, value_set=old)
    mapped = pc.take(new, index)
    return pc.if_else(pc.is_valid(index), mapped, array)


def apply_rekey_map(root: Path) -> int:
    """Rewrite every partition through the mapping and remove it; returns files rewritten."""
    if not (root / _META).exists():
        return 0
    import pyarrow.parquet as pq

    loaded = pq.read_table(root / _MAP)
    old, new = loaded["old"].combine_chunks(), loaded["new"].combine_chunks()
    rewritten = 0
    for path in sorted(root.glob("month=*/*.parquet")):
        table = pq.read_table(path)
        changed = False
        for column in _COLUMNS:
            if column not in table.column_names:
                continue
            fresh = _remap(table[column], old, new)
            if not fresh.equals(table[column].combine_chunks()):
                table = table.set_column(table.column_names.index(column), column, fresh)
                changed = True
        if changed:
            staged = path.with_name(path.name + ".rekey")
            pq.write_table(table, staged, compression="zstd")  # as the store writes them
            os.replace(staged, path)
            rewritten += 1
    (root / _META).unlink()
    (root / _MAP).unlink(missing_ok=True)
    return rewritten


def recover_rekey(root: Path, *, key_check: str | None) -> None:
    """Finish (or drop) a re-key a killed process left: see the module's docstring. Skipped
    while another process holds the store's lock (a running re-key finishes its own)."""
    if not root.is_dir() or not any(root.glob(".rekey-map*")):
        return
    with store_lock(root, wait=False) as free:
        if free:
            finish_rekey(root, key_check)


def finish_rekey(root: Path, key_check: str | None) -> None:
    """Apply the mapping when the database records its target secret, else drop it (the
    caller holds the store lock)."""
    for stale in root.glob("month=*/*.parquet.rekey"):
        stale.unlink()
    meta = root / _META
    if not meta.exists():
        for partial in (root / _MAP, root / (_MAP + ".tmp"), root / (_META + ".tmp")):
            partial.unlink(missing_ok=True)
        return
    target = json.loads(meta.read_text(encoding="utf-8"))["to_key_check"]
    if target == key_check:
        apply_rekey_map(root)
    else:
        meta.unlink()
        (root / _MAP).unlink(missing_ok=True)
