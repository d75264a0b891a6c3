"""File and folder imports: every file all or nothing, a folder in dependency order.

Per file: its fingerprint (already imported as the same source: ``unchanged``, nothing more is
read), its header (``readers``), then one SQL transaction in which its rows are read a batch
at a time, parsed and checked (``validate``) into the work database (``rowstore``: DuckDB,
spilling to disk past its memory limit), deduplicated, built into records (``importers``) and
written with the quarantined rows and the run (``write``, ``runs``). Payments are staged to
Parquet inside that transaction and committed only after SQL commits. A file that turns out
unreadable part-way is recorded as failed with the reader's message; any other error rolls the
file back and records the run as failed with its message. A newer export of a source upserts
by natural key.

A folder import places every file first (by name, then the folders it sits in, then headers),
then imports them in dependency order. Each file is read from disk once: placement and import
share its ``ExportFile``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy.engine import Connection

from creditfarm.ingest.contract import GOVERNMENT_SOURCES, SOURCES, Source
from creditfarm.ingest.importers import Batch, Context, build, drop_work_tables
from creditfarm.ingest.limits import ReadLimits
from creditfarm.ingest.linkage import KeyHasher, Lookups
from creditfarm.ingest.outcome import Outcome
from creditfarm.ingest.placement import Placement, place_file
from creditfarm.ingest.readers import ExportFile, ReadError, TableReader, open_table
from creditfarm.ingest.rowstore import RowStore, open_work_db
from creditfarm.ingest.runs import (
    UNPLACED,
    finish_run,
    insert_run,
    load_run,
    record_failed,
    record_unchanged,
)
from creditfarm.ingest.validate import check_batch, merge_duplicates, row_schema
from creditfarm.ingest.write import write_batch, write_keyed_values, write_quarantine
from creditfarm.storage.models import ImportRun
from creditfarm.storage.paystore import StagedWrite, stage_payment_rows
from creditfarm.storage.store_journal import store_lock
from creditfarm.storage.upsert import bulk_writes
from creditfarm.workspace import Workspace

__all__ = [
    "CANDIDATE_SUFFIXES",
    "IMPORT_ORDER",
    "IngestError",
    "ProgressFn",
    "ingest_file",
    "ingest_folder",
]

# progress(done, total, label): called before each file and once at the end.
ProgressFn = Callable[[int, int, str], None]

# Dependency order: villages before anything that names one, 户籍 before what links to it,
# cards before the payments they link.
IMPORT_ORDER: tuple[str, ...] = (
    "regions",
    "points",
    "hukou",
    "cards",
    "archive",
    *GOVERNMENT_SOURCES,
    "loans",
    "blacklist",
    "payments",
)
# Files a folder import looks at (.xls/.xlsm are reported as unsupported, not skipped); other
# files (README.md, notes) are not exports. A .txt that is not a placeable export is reported.
CANDIDATE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm")


class IngestError(Exception):
    """A folder that cannot be imported at all (missing or unreadable)."""


class _Session:
    """What one import call shares between its files: the work database (in a temporary
    directory it spills to) and the lookups linkage copied into it."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="creditfarm-ingest-")
        self.con: duckdb.DuckDBPyConnection = open_work_db(Path(self._dir.name))
        self.lookups = Lookups(self.con)
        # The keyed values the current file stored, marked as such once its commit is done.
        self.keyed: tuple[KeyHasher, pa.Table] | None = None

    def close(self) -> None:
        self.con.close()
        self._dir.cleanup()


class _Unreadable(Exception):
    """A ``ReadError`` met while the rows were read, inside the file's transaction."""

    def __init__(self, error: ReadError) -> None:
        super().__init__(str(error))
        self.error = error


def _import_table(
    conn: Connection,
    ws: Workspace,
    session: _Session,
    table: TableReader,
    rows: RowStore,
    run_id: int,
) -> tuple[Outcome, Batch]:
    """Read, validate, dedup, build and write ``table`` inside the file's transaction (its
    accepted rows in ``rows``); the payments in the batch are left for the caller to stage."""
    out = Outcome()
    today = date.today()
    try:
        for cells in table.batches():
            out.rows_read += len(cells)
            rows.append(check_batch(table, cells, out, today=today))
    except ReadError as exc:
        raise _Unreadable(exc) from None
    for line, problem in merge_duplicates(table, rows, out):
        out.defer(line, problem)
    context = Context(conn, ws.secret, run_id, session.con, session.lookups, ws.payments_root)
    batch = build(context, table, rows, out)
    out.reject_pending(table)
    pii = {
        header: column.pii
        for column in table.source.columns
        if column.pii in ("id", "phone", "card")
        and (header := table.header_for(column.name)) is not None
    }
    keyed = context.hasher.unregistered(session.con)
    with bulk_writes(conn):
        write_batch(conn, batch, sealer=ws.sealer)
        write_quarantine(conn, out.quarantine, run_id=run_id, sealer=ws.sealer, pii=pii)
        write_keyed_values(conn, keyed, sealer=ws.sealer)
    session.keyed = (context.hasher, keyed)
    return out, batch


def _ingest(ws: Workspace, session: _Session, export: ExportFile, source: Source) -> ImportRun:
    try:
        # One import at a time per workspace (processes and machines alike): a second waits.
        with store_lock(ws.payments_root):
            return _ingest_read(ws, session, export, source)
    finally:
        export.release()  # closes the file and drops what it held


