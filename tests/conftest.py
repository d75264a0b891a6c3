"""Shared fixtures: a workspace on SQLite and on the PostgreSQL server at 127.0.0.1:5432."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from creditfarm.settings import Settings
from creditfarm.workspace import Workspace, open_workspace

PG_ADMIN_URL = os.environ.get(
    "CREDITFARM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def make_settings(tmp: Path, database_url: str = "") -> Settings:
    return Settings(
        data_dir=tmp / "data",
        database_url=database_url,
        model_dir=tmp / "models",
        secret_key="test-secret",
        demo_mode=True,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def sqlite_ws(tmp_path: Path) -> Workspace:
    """A fresh workspace on a SQLite file."""
    return open_workspace(make_settings(tmp_path))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    name = f"cf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh workspace, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        workspace = open_workspace(make_settings(tmp_path))
        yield workspace
        workspace.engine.dispose()
    else:
        url = request.getfixturevalue("postgres_url")
        workspace = open_workspace(make_settings(tmp_path, url))
        yield workspace
        workspace.engine.dispose()


# Property and fuzz tests (hypothesis) draw the same examples on every run and every machine:
# a failure in CI is the failure on the developer's machine. No deadline: two shared cores.
hypothesis_settings.register_profile("creditfarm", derandomize=True, deadline=None)
hypothesis_settings.load_profile("creditfarm")
