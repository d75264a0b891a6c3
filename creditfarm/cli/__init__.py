"""The ``creditfarm`` command line. Each command group lives in its own module and calls the
library; no command computes a figure of its own."""

from __future__ import annotations

import gc
import sys

import typer

from creditfarm.cli import _common

__all__ = ["app", "main"]

app = typer.Typer(
    name="creditfarm",
    help="Rural household credit archive, pre-credit scoring and credit-village assessment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich's help renderer alone costs ~0.3 s of imports and layout per `--help`.
    rich_markup_mode=None,
)
app.callback()(_common.global_options)

# Command modules register themselves on `app` when imported; they import the library only
# inside their commands, so `--help` starts in a fraction of a second.
from creditfarm.cli import (  # noqa: E402, F401
    backups,
    data,
    decisions,
    explaining,
    inclusion,
    keys,
    lists,
    modelling,
    reporting,
    sample,
    serve,
    users,
    workspace_info,
)


def main() -> None:
    try:
        app()
    except RuntimeError as exc:
        # A payment store refused during a command (missing here, or another workspace's): a
        # clear message, not a traceback. Imported only then: it loads the storage layer.
        from creditfarm.storage.store_marker import WorkspaceError

        if not isinstance(exc, WorkspaceError):
            raise
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    finally:
        # At exit the interpreter runs a full collection over everything pandas, SQLAlchemy
        # and pydantic allocated (~0.4 s of a 1.5 s `rates`); the process is ending, so there
        # is nothing worth finding. Frozen objects are skipped; refcounted cleanup still runs.
        # Not after DuckDB ran: its bindings (nanobind) then report every frozen object of
        # theirs as "leaked" on stderr at exit.
        if "duckdb" not in sys.modules:
            gc.freeze()
