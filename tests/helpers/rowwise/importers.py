"""Per-source record builders: validated rows → the records one file writes (a ``Batch``).

Builders read what earlier files stored (villages, 户籍 members, cards, points) to resolve and
link, quarantine the rows that cannot be, and count links and warnings in the ``Outcome``;
they write nothing (``write`` does). The sources whose rows each name one person by resident
ID and become one row of one table (cards, loans, blacklist, government records) are driven by
a declarative table, ``PERSON_RECORDS``; regions, points, 户籍, archives and payments have
their own builders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

import pandas as pd
from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from creditfarm.identity import birth_date_from_id, gender_from_id, mask_card
from creditfarm.ingest.contract import GOVERNMENT_SOURCES, Source
from creditfarm.ingest.linkage import (
    KeyHasher,
    VillageResolver,
    card_persons,
    direction_for,
    person_households,
)
from creditfarm.ingest.normalize import normalize_cell
from creditfarm.ingest.outcome import REASONS, Outcome, Problem
from creditfarm.storage.models import (
    Archive,
    Blacklist,
    Card,
    GovRecord,
    Household,
    Loan,
    Person,
    Point,
    Region,
)
from tests.helpers.rowwise.readers import RawTable
from tests.helpers.rowwise.validate import ParsedRow, check_card

__all__ = ["BUILDERS", "PERSON_RECORDS", "Batch", "Context", "PersonRecords", "Upsert", "build"]

_VILLAGE_CODE_RE = re.compile(r"^\d{12}$")
_HEAD_RELATIONS = {"户主", "本人"}
_REGION = Region.__table__  # type: ignore[attr-defined]
_POINT = Point.__table__  # type: ignore[attr-defined]
_HOUSEHOLD = Household.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]
_ARCHIVE = Archive.__table__  # type: ignore[attr-defined]


@dataclass
class Context:
    """What a builder works with: the file's transaction (read only here), the keyed-hash
    secret, and the run its records carry."""

    conn: Connection
    secret: str
    run_id: int
    hasher: KeyHasher = field(init=False)

    def __post_init__(self) -> None:
        self.hasher = KeyHasher(self.secret)


@dataclass
class Upsert:
    """Records for one table, upserted on ``keys``."""

    table: Table
    rows: list[dict[str, Any]]
    keys: tuple[str, ...]
    keep_when_null: tuple[str, ...] = ()  # columns a null must not overwrite


@dataclass
class Batch:
    """Everything one file writes."""

    upserts: list[Upsert] = field(default_factory=list)
    relink_archives: bool = False  # 户籍 changed: point archives at their households again
    payments: pd.DataFrame | None = None  # for the Parquet store, not SQL


Builder = Callable[[Context, RawTable, list[ParsedRow], Outcome], Batch]


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _village(
    resolver: VillageResolver, values: dict[str, Any], table: RawTable
) -> tuple[str | None, Problem | None, bool]:
    """(code, problem, given): the row's village, resolved through regions when it names one."""
    code = values.get("village_code")
    town, village = values.get("town_name"), values.get("village_name")
    if not code and not village:
        return None, None, False
    found, why = resolver.resolve(code, town, village)
    if found is None:
        header = table.header_for("village_code" if code else "village_name") or "village_code"
        return None, Problem(header, "unknown_village", why), True
    return found, None, True


# ---------------------------------------------------------------- sources with their own rules


def _regions(ctx: Context, table: RawTable, rows: list[ParsedRow], out: Outcome) -> Batch:
    records = []
    for row, v, extra in rows:
        if not _VILLAGE_CODE_RE.match(v["village_code"]):
            header = table.header_for("village_code") or "village_code"
            out.reject(row, [Problem(header, "bad_code", "村代码应为 12 位统计用区划代码")], table)
            continue
        records.append(
            {
                "village_code": v["village_code"],
                "village_name": v["village_name"],
                "town_code": v["town_code"] or v["village_code"][:9],
                "town_name": v["town_name"],
                "county_code": v["county_code"] or v["village_code"][:6],
                "county_name": v["county_name"],
                "extra": extra,
                "run_id": ctx.run_id,
            }
        )
    out.accepted = len(records)
    return Batch([Upsert(_REGION, records, ("village_code",))])


def _points(ctx: Context, table: RawTable, rows: list[ParsedRow], out: Outcome) -> Batch:
    resolver = VillageResolver.load(ctx.conn)
    records = []
    for row, v, extra in rows:
        code, problem, _ = _village(resolver, v, table)
        if problem:
            out.reject(row, [problem], table)
            continue
        records.append(
            {
                "point_id": v["point_id"],
                "village_code": code,
                "opened_date": v["opened_date"],
                "operator": v["operator"],
                "status": v["status"],
                "extra": extra,
                "run_id": ctx.run_id,
            }
        )
    out.accepted = len(records)
    return Batch([Upsert(_POINT, records, ("point_id",))])


