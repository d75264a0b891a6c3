"""Personal numbers at rest: sealed tokens, masked free text, no plaintext ID, phone or card in
the database file or the payment store, key changes refused, rotation by `rekey --data`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from creditfarm.cli import app
from creditfarm.ingest import ingest_folder
from creditfarm.settings import Settings
from creditfarm.storage.models import Archive, Person, QuarantineRow, WorkspaceBinding
from creditfarm.storage.sealed import Sealer, SealError, is_sealed, redact_text
from creditfarm.workspace import Workspace, WorkspaceError, open_workspace, rekey_data
from tests.conftest import make_settings
from tests.helpers.paths import SAMPLE_DATA

KEY_A = "11" * 32
KEY_B = "22" * 32
ID = "46902919800101001X"
_P = Person.__table__  # type: ignore[attr-defined]
_A = Archive.__table__  # type: ignore[attr-defined]
_Q = QuarantineRow.__table__  # type: ignore[attr-defined]
_W = WorkspaceBinding.__table__  # type: ignore[attr-defined]


def test_a_token_hides_the_value_and_opens_only_under_its_key():
    sealer = Sealer(bytes.fromhex(KEY_A))
    token = sealer.seal(ID)
    assert token is not None and is_sealed(token)
    assert ID not in token and "19800101" not in token
    assert sealer.seal(ID) == token  # one value, one token: re-imports rewrite nothing
    assert sealer.seal("46902919800101002X") != token
    assert sealer.open(token) == ID
    other = Sealer(bytes.fromhex(KEY_B))
    with pytest.raises(SealError, match="neither the current key"):
        other.open(token)
    # The old key still opens it during a rotation, and reseal moves it to the new key.
    rotating = Sealer(bytes.fromhex(KEY_B), {sealer.kid: bytes.fromhex(KEY_A)})
    assert rotating.open(token) == ID
    moved = rotating.reseal(token)
    assert moved != token and other.open(moved) == ID
    # An altered token is refused, not opened to garbage.
    body = token[-6:]
    altered = token[:-6] + ("A" if body[0] != "A" else "B") + body[1:]
    with pytest.raises(SealError, match=r"altered|damaged"):
        sealer.open(altered)


def test_a_data_key_is_required_outside_demo_mode(tmp_path):
    with pytest.raises(ValueError, match="CREDITFARM_DATA_KEY"):
        Settings(
            data_dir=tmp_path,
            secret_key="private",
            demo_mode=False,
            _env_file=None,  # type: ignore[call-arg]
        )
    with pytest.raises(SealError, match="64 hex digits or base64"):
        Sealer.from_config(
            data_key="short", data_key_file=None, old_keys="", demo_mode=False, secret="s"
        )
    key_file = tmp_path / "data.key"
    key_file.write_text(KEY_A + "\n", encoding="ascii")
    from_file = Sealer.from_config(
        data_key="", data_key_file=key_file, old_keys="", demo_mode=False, secret="s"
    )
    assert from_file.key == bytes.fromhex(KEY_A)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("身份证 46902919800101001X 不符", "身份证 469029********001X 不符"),
        ("旧号 469029800101001", "旧号 469029*****1001"),
        ("电话13812345678。", "电话138****5678。"),
        ("卡 6228480012345678901", "卡 622848*********8901"),
        ("村代码 469029100201 不在行政区划中", "村代码 469029100201 不在行政区划中"),
        ("金额 12345.6 元，编号 A12345678901234567", "金额 12345.6 元，编号 A12345678901234567"),
    ],
)
def test_free_text_is_masked_as_the_rules_say(raw, shown):
    assert redact_text(raw) == shown


def test_a_quarantined_row_keeps_its_originals_sealed():
    sealer = Sealer(bytes.fromhex(KEY_A))
    row = {"身份证号": ID, "姓名": "黎明", "GMSFHM": ID, "备注": "电话 13812345678"}
    shown, sealed = sealer.seal_raw_row(row, {"身份证号": "id"})
    assert shown == {
        "身份证号": "469029********001X",
        "姓名": "黎明",
        "GMSFHM": "469029********001X",  # an unknown column is masked by its shape
        "备注": "电话 138****5678",
    }
    assert sealed is not None and ID not in sealed
    assert sealer.open_raw_row(shown, sealed) == row  # nothing lost


def _numbers(blob: str | bytes) -> set[str]:
    """Every 18-character ID, mobile number and 15–19 digit run standing on its own."""
    data = blob if isinstance(blob, str) else blob.decode("latin-1")
    pattern = r"(?<![0-9A-Za-z])(\d{17}[\dX]|1[3-9]\d{9}|\d{15,19})(?![0-9A-Za-z])"
    return set(re.findall(pattern, data))


def _sample_cards() -> set[str]:
    """The card numbers of the sample's 卡户对照 file (first column), as written there."""
    lines = (SAMPLE_DATA / "卡户对照.csv").read_bytes().decode("utf-8-sig").splitlines()[1:]
    return {line.split(",")[0] for line in lines if line}


def _plain_ids(ws: Workspace) -> tuple[set[str], set[str]]:
    with ws.engine.connect() as conn:
        ids = {ws.sealer.open(v) for (v,) in conn.execute(select(_P.c.id_number))}
        phones = {
            ws.sealer.open(v)
            for (v,) in conn.execute(select(_A.c.phone).where(_A.c.phone.is_not(None)))
        }
    return {i for i in ids if i}, {p for p in phones if p}


def _store_text(ws: Workspace) -> str:
    parts: list[str] = []
    for path in sorted(ws.payments_root.rglob("*.parquet")):
        table = pq.read_table(path)
        for name in table.column_names:
            if str(table.schema.field(name).type) == "string":
                parts.extend(str(v) for v in table[name].to_pylist() if v is not None)
    return "\n".join(parts)


