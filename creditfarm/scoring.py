"""Probability → score → grade → vetoes → limit, and the stored assessments.

The rule functions (``probability_to_score``, ``grade_for``, ``vetoes_for``, ``limit_for``,
``apply_poverty_product``, ``decide``) are pure: numbers in, numbers out, thresholds from the
policy file, so each can be tested by hand. ``score_households`` applies them to every filed
household (建档 first: unfiled households get no assessment and count as not pre-credited) and
stores one Assessment per household per run; older runs are kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert

from creditfarm.db.models import Assessment
from creditfarm.features.build import FeatureSet, build_features, data_date, load_county
from creditfarm.model.artefacts import load_bundle
from creditfarm.policy import Policy
from creditfarm.workspace import Workspace

__all__ = [
    "SCORE_COLUMNS",
    "HouseholdFacts",
    "LimitResult",
    "PolicyOutcome",
    "ScoreRun",
    "apply_policy",
    "apply_poverty_product",
    "decide",
    "grade_for",
    "is_credit_household",
    "latest_scores",
    "limit_for",
    "probability_to_score",
    "score_features",
    "score_households",
    "vetoes_for",
    "write_scores",
]

Progress = Callable[[int, int, str], None]


# -- pure rules -------------------------------------------------------------------------------
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
    for row in meta.itertuples():
        outcome = decide(float(probabilities.loc[row.Index]), _facts(row), policy)
        rows.append({"household_no": row.Index, **outcome.__dict__})
    return pd.DataFrame(rows).set_index("household_no")


# -- the scoring run --------------------------------------------------------------------------
@dataclass
class ScoreRun:
    as_of: date
    model_version: str
    policy_version: str
    households: int  # assessments stored
    pre_credited: int
    credit_households: int
    thin_files: int
    vetoed: int
    explained: bool  # contributions and reasons stored


def _table(model: Any) -> Any:
    """The SQLAlchemy Table behind a SQLModel class (for Core statements)."""
    return model.__table__


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
            out[key] = None
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out


def _explain(model: Any, X: pd.DataFrame, households: pd.DataFrame) -> list[Any]:
    """TreeSHAP contributions and Chinese reasons, stored with each assessment (issue 4)."""
    from creditfarm.explain import explain_batch  # lightgbm/shap: loaded only when scoring

    return explain_batch(model, X, households=households)


def score_features(
    features: FeatureSet, *, model: Any, policy: Policy
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Policy outcomes and the model's features of the filed households of ``features``."""
    filed = features.meta.index[features.meta["filed"]]
    X = features.X.loc[filed, model.feature_names_]
    proba = pd.Series(model.predict_proba(X)[:, 1] if len(X) else [], index=filed, dtype=float)
    outcomes = apply_policy(proba, features.meta.loc[filed], policy)
    return outcomes, X


