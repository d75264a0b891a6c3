"""``--db URL`` before the command and after it (issue 8), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from creditfarm.cli import app
from creditfarm.settings import get_settings
from tests.helpers.paths import COUNTY  # 6 households in 户籍

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("DATA_DIR", "DATABASE_URL", "PAYMENTS_DIR", "MODEL_DIR"):
        monkeypatch.delenv(f"CREDITFARM_{name}", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, folder: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{folder / 'county.db'}"
    return str(request.getfixturevalue("postgres_url"))


def households(url: str, *where: str) -> int:
    """The county's households, read back through `rates` with --db in the given place."""
    args = (
        ["--db", url, "rates", "--level", "county", "--format", "json"]
        if "before" in where
        else ["rates", "--level", "county", "--format", "json", "--db", url]
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return sum(row["households"] for row in json.loads(result.output))


def test_db_after_the_command(url: str) -> None:
    result = runner.invoke(app, ["ingest", str(COUNTY), "--db", url])
    assert result.exit_code == 0, result.output
    assert "导入报告" in result.output
    assert households(url, "after") == 6
    assert households(url, "before") == 6


def test_db_before_the_command(url: str) -> None:
    result = runner.invoke(app, ["--db", url, "ingest", str(COUNTY)])
    assert result.exit_code == 0, result.output
    assert households(url, "before") == 6
    assert households(url, "after") == 6


def test_db_after_the_command_wins_over_db_before_it(folder: Path) -> None:
    empty, full = f"sqlite:///{folder / 'empty.db'}", f"sqlite:///{folder / 'full.db'}"
    assert runner.invoke(app, ["ingest", str(COUNTY), "--db", full]).exit_code == 0
    result = runner.invoke(app, ["--db", empty, "rates", "--level", "county", "--db", full])
    assert result.exit_code == 0, result.output
    assert "保亭县" in result.output  # the county of full.db; empty.db has no regions


@pytest.mark.parametrize(
    "command",
    [
        ["report"],
        ["quarantine"],
        ["rates"],
        ["workspace"],
        ["train"],
        ["score"],
        ["scores"],
        ["explain", "H0001"],
    ],
)
def test_every_command_that_opens_the_database_takes_db_after_it(
    folder: Path, command: list[str]
) -> None:
    target = folder / "target.db"
    result = runner.invoke(app, [*command, "--db", f"sqlite:///{target}"])
    assert "No such option" not in result.output
    # The command opened that database (and bound it): it exists with its workspace table.
    tables = inspect(create_engine(f"sqlite:///{target}")).get_table_names()
    assert "workspacebinding" in tables
    assert not (folder / "data").exists()  # not the default database


def test_the_installed_command_takes_db_after_the_command(folder: Path) -> None:
    """The real entry point, as an officer types it."""
    script = Path(sys.executable).parent / "creditfarm"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITFARM_")}
    url = f"sqlite:///{folder / 'county.db'}"
    done = subprocess.run(
        [str(script), "ingest", str(COUNTY), "--db", url],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "导入报告" in done.stdout
    shown = subprocess.run(
        [str(script), "workspace", "--db", url],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shown.returncode == 0, shown.stderr
    assert f"交易流水库  {folder / 'county-payments'}（标记相符）" in shown.stdout


def test_a_store_of_another_workspace_is_a_clear_error(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = f"sqlite:///{folder / 'one.db'}", f"sqlite:///{folder / 'two.db'}"
    assert runner.invoke(app, ["ingest", str(COUNTY), "--db", one]).exit_code == 0
    monkeypatch.setenv("CREDITFARM_PAYMENTS_DIR", str(folder / "one-payments"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["ingest", str(COUNTY), "--db", two])
    assert result.exit_code == 2
    assert f"payment store {folder / 'one-payments'} belongs to workspace" in result.output


def test_workspace_records_a_moved_store(folder: Path) -> None:
    url = f"sqlite:///{folder / 'county.db'}"
    assert runner.invoke(app, ["ingest", str(COUNTY), "--db", url]).exit_code == 0
    (folder / "county-payments").rename(folder / "moved")
    shown = runner.invoke(app, ["workspace", "--db", url])
    assert shown.exit_code == 0 and "不可用" in shown.output and "missing" in shown.output
    moved = runner.invoke(app, ["workspace", "--payments-dir", str(folder / "moved"), "--db", url])
    assert moved.exit_code == 0, moved.output
    assert f"交易流水库  {folder / 'moved'}（标记相符）" in moved.output
    again = runner.invoke(app, ["workspace", "--db", url])
    assert f"交易流水库  {folder / 'moved'}（标记相符）" in again.output


def test_ingest_refuses_before_importing_when_the_store_is_missing(folder: Path) -> None:
    url = f"sqlite:///{folder / 'county.db'}"
    assert runner.invoke(app, ["workspace", "--db", url]).exit_code == 0  # bound, store made
    (folder / "county-payments").rename(folder / "elsewhere")
    result = runner.invoke(app, ["ingest", str(COUNTY), "--db", url])
    assert result.exit_code == 2
    assert f"payment store {folder / 'county-payments'}" in result.output
    assert households(url, "after") == 0  # nothing was imported


def test_a_store_missing_mid_command_is_an_error_not_a_traceback(folder: Path) -> None:
    script = Path(sys.executable).parent / "creditfarm"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITFARM_")}
    url = f"sqlite:///{folder / 'county.db'}"
    assert runner.invoke(app, ["ingest", str(COUNTY), "--db", url]).exit_code == 0
    (folder / "county-payments").rename(folder / "elsewhere")
    done = subprocess.run(
        [str(script), "train", "--db", url],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert f"error: payment store {folder / 'county-payments'}" in done.stderr
    assert "Traceback" not in done.stderr
