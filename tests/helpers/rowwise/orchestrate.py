"""File and folder imports: every file all or nothing, a folder in dependency order.

Per file: its fingerprint (already imported as the same source: ``unchanged``, nothing more is
read), its table (``readers``), cell parsing and dedup (``validate``), records (``importers``),
then one SQL transaction that writes the records, the quarantined rows and the run
(``write``, ``runs``). Payments are staged to Parquet inside that transaction and committed only
after SQL commits. Any unexpected error rolls the file back and records the run as failed with
its message. A newer export of a source upserts by natural key.

A folder import places every file first (by name, then the folders it sits in, then headers),
then imports them in dependency order. Each file is read from disk once: placement and import
share its ``ExportFile``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Connection

from creditfarm.ingest.contract import GOVERNMENT_SOURCES, SOURCES, Source
from creditfarm.ingest.outcome import Outcome
from creditfarm.ingest.runs import (
    UNPLACED,
    finish_run,
    insert_run,
    load_run,
    record_failed,
    record_unchanged,
)
from creditfarm.storage.models import ImportRun
from creditfarm.workspace import Workspace
from tests.helpers.rowwise.importers import Batch, Context, build
from tests.helpers.rowwise.paystore import StagedWrite, stage_payments
from tests.helpers.rowwise.placement import Placement, place_file
from tests.helpers.rowwise.readers import ExportFile, RawTable, ReadError, read_table
from tests.helpers.rowwise.validate import merge_duplicates, parse_rows
from tests.helpers.rowwise.write import write_batch, write_quarantine

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


def _import_table(
    conn: Connection, ws: Workspace, table: RawTable, run_id: int
) -> tuple[Outcome, Batch]:
    """Validate, dedup, build and write ``table`` inside the file's transaction; the payments
    in the batch are left for the caller to stage."""
    out = Outcome(rows_read=len(table.rows))
    rows = merge_duplicates(table, parse_rows(table, out), out)
    batch = build(Context(conn, ws.secret, run_id), table, rows, out)
    write_batch(conn, batch)
    write_quarantine(conn, out.quarantine, run_id=run_id)
    return out, batch


def _ingest(ws: Workspace, export: ExportFile, source: Source) -> ImportRun:
    path = export.path
    try:
        sha = export.sha256
        unchanged = record_unchanged(ws, source=source.name, file_name=path.name, sha256=sha)
        if unchanged is not None:
            return unchanged
        try:
            table = read_table(export, source=source)
        except ReadError as exc:
            return record_failed(
                ws, source=source.name, file_name=path.name, sha256=sha, message=str(exc)
            )
    finally:
        export.release()  # the table holds what the import needs
    staged: StagedWrite | None = None
    try:
        with ws.engine.begin() as conn:
            run_id = insert_run(conn, source=source.name, file_name=path.name, file_sha256=sha)
            out, batch = _import_table(conn, ws, table, run_id)
            if batch.payments is not None:
                staged = stage_payments(ws.payments_root, batch.payments)
            finish_run(conn, run_id=run_id, out=out)
    except Exception as exc:  # anything unexpected: the whole file is rolled back
        if staged is not None:
            staged.abort()
        return record_failed(
            ws,
            source=source.name,
            file_name=path.name,
            sha256=sha,
            message=f"{path.name}: 导入失败，已整体回滚: {exc}",
        )
    if staged is not None:
        staged.commit()
    return load_run(ws, run_id=run_id)


def _unplaced(ws: Workspace, export: ExportFile, placement: Placement) -> ImportRun:
    run = record_failed(
        ws,
        source=UNPLACED,
        file_name=export.path.name,
        sha256=export.sha256,
        message=f"{export.path.name}: {placement.message}",
    )
    export.release()
    return run


def ingest_file(ws: Workspace, path: Path, *, source: str | Source | None = None) -> ImportRun:
    """Import one file as ``source`` (placed by name/headers when None): all or nothing."""
    export = ExportFile(path)
    if isinstance(source, str):
        source = SOURCES[source]
    if source is None:
        placement = place_file(export)
        if placement.source is None:
            return _unplaced(ws, export, placement)
        source = placement.source
    return _ingest(ws, export, source)


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
    for path in files:
        export = ExportFile(path)
        placement = place_file(export, folders=tuple(reversed(path.relative_to(folder).parts[:-1])))
        src = placement.source
        order = IMPORT_ORDER.index(src.name) if src else len(IMPORT_ORDER)
        placed.append((order, str(path), export, placement))
    placed.sort(key=lambda item: (item[0], item[1]))
    runs: list[ImportRun] = []
    for done, (_, _, export, placement) in enumerate(placed):
        if progress:
            progress(done, len(placed), export.path.name)
        if placement.source is None:
            runs.append(_unplaced(ws, export, placement))
        else:
            runs.append(_ingest(ws, export, placement.source))
    if progress:
        progress(len(placed), len(placed), "")
    return runs
