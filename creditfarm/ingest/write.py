"""Writing one file's records inside its SQL transaction: the batch's upserts (bulk, from Arrow
columns), the archive relink after 户籍, and the quarantined rows. Payments are staged to
Parquet by the caller, which commits them only after SQL has committed.

Personal numbers are sealed here, on their way into the database (``storage.sealed``): the
columns named in ``SEALED_COLUMNS`` become tokens (with their masked copy beside them), and a
quarantined row keeps its personal numbers masked, the originals sealed in one token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import Connection

from creditfarm.identity import mask_id, mask_phone
from creditfarm.ingest.importers import Batch, Upsert
from creditfarm.ingest.linkage import relink_archives
from creditfarm.storage.models import KeyedValue, QuarantineRow
from creditfarm.storage.sealed import SEALED_COLUMNS, Sealer, redact_text
from creditfarm.storage.upsert import insert_rows, upsert

__all__ = ["seal_records", "write_batch", "write_keyed_values", "write_quarantine"]

_QUARANTINE = QuarantineRow.__table__  # type: ignore[attr-defined]
_KEYED = KeyedValue.__table__  # type: ignore[attr-defined]
_MASK_OF = {"id_masked": mask_id, "phone_masked": mask_phone}


def seal_records(item: Upsert, sealer: Sealer) -> pa.Table:
    """``item``'s rows with the table's personal columns sealed and their masks added."""
    rows = item.rows
    for column, masked in SEALED_COLUMNS.get(item.table.name, {}).items():
        if column not in rows.column_names:
            continue
        values = rows[column].to_pylist()
        if masked is not None:
            mask = _MASK_OF[masked]
            shown = pa.array([mask(v) if v is not None else None for v in values], pa.string())
            rows = rows.append_column(masked, shown)
        index = rows.column_names.index(column)
        rows = rows.set_column(index, column, pa.array(sealer.seal_many(values), pa.string()))
    return rows


def write_batch(conn: Connection, batch: Batch, *, sealer: Sealer) -> None:
    """Upsert the batch's records in order (households before their persons), then relink."""
    for item in batch.upserts:
        rows = seal_records(item, sealer)
        upsert(conn, item.table, rows, keys=item.keys, keep_when_null=item.keep_when_null)
    if batch.relink_archives:
        relink_archives(conn)


def write_quarantine(
    conn: Connection,
    rows: list[dict[str, Any]],
    *,
    run_id: int,
    sealer: Sealer,
    pii: Mapping[str, str],
) -> None:
    """Store the quarantined rows under ``run_id``: personal numbers masked in ``row`` and
    ``detail`` (``pii``: header → id/phone/card; anything else shaped like one is masked too),
    the originals sealed in ``sealed`` so nothing read is lost."""
    for item in rows:
        item["run_id"] = run_id
        item["row"], item["sealed"] = sealer.seal_raw_row(item.get("row") or {}, pii)
        if item.get("detail"):
            item["detail"] = redact_text(str(item["detail"]))
    insert_rows(conn, _QUARANTINE, rows)


def write_keyed_values(conn: Connection, pairs: pa.Table, *, sealer: Sealer) -> None:
    """Store the sealed value behind each new keyed hash (``pairs``: v, k), so a re-key of the
    secret can make every key again; a key stored before keeps its row (same value)."""
    if not pairs.num_rows:
        return
    rows = pa.table(
        {
            "key": pairs["k"],
            "value": pa.array(sealer.seal_many(pairs["v"].to_pylist()), pa.string()),
        }
    )
    upsert(conn, _KEYED, rows, keys=("key",))
