"""Writers for hand-made counties in a test workspace: rows go straight into the tables (and the
payment store), so each test states its own small county and works its answers out by hand.

One set of writers for every test, the synthetic risk county (`tests.helpers.risk_county`) too:
regions, households with their members and archive, assessments, loans, service points,
government records and payments. A row builder (`household_rows`, `loan`, `gov_record`,
`payment`) fills what a test leaves out; a writer (`add_…`) stores the rows.

People are identified one of two ways. A member with a ``serial`` gets a real, checksummed
resident ID (`make_id`) and the keyed hash of it, as an import would store; a member with a
``key`` (`person_key`) is only a number with no ID behind it, for counties where nobody is looked
up by ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import pandas as pd
from sqlalchemy import insert, inspect
from sqlmodel import SQLModel

from creditfarm.identity import checksum_char, hash_key, mask_id
from creditfarm.storage import paystore
from creditfarm.storage.engine import session_scope
from creditfarm.storage.models import (
    Archive,
    Assessment,
    GovRecord,
    Household,
    Loan,
    Person,
    Point,
    Region,
)
from creditfarm.workspace import Workspace

TOWN1, TOWN2 = "469029100000", "469029101000"
V1, V2, V3 = "469029100201", "469029100202", "469029101201"
# (village code, village, town code, town) of 保亭县 469029
REGIONS = (
    (V1, "什玲村", TOWN1, "什玲镇"),
    (V2, "八村", TOWN1, "什玲镇"),
    (V3, "加茂村", TOWN2, "加茂镇"),
)
VILLAGES = tuple(code for code, *_ in REGIONS)
# `archive=FILED`: a filed household whose archive takes every default.
FILED: Mapping[str, Any] = MappingProxyType({})
NO_ID = "0" * 18  # the stored ID of a member known only by a bare key

Rows = dict[type[SQLModel], list[dict[str, Any]]]


def make_id(serial: int, born: str = "19800101") -> str:
    """A valid 18-character resident ID (region 469029, 保亭) with a given serial."""
    first17 = f"469029{born}{serial % 1000:03d}"
    return first17 + checksum_char(first17)


def person_key(ws: Workspace, n: int) -> str:
    """Person number ``n``'s key, for a member with no resident ID behind it."""
    return hash_key(f"P{n:06d}", ws.secret)


@dataclass(frozen=True)
class Member:
    """One 户籍 member: ``serial`` (a real ID, see `make_id`) or ``key`` (see `person_key`)."""

    name: str
    relation: str = "户主"
    serial: int | None = None
    key: str | None = None
    birth_date: date | None = date(1980, 1, 1)  # the birth date `make_id` writes into the ID
    gender: str | None = None
    ethnicity: str | None = None

    def __post_init__(self) -> None:
        if (self.serial is None) == (self.key is None):
            raise ValueError("a member has either an ID serial or a bare key")

    def id_number(self) -> str:
        return NO_ID if self.serial is None else make_id(self.serial)

    def person_key(self, ws: Workspace) -> str:
        return self.key if self.key is not None else hash_key(self.id_number(), ws.secret)


def insert_rows(ws: Workspace, rows: Rows) -> None:
    """Store rows table by table, in one transaction; a column a row leaves out is NULL (an
    empty JSON object for ``extra`` and ``data``), as the ORM would write it."""
    with ws.engine.begin() as conn:
        for model, table_rows in rows.items():
            if not table_rows:
                continue
            blank: dict[str, Any] = {c.name: None for c in inspect(model).columns if c.name != "id"}
            blank.update({c: {} for c in ("extra", "data") if c in blank})
            conn.execute(insert(model), [{**blank, **row} for row in table_rows])


def add_regions(ws: Workspace) -> None:
    """The three villages of `REGIONS`: two in 什玲镇, one in 加茂镇."""
    insert_rows(
        ws,
        {
            Region: [
                {
                    "village_code": code,
                    "village_name": village,
                    "town_code": town_code,
                    "town_name": town,
                    "county_code": "469029",
                    "county_name": "保亭县",
                }
                for code, village, town_code, town in REGIONS
            ]
        },
    )


