"""A household explanation (``explain_household``'s dict) as plain Chinese text."""

from __future__ import annotations

from typing import Any

from creditfarm.display.formatting import fmt_pct, fmt_yuan
from creditfarm.explain.reasons import CONTEXT, CONTEXT_ZH, LOWERED, RAISED

__all__ = ["explanation_text"]


def _grouped(items: list[dict[str, Any]]) -> list[str]:
    """Reasons by data source; sources in order of their most important reason."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for reason in items:  # already most important first
        groups.setdefault(reason.get("source_zh") or "其他", []).append(reason)
    lines: list[str] = []
    for source_zh, group in groups.items():
        lines.append(f"  【{source_zh}】")
        lines.extend(
            f"    - {r['sentence']} {r.get('points_text', '')}（{r['code']}）".replace(" （", "（")
            for r in group
        )
    return lines


def explanation_text(explained: dict[str, Any]) -> str:
    """What ``creditfarm explain`` prints: household, result, policy rules, then model reasons
    (most important first within each data source)."""
    a = explained["assessment"]
    place = " ".join(p for p in (explained.get("town_name"), explained.get("village_name")) if p)
    lines = [
        f"户号：{explained['household_no']}  {place}".rstrip(),
        f"户主：{explained.get('head_name') or '—'}  身份证号：{explained.get('head_id') or '—'}",
        f"评估日期：{a['as_of']}  模型版本：{a['model_version']}  政策版本：{a['policy_version']}",
        f"信用等级：{a['grade']}  评分：{a['score']:.1f}  违约概率：{fmt_pct(a['probability'], 2)}",
        f"预授信额度：{fmt_yuan(a['pre_credit_limit']) if a['pre_credit_limit'] else '0'}  "
        f"信用户：{'是' if a['credit_household'] else '否'}"
        + ("  （无贷款记录的白户）" if a.get("thin_file") else ""),
        "",
        "政策规则（规则，不是模型统计）：",
    ]
    rules = explained.get("policy_rules") or []
    lines.extend(f"  - {r['sentence']}" for r in rules) if rules else lines.append("  - 无")
    reasons = explained.get("reasons") or {}
    if "base_score" in reasons:
        lines += [
            "",
            f"模型评分：基准分 {reasons['base_score']:.1f} 分，加减以下各因素的分值，"
            f"得 {reasons['model_score']:.1f} 分",
        ]
    lines += ["", "降低评分的因素（按影响从大到小）："]
    lines.extend(_grouped(reasons.get(LOWERED, [])) or ["  - 无"])
    lines += ["", "提高评分的因素（按影响从大到小）："]
    lines.extend(_grouped(reasons.get(RAISED, [])) or ["  - 无"])
    if reasons.get(CONTEXT):
        lines += ["", f"{CONTEXT_ZH}（本村整体情况，不是本户自身的原因）："]
        lines.extend(f"  - {r['sentence']} {r['points_text']}" for r in reasons[CONTEXT])
    if explained.get("computed_on_demand"):
        lines += ["", "（说明：本次解释为即时计算，未存储于评估记录中）"]
    return "\n".join(lines)
