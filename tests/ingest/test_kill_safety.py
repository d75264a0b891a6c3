"""An import killed at any point leaves the database and the payment store agreeing, and two
imports of one workspace run one after the other."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from creditfarm.ingest import ingest_file
from creditfarm.ingest import orchestrate as orchestrate_mod
from creditfarm.storage.models import ImportRun
from creditfarm.storage.paystore import payment_files, read_payments
from creditfarm.storage.store_journal import JOURNAL_PREFIX, store_lock
from creditfarm.workspace import Workspace, open_workspace

LI_MING = "46902919800101001X"
HUKOU = f"身份证号,姓名,户号,与户主关系,村代码\n{LI_MING},黎明,H001,户主,469029100201\n"
REGIONS = "村代码,村名,乡镇\n469029100201,什玲村,什玲镇\n"
# Three months of payments: three partitions to rename.
PAYMENTS = "交易流水号,服务点编号,交易时间,交易类型,交易金额,持卡人身份证号\n" + "".join(
    f"T{m},P01,2021-0{m}-05 10:00:00,小额取款,{100 * m},{LI_MING}\n" for m in (7, 8, 9)
)


def _county(folder: Path) -> Path:
    folder.mkdir()
    (folder / "regions.csv").write_text(REGIONS, encoding="utf-8")
    (folder / "hukou.csv").write_text(HUKOU, encoding="utf-8")
    return folder


def _runs(ws: Workspace) -> list[tuple[str, str]]:
    with Session(ws.engine) as session:
        return [(r.source, r.status) for r in session.exec(select(ImportRun).order_by("id"))]


def _cli(ws: Workspace, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = ws.settings
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CREDITFARM_")}
    environ.update(
        CREDITFARM_DATABASE_URL=settings.database_url,
        CREDITFARM_DATA_DIR=str(settings.data_dir),
        CREDITFARM_MODEL_DIR=str(settings.model_dir),
        CREDITFARM_SECRET_KEY=settings.secret_key,
        CREDITFARM_DEMO_MODE="true",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "creditfarm", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_kill_between_the_sql_commit_and_the_renames_is_finished(ws: Workspace, tmp_path: Path):
    folder = _county(tmp_path / "county")
    assert _cli(ws, "ingest", str(folder)).returncode == 0
    months = tmp_path / "payments"  # `creditfarm ingest` takes a folder
    months.mkdir()
    (months / "助农取款服务点交易流水.csv").write_text(PAYMENTS, encoding="utf-8")
    killed = _cli(ws, "ingest", str(months), CREDITFARM_TEST_KILL_AFTER_COMMIT="1")
    assert killed.returncode == 137, killed.stderr  # died after the commit, before renaming
    root = ws.binding.payments_dir
    assert _runs(ws)[-1] == ("payments", "done")  # the SQL says done …
    assert payment_files(root) == []  # … and no month is in place yet
    assert len(list(root.glob(f"{JOURNAL_PREFIX}*.json"))) == 1
    assert len(list(root.glob("month=*/.staged-*.parquet"))) == 3

    reopened = open_workspace(ws.settings)  # any command: the store is finished first
    stored = read_payments(reopened.payments_root)
    assert sorted(stored["txn_id"]) == ["T7", "T8", "T9"]
    assert list(root.glob(f"{JOURNAL_PREFIX}*")) == []
    assert list(root.glob("month=*/.staged-*")) == []
    again = _cli(ws, "ingest", str(months))  # the same file again changes nothing
    assert again.returncode == 0 and _runs(ws)[-1] == ("payments", "unchanged")
    assert len(read_payments(reopened.payments_root)) == 3


def test_a_kill_before_the_commit_leaves_nothing(
    sqlite_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    ws = sqlite_ws
    folder = _county(tmp_path / "county")
    for name in ("regions.csv", "hukou.csv"):
        ingest_file(ws, folder / name)
    payments = tmp_path / "助农取款服务点交易流水.csv"
    payments.write_text(PAYMENTS, encoding="utf-8")

    def die(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # like a kill: no `except Exception` catches it

    monkeypatch.setattr(orchestrate_mod, "finish_run", die)
    with pytest.raises(KeyboardInterrupt):
        ingest_file(ws, payments)
    root = ws.binding.payments_dir
    assert len(list(root.glob("month=*/.staged-*.parquet"))) == 3  # staged, journal written
    monkeypatch.undo()
    reopened = open_workspace(ws.settings)
    assert [s for s, _ in _runs(reopened)] == ["regions", "hukou"]  # the run rolled back
    assert payment_files(root) == [] and list(root.glob("month=*/.staged-*")) == []
    assert list(root.glob(f"{JOURNAL_PREFIX}*")) == []
    run = ingest_file(reopened, payments)  # and the file imports cleanly afterwards
    assert run.status == "done" and len(read_payments(reopened.payments_root)) == 3


def test_the_import_lock_is_held_by_one_at_a_time(tmp_path: Path):
    root = tmp_path / "store"
    with store_lock(root) as first:
        assert first
        # flock locks belong to the open file: a second open (as another process) is refused.
        with store_lock(root, wait=False) as second:
            assert second is False
    with store_lock(root, wait=False) as after:
        assert after


def test_recovery_waits_for_a_running_import(sqlite_ws: Workspace, tmp_path: Path):
    """A journal whose import still holds the lock is not touched by another process's open."""
    root = sqlite_ws.binding.payments_dir
    staged = root / "month=2021-07" / ".staged-x.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"PAR1")
    journal = root / f"{JOURNAL_PREFIX}99.json"
    journal.write_text(
        '{"run_id": 99, "moves": [["month=2021-07/.staged-x.parquet", '
        '"month=2021-07/part-0.parquet"]]}',
        encoding="utf-8",
    )
    with store_lock(root):
        open_workspace(sqlite_ws.settings)
        assert journal.exists() and staged.exists()  # the running import's own
    open_workspace(sqlite_ws.settings)  # run 99 never committed: rolled back
    assert not journal.exists() and not staged.exists()
