"""The settings' secrets: no published secret is ever used; demo mode makes its own, beside
the workspace's database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from creditfarm.settings import DEMO_SECRET, Settings
from creditfarm.workspace import open_workspace


def _settings(data_dir: Path, **values: object) -> Settings:
    return Settings(data_dir=data_dir, _env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_demo_mode_makes_a_private_secret_and_data_key_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'county' / 'cf.db'}"
    first = open_workspace(_settings(tmp_path / "data", demo_mode=True, database_url=url))
    secret_file = tmp_path / "county" / ".demo-secret"
    key_file = tmp_path / "county" / ".demo-data-key"
    assert first.secret == secret_file.read_text(encoding="ascii").strip()
    assert len(first.secret) == 64 and first.secret != DEMO_SECRET
    assert first.sealer.key == bytes.fromhex(key_file.read_text(encoding="ascii").strip())
    for made in (secret_file, key_file):
        assert stat.S_IMODE(made.stat().st_mode) == 0o600  # its owner's only
    assert not (tmp_path / "data").exists()  # nothing written where the database is not
    first.engine.dispose()
    again = open_workspace(_settings(tmp_path / "data", demo_mode=True, database_url=url))
    assert again.secret == first.secret and again.sealer.key == first.sealer.key
    other_url = f"sqlite:///{tmp_path / 'other' / 'cf.db'}"
    other = open_workspace(_settings(tmp_path / "data", demo_mode=True, database_url=other_url))
    assert other.secret != first.secret


def test_the_published_secret_is_refused_in_every_mode(tmp_path: Path) -> None:
    for demo in (True, False):
        with pytest.raises(ValueError, match="published demo secret"):
            _settings(tmp_path, demo_mode=demo, secret_key=DEMO_SECRET, data_key="11" * 32)
    with pytest.raises(ValueError, match="CREDITFARM_SECRET_KEY"):
        _settings(tmp_path, demo_mode=False, data_key="11" * 32)
    assert not (tmp_path / ".demo-secret").exists()  # nothing made outside demo mode
