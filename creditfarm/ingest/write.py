"""Writing one file's records inside its SQL transaction: the batch's upserts (bulk, from Arrow
columns), the archive relink after 户籍, and the quarantined rows. Payments are staged to
Parquet by the caller, which commits them only after SQL has committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from creditfarm.ingest.importers import Batch
from creditfarm.ingest.linkage import relink_archives
from creditfarm.storage.models import QuarantineRow
from creditfarm.storage.upsert import insert_rows, upsert

__all__ = ["write_batch", "write_quarantine"]

_QUARANTINE = QuarantineRow.__table__  # type: ignore[attr-defined]


def write_batch(conn: Connection, batch: Batch) -> None:
    """Upsert the batch's records in order (households before their persons), then relink."""
    for item in batch.upserts:
        upsert(conn, item.table, item.rows, keys=item.keys, keep_when_null=item.keep_when_null)
    if batch.relink_archives:
        relink_archives(conn)


def write_quarantine(conn: Connection, rows: list[dict[str, Any]], *, run_id: int) -> None:
    """Store the quarantined rows under ``run_id``."""
    for item in rows:
        item["run_id"] = run_id
    insert_rows(conn, _QUARANTINE, rows)
