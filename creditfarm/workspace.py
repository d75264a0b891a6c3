"""A workspace is one SQL database bound to one payment store and one model registry.

The database records the binding (table ``workspacebinding``: a random workspace id, when it
was created, where its payment store and model registry live, and which model version is
current). It is written once, when the database is first opened; later opens read the places
from the database, never from the current folder or the settings. So every machine of a
PostgreSQL deployment uses the one recorded store, and two SQLite files opened from one folder
never share one. The store's marker names the workspace id; a store that names another
workspace is refused (``creditfarm.storage.store_marker``) on every use.

Where a new workspace puts its folders (CREDITFARM_PAYMENTS_DIR / CREDITFARM_MODEL_DIR win):
- payment store: beside a SQLite file, ``<dir>/<stem>-payments/``; for a server database
  ``<data_dir>/<database>-payments/`` on the machine that created it (a shared deployment sets
  CREDITFARM_PAYMENTS_DIR to a shared folder instead, see the README);
- model registry: ``models/``. Model versions are immutable, content-addressed folders, so
  workspaces may share a registry; which version is current belongs to each workspace.
A SQLite workspace records its paths relative to the database file's folder, so the folder can
move as a whole; a server database records absolute paths.

A database that already held imports when it was first bound (created before workspaces were
recorded) keeps what it used before: ``<data_dir>/payments`` and the registry's ``LATEST``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from creditfarm.identity import key_check
from creditfarm.settings import (
    DEMO_DATA_KEY_FILE,
    DEMO_SECRET_FILE,
    Settings,
    get_settings,
    own_secret,
)
from creditfarm.storage.engine import open_db
from creditfarm.storage.models import ImportRun, WorkspaceBinding
from creditfarm.storage.seal_rows import reseal_all, seal_plaintext
from creditfarm.storage.sealed import Sealer, SealError
from creditfarm.storage.store_journal import recover
from creditfarm.storage.store_marker import WorkspaceError, check_store, claim_store
from creditfarm.storage.store_rekey import recover_rekey

if TYPE_CHECKING:
    from creditfarm.policy.config import Policy

__all__ = [
    "Binding",
    "Workspace",
    "WorkspaceError",
    "open_workspace",
    "rebind",
    "rekey_data",
    "sealer_for",
]

_TABLE = WorkspaceBinding.__table__  # type: ignore[attr-defined]
_IMPORTS = ImportRun.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Binding:
    """What the database records, with its paths resolved to absolute ones."""

    workspace_id: str
    created_at: datetime
    payments_dir: Path
    model_dir: Path


@dataclass
class Workspace:
    settings: Settings
    engine: Engine
    binding: Binding

    @property
    def id(self) -> str:
        return self.binding.workspace_id

    @property
    def database(self) -> str:
        """The database URL without its password, for messages."""
        return _display_url(self.settings.database_url)

    @property
    def payments_root(self) -> Path:
        """The payment store, checked against its marker each time it is handed out: a store
        that belongs to another workspace, or is missing here, raises WorkspaceError."""
        return check_store(self.binding.payments_dir, workspace_id=self.id, database=self.database)

    @property
    def model_dir(self) -> Path:
        return self.binding.model_dir

    @property
    def current_model(self) -> str | None:
        """The model version this workspace scores with; read each time, so a training run in
        another process shows at once."""
        with self.engine.connect() as conn:
            return conn.execute(select(_TABLE.c.current_model)).scalar()

    def set_current_model(self, version: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(_TABLE).values(current_model=version))

    @property
    def secret(self) -> str:
        return self.settings.secret_key

    @cached_property
    def sealer(self) -> Sealer:
        """Seals and opens personal numbers at rest (``storage.sealed``)."""
        return sealer_for(self.settings)

    @cached_property
    def policy(self) -> Policy:
        # Imported here: commands that never read the policy (rates, report) skip its models.
        from creditfarm.policy.config import load_policy

        return load_policy(self.settings.policy_file)


def open_workspace(
    settings: Settings | None = None, *, database_url: str | None = None
) -> Workspace:
    """Open (and migrate) the database named by ``settings`` or ``database_url``, binding it to
    its payment store and model registry when it is new."""
    settings = settings or get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    settings = _with_demo_keys(settings)
    engine = open_db(settings.database_url)
    row = _read(engine)
    if row is None:
        _create(engine, settings)
        row = _read(engine)
        assert row is not None  # written by us or by a process that won the race
    binding = _binding(row, settings.database_url)
    _check_settings(binding, settings)
    _check_key(engine, row, settings)
    _recover_store(engine, binding.payments_dir)
    recover_rekey(binding.payments_dir, key_check=_read(engine).key_check)
    ws = Workspace(settings=settings, engine=engine, binding=binding)
    _check_data_key(ws, row)
    return ws


def _with_demo_keys(settings: Settings) -> Settings:
    """Demo mode without a secret or a data key: the workspace's own random ones, kept beside
    the SQLite file and made on first open (the data key its own file, not derived from the
    secret, so a re-key of the secret keeps it)."""
    if not settings.demo_mode:
        return settings
    folder = _sqlite_folder(settings.database_url)
    update: dict[str, Any] = {}
    if not settings.secret_key:
        update["secret_key"] = own_secret(
            (folder or _absolute(settings.data_dir)) / DEMO_SECRET_FILE
        )
    # A server database is opened from several machines, which share its secret (set it for
    # them all) but no folder: its demo data key is derived from that secret (storage.sealed).
    if folder is not None and not (settings.data_key or settings.data_key_file):
        own_secret(folder / DEMO_DATA_KEY_FILE)
        update["data_key_file"] = folder / DEMO_DATA_KEY_FILE
    return settings.model_copy(update=update) if update else settings


def sealer_for(settings: Settings) -> Sealer:
    """The data key of ``settings`` (``storage.sealed``); a bad key is a WorkspaceError."""
    try:
        return Sealer.from_config(
            data_key=settings.data_key,
            data_key_file=settings.data_key_file,
            old_keys=settings.data_keys_old,
            demo_mode=settings.demo_mode,
            secret=settings.secret_key,
        )
    except SealError as exc:
        raise WorkspaceError(str(exc)) from None


def _check_data_key(ws: Workspace, row: Any) -> None:
    """Personal numbers are sealed under one data key, recorded here. Another key is refused
    unless the recorded one is among the old keys (a rotation: ``creditfarm rekey --data``
    re-seals and records the new one). The first open after an upgrade seals what an earlier
    version stored in plain text."""
    sealer = ws.sealer
    recorded = row.data_key_id
    if recorded is None:
        with ws.engine.begin() as conn:
            seal_plaintext(conn, sealer)
            conn.execute(update(_TABLE).values(data_key_id=sealer.kid))
    elif recorded != sealer.kid and recorded not in sealer.old:
        raise WorkspaceError(
            f"CREDITFARM_DATA_KEY (key {sealer.kid}) is not the data key the personal numbers "
            f"of {ws.database} are sealed under (key {recorded}). Use that key, or give it in "
            "CREDITFARM_DATA_KEYS_OLD and run `creditfarm rekey --data` to move to the new one. "
            "数据密钥与建库时不同，已拒绝打开。"
        )


def rekey_data(ws: Workspace) -> int:
    """Re-seal every personal number under the current data key (old keys from
    CREDITFARM_DATA_KEYS_OLD open the old tokens) and record it; returns the rows changed."""
    with ws.engine.begin() as conn:
        changed = reseal_all(conn, ws.sealer)
        conn.execute(update(_TABLE).values(data_key_id=ws.sealer.kid))
    return changed


def _check_key(engine: Engine, row: Any, settings: Settings) -> None:
    """The keyed-hash secret must be the one the database's person keys were made with: a new
    secret would make every import a second copy of every person. Recorded on first open."""
    check = key_check(settings.secret_key)
    if row.key_check is None:
        with engine.begin() as conn:
            conn.execute(update(_TABLE).where(_TABLE.c.key_check.is_(None)).values(key_check=check))
    elif row.key_check != check:
        raise WorkspaceError(
            "CREDITFARM_SECRET_KEY differs from the key database "
            f"{_display_url(settings.database_url)} was built with (its person and card keys "
            "are hashes under that key): use the original key. To change it, run `creditfarm "
            "rekey --secret` with the original key and the new one in "
            "CREDITFARM_NEW_SECRET_KEY. 密钥与建库时不同，已拒绝打开。"
        )


def _recover_store(engine: Engine, root: Path) -> None:
    """Finish an import killed between its SQL commit and its Parquet renames
    (``storage.store_journal``) before anything reads the store."""

    def committed(run_id: int) -> bool:
        with engine.connect() as conn:
            status = conn.execute(select(_IMPORTS.c.status).where(_IMPORTS.c.id == run_id))
            return status.scalar() == "done"

    recover(root, committed=committed)


def rebind(
    ws: Workspace, *, payments_dir: Path | None = None, model_dir: Path | None = None
) -> Workspace:
    """Record new places after the payment store or the model registry was moved. The store at
    its new place must carry this workspace's marker; the new registry must hold the current
    model version, if there is one."""
    binding = ws.binding
    url = ws.settings.database_url
    folder = _sqlite_folder(url)
    values: dict[str, str] = {}
    if payments_dir is not None:
        target = _absolute(payments_dir)
        check_store(target, workspace_id=ws.id, database=ws.database)
        values["payments_dir"] = _record(target, folder)
        binding = replace(binding, payments_dir=target)
    if model_dir is not None:
        target = _absolute(model_dir)
        current = ws.current_model
        if current and not (target / current / "model.txt").exists():
            raise WorkspaceError(
                f"model registry {target} does not hold this workspace's current model "
                f"{current}: move the registry there first"
            )
        values["model_dir"] = _record(target, folder)
        binding = replace(binding, model_dir=target)
    if values:
        with ws.engine.begin() as conn:
            conn.execute(update(_TABLE).values(**values))
    return replace(ws, binding=binding)


def _read(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(_TABLE)).first()


def _create(engine: Engine, settings: Settings) -> None:
    url = settings.database_url
    folder = _sqlite_folder(url)
    workspace_id = uuid.uuid4().hex
    with engine.connect() as conn:
        legacy = conn.execute(select(_IMPORTS.c.id).limit(1)).first() is not None
    if settings.payments_dir is not None:
        payments = _absolute(settings.payments_dir)
    elif legacy:
        payments = _absolute(settings.data_dir / "payments")
    else:
        payments = _absolute(_default_store(settings, url, workspace_id))
    models = _absolute(settings.model_dir or Path("models"))
    current = _latest_pointer(models) if legacy else None
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(_TABLE).values(
                    slot=1,
                    workspace_id=workspace_id,
                    created_at=datetime.now(UTC),
                    payments_dir=_record(payments, folder),
                    model_dir=_record(models, folder),
                    current_model=current,
                )
            )
            # Claimed inside the transaction: if the folder is refused, the database stays
            # unbound and a later open (with another CREDITFARM_PAYMENTS_DIR) tries again.
            claim_store(
                payments,
                workspace_id=workspace_id,
                database=_display_url(url),
                adopt=legacy,
            )
    except IntegrityError:
        pass  # another process bound this database first; its record is the one to use


def _binding(row: Any, url: str) -> Binding:
    folder = _sqlite_folder(url)
    return Binding(
        workspace_id=row.workspace_id,
        created_at=row.created_at,
        payments_dir=_resolve(row.payments_dir, folder),
        model_dir=_resolve(row.model_dir, folder),
    )


def _check_settings(binding: Binding, settings: Settings) -> None:
    """Settings name places only for a new database; set later, they must agree with it."""
    for variable, option, recorded, wanted in (
        ("CREDITFARM_PAYMENTS_DIR", "--payments-dir", binding.payments_dir, settings.payments_dir),
        ("CREDITFARM_MODEL_DIR", "--model-dir", binding.model_dir, settings.model_dir),
    ):
        if wanted is None or _same_place(_absolute(wanted), recorded):
            continue
        raise WorkspaceError(
            f"{variable} is {wanted}, but database {_display_url(settings.database_url)} "
            f"(workspace {binding.workspace_id}) records {recorded}. Unset {variable}; if the "
            f"folder was moved, run `creditfarm workspace {option} {_absolute(wanted)}`"
        )


def _same_place(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)  # one folder reached through a symlink or bind mount
    except OSError:
        return False


def _sqlite_folder(url: str) -> Path | None:
    """The folder of a SQLite database file; None for a server or in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return _absolute(Path(str(parsed.database))).parent


