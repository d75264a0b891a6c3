"""The policy: every threshold in one documented file (``policy.toml``) and the pure rules that
apply it (score → grade → vetoes → limit → poverty product). Changing a threshold never needs a
code change; every assessment records the policy version that made it."""

from creditfarm.policy.config import Policy, load_policy
from creditfarm.policy.rules import (
    HouseholdFacts,
    LimitResult,
    PolicyOutcome,
    apply_policy,
    decide,
    grade_for,
    is_credit_household,
    limit_for,
    probability_to_score,
    vetoes_for,
)

__all__ = [
    "HouseholdFacts",
    "LimitResult",
    "Policy",
    "PolicyOutcome",
    "apply_policy",
    "decide",
    "grade_for",
    "is_credit_household",
    "limit_for",
    "load_policy",
    "probability_to_score",
    "vetoes_for",
]
