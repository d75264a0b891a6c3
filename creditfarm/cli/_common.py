"""Options shared by every command, and the workspace they open."""

from __future__ import annotations

from typing import Annotated

import typer

from creditfarm.settings import get_settings
from creditfarm.workspace import Workspace, open_workspace

_state: dict[str, str | None] = {"db": None}


def global_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (default: CREDITFARM_DATABASE_URL or data/creditfarm.storage)",
        ),
    ] = None,
) -> None:
    """creditfarm: 农户建档 · 预授信 · 信用村评定."""
    _state["db"] = db


def workspace() -> Workspace:
    return open_workspace(get_settings(), database_url=_state["db"])


def fail(message: str, code: int = 2) -> None:
    """Print a clear error on stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
