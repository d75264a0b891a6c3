"""The marker that ties a payment store to one workspace.

A payment store (``creditfarm.storage.paystore``) is a folder of Parquet files; nothing in them
says which database they belong to. The marker ``workspace.json`` in the store's folder names
the workspace id its database records (``creditfarm.workspace``), so a store refuses to serve
any other database: two SQLite files pointed at one folder, a re-created PostgreSQL database, a
machine that mounted the wrong share. Standard library only: the check runs on every use.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["MARKER", "WorkspaceError", "check_store", "claim_store", "read_marker"]

MARKER = "workspace.json"


class WorkspaceError(RuntimeError):
    """A database and the folders it is bound to do not fit together."""


def read_marker(root: Path) -> dict[str, str] | None:
    """The marker of the store at ``root`` (None when there is none)."""
    try:
        text = (Path(root) / MARKER).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkspaceError(f"payment store {root}: unreadable marker {MARKER} ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("workspace_id"), str):
        raise WorkspaceError(f"payment store {root}: marker {MARKER} names no workspace")
    return {str(k): str(v) for k, v in data.items()}


def _foreign(root: Path, marker: dict[str, str], workspace_id: str, database: str) -> str:
    return (
        f"payment store {root} belongs to workspace {marker['workspace_id']} (database "
        f"{marker.get('database', '?')}), not to workspace {workspace_id}"
        + (f" of database {database}" if database else "")
        + "; each database keeps its own payment store"
    )


def _holds_payments(root: Path) -> bool:
    return root.is_dir() and any(root.glob("month=*"))


def claim_store(root: Path, *, workspace_id: str, database: str, adopt: bool = False) -> None:
    """Make ``root`` the payment store of ``workspace_id``: done once, when a database is bound.

    Creates the folder and its marker, or accepts a folder whose marker already names this
    workspace. Refuses a folder whose marker names another workspace, and one that holds
    payments but no marker (whose they are is unknown) unless ``adopt``: a database created
    before workspaces were recorded takes over the store it has always used.
    """
    root = Path(root)
    marker = read_marker(root)
    if marker is not None:
        if marker["workspace_id"] != workspace_id:
            raise WorkspaceError(_foreign(root, marker, workspace_id, database))
        return
    if _holds_payments(root) and not adopt:
        raise WorkspaceError(
            f"payment store {root} already holds payments but no {MARKER}: it is not this new "
            f"database's ({database}); move it away or choose another CREDITFARM_PAYMENTS_DIR"
        )
    root.mkdir(parents=True, exist_ok=True)
    body = {
        "workspace_id": workspace_id,
        "database": database,
        "claimed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        # "x": of two databases claiming one folder at once, exactly one wins.
        with (root / MARKER).open("x", encoding="utf-8") as out:
            json.dump(body, out, ensure_ascii=False, indent=2)
    except FileExistsError:
        claim_store(root, workspace_id=workspace_id, database=database, adopt=adopt)


def check_store(root: Path, *, workspace_id: str, database: str = "") -> Path:
    """``root`` when its marker names ``workspace_id``; otherwise a clear WorkspaceError."""
    root = Path(root)
    marker = read_marker(root)
    if marker is None:
        raise WorkspaceError(
            f"payment store {root} of workspace {workspace_id}"
            + (f" (database {database})" if database else "")
            + f" is missing or has no {MARKER}: on a shared deployment, mount the shared store "
            "at this path (see `creditfarm workspace`)"
        )
    if marker["workspace_id"] != workspace_id:
        raise WorkspaceError(_foreign(root, marker, workspace_id, database))
    return root
