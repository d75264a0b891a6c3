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
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from creditfarm.collector import collector_paused
from creditfarm.explain.catalogue import SOURCE_ORDER, SOURCE_ZH, FeatureInfo
from creditfarm.explain.formatting import MISSING_TEXT, format_value, is_missing
from creditfarm.explain.points import PointsScale, scale_for
from creditfarm.explain.village_reference import (
    Comparison,
    Comparisons,
    VillageReference,
    percent,
)

__all__ = [
    "CONTEXT",
    "CONTEXT_ZH",
    "LOWERED",
    "RAISED",
    "build_reasons",
    "comparison_text",
    "points_text",
    "reason_code",
    "reasons_table",
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


# What a value reads as, whatever the household: categorical?, text, JSON value.
_Described = tuple[bool, str, Any]


def _describe(info: FeatureInfo, value: Any) -> _Described:
    return (
        isinstance(value, str) or _is_flag(info),
        format_value(value, info.unit, feature=info.name),
        _json_value(value),
    )


class _Descriptions:
    """``_describe`` once per feature and distinct value (a county's values repeat: counts,
    flags, levels), keyed by type too (``True == 1.0`` but they are written differently)."""

    _MISSING = object()

    def __init__(self, infos: Sequence[FeatureInfo]) -> None:
        self._infos = infos
        self._seen: list[dict[Any, _Described]] = [{} for _ in infos]

    def __call__(self, j: int, value: Any) -> _Described:
        key = self._MISSING if (value != value) is True else (type(value), value)
        seen = self._seen[j]
        described = seen.get(key)
        if described is None:
            described = seen[key] = _describe(self._infos[j], value)
        return described


def _reason(
    info: FeatureInfo,
    value: Any,
    contribution: float,
    *,
    monotone: int,
    comparison: Comparison | None,
    scale: PointsScale,
    described: _Described,
) -> dict[str, Any]:
    categorical, value_text, json_value = described
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
        "value": json_value,
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
    default: the packaged policy, raw score taken as calibrated (``points.scale_for``).

    One household is a table of one row (``reasons_table``): there is one definition of the
    reasons, whichever way they are asked for."""
    names = [k for k in contributions if k != "_base"]
    (reasons,) = reasons_table(
        household_nos=[household_no],
        village_codes=[village_code],
        names=names,
        contributions=np.array([[float(contributions[k]) for k in names]], dtype=float),
        base=np.array([float(contributions.get("_base", 0.0))]),
        values={k: [values.get(k)] for k in names},
        infos=infos,
        monotone=monotone,
        reference=reference,
        scale=scale,
        top_n=top_n,
        waterfall_top=waterfall_top,
    )
    return reasons


def _ranked(key: np.ndarray, limit: int | None) -> list[list[int]]:
    """Per row, the columns whose ``key`` is finite, smallest key first (ties in column order,
    as a stable sort of the row gives them), at most ``limit``."""
    if key.shape[1] == 0:
        return [[] for _ in range(key.shape[0])]
    order = np.argsort(key, axis=1, kind="stable")
    if limit is not None:
        order = order[:, :limit]
    counts = np.isfinite(np.take_along_axis(key, order, axis=1)).sum(axis=1).tolist()
    return [row[:count] for row, count in zip(order.tolist(), counts, strict=True)]


@collector_paused()
def reasons_table(
    *,
    household_nos: Sequence[str],
    village_codes: Sequence[Any],
    names: Sequence[str],
    contributions: np.ndarray,
    base: np.ndarray,
    values: Mapping[str, Sequence[Any] | np.ndarray],
    infos: Mapping[str, FeatureInfo],
    monotone: Mapping[str, int],
    reference: VillageReference | None,
    scale: PointsScale | None = None,
    top_n: int = 6,
    waterfall_top: int = 8,
) -> list[dict[str, Any]]:
    """``build_reasons`` for many households at once: row ``i`` of ``contributions`` (one
    column per feature of ``names``, log-odds) and ``base`` with the values ``values[name][i]``
    (a float array is read as it is, NaN missing). Choosing and ranking the reasons, and every
    village comparison, are whole-table numpy operations; only the chosen reasons are written
    out one by one, with the cyclic collector paused (``collector_paused``)."""
    if scale is None:
        scale = scale_for(None)
    n, width = len(household_nos), len(names)
    C = np.asarray(contributions, dtype=float).reshape(n, width)
    missing = np.zeros((n, width), dtype=bool)
    for j, name in enumerate(names):
        column = values[name]
        if isinstance(column, np.ndarray) and column.dtype.kind == "f":
            missing[:, j] = np.isnan(column)
        else:
            missing[:, j] = [is_missing(v) for v in column]
    feature_infos = [infos[name] for name in names]
    context = np.array([info.source in _CONTEXT_SOURCES for info in feature_infos], dtype=bool)
    directions = [
        int(monotone.get(name, 0) or info.monotone)
        for name, info in zip(names, feature_infos, strict=True)
    ]
    helped = (C < 0) & missing & ~context  # missing data that helped: never a reason
    candidate = ~context & ~helped
    inf = np.inf
    lowered_at = _ranked(np.where(candidate & (C > _EPS), -C, inf), top_n)
    raised_at = _ranked(np.where(candidate & (C < -_EPS), C, inf), top_n)
    context_at = _ranked(np.where(context & (np.abs(C) > _EPS), -np.abs(C), inf), None)
    shown_at = _ranked(np.where(candidate & (np.abs(C) > _EPS), -np.abs(C), inf), waterfall_top)
    # Score points: one scale for the table (a contribution c is worth −factor · a · c points,
    # the same product as ``PointsScale.points``). Sums stay Python sums in feature order.
    points = C * (-scale.factor * scale.slope)
    bases = np.asarray(base, dtype=float).tolist()
    base_scores = [scale.base_score(b) for b in bases]
    own = np.flatnonzero(~context).tolist()
    helped_rows = helped.any(axis=1).tolist()
    comparisons = (
        _comparisons(reference, household_nos, village_codes, names, feature_infos, values)
        if reference is not None
        else {}
    )
    columns = [values[name] for name in names]
    cells = C.tolist()
    point_cells = points.tolist()

    describe = _Descriptions(feature_infos)

    def make(i: int, row: list[float], j: int) -> dict[str, Any]:
        compared = comparisons.get(j)
        value = columns[j][i]
        if isinstance(value, np.generic):
            value = value.item()
        return _reason(
            feature_infos[j],
            value,
            row[j],
            monotone=directions[j],
            comparison=compared.at(i) if compared is not None else None,
            scale=scale,
            described=describe(j, value),
        )

    out: list[dict[str, Any]] = []
    for i in range(n):
        row, row_points = cells[i], point_cells[i]

        lowered_r = [make(i, row, j) for j in lowered_at[i]]
        raised_r = [make(i, row, j) for j in raised_at[i]]
        context_r = [make(i, row, j) for j in context_at[i]]
        by_source: dict[str, dict[str, list[str]]] = {}
        for source in SOURCE_ORDER:
            low = [r["code"] for r in lowered_r if r["source"] == source]
            high = [r["code"] for r in raised_r if r["source"] == source]
            if low or high:
                by_source[SOURCE_ZH[source]] = {LOWERED: low, RAISED: high}
        helped_at = np.flatnonzero(helped[i]).tolist() if helped_rows[i] else []
        missing_helped = [names[j] for j in helped_at]
        # Waterfall in points: 基准分, the household's largest factors, 其他因素 (the rest, with
        # any missing value that helped: never a bar of its own), 村级背景, 本户评分 (the sum).
        shown = shown_at[i]
        hidden = set(shown)
        rest = sum(row_points[j] for j in own if j not in hidden)
        steps: list[dict[str, Any]] = [
            {"label": "基准分", "kind": "base", "points": base_scores[i]}
        ]
        steps += [
            {
                "label": feature_infos[j].zh,
                "kind": "feature",
                "feature": names[j],
                "points": row_points[j],
            }
            for j in shown
        ]
        if abs(rest) > _EPS:
            steps.append({"label": "其他因素", "kind": "other", "points": rest})
        if context_at[i]:
            village = sum(row_points[j] for j in context_at[i])
            steps.append({"label": CONTEXT_ZH, "kind": "context", "points": village})
        steps.append(
            {
                "label": "本户评分",
                "kind": "total",
                "points": base_scores[i] + sum(s["points"] for s in steps[1:]),
            }
        )
        out.append(
            {
                "scale": "score points (评分分值): positive raises the score",
                "points_scale": scale.as_dict(),
                "base": round(bases[i], 6),
                "raw": round(bases[i] + sum(row), 6),
                "base_score": round(base_scores[i], 2),
                "model_score": round(base_scores[i] + sum(row_points), 2),
                LOWERED: lowered_r,
                RAISED: raised_r,
                CONTEXT: context_r,
                "missing_not_counted": {
                    "features": missing_helped,
                    "points": round(sum(row_points[j] for j in helped_at), 2),
                },
                "by_source": by_source,
                "waterfall": [{**s, "points": round(float(s["points"]), 2)} for s in steps],
            }
        )
    return out


def _comparisons(
    reference: VillageReference,
    household_nos: Sequence[str],
    village_codes: Sequence[Any],
    names: Sequence[str],
    infos: Sequence[FeatureInfo],
    values: Mapping[str, Sequence[Any] | np.ndarray],
) -> dict[int, Comparisons]:
    """Every household against its village, feature by feature (village-level features are the
    same for every household of the village: no comparison)."""
    batch = reference.batch(village_codes=village_codes, household_nos=household_nos)
    return {
        j: batch.compare(name, values[name])
        for j, (name, info) in enumerate(zip(names, infos, strict=True))
        if info.source != "village"
    }
