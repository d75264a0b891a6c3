"""A database, its payment store and its model registry are one workspace: the database records
where the others live, the store carries the workspace's id, and neither the current folder nor
another database can mix two workspaces (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert

from creditfarm.ingest import ingest_folder
from creditfarm.model.artefacts import current_bundle, save_model
from creditfarm.model.estimator import CreditModel
from creditfarm.sample import generate_county
from creditfarm.scoring.run import score_households
from creditfarm.settings import DEFAULT_POLICY_FILE, Settings
from creditfarm.storage import paystore
from creditfarm.storage.engine import make_engine
from creditfarm.storage.models import ImportRun
from creditfarm.storage.store_marker import MARKER
from creditfarm.workspace import WorkspaceError, open_workspace, rebind

SECRET = "test-secret"


def settings(
    url: str = "",
    *,
    payments_dir: Path | None = None,
    model_dir: Path | None = None,
    data_dir: Path = Path("data"),
) -> Settings:
    return Settings(
        database_url=url,
        secret_key=SECRET,
        demo_mode=True,
        payments_dir=payments_dir,
        model_dir=model_dir,
        data_dir=data_dir,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One current folder, with no CREDITFARM_* place set in the environment."""
    for name in ("DATA_DIR", "DATABASE_URL", "PAYMENTS_DIR", "MODEL_DIR"):
        monkeypatch.delenv(f"CREDITFARM_{name}", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def payments(txn_ids: list[str], *, run_id: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "txn_id": txn_ids,
            "point_id": "P1",
            "txn_time": pd.Timestamp("2022-03-05 10:00"),
            "txn_type": "取款",
            "amount": 100.0,
            "status": "成功",
            "person_key": None,
            "card_key": None,
            "point_village_code": "469029100201",
            "bill_category": None,
            "direction": "out",
            "run_id": run_id,
        }
    )


def tiny_model() -> CreditModel:
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"annual_income": rng.uniform(1e4, 1e5, 400)})
    y = (rng.uniform(size=400) < np.where(X["annual_income"] < 4e4, 0.5, 0.1)).astype(int)
    return CreditModel(n_estimators=20).fit(X[:300], y[:300], X_valid=X[300:], y_valid=y[300:])


def save(model_dir: Path, version: str) -> None:
    save_model(
        model_dir,
        version=version,
        model=tiny_model(),
        policy_file=DEFAULT_POLICY_FILE,
        fingerprint={},
        metrics={},
        card="",
    )


def test_two_sqlite_databases_from_one_folder_keep_separate_stores(folder: Path) -> None:
    one = open_workspace(settings("sqlite:///one.db"))
    two = open_workspace(settings("sqlite:///two.db"))
    assert one.id != two.id
    assert one.payments_root == folder / "one-payments"
    assert two.payments_root == folder / "two-payments"
    # The same transaction ids and run id in both: one shared store would merge them.
    paystore.stage_payments(one.payments_root, payments(["T1", "T2"], run_id=1)).commit()
    paystore.stage_payments(two.payments_root, payments(["T1"], run_id=1)).commit()
    assert len(paystore.read_payments(one.payments_root)) == 2
    assert len(paystore.read_payments(two.payments_root)) == 1


def test_two_counties_imported_from_one_folder_are_not_mixed(folder: Path) -> None:
    """The issue's case: two counties, two databases, one folder; both counties number their
    transactions from ZN0000000001 and their import runs alike."""
    written = {}
    for seed in (1, 2):
        summary = generate_county(
            folder / f"county{seed}", households=60, seed=seed, months=3, messy=False
        )
        written[seed] = summary.rows["payments"]
        ws = open_workspace(settings(f"sqlite:///county{seed}.db"))
        ingest_folder(ws, folder / f"county{seed}")
    assert written[1] != written[2]  # so a mix would show in the counts
    for seed in (1, 2):
        ws = open_workspace(settings(f"sqlite:///county{seed}.db"))
        assert ws.payments_root == folder / f"county{seed}-payments"
        stored = paystore.read_payments(ws.payments_root)
        assert len(stored) == written[seed]
        assert stored["txn_id"].is_unique


