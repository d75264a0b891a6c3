"""Shared by the hostile-input tests: the real sample file of every source (cut short), the
workspace's state to compare before and after a refused import, and the outcome check every
hostile file must pass ("a clear message naming the file, or quarantine/accept")."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import inspect, select, table, text

from creditfarm.ingest.contract import SOURCES
from creditfarm.ingest.placement import place_by_name
from creditfarm.storage.models import ImportRun
from creditfarm.workspace import Workspace
from tests.helpers.paths import SAMPLE_DATA

# Tables an import writes whatever becomes of the file: its run, and the audit trail.
_BOOKKEEPING = {"importrun", "auditevent", "alembic_version"}
# What a failed run's message says when an unexpected exception was caught and rolled back:
# a hostile file must never end there (that is a crash with a tidier face).
UNEXPECTED = "导入失败，已整体回滚"


def sample_files() -> dict[str, list[Path]]:
    """Every sample export by source (each source of the contract has at least one)."""
    found: dict[str, list[Path]] = {name: [] for name in SOURCES}
    for path in sorted(SAMPLE_DATA.iterdir()):
        src = place_by_name(path.name)
        if src is not None:
            found[src.name].append(path)
    return found


def head_bytes(path: Path, lines: int = 25) -> bytes:
    """The first ``lines`` lines of a CSV sample (its header and some rows), as bytes."""
    data = path.read_bytes()
    return b"\n".join(data.split(b"\n")[:lines]) + b"\n"


def state(ws: Workspace) -> str:
    """A fingerprint of every data table's rows and of the payment store's files: equal
    before and after an import that was refused means the import changed nothing."""
    digest = hashlib.sha256()
    with ws.engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            if name in _BOOKKEEPING:
                continue
            rows = conn.execute(select(text("*")).select_from(table(name))).all()
            digest.update(name.encode())
            for row in sorted(repr(tuple(r)) for r in rows):
                digest.update(row.encode())
    root = Path(ws.payments_root)
    if root.exists():
        for path in sorted(root.rglob("*.parquet")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def assert_clear(run: ImportRun, path: Path) -> None:
    """The run ended as the contract says a hostile file must: accepted (rows quarantined or
    stored), unchanged, or failed with a message that names the file and is not a caught
    crash."""
    assert run.status in ("done", "failed", "unchanged"), run.status
    if run.status == "failed":
        message = run.message or ""
        assert path.name in message, message
        assert UNEXPECTED not in message, message
