"""The package's public API: every name resolves, and importing the package loads nothing heavy
(the CLI's start-up depends on it)."""

from __future__ import annotations

import subprocess
import sys

import creditfarm


def test_every_public_name_resolves() -> None:
    for name in creditfarm.__all__:
        assert callable(getattr(creditfarm, name)), name


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        creditfarm.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_light() -> None:
    code = (
        "import sys, creditfarm; "
        "print(sorted(m for m in ('pandas', 'sqlalchemy', 'lightgbm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
