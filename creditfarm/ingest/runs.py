"""Import-run bookkeeping: one ``importrun`` row per file per import, keyed by the file's
fingerprint (sha256 of its bytes).

A run is ``running`` inside the file's transaction and ``done`` when it commits; a file that
cannot be placed, read or written is recorded as ``failed`` in a transaction of its own (so the
rollback does not take the record with it); a file whose fingerprint already has a ``done`` run
for the same source is recorded as ``unchanged`` and not read further.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from creditfarm.ingest.outcome import Outcome
from creditfarm.storage.models import ImportRun
from creditfarm.storage.sealed import redact_text
from creditfarm.workspace import Workspace

__all__ = [
    "UNPLACED",
    "finish_run",
    "insert_run",
    "load_run",
    "record_failed",
    "record_unchanged",
]

UNPLACED = "unplaced"  # source of the failed run recorded for a file that cannot be placed
_RUN = ImportRun.__table__  # type: ignore[attr-defined]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def insert_run(conn: Connection, **values: Any) -> int:
    """A new run (``running`` with zero counts unless ``values`` say otherwise); its id."""
    row: dict[str, Any] = {
        "started_at": _utcnow(),
        "finished_at": None,
        "status": "running",
        "rows_read": 0,
        "rows_accepted": 0,
        "rows_quarantined": 0,
        "duplicates_merged": 0,
        "rows_linked": 0,
        "warnings": {},
        "message": None,
    }
    row.update(values)
    inserted = conn.execute(insert(_RUN).values(**row)).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def load_run(ws: Workspace, *, run_id: int) -> ImportRun:
    with ws.engine.connect() as conn:
        row = conn.execute(select(_RUN).where(_RUN.c.id == run_id)).mappings().one()
    return ImportRun(**dict(row))


def record_failed(
    ws: Workspace, *, source: str, file_name: str, sha256: str, message: str
) -> ImportRun:
    """A ``failed`` run, committed on its own."""
    with ws.engine.begin() as conn:
        run_id = insert_run(
            conn,
            source=source,
            file_name=file_name,
            file_sha256=sha256,
            status="failed",
            finished_at=_utcnow(),
            # A database error may quote a row: no personal number stays in the message.
            message=redact_text(message),
        )
    return load_run(ws, run_id=run_id)


def record_unchanged(
    ws: Workspace, *, source: str, file_name: str, sha256: str
) -> ImportRun | None:
    """An ``unchanged`` run when these bytes were already imported as ``source``, else None."""
    with ws.engine.connect() as conn:
        earlier = conn.execute(
            select(_RUN.c.id)
            .where(_RUN.c.file_sha256 == sha256, _RUN.c.source == source, _RUN.c.status == "done")
            .order_by(_RUN.c.id.desc())
        ).first()
    if earlier is None:
        return None
    with ws.engine.begin() as conn:
        run_id = insert_run(
            conn,
            source=source,
            file_name=file_name,
            file_sha256=sha256,
            status="unchanged",
            finished_at=_utcnow(),
            message=f"与第 {earlier[0]} 次导入的文件内容相同，未作改动",
        )
    return load_run(ws, run_id=run_id)


def finish_run(conn: Connection, *, run_id: int, out: Outcome) -> None:
    """Mark the run ``done`` with the file's counts (inside the file's transaction)."""
    conn.execute(
        update(_RUN)
        .where(_RUN.c.id == run_id)
        .values(
            status="done",
            finished_at=_utcnow(),
            rows_read=out.rows_read,
            rows_accepted=out.accepted,
            rows_quarantined=len(out.quarantine),
            duplicates_merged=out.merged,
            rows_linked=out.linked,
            warnings=dict(out.warnings),
        )
    )
