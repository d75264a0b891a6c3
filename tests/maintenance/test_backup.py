"""Backup and restore of an embedded workspace: a round trip gives the same rows, payments and
models under the same workspace; damaged archives and existing targets are refused."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from creditfarm.cli import app
from creditfarm.ingest import ingest_folder
from creditfarm.maintenance import BackupError, backup, restore
from creditfarm.workspace import Workspace, WorkspaceError, open_workspace
from tests.conftest import make_settings
from tests.helpers.paths import SAMPLE_DATA


def _folder(tmp: Path) -> Path:
    """户籍, regions, cards and one quarter of payments of the sample county."""
    folder = tmp / "in"
    folder.mkdir()
    for name in ("行政区划.csv", "户籍.csv", "卡户对照.csv", "助农取款服务点交易流水_2020Q3.csv"):
        (folder / name).write_bytes((SAMPLE_DATA / name).read_bytes())
    return folder


def _tables(ws: Workspace) -> dict[str, int]:
    with ws.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {n: conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one() for n in names}


def _payments(ws: Workspace) -> list[dict[str, Any]]:
    return [
        row
        for path in sorted(ws.payments_root.glob("month=*/*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]


def test_round_trip(sqlite_ws: Workspace, tmp_path: Path) -> None:
    ws = sqlite_ws
    ingest_folder(ws, _folder(tmp_path))
    (ws.model_dir / "v1").mkdir(parents=True)
    (ws.model_dir / "v1" / "card.md").write_text("模型卡", encoding="utf-8")
    before, payments = _tables(ws), _payments(ws)
    assert before["person"] > 10_000 and len(payments) > 1_000
    archive = tmp_path / "backups" / "county.tar.gz"
    manifest = backup(ws, to=archive)
    assert manifest.workspace_id == ws.id
    assert {"creditfarm.db", "models/v1/card.md"} <= set(manifest.files)
    with pytest.raises(BackupError, match="never overwrites"):
        backup(ws, to=archive)

    target = tmp_path / "restored" / "county.db"
    restore(archive, database=target)
    settings = make_settings(tmp_path / "elsewhere").model_copy(
        update={"database_url": f"sqlite:///{target}", "model_dir": None}
    )
    with pytest.raises(WorkspaceError, match="not the data key"):
        open_workspace(settings)  # the copy is sealed: another machine's key cannot read it
    settings = settings.model_copy(update={"data_key_file": ws.settings.data_key_file})
    back = open_workspace(settings)
    assert back.id == ws.id  # the same workspace, at its new place
    assert back.payments_root == target.parent / "county-payments"
    assert back.payments_root != ws.payments_root
    assert _tables(back) == before
    assert _payments(back) == payments
    assert (back.model_dir / "v1" / "card.md").read_text(encoding="utf-8") == "模型卡"
    with pytest.raises(BackupError, match="--force"):
        restore(archive, database=target)


def test_a_damaged_backup_is_refused(sqlite_ws: Workspace, tmp_path: Path) -> None:
    ingest_folder(sqlite_ws, _folder(tmp_path))
    archive = tmp_path / "b.tar.gz"
    backup(sqlite_ws, to=archive)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    region = next((unpacked / "workspace" / "payments").rglob("*.parquet"))
    region.write_bytes(region.read_bytes()[:-10] + b"0123456789")  # one file altered
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(tampered, "w:gz") as tar:
        tar.add(unpacked / "workspace", arcname="workspace")
    with pytest.raises(BackupError, match="does not match its checksum"):
        restore(tampered, database=tmp_path / "r" / "x.db")
    assert not (tmp_path / "r" / "x.db").exists()
    (tmp_path / "junk.tar.gz").write_bytes(b"not a backup")
    with pytest.raises(BackupError, match="not a creditfarm backup"):
        restore(tmp_path / "junk.tar.gz", database=tmp_path / "r" / "y.db")


def test_postgres_is_pointed_to_its_own_tools(postgres_url: str, tmp_path: Path) -> None:
    ws = open_workspace(make_settings(tmp_path, postgres_url))
    try:
        with pytest.raises(BackupError, match="pg_dump"):
            backup(ws, to=tmp_path / "pg.tar.gz")
    finally:
        ws.engine.dispose()


test_postgres_is_pointed_to_its_own_tools = pytest.mark.postgres(
    test_postgres_is_pointed_to_its_own_tools
)


def test_cli_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from creditfarm.settings import get_settings

    monkeypatch.setenv("CREDITFARM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CREDITFARM_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CREDITFARM_SECRET_KEY", "test-secret")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        done = runner.invoke(app, ["ingest", str(_folder(tmp_path))])
        assert done.exit_code == 0, done.output
        made = runner.invoke(app, ["backup", str(tmp_path / "b.tar.gz")])
        assert made.exit_code == 0, made.output
        assert "已备份" in made.output
        back = runner.invoke(
            app, ["restore", str(tmp_path / "b.tar.gz"), "--to-db", str(tmp_path / "r.db")]
        )
        assert back.exit_code == 0, back.output
        again = runner.invoke(
            app, ["restore", str(tmp_path / "b.tar.gz"), "--to-db", str(tmp_path / "r.db")]
        )
        assert again.exit_code == 2 and "--force" in again.output
    finally:
        get_settings.cache_clear()