def test_no_plaintext_id_phone_or_card_at_rest_on_sqlite(sqlite_ws):
    ws = sqlite_ws
    ingest_folder(ws, SAMPLE_DATA)
    ids, phones = _plain_ids(ws)
    assert len(ids) > 10_000 and len(phones) > 1_000  # the county was imported
    with ws.engine.connect() as conn:
        quarantined = conn.execute(select(_Q.c.sealed)).scalars().all()
    assert any(quarantined)  # rows holding personal numbers were quarantined, sealed
    ws.engine.dispose()
    db = Path(ws.settings.database_url.removeprefix("sqlite:///"))
    on_disk = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    leaked = _numbers(on_disk)
    assert not (leaked & ids), "a resident ID in plain text in the database file"
    assert not (leaked & phones), "a phone number in plain text in the database file"
    cards = _sample_cards()
    assert len(cards) > 1_000
    assert not (leaked & cards), "a card number in plain text in the database file"
    assert not (_numbers(_store_text(ws)) & (ids | phones | cards))


@pytest.mark.postgres
def test_no_plaintext_id_or_phone_at_rest_on_postgres(postgres_url, tmp_path):
    ws = open_workspace(make_settings(tmp_path, postgres_url))
    try:
        ingest_folder(ws, SAMPLE_DATA)
        ids, phones = _plain_ids(ws)
        assert len(ids) > 10_000
        dumped: list[str] = []
        with ws.engine.connect() as conn:
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
            for name in list(tables):
                dumped.extend(
                    conn.execute(text(f'SELECT row_to_json(t)::text FROM "{name}" t')).scalars()
                )
        leaked = _numbers("\n".join(dumped))
        assert not (leaked & (ids | phones))
    finally:
        ws.engine.dispose()


def _workspace(tmp_path: Path, key: str, old: str = "") -> Workspace:
    settings = make_settings(tmp_path).model_copy(update={"data_key": key, "data_keys_old": old})
    return open_workspace(settings)


def _import_one(ws: Workspace) -> None:
    folder = ws.settings.data_dir.parent / "in"
    folder.mkdir(exist_ok=True)
    (folder / "户籍.csv").write_text(
        f"身份证号,姓名,户号,与户主关系,村代码\n{ID},黎明,H001,户主,469029100201\n",
        encoding="utf-8",
    )
    shutil.copy(SAMPLE_DATA / "行政区划.csv", folder / "行政区划.csv")
    ingest_folder(ws, folder)


def test_another_data_key_is_refused_and_a_rotation_reseals(tmp_path):
    ws = _workspace(tmp_path, KEY_A)
    _import_one(ws)
    with ws.engine.connect() as conn:
        (token,) = conn.execute(select(_P.c.id_number)).scalars().all()
    assert Sealer(bytes.fromhex(KEY_A)).open(token) == ID
    ws.engine.dispose()
    with pytest.raises(WorkspaceError, match="not the data key"):
        _workspace(tmp_path, KEY_B)
    rotating = _workspace(tmp_path, KEY_B, old=KEY_A)
    assert rekey_data(rotating) == 2  # the person's ID and the registry's copy of it
    with rotating.engine.connect() as conn:
        (moved,) = conn.execute(select(_P.c.id_number)).scalars().all()
    assert Sealer(bytes.fromhex(KEY_B)).open(moved) == ID
    rotating.engine.dispose()
    _workspace(tmp_path, KEY_B).engine.dispose()  # the new key alone now opens it
    with pytest.raises(WorkspaceError, match="not the data key"):
        _workspace(tmp_path, KEY_A)


def test_plaintext_from_an_earlier_version_is_sealed_on_open(tmp_path):
    ws = _workspace(tmp_path, KEY_A)
    _import_one(ws)
    # As an earlier version left it: the ID in plain text, no key recorded yet.
    with ws.engine.begin() as conn:
        conn.execute(update(_P).values(id_number=ID, id_masked=None))
        conn.execute(update(_W).values(data_key_id=None))
    ws.engine.dispose()
    again = _workspace(tmp_path, KEY_A)
    with again.engine.connect() as conn:
        (row,) = conn.execute(select(_P.c.id_number, _P.c.id_masked)).all()
    assert is_sealed(row[0]) and again.sealer.open(row[0]) == ID
    assert row[1] == "469029********001X"


def test_cli_keygen_and_rekey(tmp_path, monkeypatch):
    runner = CliRunner()
    made = runner.invoke(app, ["keygen"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert runner.invoke(app, ["keygen"]).output.strip().splitlines()[-1] != key
    ws = _workspace(tmp_path, KEY_A)
    _import_one(ws)
    ws.engine.dispose()
    monkeypatch.setenv("CREDITFARM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CREDITFARM_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CREDITFARM_SECRET_KEY", "test-secret")
    monkeypatch.setenv("CREDITFARM_DATA_KEY", key)
    monkeypatch.setenv("CREDITFARM_DATA_KEYS_OLD", KEY_A)
    from creditfarm.settings import get_settings

    get_settings.cache_clear()
    try:
        done = runner.invoke(app, ["rekey", "--data"])
        assert done.exit_code == 0, done.output
        assert "重新加密 2 项" in done.output  # the person's ID and the registry's copy
    finally:
        get_settings.cache_clear()
    new = _workspace(tmp_path, key)
    with new.engine.connect() as conn:
        (token,) = conn.execute(select(_P.c.id_number)).scalars().all()
    assert new.sealer.open(token) == ID
