"""The policy rules, worked by hand with the default policy file (creditfarm/policy/policy.toml):
score = 40 − 11·ln(odds); bands AAA 80 / AA 70 / A 60 / B 45 / C 0; limit base AAA 100,000,
AA 80,000, A 50,000; asset share 10%, income share 30%, cap 200,000, round down to 1,000,
min 10,000, thin-file cap 50,000; poverty product 30,000–50,000 for 18–65."""

from __future__ import annotations

import math

import pytest

from creditfarm.policy.config import load_policy
from creditfarm.policy.rules import (
    HouseholdFacts,
    LimitResult,
    apply_poverty_product,
    decide,
    grade_for,
    limit_for,
    probability_to_score,
    vetoes_for,
)
from creditfarm.settings import DEFAULT_POLICY_FILE

POLICY = load_policy(DEFAULT_POLICY_FILE)
OK = HouseholdFacts(head_age=40.0)


def test_probability_to_score():
    # PD 2%: odds 0.02/0.98 = 0.020408, ln = −3.8918 → 40 + 11·3.8918 = 82.81
    assert probability_to_score(0.02, POLICY) == pytest.approx(82.81, abs=0.01)
    assert probability_to_score(0.5, POLICY) == pytest.approx(40.0)  # ln 1 = 0
    # PD 10%: ln(1/9) = −2.1972 → 40 + 24.17 = 64.17
    assert probability_to_score(0.10, POLICY) == pytest.approx(64.17, abs=0.01)
    assert probability_to_score(1e-12, POLICY) == 100.0  # clipped
    assert probability_to_score(0.999999, POLICY) == 0.0  # 40 − 11·13.8 < 0 → clipped


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "AAA"),
        (80, "AAA"),
        (79.99, "AA"),
        (70, "AA"),
        (69.99, "A"),
        (60, "A"),
        (59.99, "B"),
        (45, "B"),
        (44.99, "C"),
        (0, "C"),
    ],
)
def test_grade_band_edges(score, grade):
    assert grade_for(score, POLICY) == grade


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (HouseholdFacts(head_age=40.0, blacklisted=True), "blacklist"),
        (HouseholdFacts(head_age=40.0, current_npl=True), "current_non_performing"),
        (HouseholdFacts(head_age=40.0, current_overdue_days=90), "current_overdue"),
        (HouseholdFacts(head_age=40.0, fraud_recent=True), "fraud_record"),
        (HouseholdFacts(head_age=40.0, tax_arrears=10000.01), "tax_arrears"),
        (HouseholdFacts(head_age=40.0, business_revoked=True), "business_revoked"),
        (HouseholdFacts(head_age=40.0, abroad_now=True), "abroad_now"),
        (HouseholdFacts(head_age=17.0), "age"),
        (HouseholdFacts(head_age=71.0), "age"),
        (HouseholdFacts(head_age=None), "age"),
    ],
)
def test_each_veto_alone(facts, code):
    assert vetoes_for(facts, POLICY) == [code]


def test_veto_thresholds_are_inclusive_where_the_policy_says():
    assert vetoes_for(HouseholdFacts(head_age=18.0), POLICY) == []
    assert vetoes_for(HouseholdFacts(head_age=70.0), POLICY) == []
    assert vetoes_for(HouseholdFacts(head_age=40.0, current_overdue_days=89), POLICY) == []
    assert vetoes_for(HouseholdFacts(head_age=40.0, tax_arrears=10000.0), POLICY) == []


def test_limit_formula():
    facts = HouseholdFacts(head_age=40.0, assets=50000, net_income=40000, existing_debt=12000)
    # AA: 80,000 + 10%·50,000 + 30%·40,000 − 12,000 = 80,000 + 5,000 + 12,000 − 12,000 = 85,000
    assert limit_for(grade="AA", facts=facts, policy=POLICY) == LimitResult(85000.0, [])


def test_limit_rounds_down_to_a_thousand():
    facts = HouseholdFacts(head_age=40.0, assets=12345, net_income=40000)
    # 80,000 + 1,234.5 + 12,000 = 93,234.5 → 93,000
    assert limit_for(grade="AA", facts=facts, policy=POLICY).limit == 93000


