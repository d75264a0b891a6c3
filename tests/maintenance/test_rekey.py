"""Re-keying the hash secret: every key made again under the new secret (SQL tables and the
payment store), nothing duplicated by a later import, old secret refused, a failure at any
point leaving a workspace that opens."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import inspect, text

from creditfarm.ingest import ingest_folder
from creditfarm.maintenance import RekeyError, rekey, rekey_secret
from creditfarm.workspace import Workspace, WorkspaceError, open_workspace
from tests.conftest import make_settings
from tests.helpers.paths import SAMPLE_DATA

NEW = "a-new-secret-of-32-characters!!!"
FILES = (
    "行政区划.csv",
    "户籍.csv",
    "卡户对照.csv",
    "助农取款服务点交易流水_2020Q3.csv",
    "政务_违法犯罪记录.csv",
    "贷款台账.csv",
    "逃废债黑名单.csv",
)


def _hmac(value: str, secret: str) -> str:
    """The keyed hash, worked here from the standard library: HMAC-SHA256, 32 hex digits."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def _folder(tmp: Path, name: str = "in") -> Path:
    folder = tmp / name
    folder.mkdir()
    for file in FILES:
        shutil.copy(SAMPLE_DATA / file, folder / file)
    return folder


def _first_id() -> str:
    line = (SAMPLE_DATA / "户籍.csv").read_bytes().decode("gb18030").splitlines()[1]
    return line.split(",")[0]


def _keys(ws: Workspace) -> set[str]:
    found: set[str] = set()
    with ws.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for column in inspect(conn).get_columns(table):
                name = column["name"]
                if name.endswith("person_key") or name == "card_key":
                    rows = conn.execute(text(f'SELECT "{name}" FROM "{table}"'))
                    found.update(v for (v,) in rows if v)
    return found


def _store(ws: Workspace) -> list[dict[str, object]]:
    return [
        row
        for path in sorted(ws.payments_root.glob("month=*/*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]


def _counts(ws: Workspace) -> dict[str, int]:
    with ws.engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n not in ("auditevent",)]
        return {n: conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one() for n in names}


def _open(tmp: Path, secret: str, url: str = "") -> Workspace:
    settings = make_settings(tmp, url).model_copy(
        update={"secret_key": secret, "data_key": "5a" * 32}  # as outside demo mode
    )
    return open_workspace(settings)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


def test_every_key_is_made_again_and_a_later_import_matches(tmp_path, url):
    ws = _open(tmp_path, "test-secret", url)
    first = {r.file_name: r.rows_quarantined for r in ingest_folder(ws, _folder(tmp_path))}
    old_keys, before, payments = _keys(ws), _counts(ws), _store(ws)
    assert len(old_keys) > 10_000 and len(payments) > 1_000
    result = rekey_secret(ws, new_secret=NEW)
    ws.engine.dispose()
    assert result.without_value == 0  # every key's value was stored by the import
    assert result.store_files > 0

    with pytest.raises(WorkspaceError, match="rekey --secret"):
        _open(tmp_path, "test-secret", url)
    ws = _open(tmp_path, NEW, url)
    new_keys = _keys(ws)
    assert not (new_keys & old_keys)
    assert _hmac(_first_id(), NEW) in new_keys  # the first 户籍 person, worked by hand
    assert _counts(ws) == before
    after = _store(ws)
    assert len(after) == len(payments)
    assert {r["txn_id"] for r in after} == {r["txn_id"] for r in payments}
    assert not ({r["person_key"] for r in after} & old_keys)
    linked = {r["person_key"] for r in after if r["person_key"]}
    assert linked and linked <= new_keys  # payments still point at stored persons

    # A newer export of every file (other bytes, same rows) under the new secret: the same
    # persons, cards, records and payments — nothing doubled, no conflict quarantined.
    again = _folder(tmp_path, "again")
    for path in again.iterdir():
        path.write_bytes(path.read_bytes() + b"\r\n")
    runs = ingest_folder(ws, again)
    assert {r.status for r in runs} == {"done"}
    # The same rows quarantined for the same reasons as the first time: a re-sent payment
    # or record under a key the re-key got wrong would be a duplicate_conflict on top.
    assert {r.file_name: r.rows_quarantined for r in runs} == first
    assert _counts(ws)["person"] == before["person"]
    assert _counts(ws)["govrecord"] == before["govrecord"]
    assert _counts(ws)["card"] == before["card"]
    assert _counts(ws)["loan"] == before["loan"]
    assert len(_store(ws)) == len(payments)
    ws.engine.dispose()


def test_a_failure_before_the_commit_changes_nothing(tmp_path, monkeypatch):
    ws = _open(tmp_path, "test-secret")
    ingest_folder(ws, _folder(tmp_path))
    keys, payments = _keys(ws), _store(ws)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rekey, "_rewrite_keys", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        rekey_secret(ws, new_secret=NEW)
    ws.engine.dispose()
    ws = _open(tmp_path, "test-secret")  # the old secret still opens it
    assert _keys(ws) == keys and _store(ws) == payments
    assert not list(ws.payments_root.glob(".rekey-map*"))


def test_a_kill_after_the_commit_is_finished_on_the_next_open(tmp_path, monkeypatch):
    ws = _open(tmp_path, "test-secret")
    ingest_folder(ws, _folder(tmp_path))
    old_keys = _keys(ws)

    def killed(_root):
        raise KeyboardInterrupt  # as a kill between the SQL commit and the store's rewrite

    monkeypatch.setattr(rekey, "apply_rekey_map", killed)
    with pytest.raises(KeyboardInterrupt):
        rekey_secret(ws, new_secret=NEW)
    ws.engine.dispose()
    assert list(ws.payments_root.glob(".rekey-map*"))  # the mapping waits in the store
    ws = _open(tmp_path, NEW)  # opening finishes it
    assert not list(ws.payments_root.glob(".rekey-map*"))
    assert not ({r["person_key"] for r in _store(ws)} & old_keys)


@pytest.mark.postgres
def test_a_short_or_unchanged_secret_is_refused(tmp_path, postgres_url):
    derived = open_workspace(make_settings(tmp_path / "pg", postgres_url))
    with pytest.raises(RekeyError, match="derived from the secret"):
        rekey_secret(derived, new_secret=NEW)
    derived.engine.dispose()
    ws = _open(tmp_path, "a-secret-long-enough-to-keep")
    with pytest.raises(RekeyError, match="16 characters"):
        rekey_secret(ws, new_secret="short")
    with pytest.raises(RekeyError, match="current one"):
        rekey_secret(ws, new_secret="a-secret-long-enough-to-keep")