def _ingest_read(ws: Workspace, session: _Session, export: ExportFile, source: Source) -> ImportRun:
    path = export.path
    try:
        sha = export.sha256
    except ReadError as exc:  # too large to read at all (the size limit): nothing to hash
        return record_failed(
            ws, source=source.name, file_name=path.name, sha256="", message=str(exc)
        )
    unchanged = record_unchanged(ws, source=source.name, file_name=path.name, sha256=sha)
    if unchanged is not None:
        return unchanged
    try:
        table = open_table(export, source=source)
    except ReadError as exc:
        return record_failed(
            ws, source=source.name, file_name=path.name, sha256=sha, message=str(exc)
        )
    staged: StagedWrite | None = None
    journal: Path | None = None
    rows = RowStore(session.con, row_schema(table))
    session.keyed = None
    try:
        with ws.engine.begin() as conn:
            run_id = insert_run(conn, source=source.name, file_name=path.name, file_sha256=sha)
            out, batch = _import_table(conn, ws, session, table, rows, run_id)
            if batch.payments is not None:
                staged = stage_payment_rows(ws.payments_root, session.con, batch.payments)
                journal = staged.write_journal(ws.payments_root, run_id=run_id)
            finish_run(conn, run_id=run_id, out=out)
    except _Unreadable as exc:
        return record_failed(
            ws, source=source.name, file_name=path.name, sha256=sha, message=str(exc.error)
        )
    except Exception as exc:  # anything unexpected: the whole file is rolled back
        if staged is not None:
            staged.abort()
        if journal is not None:
            journal.unlink(missing_ok=True)
        return record_failed(
            ws,
            source=source.name,
            file_name=path.name,
            sha256=sha,
            message=f"{path.name}: 导入失败，已整体回滚: {exc}",
        )
    finally:
        rows.drop()
        drop_work_tables(session.con)
    if session.keyed is not None:  # committed: these keyed values are stored now
        hasher, keyed = session.keyed
        hasher.mark_registered(session.con, keyed)
        session.keyed = None
    if staged is not None:
        _after_commit_hook()
        staged.commit()
        if journal is not None:
            journal.unlink(missing_ok=True)
    session.lookups.forget(source.name)  # what this file changed is read again
    return load_run(ws, run_id=run_id)


def _after_commit_hook() -> None:
    """Between the SQL commit and the renames: where a test kills a real import
    (``CREDITFARM_TEST_KILL_AFTER_COMMIT=1``) to prove ``paystore.recover`` finishes it."""
    if os.environ.get("CREDITFARM_TEST_KILL_AFTER_COMMIT") == "1":
        os._exit(137)


def _unplaced(ws: Workspace, export: ExportFile, placement: Placement) -> ImportRun:
    try:
        sha = export.sha256
    except ReadError:  # refused unread (the size limit): the placement message says so
        sha = ""
    run = record_failed(
        ws,
        source=UNPLACED,
        file_name=export.path.name,
        sha256=sha,
        message=f"{export.path.name}: {placement.message}",
    )
    export.release()
    return run


def ingest_file(ws: Workspace, path: Path, *, source: str | Source | None = None) -> ImportRun:
    """Import one file as ``source`` (placed by name/headers when None): all or nothing."""
    export = ExportFile(path, limits=ReadLimits.from_settings(ws.settings))
    if isinstance(source, str):
        source = SOURCES[source]
    if source is None:
        placement = place_file(export)
        if placement.source is None:
            return _unplaced(ws, export, placement)
        source = placement.source
    session = _Session()
    try:
        return _ingest(ws, session, export, source)
    finally:
        session.close()


def _candidates(folder: Path) -> list[Path]:
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue  # hidden files, Office lock files
        if path.is_file() and path.suffix.lower() in CANDIDATE_SUFFIXES:
            files.append(path)
    return files


def ingest_folder(
    ws: Workspace, folder: Path, *, progress: ProgressFn | None = None
) -> list[ImportRun]:
    """Import every export in ``folder`` (and its sub-folders) in dependency order. A file that
    cannot be placed or read is recorded as a failed run; the others still import.

    A file placed by its headers keeps its bytes and cells until its turn (that is what spares
    the second read); one placed by name is not read before its turn."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IngestError(f"{folder}: 目录不存在或不是目录")
    try:
        files = _candidates(folder)
    except OSError as exc:
        raise IngestError(f"{folder}: 目录不可读: {exc}") from None
    placed: list[tuple[int, str, ExportFile, Placement]] = []
    limits = ReadLimits.from_settings(ws.settings)
    for path in files:
        export = ExportFile(path, limits=limits)
        placement = place_file(export, folders=tuple(reversed(path.relative_to(folder).parts[:-1])))
        src = placement.source
        order = IMPORT_ORDER.index(src.name) if src else len(IMPORT_ORDER)
        placed.append((order, str(path), export, placement))
    placed.sort(key=lambda item: (item[0], item[1]))
    runs: list[ImportRun] = []
    session = _Session()
    try:
        for done, (_, _, export, placement) in enumerate(placed):
            if progress:
                progress(done, len(placed), export.path.name)
            if placement.source is None:
                runs.append(_unplaced(ws, export, placement))
            else:
                runs.append(_ingest(ws, session, export, placement.source))
    finally:
        session.close()
    if progress:
        progress(len(placed), len(placed), "")
    return runs