def test_negative_net_income_adds_nothing():
    facts = HouseholdFacts(head_age=40.0, net_income=-20000)
    assert limit_for(grade="A", facts=facts, policy=POLICY).limit == 50000


def test_cap_and_thin_file_cap():
    rich = HouseholdFacts(head_age=40.0, assets=1_000_000, net_income=100_000)
    # 100,000 + 100,000 + 30,000 = 230,000 → cap 200,000
    assert limit_for(grade="AAA", facts=rich, policy=POLICY) == LimitResult(200000.0, ["cap"])
    thin = HouseholdFacts(head_age=40.0, thin_file=True)
    # AA base 80,000 → thin-file cap 50,000
    assert limit_for(grade="AA", facts=thin, policy=POLICY) == LimitResult(
        50000.0, ["thin_file_cap"]
    )


def test_below_min_limit_is_zero():
    facts = HouseholdFacts(head_age=40.0, assets=50000)
    # B: 0 + 5,000 → below 10,000 → 0
    assert limit_for(grade="B", facts=facts, policy=POLICY) == LimitResult(0.0, ["min_limit"])
    # debt larger than everything: 50,000 − 60,000 < 0 → 0
    indebted = HouseholdFacts(head_age=40.0, existing_debt=60000)
    assert limit_for(grade="A", facts=indebted, policy=POLICY).limit == 0


def test_poverty_product():
    poor = HouseholdFacts(head_age=40.0, poverty_status="监测户")
    base = limit_for(grade="B", facts=poor, policy=POLICY)
    assert base.limit == 0
    # eligible: at least the product's 30,000
    got = apply_poverty_product(base, grade="B", facts=poor, vetoes=[], policy=POLICY)
    assert got == LimitResult(30000.0, ["poverty_product"])
    # a formula limit above the product's cap is held to 50,000
    high = LimitResult(120000.0, [])
    assert (
        apply_poverty_product(high, grade="AAA", facts=poor, vetoes=[], policy=POLICY).limit
        == 50000
    )
    # 40,000 sits inside 30,000..50,000 and stays
    mid = LimitResult(40000.0, [])
    assert (
        apply_poverty_product(mid, grade="A", facts=poor, vetoes=[], policy=POLICY).limit == 40000
    )
    # not eligible: too old, grade C, a veto, or not a listed status
    old = HouseholdFacts(head_age=66.0, poverty_status="建档立卡贫困户")
    assert apply_poverty_product(base, grade="B", facts=old, vetoes=[], policy=POLICY) == base
    assert apply_poverty_product(base, grade="C", facts=poor, vetoes=[], policy=POLICY) == base
    assert (
        apply_poverty_product(base, grade="B", facts=poor, vetoes=["blacklist"], policy=POLICY)
        == base
    )
    exited = HouseholdFacts(head_age=40.0, poverty_status="已脱贫")
    assert apply_poverty_product(base, grade="B", facts=exited, vetoes=[], policy=POLICY) == base


def test_decide_credit_household_and_pre_credit():
    # PD 2% → 82.81 → AAA; 100,000 → 信用户 and pre-credited
    good = decide(0.02, OK, POLICY)
    assert (good.grade, good.limit, good.credit_household, good.pre_credited) == (
        "AAA",
        100000,
        True,
        True,
    )
    # PD 10% → 64.17 → A: still a credit household (A or better)
    assert decide(0.10, OK, POLICY).credit_household
    # PD 20%: ln(0.25) = −1.386 → 55.25 → B: not a credit household, no base, limit 0
    b = decide(0.20, OK, POLICY)
    assert (b.grade, b.credit_household, b.pre_credited) == ("B", False, False)
    assert b.score == pytest.approx(40 + 11 * math.log(4), abs=0.01)
    # a veto: no credit household, no limit, whatever the grade
    vetoed = decide(0.02, HouseholdFacts(head_age=40.0, blacklisted=True), POLICY)
    assert (vetoed.grade, vetoed.limit, vetoed.credit_household, vetoed.pre_credited) == (
        "AAA",
        0.0,
        False,
        False,
    )
    assert vetoed.vetoes == ["blacklist"]
