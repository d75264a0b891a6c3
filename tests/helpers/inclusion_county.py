"""The three-village county of the inclusive-finance index tests (tests/reports/test_inclusion.py
describes it and works its answers out by hand): households, archives, assessments, points,
insurance, payments and loans of May and June 2022."""

from __future__ import annotations

from datetime import date, datetime

from creditfarm.storage.models import Point
from creditfarm.workspace import Workspace
from tests.helpers.county import (
    V1,
    V2,
    V3,
    Member,
    add_assessment,
    add_gov,
    add_household,
    add_loans,
    add_payments,
    add_regions,
    gov_record,
    insert_rows,
    payment,
)

__all__ = ["JUNE", "MAY", "build", "loan_row", "person"]

MAY, JUNE = date(2022, 5, 31), date(2022, 6, 30)


def person(ws: Workspace, serial: int) -> str:
    """The person key of member ``serial`` (甲 1, 丙 3, 丁 4, 戊 5)."""
    return Member("x", serial=serial).person_key(ws)


def loan_row(
    loan_id: str,
    person: str,
    product: str,
    amount: float,
    issue: date,
    due: date,
    *,
    overdue: int = 0,
    cls: str = "正常",
    status: str = "未结清",
) -> dict[str, object]:
    return {
        "loan_id": loan_id,
        "person_key": person,
        "product": product,
        "issue_date": issue,
        "maturity_date": due,
        "amount": amount,
        "balance": 0.0 if status == "结清" else amount,
        "max_days_overdue": overdue,
        "classification": cls,
        "status": status,
    }


def build(ws: Workspace) -> None:
    add_regions(ws)
    (a,) = add_household(ws, "H1", V1, [Member("甲", serial=1)], archive={})
    (c,) = add_household(
        ws, "H2", V1, [Member("丙", serial=3)], archive={"filed_date": date(2022, 6, 10)}
    )
    (d,) = add_household(ws, "H3", V2, [Member("丁", serial=4)], archive={})
    (e,) = add_household(ws, "H4", V3, [Member("戊", serial=5)])
    add_assessment(ws, "H1", grade="AA", score=75, limit=50000, village=V1)
    add_assessment(ws, "H2", grade="B", score=50, limit=0, village=V1)
    add_assessment(ws, "H3", grade="A", score=65, limit=50000, village=V2)
    insert_rows(
        ws,
        {
            Point: [
                {
                    "point_id": "P1",
                    "village_code": V1,
                    "opened_date": date(2020, 1, 1),
                    "status": "正常",
                },
                {
                    "point_id": "P2",
                    "village_code": V2,
                    "opened_date": date(2019, 1, 1),
                    "status": "撤销",
                },
                {
                    "point_id": "P3",
                    "village_code": V3,
                    "opened_date": date(2022, 6, 15),
                    "status": "正常",
                },
            ]
        },
    )
    add_gov(ws, [gov_record("agri_insurance", c, policy_type="水稻")])
    add_gov(ws, [gov_record("agri_insurance", e, policy_type="橡胶")])
    bill = {"txn_type": "代理缴费", "bill_category": "电费"}
    add_payments(
        ws,
        [
            {**payment("t1", a, datetime(2022, 6, 5, 9)), "card_key": "k1"},
            {**payment("t2", a, datetime(2021, 7, 10, 9)), "card_key": "k1", **bill},
            {**payment("t3", a, datetime(2021, 6, 20, 9)), "card_key": "k1"},
            {**payment("t4", a, datetime(2022, 3, 1, 9), status="失败"), "card_key": "k1"},
            {**payment("t5", d, datetime(2022, 5, 20, 9)), **bill},
            {**payment("t6", e, datetime(2022, 6, 25, 9)), "card_key": "k5"},
        ],
    )
    add_loans(
        ws,
        [
            loan_row("L1", a, "农户小额信用贷款", 20000, date(2021, 7, 1), date(2022, 7, 1)),
            loan_row("L2", c, "农户联保贷款", 30000, date(2022, 6, 1), date(2023, 6, 1)),
            loan_row(
                "L3",
                d,
                "惠农e贷",
                10000,
                date(2021, 1, 1),
                date(2022, 1, 1),
                overdue=150,
                cls="次级",
            ),
            loan_row(
                "L4", e, "创业担保贷款", 50000, date(2020, 1, 1), date(2021, 1, 1), status="结清"
            ),
            loan_row(
                "L5", a, "扶贫小额信贷", 5000, date(2022, 5, 15), date(2022, 6, 20), status="结清"
            ),
        ],
    )
