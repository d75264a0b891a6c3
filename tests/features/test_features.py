"""Features as of a date: catalogue rules, hand-worked payment and loan features, leakage guard."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from creditfarm.features import (
    FEATURE_NAMES,
    FEATURES,
    PROTECTED_ATTRIBUTES,
    SOURCE_ZH,
    build_features,
    load_county,
)
from tests.helpers.county import (
    V1,
    Member,
    add_gov,
    add_household,
    add_loans,
    add_payments,
    add_regions,
    gov_record,
    person_key,
)

AS_OF = date(2022, 6, 30)
SNAP = date(2022, 6, 30)


def test_catalogue_entries_are_complete_and_exclude_protected_attributes():
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    for spec in FEATURES:
        assert spec.source in SOURCE_ZH
        assert spec.monotone in (-1, 0, 1)
        assert spec.zh and spec.meaning
        for protected in (*PROTECTED_ATTRIBUTES, "民族", "性别", "宗教", "健康"):
            assert protected not in spec.name and protected not in spec.zh
    # Every source the UI groups by has features.
    assert {s.source for s in FEATURES} == set(SOURCE_ZH)


def _one_household(ws, hh="H1", filed=date(2019, 3, 1)):
    add_household(
        ws,
        hh,
        V1,
        [
            Member(
                "张三",
                key=person_key(ws, 1),
                birth_date=date(1980, 7, 1),
                gender="男",
                ethnicity="汉族",
            ),
            Member(
                "张三",
                "配偶",
                key=person_key(ws, 2),
                birth_date=date(1975, 1, 1),
                gender="男",
                ethnicity="汉族",
            ),
        ],
        archive={
            "household_size": None,
            "filed_date": filed,
            "annual_income": 60000.0,
            "annual_expense": 36000.0,
            "deposits": 20000.0,
            "other_debt": 6000.0,
            "village_evaluation": "较好",
        },
    )


def _payments(ws):
    head, spouse = person_key(ws, 1), person_key(ws, 2)
    add_payments(
        ws,
        [
            {
                "txn_id": "t1",
                "txn_time": datetime(2022, 4, 5, 10),
                "txn_type": "转账",
                "direction": "in",
                "amount": 300.0,
                "person_key": head,
            },
            {
                "txn_id": "t2",
                "txn_time": datetime(2022, 5, 6, 10),
                "txn_type": "转账",
                "direction": "in",
                "amount": 100.0,
                "person_key": spouse,
            },
            {
                "txn_id": "t3",
                "txn_time": datetime(2022, 5, 7, 10),
                "txn_type": "小额取款",
                "direction": "out",
                "amount": 50.0,
                "person_key": head,
            },
            {
                "txn_id": "t4",
                "txn_time": datetime(2022, 6, 10, 10),
                "txn_type": "代理缴费",
                "direction": "out",
                "amount": 20.0,
                "person_key": head,
                "bill_category": "电费",
            },
            {
                "txn_id": "t5",
                "txn_time": datetime(2022, 6, 11, 10),
                "txn_type": "小额取款",
                "direction": "out",
                "amount": 500.0,
                "person_key": head,
                "status": "失败",
            },
        ],
    )


def test_payment_features_worked_by_hand(ws):
    add_regions(ws)
    _one_household(ws)
    _payments(ws)
    X = build_features(load_county(ws, snapshot=SNAP), as_of=AS_OF, policy=ws.policy).X
    row = X.loc["H1"]
    # The store starts in 2022-04, so the window covers Apr, May, Jun: 3 months.
    # inflow by month: 300, 100 (spouse's card counts for the household), 0 → mean 400/3
    assert row["pay_inflow_month_mean"] == pytest.approx(400 / 3)
    # std_pop of (300, 100, 0): mean 133.33; squares 27777.8 + 1111.1 + 17777.8 = 46666.7;
    # /3 = 15555.6 → std 124.72; CV = 124.72 / 133.33 = 0.9354
    assert row["pay_inflow_cv"] == pytest.approx(0.9354, abs=1e-4)
    assert row["pay_inflow_peak_share"] == pytest.approx(300 / 400)
    # outflow: 50 (withdrawal, May) + 20 (bill, Jun); the failed 500 does not count
    assert row["pay_outflow_month_mean"] == pytest.approx(70 / 3)
    assert row["pay_withdrawal_share"] == pytest.approx(50 / 70)
    assert row["pay_failed_share"] == pytest.approx(1 / 5)
    assert row["pay_active_month_share"] == pytest.approx(3 / 3)
    assert row["pay_bill_month_share"] == pytest.approx(1 / 3)
    assert row["pay_bill_month_mean"] == pytest.approx(20 / 3)
    assert row["pay_txn_month_mean"] == pytest.approx(5 / 3)
    # last successful: 2022-06-10 10:00 → 19 whole days before 2022-06-30
    assert row["pay_days_since_last"] == 19
    # archive: net income 60,000 − 36,000; debt/income 6,000 / 60,000; 较好 → 2
    assert row["net_income"] == 24000
    assert row["debt_to_income"] == pytest.approx(0.1)
    assert row["village_evaluation_level"] == 2
    assert row["head_age"] == 41  # born 1980-07-01, not yet 42 on 2022-06-30


def test_archive_words_and_head_age_on_the_birthday(ws):
    add_regions(ws)
    head = person_key(ws, 1)
    add_household(
        ws,
        "H1",
        V1,
        [Member("张三", key=head, birth_date=date(1980, 6, 30), gender="男", ethnicity="汉族")],
        archive={
            "household_size": None,
            "filed_date": date(2019, 3, 1),
            "head_education": "中专",
            "house_type": "框架",
            "village_evaluation": "一般",
        },
    )
    fs = build_features(load_county(ws, snapshot=SNAP), as_of=AS_OF, policy=ws.policy)
    row = fs.X.loc["H1"]
    # 42nd birthday on the as-of day itself: 42 for the feature and for the policy's age rules
    assert row["head_age"] == 42
    assert fs.meta.loc["H1", "head_age"] == 42
    # 中专 → 3, 框架 → 4, 一般 → 1 (creditfarm.features.ordinals)
    assert row["head_education_level"] == 3
    assert row["house_type_level"] == 4
    assert row["village_evaluation_level"] == 1


def test_rows_dated_on_or_after_the_as_of_date_change_nothing(ws):
    add_regions(ws)
    _one_household(ws)
    _one_household_b = add_household(
        ws,
        "H2",
        V1,
        [
            Member(
                "张三",
                key=person_key(ws, 3),
                birth_date=date(1975, 1, 1),
                gender="男",
                ethnicity="汉族",
            )
        ],
    )
    del _one_household_b
    _payments(ws)
    add_loans(
        ws,
        [
            {
                "loan_id": "L1",
                "person_key": person_key(ws, 1),
                "issue_date": date(2020, 1, 2),
                "maturity_date": date(2021, 1, 2),
                "amount": 30000.0,
                "max_days_overdue": 0,
                "classification": "正常",
                "status": "结清",
                "balance": 0.0,
            }
        ],
    )
    before = build_features(load_county(ws, snapshot=SNAP), as_of=AS_OF, policy=ws.policy)
    # Every source gets rows dated on the as-of date or later.
    head = person_key(ws, 1)
    add_payments(
        ws,
        [
            {
                "txn_id": "late1",
                "txn_time": datetime(2022, 6, 30, 0, 0),
                "txn_type": "转账",
                "direction": "in",
                "amount": 9999.0,
                "person_key": head,
            },
            {
                "txn_id": "late2",
                "txn_time": datetime(2022, 7, 2, 9),
                "txn_type": "小额取款",
                "direction": "out",
                "amount": 800.0,
                "person_key": head,
                "status": "失败",
            },
        ],
    )
    add_loans(
        ws,
        [
            {
                "loan_id": "L2",
                "person_key": head,
                "issue_date": AS_OF,
                "maturity_date": date(2023, 6, 30),
                "amount": 50000.0,
                "max_days_overdue": 0,
                "classification": "正常",
                "status": "未结清",
                "balance": 50000.0,
            }
        ],
    )
    add_gov(
        ws,
        [
            gov_record(
                "criminal", head, record_date=date(2022, 7, 1), record_type="刑事", category="诈骗"
            )
        ],
    )
    with ws.engine.begin() as conn:
        from sqlalchemy import insert

        from creditfarm.storage.models import Archive, Blacklist

        conn.execute(
            insert(Blacklist),
            [{"person_key": head, "listed_date": date(2022, 8, 1), "extra": {}}],
        )
        conn.execute(
            insert(Archive),
            [
                {
                    "head_person_key": person_key(ws, 3),
                    "household_no": "H2",
                    "head_name": "王五",
                    "filed_date": AS_OF,
                    "annual_income": 1e6,
                    "extra": {},
                }
            ],
        )
    after = build_features(load_county(ws, snapshot=SNAP), as_of=AS_OF, policy=ws.policy)
    pd.testing.assert_frame_equal(before.X, after.X)
    assert not after.meta.loc["H2", "filed"]  # filed on the as-of date: not yet filed
    assert not after.meta.loc["H1", "blacklisted"]
    assert not after.meta.loc["H1", "fraud_recent"]


def test_loan_history_dated_from_a_snapshot_book(ws):
    add_regions(ws)
    _one_household(ws)
    head = person_key(ws, 1)
    add_loans(
        ws,
        [
            # repaid on time in 2020
            {
                "loan_id": "A",
                "person_key": head,
                "issue_date": date(2019, 1, 1),
                "maturity_date": date(2020, 1, 1),
                "amount": 20000.0,
                "max_days_overdue": 0,
                "classification": "正常",
                "status": "结清",
                "balance": 0.0,
            },
            # matured 2021-06-01, 120 days overdue by the export and still unpaid (次级):
            # spell from maturity (2021-06-01 + 120 d = 2021-09-29 ≤ export)
            {
                "loan_id": "B",
                "person_key": head,
                "issue_date": date(2020, 6, 1),
                "maturity_date": date(2021, 6, 1),
                "amount": 30000.0,
                "max_days_overdue": 120,
                "classification": "次级",
                "status": "未结清",
                "balance": 30000.0,
            },
        ],
    )
    data = load_county(ws, snapshot=SNAP)
    mid = build_features(data, as_of=date(2021, 7, 31), policy=ws.policy)
    row = mid.X.loc["H1"]
    assert row["loan_count"] == 2
    assert row["loan_clean_settled_count"] == 1
    assert row["loan_max_overdue_days"] == 60  # 2021-06-01 → 2021-07-31: 30 + 30 days
    assert row["loan_overdue_count"] == 1
    assert row["loan_npl_count"] == 0  # 90 days reached only on 2021-08-30
    assert row["loan_outstanding"] == 30000
    # utilisation: 30,000 outstanding / 50,000 issued in the last 3 years
    assert row["loan_utilisation"] == pytest.approx(0.6)
    assert mid.meta.loc["H1", "current_overdue_days"] == 60
    assert not mid.meta.loc["H1", "current_npl"]
    assert not mid.meta.loc["H1", "thin_file"]
    end = build_features(data, as_of=SNAP, policy=ws.policy)
    assert end.X.loc["H1", "loan_max_overdue_days"] == 120
    assert end.X.loc["H1", "loan_npl_count"] == 1
    assert end.meta.loc["H1", "current_npl"]
    # before any loan: a thin file with no loan history
    early = build_features(data, as_of=date(2018, 12, 31), policy=ws.policy)
    assert early.meta.loc["H1", "thin_file"]
    assert early.X.loc["H1", "loan_count"] == 0
