"""Linkage: village names → codes, persons → 户籍 households, cards → persons, and the money
direction of a service-point transaction.

A person links to the household that lists them in 户籍, whatever their relation to the head:
an archive opened in the spouse's name therefore files the spouse's household.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, select, update
from sqlalchemy.engine import Connection

from creditfarm.identity import hash_key
from creditfarm.ingest.normalize import normalize_cell
from creditfarm.storage.models import Archive, Card, Person, Region

_REGION = Region.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]
_CARD = Card.__table__  # type: ignore[attr-defined]
_ARCHIVE = Archive.__table__  # type: ignore[attr-defined]

__all__ = [
    "DIRECTION_BY_TXN_TYPE",
    "KeyHasher",
    "VillageResolver",
    "card_persons",
    "direction_for",
    "person_households",
    "relink_archives",
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
    """Keyed hashes (person_key, card_key) with a cache: payment files repeat the same IDs."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._cache: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        key = self._cache.get(value)
        if key is None:
            key = self._cache[value] = hash_key(value, self._secret)
        return key


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
