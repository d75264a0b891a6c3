"""Linkage: village names → codes, persons → 户籍 households, cards → persons, and the money
direction of a service-point transaction.

A person links to the household that lists them in 户籍, whatever their relation to the head:
an archive opened in the spouse's name therefore files the spouse's household.

Whole columns link in the import's work database (DuckDB): keyed hashes are computed once per
distinct value there (``KeyHasher.sql``), village names and money directions are resolved
once per distinct combination by the same Python rules that resolve one row, and the tables
linkage reads from SQL are copied into it once (``Lookups``) and kept until a file changes
them.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
from sqlalchemy import exists, select, update
from sqlalchemy.engine import Connection

from creditfarm.identity import hash_key
from creditfarm.ingest.normalize import normalize_cell
from creditfarm.storage.engine import driver_rows
from creditfarm.storage.models import Archive, Card, Household, Person, Point, Region

_REGION = Region.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]
_CARD = Card.__table__  # type: ignore[attr-defined]
_ARCHIVE = Archive.__table__  # type: ignore[attr-defined]
_HOUSEHOLD = Household.__table__  # type: ignore[attr-defined]
_POINT = Point.__table__  # type: ignore[attr-defined]

__all__ = [
    "DIRECTION_BY_TXN_TYPE",
    "KeyHasher",
    "Lookups",
    "VillageResolver",
    "card_persons",
    "direction_for",
    "direction_table",
    "person_households",
    "relink_archives",
    "village_table",
]

# Money direction seen from the cardholder's account, when the export has no direction column.
# "out": money leaves the account (cash taken, transfer or remittance sent, a bill paid);
# "in": money arrives (transfer received, subsidy paid out, remittance received).
# Types that move no money (余额查询) and unknown types get no direction (None).
DIRECTION_BY_TXN_TYPE: dict[str, str] = {
    "小额取款": "out",
    "取款": "out",
    "现金取款": "out",
    "转账转出": "out",
    "转出": "out",
    "汇款": "out",
    "现金汇款": "out",
    "代理缴费": "out",
    "缴费": "out",
    "转账转入": "in",
    "转入": "in",
    "补贴发放": "in",
    "补贴": "in",
    "汇入": "in",
    "存款": "in",
}
# How exports spell a direction column (收/付, 收入/支出, 借/贷 are all seen).
_DIRECTION_WORDS: dict[str, str] = {
    "in": "in",
    "收": "in",
    "收入": "in",
    "转入": "in",
    "入": "in",
    "贷": "in",
    "out": "out",
    "付": "out",
    "支出": "out",
    "转出": "out",
    "出": "out",
    "借": "out",
}


def direction_for(txn_type: str | None, direction: str | None = None) -> str | None:
    """``in``/``out`` from the export's direction when it has one, else from the type."""
    if direction:
        found = _DIRECTION_WORDS.get(normalize_cell(direction).lower())
        if found:
            return found
    if txn_type:
        return DIRECTION_BY_TXN_TYPE.get(normalize_cell(txn_type))
    return None