def _hukou(ctx: Context, table: RawTable, rows: list[ParsedRow], out: Outcome) -> Batch:
    resolver = VillageResolver.load(ctx.conn)
    persons: list[dict[str, Any]] = []
    households: dict[str, dict[str, Any]] = {}
    for row, v, extra in rows:
        code, problem, given = _village(resolver, v, table)
        if problem or not given:
            problem = problem or Problem("village_code", "missing_required", "缺少村代码和村名")
            out.reject(row, [problem], table)
            continue
        id_number = v["id_number"]
        key = ctx.hasher(id_number)
        is_head = normalize_cell(v["relation_to_head"]) in _HEAD_RELATIONS
        hh = households.setdefault(
            v["household_no"],
            {
                "household_no": v["household_no"],
                "village_code": code,
                "head_person_key": None,
                "run_id": ctx.run_id,
            },
        )
        if is_head:
            hh["head_person_key"], hh["village_code"] = key, code
        persons.append(
            {
                "person_key": key,
                "id_number": id_number,
                "name": v["name"],
                "household_no": v["household_no"],
                "relation_to_head": v["relation_to_head"],
                "village_code": code,
                "birth_date": v["birth_date"] or birth_date_from_id(id_number),
                "gender": v["gender"] or gender_from_id(id_number),
                "ethnicity": v["ethnicity"],
                "extra": extra,
                "run_id": ctx.run_id,
            }
        )
    out.accepted = out.linked = len(persons)
    # A household file without its head's row must not erase the head a former file gave.
    upserts = [
        Upsert(
            _HOUSEHOLD,
            list(households.values()),
            ("household_no",),
            keep_when_null=("head_person_key",),
        ),
        Upsert(_PERSON, persons, ("person_key",)),
    ]
    return Batch(upserts, relink_archives=True)


_ARCHIVE_TEXTS = (
    "archive_id",
    "head_name",
    "phone",
    "head_education",
    "main_industry",
    "main_crops",
    "house_type",
    "village_evaluation",
    "collector",
)


def _archive(ctx: Context, table: RawTable, rows: list[ParsedRow], out: Outcome) -> Batch:
    resolver = VillageResolver.load(ctx.conn)
    member_of = person_households(ctx.conn)
    village_of: dict[str | None, str | None] = {
        no: code
        for no, code in ctx.conn.execute(
            select(_HOUSEHOLD.c.household_no, _HOUSEHOLD.c.village_code)
        )
    }
    name_of: dict[str, str] = {
        key: name for key, name in ctx.conn.execute(select(_PERSON.c.person_key, _PERSON.c.name))
    }
    numeric = [c.name for c in table.source.columns if c.type in ("amount", "number", "int")]
    records = []
    for row, v, extra in rows:
        code, problem, _ = _village(resolver, v, table)
        if problem:
            out.reject(row, [problem], table)
            continue
        key = ctx.hasher(v["head_id_number"])
        household = member_of.get(key)
        record = {name: v[name] for name in (*_ARCHIVE_TEXTS, *numeric)}
        record.update(
            head_person_key=key,
            household_no=household,
            filed_date=v["filed_date"],
            village_code=code or village_of.get(household),
            extra=extra,
            run_id=ctx.run_id,
        )
        records.append(record)
        out.linked += household is not None
        if household is not None and name_of.get(key) != v["head_name"]:
            # Same ID, another name than 户籍 gives: kept (the ID is the key) but counted.
            out.warnings["head_name_differs_from_hukou"] += 1
        if code and household is not None and village_of.get(household) != code:
            out.warnings["village_differs_from_hukou"] += 1
    out.accepted = len(records)
    return Batch([Upsert(_ARCHIVE, records, ("head_person_key",))])


