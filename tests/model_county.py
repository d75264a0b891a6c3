"""A small synthetic county written straight into a workspace, for the modelling tests.

Risk is built in by construction: low income, little service-point inflow and a poor village
evaluation raise the chance that a loan goes 90+ days overdue. Used until (and beside) the
sample generator; kept small so training takes seconds.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import insert

from creditfarm.identity import hash_key
from creditfarm.storage import paystore
from creditfarm.storage.models import Archive, GovRecord, Household, Loan, Person, Region
from creditfarm.workspace import Workspace

SNAPSHOT = date(2022, 6, 30)
VILLAGES = ("469029100201", "469029100202")


def person_key(ws: Workspace, n: int) -> str:
    return hash_key(f"P{n:06d}", ws.secret)


def add_regions(ws: Workspace) -> None:
    with ws.engine.begin() as conn:
        conn.execute(
            insert(Region.__table__),
            [
                {
                    "village_code": VILLAGES[0],
                    "village_name": "甲村",
                    "town_name": "什玲镇",
                    "extra": {},
                },
                {
                    "village_code": VILLAGES[1],
                    "village_name": "乙村",
                    "town_name": "什玲镇",
                    "extra": {},
                },
            ],
        )


def add_household(
    ws: Workspace,
    hh: str,
    *,
    village: str = VILLAGES[0],
    members: list[dict],
    archive: dict | None = None,
) -> None:
    """members: dicts with person_key, name, relation_to_head, birth_date, gender, ethnicity."""
    head = next(m["person_key"] for m in members if m.get("relation_to_head") == "户主")
    with ws.engine.begin() as conn:
        conn.execute(
            insert(Household.__table__),
            [{"household_no": hh, "village_code": village, "head_person_key": head}],
        )
        conn.execute(
            insert(Person.__table__),
            [
                {
                    "person_key": m["person_key"],
                    "id_number": "0" * 18,
                    "name": m.get("name", "张三"),
                    "household_no": hh,
                    "relation_to_head": m.get("relation_to_head", "户主"),
                    "village_code": village,
                    "birth_date": m.get("birth_date", date(1975, 1, 1)),
                    "gender": m.get("gender", "男"),
                    "ethnicity": m.get("ethnicity", "汉族"),
                    "extra": {},
                }
                for m in members
            ],
        )
        if archive is not None:
            row = {
                "head_person_key": head,
                "household_no": hh,
                "head_name": "张三",
                "filed_date": date(2019, 3, 1),
                "village_code": village,
                "extra": {},
            }
            row.update(archive)
            conn.execute(insert(Archive.__table__), [row])


def add_loans(ws: Workspace, rows: list[dict]) -> None:
    with ws.engine.begin() as conn:
        conn.execute(insert(Loan.__table__), [{"extra": {}, **r} for r in rows])


def add_gov(ws: Workspace, rows: list[dict]) -> None:
    with ws.engine.begin() as conn:
        conn.execute(
            insert(GovRecord.__table__),
            [
                {"natural_key": f"k{i}-{r['person_key'][:8]}-{r['source']}", "extra": {}, **r}
                for i, r in enumerate(rows)
            ],
        )


def add_payments(ws: Workspace, rows: list[dict]) -> None:
    """rows: txn_id, txn_time, txn_type, amount, person_key, direction, [status, bill_category]."""
    frame = pd.DataFrame(rows)
    for col in paystore.PAYMENT_SCHEMA.names:
        if col not in frame:
            frame[col] = None
    frame["status"] = frame["status"].fillna("成功")
    frame["point_id"] = frame["point_id"].fillna("PT01")
    frame["run_id"] = 1
    staged = paystore.stage_payments(ws.payments_root, frame)
    staged.commit()


def make_county(ws: Workspace, *, households: int = 400, seed: int = 7) -> None:
    """A county of ``households`` filed households with loans, payments and a few records."""
    rng = np.random.default_rng(seed)
    add_regions(ws)
    hh_rows, person_rows, archive_rows, loan_rows, pay_rows, gov_rows = [], [], [], [], [], []
    months = pd.date_range("2020-07-01", "2022-06-01", freq="MS")
    for i in range(households):
        hh = f"H{i:05d}"
        village = VILLAGES[i % 2]
        head = person_key(ws, 2 * i)
        spouse = person_key(ws, 2 * i + 1)
        income = float(rng.lognormal(10.6, 0.5))  # ~40,000 元
        evaluation = rng.choice(["好", "较好", "一般", "差"], p=[0.4, 0.3, 0.2, 0.1])
        steady = rng.uniform(0.3, 1.0)  # share of months with inflow
        ev_score = {"好": 0, "较好": 0.4, "一般": 0.9, "差": 1.6}[evaluation]
        risk = -0.9 * (np.log(income) - 10.6) / 0.5 + ev_score + 1.6 * (0.65 - steady) / 0.2
        p_bad = 1 / (1 + np.exp(-(-3.4 + 0.9 * risk)))
        hh_rows.append({"household_no": hh, "village_code": village, "head_person_key": head})
        for key, rel, gender in ((head, "户主", "男"), (spouse, "配偶", "女")):
            person_rows.append(
                {
                    "person_key": key,
                    "id_number": "0" * 18,
                    "name": "李四",
                    "household_no": hh,
                    "relation_to_head": rel,
                    "village_code": village,
                    "birth_date": date(int(rng.integers(1960, 1995)), 5, 1),
                    "gender": gender,
                    "ethnicity": "黎族" if i % 3 == 0 else "汉族",
                    "extra": {},
                }
            )
        filed = date(2019, 1, 1) + timedelta(days=int(rng.integers(0, 600)))
        archive_rows.append(
            {
                "head_person_key": head,
                "household_no": hh,
                "head_name": "李四",
                "filed_date": filed,
                "village_code": village,
                "household_size": 2,
                "labor_count": int(rng.integers(1, 3)),
                "annual_income": round(income),
                "annual_expense": round(income * rng.uniform(0.5, 0.9)),
                "deposits": round(float(rng.lognormal(9.5, 1.0))),
                "other_debt": 0.0,
                "machinery_value": 5000.0,
                "village_evaluation": str(evaluation),
                "main_industry": "种植",
                "head_education": "初中",
                "house_type": "砖混",
                "extra": {},
            }
        )
        for m in months:
            if rng.uniform() < steady:
                pay_rows.append(
                    {
                        "txn_id": f"T{i}-{m:%Y%m}-in",
                        "person_key": head,
                        "txn_time": m + pd.Timedelta(days=4, hours=10),
                        "txn_type": "转账",
                        "direction": "in",
                        "amount": round(income / 12 * rng.uniform(0.6, 1.4), 2),
                    }
                )
                pay_rows.append(
                    {
                        "txn_id": f"T{i}-{m:%Y%m}-wd",
                        "person_key": head,
                        "txn_time": m + pd.Timedelta(days=9, hours=9),
                        "txn_type": "小额取款",
                        "direction": "out",
                        "amount": 500.0,
                    }
                )
            if rng.uniform() < 0.6:
                pay_rows.append(
                    {
                        "txn_id": f"T{i}-{m:%Y%m}-bill",
                        "person_key": spouse,
                        "txn_time": m + pd.Timedelta(days=15, hours=15),
                        "txn_type": "代理缴费",
                        "direction": "out",
                        "amount": 80.0,
                        "bill_category": "电费",
                    }
                )
        issue = date(2019, 1, 1) + timedelta(days=int(rng.integers(0, 1200)))
        while issue < date(2022, 4, 1):
            maturity = issue + timedelta(days=365)
            bad = rng.uniform() < p_bad
            if bad and maturity + timedelta(days=100) < SNAPSHOT:
                dpd = int(min((SNAPSHOT - maturity).days, rng.integers(100, 400)))
                row = {
                    "max_days_overdue": dpd,
                    "classification": "次级",
                    "status": "未结清",
                    "balance": 30000.0,
                }
            else:
                done = maturity < SNAPSHOT
                row = {
                    "max_days_overdue": 0,
                    "classification": "正常",
                    "status": "结清" if done else "未结清",
                    "balance": 0.0 if done else 30000.0,
                }
            loan_rows.append(
                {
                    "loan_id": f"L{i}-{issue:%Y%m%d}",
                    "person_key": head,
                    "issue_date": issue,
                    "maturity_date": maturity,
                    "amount": 30000.0,
                    "extra": {},
                    **row,
                }
            )
            if row["status"] == "未结清" and bad:
                break
            issue = maturity + timedelta(days=int(rng.integers(10, 200)))
        if i % 25 == 0:
            gov_rows.append(
                {
                    "source": "poverty",
                    "person_key": head,
                    "record_date": None,
                    "data": {"status": "监测户", "since_year": 2019},
                }
            )
    with ws.engine.begin() as conn:
        conn.execute(insert(Household.__table__), hh_rows)
        conn.execute(insert(Person.__table__), person_rows)
        conn.execute(insert(Archive.__table__), archive_rows)
        conn.execute(insert(Loan.__table__), loan_rows)
    if gov_rows:
        add_gov(ws, gov_rows)
    add_payments(ws, pay_rows)
