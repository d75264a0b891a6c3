"""Model reasons a farmer understands: factors that lowered and raised the score, in Chinese.

A positive contribution raises the default log-odds and so *lowers* the score; each reason says
by how many score points (``explain.points``), the unit the grade is made of. Each reason has a
stable code (feature name + what the value is: ``PAY_INFLOW_MEAN_LOW``), the household's own
value written the Chinese way, and a comparison with the other households of its village.

Three rules keep the reasons fair to the household:

- **missing data never raises a grade**: a missing value whose contribution helps is not a
  reason; its points are merged into 其他因素 in the waterfall (a missing value that lowers the
  score stays a reason: supplying the data is something the household can do);
- **village context is not the household's fault**: features of the village (source
  ``village``, e.g. 本村不良贷款率) are never among the household's reasons; they are listed apart
  as 村级背景 (``context``);
- **a direction not in doubt is never contradicted**: for a monotone feature (catalogue) the
  code follows the constraint, and a village comparison pointing the other way (the household
  has more land than most of its village, but less than the county model's average) is left
  out rather than printed beside "lowered the score".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from creditfarm.explain.catalogue import SOURCE_ORDER, SOURCE_ZH, FeatureInfo
from creditfarm.explain.formatting import MISSING_TEXT, format_value, is_missing
from creditfarm.explain.points import PointsScale, scale_for
from creditfarm.explain.village_reference import Comparison, VillageReference, percent

__all__ = [
    "CONTEXT",
    "CONTEXT_ZH",
    "LOWERED",
    "RAISED",
    "build_reasons",
    "comparison_text",
    "points_text",
    "reason_code",
]

LOWERED = "lowered"  # 降低评分的因素
RAISED = "raised"  # 提高评分的因素
CONTEXT = "context"  # 村级背景: the village's figures, not the household's own
CONTEXT_ZH = "村级背景"
_CONTEXT_SOURCES = {"village"}
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
    if monotone:
        # The direction is not in doubt: the constraint and the sign say which side it is on.
        return f"{base}_HIGH" if (contribution > 0) == (monotone > 0) else f"{base}_LOW"
    if comparison is not None and comparison.median is not None:
        if float(value) > comparison.median:
            return f"{base}_HIGH"
        if float(value) < comparison.median:
            return f"{base}_LOW"
    return f"{base}_TYPICAL"


def points_text(points: float) -> str:
    """+3.2分 / −1.5分 (a true minus sign), 0.0分 below a twentieth of a point."""
    if abs(points) < 0.05:
        return "0.0分"
    return f"{'+' if points > 0 else '−'}{abs(points):.1f}分"


def _contradicts(
    comparison: Comparison | None, value: Any, contribution: float, monotone: int
) -> bool:
    """True when a monotone feature's village comparison points against its contribution: a
    value above the village median that (by the constraint) could only have lowered risk shown
    as lowering the score, or the reverse."""
    if not monotone or comparison is None or comparison.median is None or is_missing(value):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    high = (contribution > 0) == (monotone > 0)  # what the constraint says the value is
    return (high and number < comparison.median) or (not high and number > comparison.median)


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
    scale: PointsScale,
) -> dict[str, Any]:
    categorical = isinstance(value, str) or _is_flag(info)
    value_text = format_value(value, info.unit, feature=info.name)
    if _contradicts(comparison, value, contribution, monotone):
        comparison = None
    compare = comparison_text(comparison, categorical=categorical)
    if info.source in _CONTEXT_SOURCES:
        # Listed under 村级背景, whose heading says it is not the household's own doing.
        sentence = f"{info.zh} {value_text}"
    elif value_text == MISSING_TEXT:
        sentence = f"{info.zh}：{MISSING_TEXT}"
    elif compare:
        sentence = f"{info.zh} {value_text}，{compare}"
    else:
        sentence = f"{info.zh} {value_text}"
    points = scale.points(contribution)
    return {
        "points": round(points, 2),
        "points_text": points_text(points),
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
    scale: PointsScale | None = None,
    top_n: int = 6,
    waterfall_top: int = 8,
) -> dict[str, Any]:
    """The reasons dict stored with an assessment (JSON-serialisable): the household's reasons
    (``lowered``, ``raised``, each with its points), the village context apart (``context``),
    and the waterfall in points from the base score to the household's score. ``scale``
    default: the packaged policy, raw score taken as calibrated (``points.scale_for``)."""
    if scale is None:
        scale = scale_for(None)
    base = float(contributions.get("_base", 0.0))
    items = [(k, float(v)) for k, v in contributions.items() if k != "_base"]

    def is_context(feature: str) -> bool:
        return infos[feature].source in _CONTEXT_SOURCES

    def helps_while_missing(feature: str, contribution: float) -> bool:
        return contribution < 0 and is_missing(values.get(feature))

    own = [kv for kv in items if not is_context(kv[0])]
    context_items = sorted(
        (kv for kv in items if is_context(kv[0]) and abs(kv[1]) > _EPS), key=lambda kv: -abs(kv[1])
    )
    candidates = [kv for kv in own if not helps_while_missing(*kv)]
    lowered = sorted((kv for kv in candidates if kv[1] > _EPS), key=lambda kv: -kv[1])[:top_n]
    raised = sorted((kv for kv in candidates if kv[1] < -_EPS), key=lambda kv: kv[1])[:top_n]

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
            scale=scale,
        )

    lowered_r = [make(f, c) for f, c in lowered]
    raised_r = [make(f, c) for f, c in raised]
    context_r = [make(f, c) for f, c in context_items]
    by_source: dict[str, dict[str, list[str]]] = {}
    for source in SOURCE_ORDER:
        low = [r["code"] for r in lowered_r if r["source"] == source]
        high = [r["code"] for r in raised_r if r["source"] == source]
        if low or high:
            by_source[SOURCE_ZH[source]] = {LOWERED: low, RAISED: high}
    base_score = scale.base_score(base)
    missing_helped = [f for f, c in own if helps_while_missing(f, c)]
    return {
        "scale": "score points (评分分值): positive raises the score",
        "points_scale": scale.as_dict(),
        "base": round(base, 6),
        "raw": round(base + sum(v for _, v in items), 6),
        "base_score": round(base_score, 2),
        "model_score": round(base_score + sum(scale.points(v) for _, v in items), 2),
        LOWERED: lowered_r,
        RAISED: raised_r,
        CONTEXT: context_r,
        "missing_not_counted": {
            "features": missing_helped,
            "points": round(sum(scale.points(c) for f, c in own if f in set(missing_helped)), 2),
        },
        "by_source": by_source,
        "waterfall": _waterfall(
            own, context_items, missing_helped, infos, scale, base_score, top=waterfall_top
        ),
    }


def _waterfall(
    own: list[tuple[str, float]],
    context: list[tuple[str, float]],
    missing_helped: list[str],
    infos: Mapping[str, FeatureInfo],
    scale: PointsScale,
    base_score: float,
    *,
    top: int,
) -> list[dict[str, Any]]:
    """Steps in points: 基准分, the household's largest factors, 其他因素 (the rest, with any
    missing value that helped: never a bar of its own), 村级背景, 本户评分 (the sum)."""
    skip = set(missing_helped)
    ranked = sorted(
        (kv for kv in own if kv[0] not in skip and abs(kv[1]) > _EPS), key=lambda kv: -abs(kv[1])
    )
    shown = ranked[:top]
    shown_names = {f for f, _ in shown}
    rest = sum(scale.points(c) for f, c in own if f not in shown_names)
    steps: list[dict[str, Any]] = [{"label": "基准分", "kind": "base", "points": base_score}]
    steps += [
        {"label": infos[f].zh, "kind": "feature", "feature": f, "points": scale.points(c)}
        for f, c in shown
    ]
    if abs(rest) > _EPS:
        steps.append({"label": "其他因素", "kind": "other", "points": rest})
    village = sum(scale.points(c) for _, c in context)
    if context:
        steps.append({"label": CONTEXT_ZH, "kind": "context", "points": village})
    total = base_score + sum(s["points"] for s in steps[1:])
    steps.append({"label": "本户评分", "kind": "total", "points": total})
    return [{**s, "points": round(float(s["points"]), 2)} for s in steps]
