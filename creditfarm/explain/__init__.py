"""Explanations: exact TreeSHAP contributions (log-odds, stored) and reasons in plain Chinese, in
the policy's score points (``points``).

``explain_batch`` is what scoring calls for a whole county in one go; ``explain_household``
serves the CLI and the UI for one household.
"""

from __future__ import annotations

from creditfarm.explain.batch import Explanation, explain_batch
from creditfarm.explain.catalogue import SOURCE_ZH, FeatureInfo, feature_infos
from creditfarm.explain.contributions import (
    BASE,
    booster_of,
    contributions_frame,
    monotone_map,
    raw_output,
)
from creditfarm.explain.formatting import MISSING_TEXT, format_value, format_yuan
from creditfarm.explain.household import explain_household, find_household, load_booster
from creditfarm.explain.points import PointsScale, scale_for
from creditfarm.explain.policy_reasons import CAP_CODES, VETO_CODES, policy_reasons
from creditfarm.explain.reasons import (
    CONTEXT,
    CONTEXT_ZH,
    LOWERED,
    RAISED,
    build_reasons,
    points_text,
    reason_code,
)
from creditfarm.explain.text import explanation_text
from creditfarm.explain.views import (
    drivers_by_grade,
    feature_labels,
    global_importance,
    grade_drivers,
    latest_assessments,
    load_contributions,
    mean_contributions,
    model_beeswarm,
    source_contributions,
    village_drivers,
)

__all__ = [
    "BASE",
    "CAP_CODES",
    "CONTEXT",
    "CONTEXT_ZH",
    "LOWERED",
    "MISSING_TEXT",
    "RAISED",
    "SOURCE_ZH",
    "VETO_CODES",
    "Explanation",
    "FeatureInfo",
    "PointsScale",
    "booster_of",
    "build_reasons",
    "contributions_frame",
    "drivers_by_grade",
    "explain_batch",
    "explain_household",
    "explanation_text",
    "feature_infos",
    "feature_labels",
    "find_household",
    "format_value",
    "format_yuan",
    "global_importance",
    "grade_drivers",
    "latest_assessments",
    "load_booster",
    "load_contributions",
    "mean_contributions",
    "model_beeswarm",
    "monotone_map",
    "points_text",
    "policy_reasons",
    "raw_output",
    "reason_code",
    "scale_for",
    "source_contributions",
    "village_drivers",
]
