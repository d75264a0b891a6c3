"""Backup and restore of an embedded workspace: the SQLite database, its payment store and its
model registry together, as one ``.tar.gz`` with a manifest of checksums.

Consistency: the backup holds the workspace's import lock (``storage.store_journal``) for its
whole length, so no import moves Parquet files or commits rows meanwhile; the database is
copied with SQLite's online backup API (a consistent snapshot even while officers record
decisions). Personal numbers stay sealed in the copy: a backup is no more readable than the
database, and restoring it needs the same data key.

A PostgreSQL workspace is backed up with the server's own tools (README, "Backup and
restore"): ``pg_dump`` while holding the same lock, and a copy of the shared store.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from creditfarm.storage.engine import schema_revision
from creditfarm.storage.store_journal import store_lock
from creditfarm.workspace import Workspace

__all__ = ["BackupError", "Manifest", "backup", "restore"]

_MANIFEST = "manifest.json"
_SKIP = {".import.lock"}  # the lock file is the running process's, not data


class BackupError(RuntimeError):
    """A backup that cannot be taken or restored; the message says why."""


@dataclass(frozen=True)
class Manifest:
    workspace_id: str
    taken_at: str
    schema_revision: str | None
    files: dict[str, str]  # path inside the archive → sha256


def _sqlite_path(ws: Workspace) -> Path:
    url = make_url(ws.settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(
            "creditfarm backup copies an embedded (SQLite) workspace; back up a PostgreSQL "
            "workspace with pg_dump and a copy of its shared payment store (README: 备份与恢复)"
        )
    return Path(url.database).resolve()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_tree(source: Path, target: Path) -> None:
    if not source.exists():
        target.mkdir(parents=True)
        return
    shutil.copytree(source, target, ignore=lambda _d, names: [n for n in names if n in _SKIP])


def backup(ws: Workspace, *, to: Path) -> Manifest:
    """Write ``to`` (a ``.tar.gz``): database, payment store and model registry, consistent."""
    database = _sqlite_path(ws)
    to = Path(to).resolve()
    if to.exists():
        raise BackupError(f"{to} exists: a backup never overwrites a file")
    to.parent.mkdir(parents=True, exist_ok=True)
    with (
        store_lock(ws.payments_root),
        tempfile.TemporaryDirectory(dir=to.parent, prefix=".backup-") as tmp,
    ):
        staging = Path(tmp) / "workspace"
        staging.mkdir()
        source = sqlite3.connect(database)
        target = sqlite3.connect(staging / "creditfarm.db")
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        _copy_tree(ws.payments_root, staging / "payments")
        _copy_tree(ws.model_dir, staging / "models")
        files = {
            p.relative_to(staging).as_posix(): _sha256(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        manifest = Manifest(
            workspace_id=ws.id,
            taken_at=datetime.now(UTC).isoformat(timespec="seconds"),
            schema_revision=schema_revision(ws.engine),
            files=files,
        )
        (staging / _MANIFEST).write_text(
            json.dumps(manifest.__dict__, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        partial = Path(tmp) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(staging, arcname="workspace")
        partial.replace(to)  # the backup appears whole or not at all
    return manifest


def restore(archive: Path, *, database: Path, force: bool = False) -> Manifest:
    """Unpack ``archive`` as the SQLite file ``database`` with its store and registry beside
    it (``<stem>-payments``, ``<stem>-models``), every file checked against the manifest.
    An existing database is replaced only with ``force`` (its store and registry too)."""
    database = Path(database).resolve()
    payments, models = (database.with_name(f"{database.stem}-{n}") for n in ("payments", "models"))
    if not force and any(p.exists() for p in (database, payments, models)):
        raise BackupError(f"{database} (or its store beside it) exists: restore with --force")
    database.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=database.parent, prefix=".restore-") as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")  # no absolute paths, links out or devices
        except (OSError, tarfile.TarError) as exc:
            raise BackupError(f"{archive}: not a creditfarm backup ({exc})") from exc
        staging = Path(tmp) / "workspace"
        try:
            raw = json.loads((staging / _MANIFEST).read_text(encoding="utf-8"))
            manifest = Manifest(**raw)
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(f"{archive}: no readable manifest ({exc})") from exc
        found = {
            p.relative_to(staging).as_posix()
            for p in staging.rglob("*")
            if p.is_file() and p.name != _MANIFEST
        }
        if found != set(manifest.files):
            raise BackupError(f"{archive}: files differ from its manifest")
        for name, digest in manifest.files.items():
            if _sha256(staging / name) != digest:
                raise BackupError(f"{archive}: {name} does not match its checksum")
        # Point the binding at the restored places (relative: the folder moves as a whole).
        with sqlite3.connect(staging / "creditfarm.db") as conn:
            conn.execute(
                "UPDATE workspacebinding SET payments_dir = ?, model_dir = ?",
                (payments.name, models.name),
            )
        conn.close()
        for old in (database, payments, models):
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        (staging / "payments").replace(payments)
        (staging / "models").replace(models)
        (staging / "creditfarm.db").replace(database)
    return manifest
