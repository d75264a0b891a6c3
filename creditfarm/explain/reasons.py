"""Model reasons a farmer understands: factors that lowered and raised the score, in Chinese.

A positive contribution raises the default log-odds and so *lowers* the score. Each reason has a
stable code (feature name + what the value is: ``PAY_INFLOW_MEAN_LOW``), the household's own
value written the Chinese way, and a comparison with the other households of its village.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from creditfarm.explain.catalogue import SOURCE_ORDER, SOURCE_ZH, FeatureInfo
from creditfarm.explain.formatting import MISSING_TEXT, format_value, is_missing
from creditfarm.explain.village_reference import Comparison, VillageReference, percent

__all__ = ["LOWERED", "RAISED", "build_reasons", "comparison_text", "reason_code"]

LOWERED = "lowered"  # 降低评分的因素
RAISED = "raised"  # 提高评分的因素
_EPS = 1e-9
_FLAG_UNITS = {"是/否", "bool", "flag"}


@lru_cache(maxsize=4096)
def _code_base(feature: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", feature).strip("_").upper()


def _is_flag(info: FeatureInfo) -> bool:
    return info.unit in _FLAG_UNITS


def reason_code(
    info: FeatureInfo,
    value: Any,
    contribution: float,
    *,
    monotone: int = 0,
    comparison: Comparison | None = None,
) -> str:
    """Stable code: FEATURE_MISSING / _YES / _NO / _HIGH / _LOW / _TYPICAL / _ADVERSE / _FAVOURABLE.

    HIGH / LOW say where the value sits against the other households of the village (the same
    comparison the sentence gives); without one, a monotone feature's direction follows from its
    constraint and the sign of the contribution.
    """
    base = _code_base(info.name)
    if is_missing(value):
        return f"{base}_MISSING"
    if _is_flag(info):
        return f"{base}_YES" if float(value) >= 0.5 else f"{base}_NO"
    if isinstance(value, str):
        return f"{base}_ADVERSE" if contribution > 0 else f"{base}_FAVOURABLE"
    if comparison is not None and comparison.median is not None:
        if float(value) > comparison.median:
            return f"{base}_HIGH"
        if float(value) < comparison.median:
            return f"{base}_LOW"
    if monotone:
        return f"{base}_HIGH" if (contribution > 0) == (monotone > 0) else f"{base}_LOW"
    return f"{base}_TYPICAL"


def comparison_text(comparison: Comparison | None, *, categorical: bool) -> str | None:
    """高于本村 80% 的农户 / 低于本村 30% 的农户 / 本村 12% 的农户情况相同."""
    if comparison is None:
        return None
    if categorical:
        return f"本村 {percent(comparison.share_same)}% 的农户情况相同"
    if comparison.share_below >= comparison.share_above and comparison.share_below > 0:
        return f"高于本村 {percent(comparison.share_below)}% 的农户"
    if comparison.share_above > 0:
        return f"低于本村 {percent(comparison.share_above)}% 的农户"
    return "与本村其他农户相同"


def _json_value(value: Any) -> Any:
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


def _reason(
    info: FeatureInfo,
    value: Any,
    contribution: float,
    *,
    monotone: int,
    comparison: Comparison | None,
) -> dict[str, Any]:
    categorical = isinstance(value, str) or _is_flag(info)
    value_text = format_value(value, info.unit, feature=info.name)
    compare = comparison_text(comparison, categorical=categorical)
    if value_text == MISSING_TEXT:
        sentence = f"{info.zh}：{MISSING_TEXT}"
    elif compare:
        sentence = f"{info.zh} {value_text}，{compare}"
    else:
        sentence = f"{info.zh} {value_text}"
    return {
        "code": reason_code(info, value, contribution, monotone=monotone, comparison=comparison),
        "feature": info.name,
        "name_zh": info.zh,
        "source": info.source,
        "source_zh": info.source_zh,
        "effect": LOWERED if contribution > 0 else RAISED,
        "contribution": round(float(contribution), 6),
        "value": _json_value(value),
        "value_text": value_text,
        "village": comparison.as_dict() if comparison is not None else None,
        "comparison": compare,
        "sentence": sentence,
    }


def build_reasons(
    *,
    household_no: str,
    village_code: Any,
    contributions: Mapping[str, float],
    values: Mapping[str, Any],
    infos: Mapping[str, FeatureInfo],
    monotone: Mapping[str, int],
    reference: VillageReference | None,
    top_n: int = 6,
) -> dict[str, Any]:
    """The reasons dict stored with an assessment (JSON-serialisable)."""
    base = float(contributions.get("_base", 0.0))
    items = [(k, float(v)) for k, v in contributions.items() if k != "_base"]
    lowered = sorted((kv for kv in items if kv[1] > _EPS), key=lambda kv: -kv[1])[:top_n]
    raised = sorted((kv for kv in items if kv[1] < -_EPS), key=lambda kv: kv[1])[:top_n]

    def make(feature: str, contribution: float) -> dict[str, Any]:
        info = infos[feature]
        value = values.get(feature)
        # Village-level features are the same for every household of the village.
        comparison = (
            reference.compare(
                village_code=village_code, household_no=household_no, feature=feature, value=value
            )
            if reference is not None and info.source != "village"
            else None
        )
        return _reason(
            info,
            value,
            contribution,
            monotone=int(monotone.get(feature, 0) or info.monotone),
            comparison=comparison,
        )

    lowered_r = [make(f, c) for f, c in lowered]
    raised_r = [make(f, c) for f, c in raised]
    by_source: dict[str, dict[str, list[str]]] = {}
    for source in SOURCE_ORDER:
        low = [r["code"] for r in lowered_r if r["source"] == source]
        high = [r["code"] for r in raised_r if r["source"] == source]
        if low or high:
            by_source[SOURCE_ZH[source]] = {LOWERED: low, RAISED: high}
    return {
        "scale": "log-odds of default (model raw output, before calibration)",
        "base": round(base, 6),
        "raw": round(base + sum(v for _, v in items), 6),
        LOWERED: lowered_r,
        RAISED: raised_r,
        "by_source": by_source,
    }