def score_households(
    ws: Workspace,
    *,
    as_of: date | None = None,
    model_version: str | None = None,
    progress: Progress | None = None,
) -> ScoreRun:
    """Score every filed household as of ``as_of`` (default: the county's data date) and store
    one Assessment each, keeping earlier ones."""
    bundle = load_bundle(ws.model_dir, model_version)
    data = load_county(ws)
    as_of = as_of or data_date(data)
    policy = ws.policy
    if progress:
        progress(0, 3, "features")
    features = build_features(data, as_of=as_of, policy=policy)
    outcomes, X = score_features(features, model=bundle.model, policy=policy)
    if progress:
        progress(1, 3, "explanations")
    households = pd.DataFrame(
        {
            "household_no": X.index.astype(str),
            "village_code": features.meta.loc[X.index, "village_code"].to_numpy(),
        }
    )
    explanations = _explain(bundle.model, X, households) if len(X) else []
    if progress:
        progress(2, 3, "storing")
    meta = features.meta.loc[X.index]
    records = []
    for i, hh in enumerate(X.index):
        o = outcomes.loc[hh]
        exp = explanations[i] if explanations else None
        records.append(
            {
                "household_no": str(hh),
                "village_code": meta.at[hh, "village_code"],
                "as_of": as_of,
                "model_version": bundle.version,
                "policy_version": policy.version,
                "probability": float(o["probability"]),
                "score": float(o["score"]),
                "grade": str(o["grade"]),
                "credit_household": bool(o["credit_household"]),
                "pre_credit_limit": float(o["limit"]),
                "pre_credited": bool(o["pre_credited"]),
                "thin_file": bool(meta.at[hh, "thin_file"]),
                "vetoes": list(o["vetoes"]),
                "caps": list(o["caps"]),
                "features": _jsonable(X.loc[hh].to_dict()),
                "contributions": _jsonable(dict(exp.contributions)) if exp else {},
                "reasons": exp.reasons if exp else {},
                "created_at": pd.Timestamp.now(tz="UTC").to_pydatetime(),
            }
        )
    if records:
        with ws.engine.begin() as conn:  # Core bulk insert: thousands of rows
            conn.execute(insert(_table(Assessment)), records)
    if progress:
        progress(3, 3, "")
    return ScoreRun(
        as_of=as_of,
        model_version=bundle.version,
        policy_version=policy.version,
        households=len(records),
        pre_credited=int(outcomes["pre_credited"].sum()) if len(outcomes) else 0,
        credit_households=int(outcomes["credit_household"].sum()) if len(outcomes) else 0,
        thin_files=int(meta["thin_file"].sum()),
        vetoed=int(outcomes["vetoes"].map(bool).sum()) if len(outcomes) else 0,
        explained=bool(explanations),
    )


# -- the 整村授信 list --------------------------------------------------------------------------
SCORE_COLUMNS = (
    "household_no",
    "village_code",
    "head_name",
    "probability",
    "score",
    "grade",
    "credit_household",
    "limit",
    "vetoes",
    "thin_file",
    "model_version",
    "as_of",
)


def latest_scores(
    ws: Workspace, *, village_code: str | None = None, role: str | None = None
) -> pd.DataFrame:
    """The latest assessment of every household (of one village when given), columns
    ``SCORE_COLUMNS``; head names in full only for roles that work with farmers by name
    (``creditfarm.households.OFFICER_ROLES``: loan_officer, admin), else 张**."""
    from sqlalchemy import func, select

    from creditfarm.db.models import Archive, Household, Person
    from creditfarm.households import show_name

    role = role or ws.settings.role
    a_t, h_t = _table(Assessment).c, _table(Household).c
    p_t, ar_t = _table(Person).c, _table(Archive).c
    newest = select(func.max(a_t.id)).group_by(a_t.household_no)
    if village_code:
        newest = newest.where(a_t.village_code == village_code)
    query = (
        select(_table(Assessment), p_t.name, ar_t.head_name)
        .join(_table(Household), h_t.household_no == a_t.household_no)
        .outerjoin(_table(Person), p_t.person_key == h_t.head_person_key)
        .outerjoin(_table(Archive), ar_t.head_person_key == h_t.head_person_key)
        .where(a_t.id.in_(newest))
        .order_by(a_t.village_code, a_t.household_no)
    )
    with ws.engine.connect() as conn:
        rows = conn.execute(query).all()
    records = []
    for row in rows:
        a = row  # Core rows: columns by name
        name = row.name or row.head_name
        records.append(
            {
                "household_no": a.household_no,
                "village_code": a.village_code,
                "head_name": show_name(name, role),
                "probability": round(a.probability, 4),
                "score": round(a.score, 1),
                "grade": a.grade,
                "credit_household": a.credit_household,
                "limit": int(a.pre_credit_limit),
                "vetoes": ";".join(a.vetoes or []),
                "thin_file": a.thin_file,
                "model_version": a.model_version,
                "as_of": a.as_of.isoformat(),
            }
        )
    return pd.DataFrame(records, columns=list(SCORE_COLUMNS))


def write_scores(frame: pd.DataFrame, *, fmt: str, out: Any) -> None:
    """Write the list as CSV (UTF-8 with BOM, so Excel shows 汉字) or XLSX to a path or stream."""
    if fmt == "csv":
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        frame.to_excel(out, index=False, sheet_name="预授信名单", engine="xlsxwriter")
    else:
        raise ValueError(f"unknown format {fmt!r}: csv or xlsx")
