"""The settings' secrets: no published secret is ever used, demo mode makes its own."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from creditfarm.settings import DEMO_SECRET, Settings


def _settings(data_dir: Path, **values: object) -> Settings:
    return Settings(data_dir=data_dir, _env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_demo_mode_makes_a_private_secret_once(tmp_path: Path) -> None:
    first = _settings(tmp_path / "a", demo_mode=True)
    secret_file = tmp_path / "a" / ".demo-secret"
    assert first.secret_key == secret_file.read_text(encoding="ascii").strip()
    assert len(first.secret_key) == 64 and first.secret_key != DEMO_SECRET
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600  # its owner's only
    assert _settings(tmp_path / "a", demo_mode=True).secret_key == first.secret_key
    assert _settings(tmp_path / "b", demo_mode=True).secret_key != first.secret_key


def test_the_published_secret_is_refused_in_every_mode(tmp_path: Path) -> None:
    for demo in (True, False):
        with pytest.raises(ValueError, match="published demo secret"):
            _settings(tmp_path, demo_mode=demo, secret_key=DEMO_SECRET, data_key="11" * 32)
    with pytest.raises(ValueError, match="CREDITFARM_SECRET_KEY"):
        _settings(tmp_path, demo_mode=False, data_key="11" * 32)
    assert not (tmp_path / ".demo-secret").exists()  # nothing made outside demo mode
