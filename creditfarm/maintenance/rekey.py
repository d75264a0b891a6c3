"""Re-keying the hash secret (``CREDITFARM_SECRET_KEY``): every person key, card key and
government record's natural key made again under a new secret.

Keys are keyed hashes of resident IDs and card numbers; every import stores the value behind
each key it makes, sealed (``storage.models.KeyedValue``), so the keys can be made again
without the exports. The SQL tables change in one transaction — every column named
``*person_key`` or ``card_key`` in any table, the government natural keys, the registry and
the recorded key check — and the payment store follows through its journaled mapping
(``storage.store_rekey``), all under the import lock. A key whose value was never stored (a
database imported before the registry existed, for a card never in 卡户对照) becomes a keyed
hash of the old key under the new secret: its rows still belong together, but a later export
naming that value gives it a new key. The count is reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from creditfarm.identity import hash_key, key_check
from creditfarm.ingest.contract import SOURCES
from creditfarm.ingest.importers import key_text, natural_key
from creditfarm.storage.models import GovRecord, KeyedValue, Person, WorkspaceBinding
from creditfarm.storage.store_journal import store_lock
from creditfarm.storage.store_rekey import apply_rekey_map, finish_rekey, write_rekey_map
from creditfarm.workspace import Workspace

__all__ = ["RekeyError", "RekeyResult", "rekey_secret"]

_PERSON = Person.__table__  # type: ignore[attr-defined]
_KEYED = KeyedValue.__table__  # type: ignore[attr-defined]
_GOV = GovRecord.__table__  # type: ignore[attr-defined]
_BINDING = WorkspaceBinding.__table__  # type: ignore[attr-defined]
_CHUNK = 5000


class RekeyError(ValueError):
    """A re-key that cannot run; the message says why."""


@dataclass(frozen=True)
class RekeyResult:
    keys: int  # person and card keys made again
    without_value: int  # keys with no stored value: re-hashed as pseudonyms
    government_records: int
    store_files: int


def _key_columns() -> list[tuple[str, str]]:
    """(table, column) of every person or card key column in the schema."""
    return [
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("person_key") or column.name == "card_key"
    ]


def _all_keys(conn: Connection) -> set[str]:
    found: set[str] = set()
    for table, column in _key_columns():
        found.update(
            v for (v,) in conn.execute(text(f'SELECT DISTINCT "{column}" FROM "{table}"')) if v
        )
    return found


def _store_keys(root: Any) -> set[str]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    found: set[str] = set()
    for path in sorted(root.glob("month=*/*.parquet")):
        table = pq.read_table(path, columns=["person_key", "card_key"])
        for name in table.column_names:
            found.update(v for v in pc.unique(table[name].combine_chunks()).to_pylist() if v)
    return found


def rekey_secret(ws: Workspace, *, new_secret: str) -> RekeyResult:
    """Move the workspace to ``new_secret``; afterwards only ``new_secret`` opens it."""
    new_secret = new_secret.strip()
    if len(new_secret) < 16:
        raise RekeyError("the new secret must be at least 16 characters (`creditfarm keygen`)")
    if new_secret == ws.secret:
        raise RekeyError("the new secret is the current one")
    if not (ws.settings.data_key or ws.settings.data_key_file):
        # Demo mode on a server database: its data key is derived from the secret, so a new
        # secret would leave every sealed value unreadable.
        raise RekeyError(
            "this workspace's data key is derived from the secret (demo mode on a server "
            "database): set CREDITFARM_DATA_KEY, run `creditfarm rekey --data`, then re-key"
        )
    sealer = ws.sealer
    root = ws.payments_root
    with store_lock(root):
        with ws.engine.connect() as conn:
            values = {
                k: str(sealer.open(v))
                for k, v in conn.execute(select(_KEYED.c.key, _KEYED.c.value))
            }
            # Persons imported before the registry existed: their ID is in the person table.
            for k, v in conn.execute(select(_PERSON.c.person_key, _PERSON.c.id_number)):
                values.setdefault(k, str(sealer.open(v)))
            every = _all_keys(conn) | _store_keys(root) | set(values)
        mapping = {
            old: hash_key(values[old], new_secret) if old in values else hash_key(old, new_secret)
            for old in every
        }
        write_rekey_map(root, to_check=key_check(new_secret), mapping=mapping)
        try:
            with ws.engine.begin() as tx:
                records = _natural_keys(tx, values, new_secret)
                _rewrite_keys(tx, mapping)
                tx.execute(update(_BINDING).values(key_check=key_check(new_secret)))
        except BaseException:
            with ws.engine.connect() as conn:
                recorded = conn.execute(select(_BINDING.c.key_check)).scalar()
            finish_rekey(root, recorded)  # drops the map: the database kept the old keys
            raise
        files = apply_rekey_map(root)
    return RekeyResult(
        keys=len(mapping),
        without_value=sum(1 for k in every if k not in values),
        government_records=records,
        store_files=files,
    )


def _rewrite_keys(conn: Connection, mapping: dict[str, str]) -> None:
    """Every key column through the mapping: a temporary table joined in one UPDATE per
    column (the registry's own key column included)."""
    conn.execute(text("CREATE TEMPORARY TABLE rekey_map (old VARCHAR(64), new VARCHAR(64))"))
    rows = [{"o": o, "n": n} for o, n in mapping.items()]
    insert = text("INSERT INTO rekey_map (old, new) VALUES (:o, :n)")
    for start in range(0, len(rows), _CHUNK):
        conn.execute(insert, rows[start : start + _CHUNK])
    conn.execute(text("CREATE INDEX ix_rekey_map_old ON rekey_map (old)"))
    for table, column in [*_key_columns(), ("keyedvalue", "key")]:
        conn.execute(
            text(
                f'UPDATE "{table}" SET "{column}" = (SELECT m.new FROM rekey_map m '
                f'WHERE m.old = "{table}"."{column}") '
                f'WHERE "{column}" IN (SELECT old FROM rekey_map)'
            )
        )
    conn.execute(text("DROP TABLE rekey_map"))


def _natural_keys(conn: Connection, ids: dict[str, str], new_secret: str) -> int:
    """Each government record's natural key under the new secret (from the ID behind its
    person key and its other key columns, as the import made it)."""
    changes = []
    query = select(_GOV.c.id, _GOV.c.source, _GOV.c.person_key, _GOV.c.data)
    for row in conn.execute(query).mappings():
        source = SOURCES[row["source"]]
        data = row["data"]
        if isinstance(data, str):
            data = json.loads(data)
        texts = [
            key_text(ids.get(row["person_key"])) if k == "id_number" else key_text(data.get(k))
            for k in source.key
        ]
        changes.append({"_id": row["id"], "nk": natural_key(new_secret, row["source"], texts)})
    stmt = update(_GOV).where(_GOV.c.id == bindparam("_id")).values(natural_key=bindparam("nk"))
    for start in range(0, len(changes), _CHUNK):
        conn.execute(stmt, changes[start : start + _CHUNK])
    return len(changes)
