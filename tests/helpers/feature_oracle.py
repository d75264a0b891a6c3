"""Helpers of the differential feature tests: compare two FeatureSets, and a county of edge cases
(missing values, unknown labels, undated rows, rows after the as-of date, a head found only by
relation, a household without a village) that the sample counties do not hold."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import insert, update
from sqlmodel import col

from creditfarm.storage.models import Archive, Blacklist, Household, Person
from creditfarm.workspace import Workspace
from tests.helpers.county import (
    VILLAGES,
    Member,
    add_loans,
    add_payments,
    add_regions,
    person_key,
)
from tests.helpers.county import add_gov as _add_gov
from tests.helpers.county import add_household as _add_household


class _Features(Protocol):
    X: pd.DataFrame
    meta: pd.DataFrame


def assert_same_features(got: _Features, want: _Features, *, tol: float = 1e-9) -> None:
    """Same households, same columns; every feature equal within ``tol`` (NaN where NaN); every
    policy input equal."""
    assert list(got.X.index) == list(want.X.index)
    assert list(got.X.columns) == list(want.X.columns)
    for name in want.X.columns:
        a, b = got.X[name].to_numpy(float), want.X[name].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{name}: NaN in different rows"
        both = ~np.isnan(a)
        worst = float(np.max(np.abs(a[both] - b[both]), initial=0.0))
        assert worst <= tol, f"{name}: differs by {worst}"
    assert list(got.meta.columns) == list(want.meta.columns)
    for name in want.meta.columns:
        pd.testing.assert_series_equal(
            got.meta[name], want.meta[name], check_names=False, obj=f"meta[{name!r}]"
        )


def add_gov(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    """Government rows, each with a natural key of its own."""
    _add_gov(
        ws,
        [
            {"natural_key": f"k{i}-{r['person_key'][:8]}-{r['source']}", **r}
            for i, r in enumerate(rows)
        ],
    )


_ARCHIVE_DEFAULTS = {"head_name": "张三", "filed_date": date(2019, 3, 1), "household_size": None}


def add_household(
    ws: Workspace,
    household_no: str,
    *,
    village: str = VILLAGES[0],
    members: list[dict[str, Any]],
    archive: dict[str, Any] | None = None,
) -> None:
    """A household of members known by bare keys, each 张三 born 1975-01-01 (男, 汉族) unless
    said otherwise; an archive filed 2019-03-01 stating no size unless said otherwise."""
    _add_household(
        ws,
        household_no,
        village,
        [
            Member(
                name=m.get("name", "张三"),
                relation=m.get("relation_to_head", "户主"),
                key=m["person_key"],
                birth_date=m.get("birth_date", date(1975, 1, 1)),
                gender=m.get("gender", "男"),
                ethnicity=m.get("ethnicity", "汉族"),
            )
            for m in members
        ],
        archive=None
        if archive is None
        else {
            "head_name": "张三",
            "filed_date": date(2019, 3, 1),
            "household_size": None,
            **archive,
        },
    )


def make_edge_county(ws: Workspace) -> None:
    """Six households; each line of the comments says what the household tests."""
    add_regions(ws)
    k = [person_key(ws, n) for n in range(20)]
    # E1: every source, mixed labels (较好 inside a longer text), two industries, a fraud record.
    add_household(
        ws,
        "E1",
        members=[
            {"person_key": k[0], "relation_to_head": "户主", "birth_date": date(1980, 6, 30)},
            {"person_key": k[1], "relation_to_head": "配偶", "birth_date": date(1982, 2, 28)},
        ],
        archive={
            "filed_date": date(2019, 3, 1),
            "annual_income": 50000.5,
            "annual_expense": 30000.25,
            "other_debt": None,
            "head_education": "大专及以上",
            "village_evaluation": "评议较好",
            "house_type": "钢混",
            "main_industry": "种植、养殖",
            "household_size": 2,
            "land_area_mu": 5.1,
        },
    )
    # E2: no village; head key missing, found by relation; archive filed after the as-of date;
    # unknown and missing labels.
    add_household(
        ws,
        "E2",
        village=None,  # type: ignore[arg-type]
        members=[
            {"person_key": k[2], "relation_to_head": "户主", "birth_date": None},
            {"person_key": k[3], "relation_to_head": "子", "birth_date": date(2000, 1, 1)},
        ],
        archive={
            "filed_date": date(2022, 7, 15),
            "annual_income": 0.0,
            "annual_expense": 1000.0,
            "village_evaluation": None,
            "main_industry": None,
        },
    )
    with ws.engine.begin() as conn:
        conn.execute(
            update(Household)
            .where(col(Household.household_no) == "E2")
            .values(head_person_key=None)
        )
    # E3: loans of every kind; a second, older archive for the same household.
    add_household(
        ws,
        "E3",
        members=[{"person_key": k[4], "relation_to_head": "户主"}],
        archive={"filed_date": date(2020, 5, 1), "village_evaluation": "差", "annual_income": 1.0},
    )
    # E4: a household in the second village, government rows only, and a blacklisting.
    add_household(
        ws,
        "E4",
        village="469029100202",
        members=[
            {"person_key": k[5], "relation_to_head": "户主"},
            {"person_key": k[6], "relation_to_head": "妻"},
            {"person_key": k[7], "relation_to_head": "女"},
        ],
        archive={"filed_date": date(2021, 1, 1), "village_evaluation": "一般"},
    )
    # E5: unfiled, with a loan and payments.
    add_household(ws, "E5", members=[{"person_key": k[8], "relation_to_head": "户主"}])
    # E6: no member linked at all (a household row only).
    with ws.engine.begin() as conn:
        conn.execute(
            insert(Household),
            [{"household_no": "E6", "village_code": "469029100202", "head_person_key": k[19]}],
        )
        # E3's older archive, opened in another member's name: the later one counts.
        conn.execute(
            insert(Archive),
            [
                {
                    "head_person_key": k[9],
                    "household_no": "E3",
                    "head_name": "赵六",
                    "filed_date": date(2018, 5, 1),
                    "village_evaluation": "好",
                    "annual_income": 99999.0,
                    "extra": {},
                }
            ],
        )
        # An unlinked person with a blacklisting: must not reach any household.
        conn.execute(
            insert(Person),
            [
                {
                    "person_key": k[18],
                    "id_number": "0" * 18,
                    "name": "王五",
                    "household_no": None,
                    "extra": {},
                }
            ],
        )
        conn.execute(
            insert(Blacklist),
            [
                {"person_key": k[5], "listed_date": date(2021, 5, 1), "extra": {}},
                {"person_key": k[18], "listed_date": None, "extra": {}},
                {"person_key": k[4], "listed_date": date(2023, 1, 1), "extra": {}},
            ],
        )
    loan = {"amount": 20000.0, "classification": "正常", "status": "未结清", "extra": {}}
    add_loans(
        ws,
        [
            # settled clean; settled after a 40-day spell; open and 120 days overdue; classified
            # 损失 without a spell; no maturity date; issued after the as-of date; negative days.
            {
                **loan,
                "loan_id": "a",
                "person_key": k[4],
                "issue_date": date(2018, 1, 10),
                "maturity_date": date(2019, 1, 10),
                "max_days_overdue": 0,
                "status": "结清",
            },
            {
                **loan,
                "loan_id": "b",
                "person_key": k[4],
                "issue_date": date(2019, 2, 1),
                "maturity_date": date(2020, 2, 1),
                "max_days_overdue": 40,
                "status": " 结清 ",
            },
            {
                **loan,
                "loan_id": "c",
                "person_key": k[4],
                "issue_date": date(2020, 6, 1),
                "maturity_date": date(2021, 6, 1),
                "max_days_overdue": 120,
                "amount": 12345.67,
            },
            {
                **loan,
                "loan_id": "d",
                "person_key": k[0],
                "issue_date": date(2021, 3, 3),
                "maturity_date": None,
                "max_days_overdue": None,
                "classification": "损失",
            },
            {
                **loan,
                "loan_id": "e",
                "person_key": k[8],
                "issue_date": date(2021, 9, 9),
                "maturity_date": date(2022, 9, 9),
                "max_days_overdue": -5,
                "amount": 0.1,
            },
            {
                **loan,
                "loan_id": "f",
                "person_key": k[8],
                "issue_date": date(2022, 6, 30),
                "maturity_date": date(2023, 6, 30),
                "max_days_overdue": 0,
            },
            {
                **loan,
                "loan_id": "g",
                "person_key": k[1],
                "issue_date": date(2019, 8, 1),
                "maturity_date": date(2020, 8, 1),
                "max_days_overdue": 700,
                "amount": 0.2,
            },
        ],
    )
    gov = [
        ("criminal", k[0], date(2019, 5, 1), {"category": "合同诈骗", "record_date": "2019-05-01"}),
        ("criminal", k[1], None, {"category": "赌博", "record_date": "2012-01-01"}),
        ("criminal", k[5], date(2023, 1, 1), {"category": "诈骗"}),
        ("business", k[0], date(2018, 1, 1), {"status": "存续"}),
        ("business", k[1], date(2018, 1, 1), {"status": "吊销"}),
        ("business", k[5], None, {"status": None}),
        ("tax", k[0], None, {"tax_paid_last_year": 1245.37, "arrears": "12.5"}),
        ("tax", k[1], None, {"tax_paid_last_year": 0.1, "arrears": None}),
        ("tax", k[5], None, {"tax_paid_last_year": "abc"}),
        ("poverty", k[5], None, {"status": "已脱贫"}),
        ("poverty", k[6], None, {"status": "监测户"}),
        ("poverty", k[1], None, {"status": ""}),
        ("land", k[0], None, {"contract_area_mu": 5.1, "transferred_out_mu": 0.7}),
        ("land", k[1], None, {"contract_area_mu": 7.2, "transferred_out_mu": 0.2}),
        ("residence", k[5], None, {"status": "外出务工", "months_away": 5}),
        ("residence", k[6], None, {"status": "在家", "months_away": None}),
        ("exit_entry", k[0], None, {"trips_last_year": 2, "abroad_now": " Yes "}),
        ("exit_entry", k[5], None, {"trips_last_year": 1, "abroad_now": "否"}),
        ("exit_entry", k[6], None, {"trips_last_year": 0, "abroad_now": True}),
        ("exit_entry", k[2], date(2023, 1, 1), {"abroad_now": "是"}),
        ("social_insurance", k[0], None, {"pension_months": 84, "medical_insured": "是"}),
        ("social_insurance", k[1], None, {"pension_months": 12, "medical_insured": "1"}),
        ("social_insurance", k[5], None, {"pension_months": None, "medical_insured": "否"}),
        ("agri_insurance", k[6], None, {"policy_type": "水稻"}),
        ("agri_insurance", k[18], None, {"policy_type": "水稻"}),
    ]
    add_gov(
        ws,
        [{"source": s, "person_key": p, "record_date": d, "data": data} for s, p, d, data in gov],
    )
    pay = {"txn_type": "转账", "direction": "in", "amount": 100.0}
    add_payments(
        ws,
        [
            {**pay, "txn_id": "p1", "txn_time": datetime(2021, 8, 1, 0, 0), "person_key": k[0]},
            {
                **pay,
                "txn_id": "p2",
                "txn_time": datetime(2022, 5, 31, 23, 59, 59),
                "person_key": k[1],
                "amount": 0.3,
            },
            {
                **pay,
                "txn_id": "p3",
                "txn_time": datetime(2022, 1, 5, 10),
                "person_key": k[8],
                "direction": "out",
                "txn_type": "小额取款",
                "amount": 33.3,
            },
            {
                **pay,
                "txn_id": "p4",
                "txn_time": datetime(2022, 2, 5, 10),
                "person_key": k[8],
                "status": "失败",
            },
            {**pay, "txn_id": "p5", "txn_time": datetime(2022, 6, 30, 0, 0), "person_key": k[8]},
            {**pay, "txn_id": "p6", "txn_time": datetime(2022, 3, 1), "person_key": k[18]},
        ],
    )