def household_rows(
    ws: Workspace,
    household_no: str,
    village: str,
    members: Sequence[Member],
    *,
    archive: Mapping[str, Any] | None = None,
) -> Rows:
    """The rows of one 户籍 household, its members and, when ``archive`` is given, its archive.

    The head is the member recorded as 户主. The archive's columns default to the head's name,
    filed on 2021-03-01 in the household's village, as many people as members; ``archive`` sets
    any column (``household_size: None`` for an archive that states no size)."""
    keys = [m.person_key(ws) for m in members]
    head = next(k for k, m in zip(keys, members, strict=True) if m.relation == "户主")
    head_name = next(m.name for m in members if m.relation == "户主")
    rows: Rows = {
        Household: [
            {"household_no": household_no, "village_code": village, "head_person_key": head}
        ],
        Person: [
            {
                "person_key": key,
                # As every import stores them: sealed, with the 前6后4 mask beside.
                "id_number": ws.sealer.seal(m.id_number()),
                "id_masked": mask_id(m.id_number()),
                "name": m.name,
                "household_no": household_no,
                "relation_to_head": m.relation,
                "village_code": village,
                "birth_date": m.birth_date,
                "gender": m.gender,
                "ethnicity": m.ethnicity,
            }
            for key, m in zip(keys, members, strict=True)
        ],
        Archive: [],
    }
    if archive is not None:
        archive = {**archive}
        if archive.get("phone"):
            archive["phone"] = ws.sealer.seal(str(archive["phone"]))
        rows[Archive].append(
            {
                "head_person_key": head,
                "household_no": household_no,
                "head_name": head_name,
                "filed_date": date(2021, 3, 1),
                "village_code": village,
                "household_size": len(members),
                **archive,
            }
        )
    return rows


def add_household(
    ws: Workspace,
    household_no: str,
    village: str,
    members: Sequence[Member],
    *,
    archive: Mapping[str, Any] | None = None,
) -> list[str]:
    """Store one household (see `household_rows`); returns its members' person keys in order."""
    rows = household_rows(ws, household_no, village, members, archive=archive)
    insert_rows(ws, rows)
    return [p["person_key"] for p in rows[Person]]


def add_assessment(
    ws: Workspace,
    household_no: str,
    *,
    grade: str,
    score: float,
    credit: bool | None = None,
    limit: float = 50000.0,
    thin_file: bool = False,
    village: str | None = None,
    as_of: date = date(2022, 6, 30),
    model_version: str = "m1",
    vetoes: list[str] | None = None,
    contributions: dict[str, Any] | None = None,
    reasons: dict[str, Any] | None = None,
) -> int:
    """One stored assessment (a later call gets a higher id); returns its id."""
    credit = grade in ("AAA", "AA", "A") and not vetoes if credit is None else credit
    with session_scope(ws.engine) as s:
        a = Assessment(
            household_no=household_no,
            village_code=village,
            as_of=as_of,
            model_version=model_version,
            policy_version="p",
            probability=0.05,
            score=score,
            grade=grade,
            credit_household=credit,
            pre_credit_limit=limit,
            pre_credited=limit > 0 and not vetoes,
            thin_file=thin_file,
            vetoes=vetoes or [],
            caps=[],
            contributions=contributions or {},
            reasons=reasons or {},
        )
        s.add(a)
        s.flush()
        assert a.id is not None
        return a.id


def loan(
    loan_id: str,
    person_key: str,
    *,
    balance: float,
    overdue: int = 0,
    classification: str = "正常",
    status: str = "未结清",
) -> dict[str, Any]:
    """One loan issued on 2021-07-01 with no maturity date, for at least 10,000 元."""
    return {
        "loan_id": loan_id,
        "person_key": person_key,
        "issue_date": date(2021, 7, 1),
        "amount": max(balance, 10000.0),
        "balance": balance,
        "max_days_overdue": overdue,
        "classification": classification,
        "status": status,
    }


def add_loans(ws: Workspace, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store loans: rows from `loan` or with every column a test needs."""
    insert_rows(ws, {Loan: [dict(r) for r in rows]})


def add_point(ws: Workspace, point_id: str, village: str, status: str = "正常") -> None:
    insert_rows(ws, {Point: [{"point_id": point_id, "village_code": village, "status": status}]})


def gov_record(
    source: str, person_key: str, n: int = 0, *, record_date: date | None = None, **data: Any
) -> dict[str, Any]:
    """A person's ``n``-th record of a government source, its fields in ``data``."""
    return {
        "source": source,
        "natural_key": f"{source}-{person_key}-{n}",
        "person_key": person_key,
        "record_date": record_date,
        "data": data,
    }


def add_gov(ws: Workspace, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store government records (rows from `gov_record`)."""
    insert_rows(ws, {GovRecord: [dict(r) for r in rows]})


PAYMENT_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        **dict.fromkeys(paystore.PAYMENT_SCHEMA.names),
        "point_id": "P1",
        "txn_type": "小额取款",
        "amount": 500.0,
        "status": "成功",
        "direction": "out",
    }
)


def payment(
    txn_id: str, person_key: str, when: datetime, amount: float = 500.0, status: str = "成功"
) -> dict[str, Any]:
    """One withdrawal at point P1 (`PAYMENT_DEFAULTS`)."""
    return {
        "txn_id": txn_id,
        "person_key": person_key,
        "txn_time": when,
        "amount": amount,
        "status": status,
    }


def add_payments(ws: Workspace, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store payments in the Parquet store; a column a row leaves out takes `PAYMENT_DEFAULTS`."""
    frame = pd.DataFrame([{**PAYMENT_DEFAULTS, **r} for r in rows])
    paystore.stage_payments(ws.payments_root, frame).commit()