class KeyHasher:
    """Keyed hashes (person_key, card_key): ``hash_key`` for one value (cached), and the same
    HMAC-SHA256 as a DuckDB macro ``cf_key(text)`` for whole columns."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._cache: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        key = self._cache.get(value)
        if key is None:
            key = self._cache[value] = hash_key(value, self._secret)
        return key

    def install(self, con: duckdb.DuckDBPyConnection) -> None:
        """Define ``cf_key(v)`` in ``con``: the first 32 hex digits of HMAC-SHA256(secret, v),
        i.e. sha256((K ^ opad) || sha256((K ^ ipad) || v)) with K the secret padded to the
        64-byte block (hashed first when longer), as RFC 2104 and ``hmac`` do; and a table of
        the keys computed so far (``cache``), so a value repeated in many files is hashed
        once per import."""
        key = self._secret.encode()
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        inner = bytes(b ^ 0x36 for b in key).hex()
        outer = bytes(b ^ 0x5C for b in key).hex()
        inner_hash = f"unhex(sha256(unhex('{inner}') || encode(v)))"
        con.execute(
            "CREATE OR REPLACE TEMP MACRO cf_key(v) AS "
            f"substr(sha256(unhex('{outer}') || {inner_hash}), 1, 32)"
        )
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.cache} (v VARCHAR, k VARCHAR)")

    @property
    def cache(self) -> str:
        """The work-database table (v, k) of keys computed for this secret."""
        return "keys_" + hashlib.sha256(self._secret.encode()).hexdigest()[:12]

    def unregistered(self, con: duckdb.DuckDBPyConnection) -> pa.Table:
        """The (v, k) pairs hashed in this import and not yet in the database's registry of
        keyed values (``storage.models.KeyedValue``) as far as this import knows."""
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.cache}_reg (k VARCHAR)")
        return con.sql(
            f"SELECT c.v, c.k FROM {self.cache} c ANTI JOIN {self.cache}_reg r USING (k)"
        ).to_arrow_table()

    def mark_registered(self, con: duckdb.DuckDBPyConnection, pairs: pa.Table) -> None:
        """After the file's commit: ``pairs`` are in the registry now."""
        con.register("cf_registered", pairs)
        try:
            con.execute(f"INSERT INTO {self.cache}_reg SELECT k FROM cf_registered")
        finally:
            con.unregister("cf_registered")

    def keys_of(self, con: duckdb.DuckDBPyConnection, values: str) -> str:
        """Add the keys of the distinct non-null ``v`` of query ``values`` to the cache (those
        not there yet), and return the cache's name to join on."""
        con.execute(
            f"INSERT INTO {self.cache} SELECT v, cf_key(v) FROM "
            f"(SELECT DISTINCT v FROM ({values}) WHERE v IS NOT NULL) n "
            f"ANTI JOIN {self.cache} c USING (v)"
        )
        return self.cache