def _default_store(settings: Settings, url: str, workspace_id: str) -> Path:
    folder = _sqlite_folder(url)
    database = make_url(url).database
    if folder is not None:
        return folder / f"{Path(str(database)).stem}-payments"
    name = database if database and database != ":memory:" else f"memory-{workspace_id[:8]}"
    return settings.data_dir / f"{name}-payments"


def _latest_pointer(model_dir: Path) -> str | None:
    pointer = model_dir / "LATEST"
    return (pointer.read_text(encoding="utf-8").strip() or None) if pointer.exists() else None


def _absolute(path: Path) -> Path:
    # abspath, not resolve(): the recorded path is the one the operator chose (a mount point),
    # not wherever its symlinks lead on this machine.
    return Path(os.path.abspath(path))


def _record(path: Path, folder: Path | None) -> str:
    return Path(os.path.relpath(path, folder) if folder else path).as_posix()


def _resolve(recorded: str, folder: Path | None) -> Path:
    path = Path(recorded)
    if path.is_absolute():
        return path
    if folder is None:
        raise WorkspaceError(f"a server database records the relative path {recorded!r}")
    return Path(os.path.normpath(folder / path))


def _display_url(url: str) -> str:
    folder = _sqlite_folder(url)
    if folder is not None:
        return f"sqlite:///{folder / Path(str(make_url(url).database)).name}"
    return make_url(url).render_as_string(hide_password=True)
