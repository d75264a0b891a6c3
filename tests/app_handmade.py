"""Builders for hand-made households in a test workspace (rows written straight to the tables),
so each library test states its own small county and works its answers out by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from creditfarm.identity import checksum_char, hash_key
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


def make_id(serial: int, born: str = "19800101") -> str:
    """A valid 18-character resident ID (region 469029, 保亭) with a given serial."""
    first17 = f"469029{born}{serial % 1000:03d}"
    return first17 + checksum_char(first17)


def add_regions(ws: Workspace) -> None:
    with session_scope(ws.engine) as s:
        s.add(
            Region(
                village_code=V1,
                village_name="什玲村",
                town_code=TOWN1,
                town_name="什玲镇",
                county_code="469029",
                county_name="保亭县",
            )
        )
        s.add(
            Region(
                village_code=V2,
                village_name="八村",
                town_code=TOWN1,
                town_name="什玲镇",
                county_code="469029",
                county_name="保亭县",
            )
        )
        s.add(
            Region(
                village_code=V3,
                village_name="加茂村",
                town_code=TOWN2,
                town_name="加茂镇",
                county_code="469029",
                county_name="保亭县",
            )
        )


def add_household(
    ws: Workspace,
    household_no: str,
    village: str,
    members: list[tuple[str, str, int]],
    *,
    filed: bool = False,
    archive_village: str | None = None,
    archive_size: int | None = None,
    phone: str | None = None,
    income: float | None = None,
    archive_name: str | None = None,
) -> list[str]:
    """A 户籍 household with members (name, relation, id serial), head first; optionally filed.
    Returns the members' person keys."""
    keys = []
    with session_scope(ws.engine) as s:
        s.add(Household(household_no=household_no, village_code=village))
        s.flush()
        for name, relation, serial in members:
            id_number = make_id(serial)
            key = hash_key(id_number, ws.secret)
            keys.append(key)
            s.add(
                Person(
                    person_key=key,
                    id_number=id_number,
                    name=name,
                    household_no=household_no,
                    relation_to_head=relation,
                    village_code=village,
                    birth_date=date(1980, 1, 1),
                )
            )
        s.flush()
        head = s.get(Household, household_no)
        assert head is not None
        head.head_person_key = keys[0]
        if filed:
            s.add(
                Archive(
                    head_person_key=keys[0],
                    household_no=household_no,
                    head_name=archive_name or members[0][0],
                    filed_date=date(2021, 3, 1),
                    village_code=archive_village or village,
                    household_size=archive_size if archive_size is not None else len(members),
                    phone=phone,
                    annual_income=income,
                )
            )
    return keys


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


def add_loan(
    ws: Workspace,
    loan_id: str,
    person_key: str,
    *,
    balance: float,
    overdue: int = 0,
    classification: str = "正常",
    status: str = "未结清",
) -> None:
    with session_scope(ws.engine) as s:
        s.add(
            Loan(
                loan_id=loan_id,
                person_key=person_key,
                issue_date=date(2021, 7, 1),
                amount=max(balance, 10000.0),
                balance=balance,
                max_days_overdue=overdue,
                classification=classification,
                status=status,
            )
        )


def add_point(ws: Workspace, point_id: str, village: str, status: str = "正常") -> None:
    with session_scope(ws.engine) as s:
        s.add(Point(point_id=point_id, village_code=village, status=status))


def add_gov(ws: Workspace, source: str, person_key: str, n: int = 0, **data: Any) -> None:
    with session_scope(ws.engine) as s:
        s.add(
            GovRecord(
                source=source,
                natural_key=f"{source}-{person_key}-{n}",
                person_key=person_key,
                data=data,
            )
        )


def payment(
    txn_id: str, person_key: str, when: datetime, amount: float = 500.0, status: str = "成功"
) -> dict[str, Any]:
    """One payment row in the Parquet store's schema."""
    return {
        "txn_id": txn_id,
        "point_id": "P1",
        "txn_time": when,
        "txn_type": "小额取款",
        "amount": amount,
        "status": status,
        "person_key": person_key,
        "card_key": None,
        "point_village_code": None,
        "bill_category": None,
        "direction": "out",
        "run_id": None,
    }
