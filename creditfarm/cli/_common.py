"""Options shared by every command, and the workspace they open.

Only typer is imported here: ``creditfarm --help`` must not pay for pandas, SQLAlchemy or the
settings. The library is imported when a command opens its workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from creditfarm.workspace import Workspace

# `--db` is taken before the command (`creditfarm --db URL rates`) and after it
# (`creditfarm rates --db URL`); given after the command it wins.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: CREDITFARM_DATABASE_URL or data/creditfarm.db)",
        metavar="URL",
        show_default=False,
    ),
]

_state: dict[str, str | None] = {"db": None}


def global_options(db: DbOption = None) -> None:
    """creditfarm: 农户建档 · 预授信 · 信用村评定."""
    _state["db"] = db


def database_url(db: str | None) -> str | None:
    """``--db`` given after the command, else before it (None: the settings decide)."""
    return db or _state["db"]


def workspace(db: str | None = None, *, writes_payments: bool = False) -> Workspace:
    """The workspace of ``--db`` (after the command, else before it, else the settings).
    ``writes_payments``: check its payment store now, so that a machine without the shared
    store refuses before importing anything rather than file by file."""
    from creditfarm.settings import get_settings
    from creditfarm.workspace import WorkspaceError, open_workspace

    try:
        ws = open_workspace(get_settings(), database_url=database_url(db))
        if writes_payments:
            ws.payments_root  # noqa: B018  (the property checks the store's marker)
        return ws
    except WorkspaceError as exc:
        fail(str(exc))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a clear error on stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
