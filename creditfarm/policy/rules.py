"""The policy rules, pure: probability → score → grade → vetoes → limit → poverty product.

Numbers in, numbers out, thresholds from the policy file (``creditfarm/policy/policy.toml``),
so each rule can be tested by hand. ``decide`` applies them in order for one household;
``apply_policy`` for a frame of households.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from creditfarm.policy.config import Policy

__all__ = [
    "HouseholdFacts",
    "LimitResult",
    "PolicyOutcome",
    "apply_policy",
    "apply_poverty_product",
    "decide",
    "grade_for",
    "is_credit_household",
    "limit_for",
    "probability_to_score",
    "vetoes_for",
]


def probability_to_score(probability: float, policy: Policy) -> float:
    """score = offset − factor · ln(PD / (1 − PD)), clipped to [0, 100]."""
    p = min(max(float(probability), 1e-9), 1 - 1e-9)
    score = policy.score.offset - policy.score.factor * math.log(p / (1 - p))
    return min(max(score, 0.0), 100.0)


def grade_for(score: float, policy: Policy) -> str:
    """The first band (best first) whose inclusive lower bound the score reaches; else the last."""
    for band in policy.grades:
        if score >= band.min_score:
            return band.grade
    return policy.grades[-1].grade


def is_credit_household(grade: str, vetoes: list[str], policy: Policy) -> bool:
    """信用户: grade at least ``credit_household.min_grade`` and no veto."""
    order = policy.grade_order
    return not vetoes and order.index(grade) <= order.index(policy.credit_household.min_grade)


@dataclass(frozen=True)
class HouseholdFacts:
    """What the vetoes and the limit look at, as of the scoring date."""

    blacklisted: bool = False
    current_npl: bool = False
    current_overdue_days: int = 0
    fraud_recent: bool = False
    tax_arrears: float = 0.0
    business_revoked: bool = False
    abroad_now: bool = False
    head_age: float | None = None
    assets: float = 0.0  # deposits + machinery
    net_income: float = 0.0  # annual income − annual expense
    existing_debt: float = 0.0  # other debt + outstanding loans
    thin_file: bool = False
    poverty_status: str = ""


def vetoes_for(facts: HouseholdFacts, policy: Policy) -> list[str]:
    """Veto codes (一票否决) in a fixed order; empty when none applies."""
    v = policy.vetoes
    out = []
    if v.blacklist and facts.blacklisted:
        out.append("blacklist")
    if v.current_non_performing and facts.current_npl:
        out.append("current_non_performing")
    if facts.current_overdue_days >= v.current_overdue_days:
        out.append("current_overdue")
    if facts.fraud_recent:
        out.append("fraud_record")
    if facts.tax_arrears > v.tax_arrears_yuan:
        out.append("tax_arrears")
    if v.business_revoked and facts.business_revoked:
        out.append("business_revoked")
    if v.abroad_now and facts.abroad_now:
        out.append("abroad_now")
    age = facts.head_age
    if (
        age is None
        or (isinstance(age, float) and math.isnan(age))
        or not v.min_age <= age <= v.max_age
    ):
        out.append("age")
    return out


@dataclass(frozen=True)
class LimitResult:
    limit: float
    caps: list[str] = field(default_factory=list)


def limit_for(*, grade: str, facts: HouseholdFacts, policy: Policy) -> LimitResult:
    """base[grade] + asset_share·assets + income_share·max(net income, 0) − existing debt;
    capped, thin-file capped, rounded down to ``round_to``, 0 below ``min_limit``."""
    rule = policy.limit
    caps: list[str] = []
    raw = (
        rule.base.get(grade, 0.0)
        + rule.asset_share * max(facts.assets, 0.0)
        + rule.income_share * max(facts.net_income, 0.0)
        - max(facts.existing_debt, 0.0)
    )
    value = max(raw, 0.0)
    if value > rule.cap:
        value, caps = rule.cap, [*caps, "cap"]
    if facts.thin_file and value > rule.thin_file.cap:
        value, caps = rule.thin_file.cap, [*caps, "thin_file_cap"]
    value = math.floor(value / rule.round_to + 1e-9) * rule.round_to
    if value < rule.min_limit:
        value, caps = 0.0, [*caps, "min_limit"]
    return LimitResult(float(value), caps)


def apply_poverty_product(
    result: LimitResult, *, grade: str, facts: HouseholdFacts, vetoes: list[str], policy: Policy
) -> LimitResult:
    """扶贫小额信贷: an eligible household (status listed, head aged min..max, grade not excluded,
    no veto) gets a limit of at least ``min_limit`` and at most ``cap``."""
    rule = policy.poverty_product
    age = facts.head_age
    eligible = (
        facts.poverty_status in rule.statuses
        and age is not None
        and not math.isnan(age)
        and rule.min_age <= age <= rule.max_age
        and grade not in rule.excluded_grades
        and not vetoes
    )
    if not eligible:
        return result
    value = min(max(result.limit, rule.min_limit), rule.cap)
    caps = [c for c in result.caps if c != "min_limit"]
    return LimitResult(float(value), [*caps, "poverty_product"])


@dataclass(frozen=True)
class PolicyOutcome:
    probability: float
    score: float
    grade: str
    vetoes: list[str]
    caps: list[str]
    limit: float
    credit_household: bool
    pre_credited: bool


def decide(probability: float, facts: HouseholdFacts, policy: Policy) -> PolicyOutcome:
    """All rules for one household, in order: score, grade, vetoes, limit, poverty product."""
    score = probability_to_score(probability, policy)
    grade = grade_for(score, policy)
    vetoes = vetoes_for(facts, policy)
    result = limit_for(grade=grade, facts=facts, policy=policy)
    result = apply_poverty_product(result, grade=grade, facts=facts, vetoes=vetoes, policy=policy)
    limit = 0.0 if vetoes else result.limit
    return PolicyOutcome(
        probability=float(probability),
        score=round(score, 2),
        grade=grade,
        vetoes=vetoes,
        caps=result.caps if not vetoes else [],
        limit=limit,
        credit_household=is_credit_household(grade, vetoes, policy),
        pre_credited=limit > 0 and not vetoes,
    )


def _facts(row: Any) -> HouseholdFacts:
    age = row.head_age
    return HouseholdFacts(
        blacklisted=bool(row.blacklisted),
        current_npl=bool(row.current_npl),
        current_overdue_days=int(row.current_overdue_days),
        fraud_recent=bool(row.fraud_recent),
        tax_arrears=float(row.tax_arrears or 0),
        business_revoked=bool(row.business_revoked),
        abroad_now=bool(row.abroad_now),
        head_age=None if age is None or pd.isna(age) else float(age),
        assets=float(row.assets),
        net_income=float(row.net_income),
        existing_debt=float(row.existing_debt),
        thin_file=bool(row.thin_file),
        poverty_status=str(row.poverty_status or ""),
    )


def apply_policy(probabilities: pd.Series, meta: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """``decide`` for every household of ``meta`` (index household_no); one row each."""
    rows = []
    # One aligned lookup for the whole table (a KeyError names any household without one): a
    # label lookup per household cost 3 s of a county's 111,000.
    aligned = probabilities.loc[meta.index].to_numpy(dtype=float).tolist()
    for row, probability in zip(meta.itertuples(), aligned, strict=True):
        outcome = decide(probability, _facts(row), policy)
        rows.append({"household_no": row.Index, **outcome.__dict__})
    return pd.DataFrame(rows).set_index("household_no")