def _payments(ctx: Context, table: RawTable, rows: list[ParsedRow], out: Outcome) -> Batch:
    known = person_households(ctx.conn)
    cards = card_persons(ctx.conn)
    points = set(ctx.conn.execute(select(_POINT.c.point_id)).scalars())
    records = []
    for row, v, extra in rows:
        card, problem = check_card(v, row, table)
        if problem:
            out.reject(row, [problem], table)
            continue
        card_key = ctx.hasher(card) if card else None
        person: str | None = ctx.hasher(v["id_number"]) if v["id_number"] else None
        if person is None:
            person = cards.get(card_key) if card_key else None
            if person is None:
                header = table.header_for("card_no") or "card_no"
                out.reject(row, [Problem(header, "unknown_card", REASONS["unknown_card"])], table)
                continue
        if points and v["point_id"] not in points:
            out.warnings["unknown_point"] += 1
        if extra:
            out.warnings["payment_extra_columns_not_stored"] += 1
        records.append(
            {
                "txn_id": v["txn_id"],
                "point_id": v["point_id"],
                "txn_time": v["txn_time"],
                "txn_type": v["txn_type"],
                "amount": v["amount"],
                "status": v["status"],
                "person_key": person,
                "card_key": card_key,
                "point_village_code": v["point_village_code"],
                "bill_category": v["bill_category"],
                "direction": direction_for(v["txn_type"], v["direction"]),
                "run_id": ctx.run_id,
            }
        )
        out.linked += known.get(person) is not None
    out.accepted = len(records)
    return Batch(payments=pd.DataFrame.from_records(records) if records else None)


# ---------------------------------------------------------------- one person, one row


@dataclass(frozen=True)
class PersonRecords:
    """A source whose rows each name one person by ``id_number`` and become one row of
    ``table``: the ``copied`` contract columns as they are, ``person_key``, the columns
    ``derive`` returns (or the ``Problem`` that quarantines the row), extras and the run."""

    table: Table
    keys: tuple[str, ...]
    copied: tuple[str, ...] = ()
    derive: Callable[[Context, RawTable, ParsedRow], dict[str, Any] | Problem] | None = None


def _card_columns(ctx: Context, table: RawTable, parsed: ParsedRow) -> dict[str, Any] | Problem:
    card, problem = check_card(parsed.values, parsed.row, table)
    if problem or card is None:
        return problem or Problem("card_no", "missing_required")
    return {"card_key": ctx.hasher(card), "card_masked": mask_card(card)}


def _natural_key(src: Source, values: dict[str, Any], secret: str) -> str:
    joined = "|".join(str(_json_value(values[k]) or "") for k in src.key)
    return hashlib.sha256(f"{secret}|{src.name}|{joined}".encode()).hexdigest()


def _government_columns(
    ctx: Context, table: RawTable, parsed: ParsedRow
) -> dict[str, Any] | Problem:
    src, v = table.source, parsed.values
    date_cols = [c.name for c in src.columns if c.type == "date"]
    return {
        "source": src.name,
        "natural_key": _natural_key(src, v, ctx.secret),
        "record_date": v[date_cols[0]] if date_cols else None,
        "data": {k: _json_value(x) for k, x in v.items() if k != "id_number"},
    }


_GOVERNMENT = PersonRecords(
    GovRecord.__table__,  # type: ignore[attr-defined]
    ("source", "natural_key"),
    derive=_government_columns,
)
PERSON_RECORDS: dict[str, PersonRecords] = {
    "cards": PersonRecords(Card.__table__, ("card_key",), derive=_card_columns),  # type: ignore[attr-defined]
    "loans": PersonRecords(
        Loan.__table__,  # type: ignore[attr-defined]
        ("loan_id",),
        copied=(
            "loan_id",
            "product",
            "issue_date",
            "maturity_date",
            "amount",
            "balance",
            "max_days_overdue",
            "classification",
            "status",
        ),
    ),
    "blacklist": PersonRecords(
        Blacklist.__table__,  # type: ignore[attr-defined]
        ("person_key",),
        copied=("listed_date", "reason"),
    ),
    **{name: _GOVERNMENT for name in GOVERNMENT_SOURCES},
}


def _person_records(
    spec: PersonRecords, ctx: Context, table: RawTable, rows: list[ParsedRow], out: Outcome
) -> Batch:
    known = person_households(ctx.conn)
    records = []
    for parsed in rows:
        derived = spec.derive(ctx, table, parsed) if spec.derive else {}
        if isinstance(derived, Problem):
            out.reject(parsed.row, [derived], table)
            continue
        person = ctx.hasher(parsed.values["id_number"])
        record = {name: parsed.values[name] for name in spec.copied}
        record.update(person_key=person, **derived, extra=parsed.extra, run_id=ctx.run_id)
        records.append(record)
        out.linked += known.get(person) is not None
    out.accepted = len(records)
    return Batch([Upsert(spec.table, records, spec.keys)])


BUILDERS: dict[str, Builder] = {
    "regions": _regions,
    "points": _points,
    "hukou": _hukou,
    "archive": _archive,
    "payments": _payments,
    **{name: partial(_person_records, spec) for name, spec in PERSON_RECORDS.items()},
}


def build(ctx: Context, table: RawTable, rows: list[ParsedRow], out: Outcome) -> Batch:
    """The records ``rows`` of ``table`` become (rows that cannot be linked are quarantined)."""
    return BUILDERS[table.source.name](ctx, table, rows, out)