def test_the_database_not_the_current_folder_decides_the_places(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_workspace(settings("sqlite:///county.db"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    again = open_workspace(settings(f"sqlite:///{folder / 'county.db'}"))
    assert again.id == first.id
    assert again.payments_root == folder / "county-payments"
    assert again.model_dir == folder / "models"  # models/ of the folder it was created from
    assert not (elsewhere / "data").exists() and not (elsewhere / "models").exists()


def test_a_sqlite_workspace_folder_can_move_as_a_whole(folder: Path, tmp_path: Path) -> None:
    (folder / "county").mkdir()
    ws = open_workspace(settings("sqlite:///county/c.db", model_dir=Path("county/models")))
    paystore.stage_payments(ws.payments_root, payments(["T1"], run_id=1)).commit()
    ws.engine.dispose()
    moved = tmp_path / "moved"
    (folder / "county").rename(moved)
    back = open_workspace(settings(f"sqlite:///{moved / 'c.db'}"))
    assert back.id == ws.id
    assert back.payments_root == moved / "c-payments"
    assert back.model_dir == moved / "models"
    assert len(paystore.read_payments(back.payments_root)) == 1


def test_each_workspace_has_its_own_current_model_in_a_shared_registry(folder: Path) -> None:
    one = open_workspace(settings("sqlite:///one.db"))
    two = open_workspace(settings("sqlite:///two.db"))
    assert one.model_dir == two.model_dir == folder / "models"  # shared registry
    save(one.model_dir, "2022-06-30-00000001")
    one.set_current_model("2022-06-30-00000001")
    # The registry's LATEST names workspace one's model; workspace two has none of its own.
    assert (folder / "models" / "LATEST").read_text().strip() == "2022-06-30-00000001"
    assert two.current_model is None
    with pytest.raises(FileNotFoundError, match="run `creditfarm train` first"):
        score_households(two)
    save(two.model_dir, "2022-06-30-00000002")
    two.set_current_model("2022-06-30-00000002")
    assert current_bundle(one).version == "2022-06-30-00000001"
    assert current_bundle(two).version == "2022-06-30-00000002"
    # read from the database, so another process's training run shows at once
    assert open_workspace(settings("sqlite:///one.db")).current_model == "2022-06-30-00000001"


def test_a_store_refuses_a_database_it_does_not_belong_to(folder: Path) -> None:
    one = open_workspace(settings("sqlite:///one.db"))
    with pytest.raises(WorkspaceError) as refused:
        open_workspace(settings("sqlite:///two.db", payments_dir=folder / "one-payments"))
    message = str(refused.value)
    assert str(folder / "one-payments") in message and one.id in message
    assert "one.db" in message and "two.db" in message
    # Refused before it was bound: opened again without the setting, it gets its own store.
    two = open_workspace(settings("sqlite:///two.db"))
    assert two.payments_root == folder / "two-payments"
    # paystore itself refuses to read or write for the wrong workspace
    with pytest.raises(WorkspaceError, match=two.id):
        paystore.stage_payments(one.payments_root, payments(["T1"], run_id=1), workspace_id=two.id)
    with pytest.raises(WorkspaceError, match=one.id):
        paystore.read_payments(two.payments_root, workspace_id=one.id)
    assert not paystore.payment_files(one.payments_root)


def test_a_store_copied_over_from_another_workspace_is_refused(folder: Path) -> None:
    one = open_workspace(settings("sqlite:///one.db"))
    two = open_workspace(settings("sqlite:///two.db"))
    marker = one.payments_root / MARKER
    (two.binding.payments_dir / MARKER).write_bytes(marker.read_bytes())
    with pytest.raises(WorkspaceError) as refused:
        two.payments_root  # noqa: B018
    assert one.id in str(refused.value) and two.id in str(refused.value)


def test_a_new_database_does_not_adopt_an_old_store(folder: Path) -> None:
    """Deleting the database file but not its store, then starting again."""
    old = open_workspace(settings("sqlite:///county.db"))
    paystore.stage_payments(old.payments_root, payments(["T1"], run_id=1)).commit()
    old.engine.dispose()
    for leftover in folder.glob("county.db*"):
        leftover.unlink()
    with pytest.raises(WorkspaceError, match=old.id):
        open_workspace(settings("sqlite:///county.db"))
    # a folder of payments without any marker is not taken over either
    (folder / "county-payments" / MARKER).unlink()
    with pytest.raises(WorkspaceError, match=r"no workspace\.json"):
        open_workspace(settings("sqlite:///county.db"))


def test_settings_given_later_must_name_the_recorded_places(folder: Path) -> None:
    ws = open_workspace(settings("sqlite:///county.db"))
    with pytest.raises(WorkspaceError, match="CREDITFARM_PAYMENTS_DIR"):
        open_workspace(settings("sqlite:///county.db", payments_dir=folder / "other"))
    with pytest.raises(WorkspaceError, match="CREDITFARM_MODEL_DIR"):
        open_workspace(settings("sqlite:///county.db", model_dir=folder / "other"))
    same = open_workspace(settings("sqlite:///county.db", payments_dir=Path("county-payments")))
    assert same.id == ws.id


def test_rebind_records_a_moved_store_and_registry(folder: Path) -> None:
    ws = open_workspace(settings("sqlite:///county.db"))
    paystore.stage_payments(ws.payments_root, payments(["T1"], run_id=1)).commit()
    save(ws.model_dir, "2022-06-30-00000001")
    ws.set_current_model("2022-06-30-00000001")
    (folder / "county-payments").rename(folder / "store")
    with pytest.raises(WorkspaceError, match="missing"):
        ws.payments_root  # noqa: B018
    with pytest.raises(WorkspaceError, match=ws.id):  # an empty folder is not the moved store
        rebind(ws, payments_dir=folder / "empty")
    with pytest.raises(WorkspaceError, match="current model"):
        rebind(ws, model_dir=folder / "no-models")
    (folder / "models").rename(folder / "registry")
    rebind(ws, payments_dir=folder / "store", model_dir=folder / "registry")
    again = open_workspace(settings("sqlite:///county.db"))
    assert again.payments_root == folder / "store"
    assert current_bundle(again).path == folder / "registry" / "2022-06-30-00000001"
    assert len(paystore.read_payments(again.payments_root)) == 1


def test_a_database_from_before_workspaces_keeps_its_store_and_model(folder: Path) -> None:
    """Created at revision 0001 with payments in data/payments and models/LATEST: binding it
    adopts both instead of starting empty."""
    from alembic import command
    from alembic.config import Config

    import creditfarm.storage.engine

    url = "sqlite:///data/creditfarm.db"
    engine = make_engine(url)
    cfg = Config()
    migrations = Path(creditfarm.storage.engine.__file__).parent / "migrations"
    cfg.set_main_option("script_location", str(migrations))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            insert(ImportRun.__table__),  # type: ignore[attr-defined]
            [
                {
                    "source": "payments",
                    "file_name": "流水.csv",
                    "file_sha256": "a" * 64,
                    "warnings": {},
                }
            ],
        )
    engine.dispose()
    paystore.stage_payments(folder / "data" / "payments", payments(["T1"], run_id=1)).commit()
    save(folder / "models", "2022-06-30-00000001")
    ws = open_workspace(settings(url))
    assert ws.payments_root == folder / "data" / "payments"
    assert len(paystore.read_payments(ws.payments_root)) == 1
    assert ws.current_model == "2022-06-30-00000001"
    marker = json.loads((folder / "data" / "payments" / MARKER).read_text())
    assert marker["workspace_id"] == ws.id


@pytest.mark.postgres
def test_a_postgres_workspace_records_one_shared_store(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two machines (two current folders, two data folders) using one PostgreSQL database."""
    for name in ("DATA_DIR", "DATABASE_URL", "PAYMENTS_DIR", "MODEL_DIR"):
        monkeypatch.delenv(f"CREDITFARM_{name}", raising=False)
    shared = tmp_path / "share"
    machine_a, machine_b = tmp_path / "a", tmp_path / "b"
    machine_a.mkdir()
    machine_b.mkdir()
    monkeypatch.chdir(machine_a)
    created = open_workspace(
        settings(postgres_url, payments_dir=shared / "payments", model_dir=shared / "models")
    )
    paystore.stage_payments(created.payments_root, payments(["T1", "T2"], run_id=1)).commit()
    created.set_current_model("2022-06-30-00000001")
    created.engine.dispose()

    monkeypatch.chdir(machine_b)
    other = open_workspace(settings(postgres_url, data_dir=machine_b / "data"))
    assert other.id == created.id
    assert other.payments_root == shared / "payments"
    assert other.model_dir == shared / "models"
    assert other.current_model == "2022-06-30-00000001"
    assert len(paystore.read_payments(other.payments_root)) == 2
    assert not (machine_b / "data").exists()
    with pytest.raises(WorkspaceError, match="CREDITFARM_PAYMENTS_DIR"):
        open_workspace(settings(postgres_url, payments_dir=machine_b / "payments"))
    other.engine.dispose()


@pytest.mark.postgres
def test_a_postgres_workspace_without_settings_names_its_store_after_the_database(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "PAYMENTS_DIR", "MODEL_DIR"):
        monkeypatch.delenv(f"CREDITFARM_{name}", raising=False)
    monkeypatch.chdir(tmp_path)
    ws = open_workspace(settings(postgres_url))
    name = postgres_url.rsplit("/", 1)[1]
    # recorded as an absolute path, so it does not follow the current folder
    assert ws.payments_root == tmp_path / "data" / f"{name}-payments"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert open_workspace(settings(postgres_url)).payments_root == ws.payments_root
    ws.engine.dispose()
