"""A small synthetic county written straight into a workspace, for the modelling tests.

Risk is built in by construction: low income, little service-point inflow and a poor village
evaluation raise the chance that a loan goes 90+ days overdue. Kept small so training takes
seconds. Written with the shared writers of `tests.helpers.county`, all rows in one go.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from creditfarm.workspace import Workspace
from tests.helpers.county import (
    V1,
    V2,
    Member,
    Rows,
    add_gov,
    add_loans,
    add_payments,
    add_regions,
    gov_record,
    household_rows,
    insert_rows,
    person_key,
)

SNAPSHOT = date(2022, 6, 30)


def make_county(ws: Workspace, *, households: int = 400, seed: int = 7) -> None:
    """A county of ``households`` filed households with loans, payments and a few records."""
    rng = np.random.default_rng(seed)
    add_regions(ws)
    rows: Rows = {}
    loan_rows: list[dict[str, Any]] = []
    pay_rows: list[dict[str, Any]] = []
    gov_rows: list[dict[str, Any]] = []
    months = pd.date_range("2020-07-01", "2022-06-01", freq="MS")
    for i in range(households):
        hh = f"H{i:05d}"
        village = (V1, V2)[i % 2]  # the two villages of 什玲镇
        head = person_key(ws, 2 * i)
        spouse = person_key(ws, 2 * i + 1)
        income = float(rng.lognormal(10.6, 0.5))  # ~40,000 元
        evaluation = rng.choice(["好", "较好", "一般", "差"], p=[0.4, 0.3, 0.2, 0.1])
        steady = rng.uniform(0.3, 1.0)  # share of months with inflow
        ev_score = {"好": 0, "较好": 0.4, "一般": 0.9, "差": 1.6}[evaluation]
        risk = -0.9 * (np.log(income) - 10.6) / 0.5 + ev_score + 1.6 * (0.65 - steady) / 0.2
        p_bad = 1 / (1 + np.exp(-(-3.4 + 0.9 * risk)))
        ethnicity = "黎族" if i % 3 == 0 else "汉族"
        members = [
            Member(
                "李四",
                relation,
                key=key,
                birth_date=date(int(rng.integers(1960, 1995)), 5, 1),
                gender=gender,
                ethnicity=ethnicity,
            )
            for key, relation, gender in ((head, "户主", "男"), (spouse, "配偶", "女"))
        ]
        filed = date(2019, 1, 1) + timedelta(days=int(rng.integers(0, 600)))
        archive = {
            "filed_date": filed,
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
        }
        for model, table_rows in household_rows(ws, hh, village, members, archive=archive).items():
            rows.setdefault(model, []).extend(table_rows)
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
                dpd = min((SNAPSHOT - maturity).days, int(rng.integers(100, 400)))
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
                    **row,
                }
            )
            if row["status"] == "未结清" and bad:
                break
            issue = maturity + timedelta(days=int(rng.integers(10, 200)))
        if i % 25 == 0:
            gov_rows.append(gov_record("poverty", head, status="监测户", since_year=2019))
    insert_rows(ws, rows)
    add_loans(ws, loan_rows)
    if gov_rows:
        add_gov(ws, gov_rows)
    add_payments(ws, pay_rows)
