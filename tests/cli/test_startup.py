"""What the command line loads before it works (issue 8). How long that takes is measured by
bench/bench_startup.py, never here; these tests check which libraries get imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from creditfarm.settings import Settings
from creditfarm.storage import engine as storage_engine
from creditfarm.workspace import open_workspace


def loaded_after(code: str, cwd: Path) -> set[str]:
    """Top-level modules imported by a fresh interpreter that runs ``code``."""
    script = code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITFARM_")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.strip().splitlines()[-1].split())  # the last line: after any output


def test_head_revision_is_alembics_head() -> None:
    """open_db skips Alembic when the stored revision is HEAD_REVISION: it must be the newest."""
    script = ScriptDirectory(str(Path(storage_engine.__file__).parent / "migrations"))
    assert script.get_current_head() == storage_engine.HEAD_REVISION


def test_help_loads_none_of_the_library(tmp_path: Path) -> None:
    code = (
        "from creditfarm.cli import main\nimport sys\nsys.argv = ['creditfarm', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    loaded = loaded_after(code, tmp_path)
    assert "typer" in loaded
    heavy = {"pandas", "numpy", "sqlalchemy", "sqlmodel", "alembic", "pydantic", "rich"}
    assert loaded & heavy == set()


def test_rates_on_a_database_at_head_loads_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'county.db'}"
    # The child runs with the default settings from tmp_path: its data/ holds the demo's own
    # secret and data key, made here when the database is built.
    settings = Settings(database_url=url, data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    ws = open_workspace(settings)
    ws.engine.dispose()
    code = (
        "from creditfarm.cli import main\nimport sys\n"
        f"sys.argv = ['creditfarm', 'rates', '--db', {url!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code"
    )
    loaded = loaded_after(code, tmp_path)
    assert "pandas" in loaded and "sqlalchemy" in loaded  # it did read the rates
    assert loaded & {"alembic", "lightgbm", "shap", "duckdb", "streamlit"} == set()


def test_a_database_below_head_is_migrated_on_open(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = storage_engine.make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(storage_engine.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert storage_engine.schema_revision(engine) == "0001"
    storage_engine.open_db(url)
    assert storage_engine.schema_revision(engine) == storage_engine.HEAD_REVISION
