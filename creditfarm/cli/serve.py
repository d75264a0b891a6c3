"""``creditfarm app``: serve the Streamlit front end.

From a checkout it runs the repository's ``app.py``; from an installed wheel it runs the copy
the wheel carries inside the package (``creditfarm/_app/app.py`` with its ``ui/`` pages), so
``pip install creditfarm-*.whl && creditfarm app`` serves the same app.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from creditfarm.cli import app
from creditfarm.cli._common import fail

__all__ = ["app_path", "serve"]

_PACKAGE = Path(__file__).resolve().parent.parent
# The Streamlit settings of .streamlit/config.toml, passed as flags: an installed wheel runs
# from any folder, where that file is not found.
_FLAGS = (
    "--server.headless=true",
    "--browser.gatherUsageStats=false",
    "--client.toolbarMode=viewer",
    "--theme.base=light",
)


def app_path() -> Path | None:
    """The app entry point: the checkout's app.py, else the wheel's bundled copy."""
    for candidate in (_PACKAGE.parent / "app.py", _PACKAGE / "_app" / "app.py"):
        if candidate.is_file() and (candidate.parent / "ui").is_dir():
            return candidate
    return None


@app.command("app")
def serve(
    port: Annotated[int, typer.Option("--port", help="HTTP port")] = 8501,
) -> None:
    """启动浏览器界面（Streamlit，http://localhost:8501）。"""
    path = app_path()
    if path is None:
        fail("app.py not found: neither a checkout nor an installed wheel with the app")
        return
    args = [sys.executable, "-m", "streamlit", "run", str(path), f"--server.port={port}", *_FLAGS]
    os.execv(sys.executable, args)  # the app replaces this process: signals reach Streamlit