def _short(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


_VILLAGE_SUFFIXES = ("村民委员会", "村委会", "社区居委会", "居委会", "社区", "村")
_TOWN_SUFFIXES = ("街道办事处", "街道", "镇", "乡")


def _name_key(value: str | None, suffixes: tuple[str, ...]) -> str:
    return _short(re.sub(r"\s+", "", normalize_cell(value or "")), suffixes)


@dataclass
class VillageResolver:
    """Village codes known from ``regions``, and (town, village) names → code."""

    codes: set[str] = field(default_factory=set)
    by_names: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    by_village: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def load(cls, conn: Connection) -> VillageResolver:
        resolver = cls()
        rows = conn.execute(
            select(_REGION.c.village_code, _REGION.c.town_name, _REGION.c.village_name)
        )
        for code, town, village in rows:
            resolver.add(code, town, village)
        return resolver

    def add(self, code: str, town_name: str | None, village_name: str | None) -> None:
        self.codes.add(code)
        village = _name_key(village_name, _VILLAGE_SUFFIXES)
        self.by_names[(_name_key(town_name, _TOWN_SUFFIXES), village)].add(code)
        self.by_village[village].add(code)

    def resolve(
        self, code: str | None, town_name: str | None = None, village_name: str | None = None
    ) -> tuple[str | None, str]:
        """(code, "") when the village is known, else (None, why). A given code wins."""
        if code:
            if code in self.codes:
                return code, ""
            return None, f"村代码 {code} 不在行政区划中"
        if not village_name:
            return None, "缺少村代码和村名"
        village = _name_key(village_name, _VILLAGE_SUFFIXES)
        if town_name:
            found = self.by_names.get((_name_key(town_name, _TOWN_SUFFIXES), village), set())
        else:
            found = self.by_village.get(village, set())
        if len(found) == 1:
            return next(iter(found)), ""
        where = f"{town_name or ''}{village_name}"
        if not found:
            return None, f"行政区划中没有 {where}"
        return None, f"{where} 对应多个村代码，请提供乡镇名或村代码"


def village_table(resolver: VillageResolver, triples: Sequence[tuple[Any, Any, Any]]) -> pa.Table:
    """(village_code, town_name, village_name) → (found, why, given) for each distinct triple
    a column of rows holds: the rule one row follows (a given code wins; names resolve
    through regions; neither given is no village)."""
    found: list[str | None] = []
    why: list[str | None] = []
    given: list[bool] = []
    for code, town, village in triples:
        if not code and not village:
            found.append(None)
            why.append(None)
            given.append(False)
            continue
        code_found, reason = resolver.resolve(code, town, village)
        found.append(code_found)
        why.append(reason if code_found is None else None)
        given.append(True)
    return pa.table(
        {
            "village_code": pa.array([t[0] for t in triples], pa.string()),
            "town_name": pa.array([t[1] for t in triples], pa.string()),
            "village_name": pa.array([t[2] for t in triples], pa.string()),
            "found": pa.array(found, pa.string()),
            "why": pa.array(why, pa.string()),
            "given": pa.array(given, pa.bool_()),
        }
    )


def direction_table(pairs: Sequence[tuple[str | None, str | None]]) -> pa.Table:
    """(txn_type, direction) → the money direction, for each distinct pair."""
    return pa.table(
        {
            "txn_type": pa.array([p[0] for p in pairs], pa.string()),
            "direction": pa.array([p[1] for p in pairs], pa.string()),
            "dir": pa.array([direction_for(t, d) for t, d in pairs], pa.string()),
        }
    )


class Lookups:
    """What linkage reads from SQL (persons, households, cards, points), copied into the work
    database on first use as tables ``lk_persons`` (person_key, household_no, name),
    ``lk_households`` (household_no, village_code), ``lk_cards`` (card_key, person_key) and
    ``lk_points`` (point_id). Each is kept until a file that changes it is imported."""

    _QUERIES: ClassVar[dict[str, Any]] = {
        "persons": (_PERSON.c.person_key, _PERSON.c.household_no, _PERSON.c.name),
        "households": (_HOUSEHOLD.c.household_no, _HOUSEHOLD.c.village_code),
        "cards": (_CARD.c.card_key, _CARD.c.person_key),
        "points": (_POINT.c.point_id,),
    }
    # Which lookups a file of each source changes.
    _CHANGED_BY: ClassVar[dict[str, tuple[str, ...]]] = {
        "hukou": ("persons", "households"),
        "cards": ("cards",),
        "points": ("points",),
    }

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._loaded: set[str] = set()

    def table(self, conn: Connection, name: str) -> str:
        """The work-database table holding lookup ``name``, loaded from ``conn`` if needed."""
        target = f"lk_{name}"
        if name not in self._loaded:
            columns = self._QUERIES[name]
            table = columns[0].table
            quote = conn.dialect.identifier_preparer.quote
            sql = f"SELECT {', '.join(quote(c.name) for c in columns)} FROM {quote(table.name)}"
            rows = driver_rows(conn, sql)
            values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
            data = pa.table(
                {col.name: pa.array(list(values[i]), pa.string()) for i, col in enumerate(columns)}
            )
            self.con.register("_lookup_rows", data)
            try:
                self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _lookup_rows")
            finally:
                self.con.unregister("_lookup_rows")
            self._loaded.add(name)
        return target

    def forget(self, source: str) -> None:
        """``source`` was written: load what it changes again on next use."""
        for name in self._CHANGED_BY.get(source, ()):
            if name in self._loaded:
                self.con.execute(f"DROP TABLE IF EXISTS lk_{name}")
                self._loaded.discard(name)


def person_households(conn: Connection) -> dict[str, str | None]:
    """person_key → 户号 for every person in 户籍."""
    return dict(conn.execute(select(_PERSON.c.person_key, _PERSON.c.household_no)).all())


def card_persons(conn: Connection) -> dict[str, str]:
    """card_key → person_key from the 卡户对照 table."""
    return dict(conn.execute(select(_CARD.c.card_key, _CARD.c.person_key)).all())


def relink_archives(conn: Connection) -> int:
    """Point every archive at the 户籍 household its head (any member) belongs to now."""
    household = (
        select(_PERSON.c.household_no)
        .where(_PERSON.c.person_key == _ARCHIVE.c.head_person_key)
        .scalar_subquery()
    )
    result = conn.execute(
        update(_ARCHIVE)
        .where(exists().where(_PERSON.c.person_key == _ARCHIVE.c.head_person_key))
        .values(household_no=household)
    )
    return int(result.rowcount or 0)
