"""The ``creditfarm`` command line. Each command group lives in its own module and calls the
library; no command computes a figure of its own."""

from __future__ import annotations

import typer

from creditfarm.cli import _common

__all__ = ["app", "main"]

app = typer.Typer(
    name="creditfarm",
    help="Rural household credit archive, pre-credit scoring and credit-village assessment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(_common.global_options)

# Command modules register themselves on `app` when imported.
from creditfarm.cli import data, explaining, modelling, sample, serve  # noqa: E402, F401


def main() -> None:
    app()
