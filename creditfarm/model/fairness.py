"""Fairness check: grades, limits and pre-credit rates by ethnicity, gender and poverty status,
and the gaps between groups with their confidence intervals and flags.

None of these attributes is a model input (see ``features.catalogue.PROTECTED_ATTRIBUTES``); they
are read here, from the 户籍 person table (the household head) and the poverty register, only to
show whether outcomes differ between groups.

``fairness_gaps`` (``metrics["fairness_gaps"]``), per grouping, against its reference group (the
group with the most households, or out-of-time rows):

- ``approval``: each group's pre-credit rate (Wilson interval) on the scoring population, its gap
  to the reference (Newcombe interval) and the impact ratio, lower rate / higher rate (Katz
  interval; the four-fifths rule);
- ``performance``: on the out-of-time rows, each group's AUC and its gap to the reference's, and
  its calibration gap (mean predicted − observed default rate), with bootstrap intervals;
- ``flags``: every gap judged ``exceeds`` (``fairness_stats.judge``: point estimate beyond the
  policy threshold and interval excluding no gap).

A group with fewer than ``[fairness].min_households`` households (out-of-time rows), or fewer than
``min_bads`` bad or good outcomes for the out-of-time figures, is ``too_few``: no figure, 样本不足.

Keys of ``metrics["fairness_gaps"]`` (shares in [0, 1]; an interval is ``[low, high]``; a figure
not computed is ``null``; a verdict is ``reference``, ``too_few``, ``within``, ``unclear`` or
``exceeds``):

- ``rule``: the ``[fairness]`` policy values used, ``flag`` (the rule in words) and
  ``policy_version``;
- ``groupings.<ethnicity|gender|poverty>.approval``: ``reference`` and ``rows`` of ``group``,
  ``households``, ``pre_credited``, ``rate``, ``rate_ci``, ``gap`` (rate − reference rate),
  ``gap_ci``, ``gap_status``, ``ratio`` (lower rate / higher rate), ``ratio_ci``,
  ``ratio_status``;
- ``groupings.<…>.performance``: ``reference`` and ``rows`` of ``group``, ``rows``, ``bads``,
  ``auc``, ``auc_ci``, ``auc_gap`` (AUC − reference AUC), ``auc_gap_ci``, ``auc_status``,
  ``predicted`` (mean), ``observed`` (bad rate), ``calibration_gap`` (predicted − observed),
  ``calibration_gap_ci``, ``calibration_status``;
- ``flags``: one per ``exceeds`` verdict: ``grouping``, ``group``, ``reference`` (``null`` for a
  calibration gap), ``measure`` (``approval_gap``, ``approval_ratio``, ``auc_gap``,
  ``calibration_gap``), ``value``, ``ci``, ``threshold``, ``confidence``.

A model version saved before these keys has no ``fairness_gaps``: the cards and the page say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from creditfarm.features.build import CountyData
from creditfarm.model import fairness_stats as fs
from creditfarm.policy.config import Fairness

__all__ = [
    "GAP_MEASURES",
    "GROUPINGS",
    "GROUPING_NOTES",
    "STATUS_EN",
    "STATUS_ZH",
    "GapSection",
    "GapView",
    "fairness_gaps",
    "fairness_tables",
    "flag_text_en",
    "flag_text_zh",
    "gap_view_zh",
    "groups_of",
    "household_groups",
    "rule_text_en",
    "rule_text_zh",
]

GROUPINGS: dict[str, str] = {"ethnicity": "民族", "gender": "性别", "poverty": "扶贫状态"}
_UNKNOWN = "未知"


def household_groups(data: CountyData, meta: pd.DataFrame) -> pd.DataFrame:
    """Per household (index of ``meta``): the head's ethnicity and gender, and poverty status."""
    persons = data.persons.set_index("person_key")
    head = meta["head_person_key"]
    out = pd.DataFrame(index=meta.index)
    for col in ("ethnicity", "gender"):
        values = head.map(persons[col]) if len(persons) else pd.Series(None, index=head.index)
        out[col] = values.fillna(_UNKNOWN).replace("", _UNKNOWN).astype(str)
    column = "poverty_group" if "poverty_group" in meta else "poverty_status"
    poverty = meta.get(column, pd.Series("", index=meta.index)).fillna("")
    out["poverty"] = poverty.replace("", "非扶贫户").astype(str)
    return out


def groups_of(groups: pd.DataFrame, households: Any) -> pd.DataFrame:
    """The groups of each row of ``households`` (repeats kept, in order); a household missing
    from ``groups`` is 未知 in every grouping."""
    index = pd.Index(np.asarray(households), name=groups.index.name)
    return groups.reindex(index).fillna(_UNKNOWN).reset_index(drop=True)


def fairness_tables(
    outcomes: pd.DataFrame, groups: pd.DataFrame
) -> dict[str, list[dict[str, Any]]]:
    """For each grouping: per group the household count, share of each grade, mean limit,
    pre-credit rate and credit-household rate. ``outcomes`` has grade, limit, pre_credited,
    credit_household; both frames are indexed by household_no."""
    joined = outcomes.join(groups, how="inner")
    grades = sorted(joined["grade"].unique()) if len(joined) else []
    tables: dict[str, list[dict[str, Any]]] = {}
    for grouping in GROUPINGS:
        rows = []
        for value, part in joined.groupby(grouping, sort=True):
            row: dict[str, Any] = {
                "group": str(value),
                "households": len(part),
                "mean_limit": float(part["limit"].mean()),
                "pre_credit_rate": float(part["pre_credited"].mean()),
                "credit_household_rate": float(part["credit_household"].mean()),
            }
            for grade in grades:
                row[f"grade_{grade}"] = float((part["grade"] == grade).mean())
            rows.append(row)
        tables[grouping] = rows
    return tables


# -- gaps, intervals and flags ---------------------------------------------------------------------
GAP_MEASURES: dict[str, tuple[str, str]] = {
    "approval_gap": ("pre-credit rate gap", "预授信率差距"),
    "approval_ratio": (
        "pre-credit impact ratio (four-fifths rule)",
        "预授信率之比（五分之四规则）",
    ),
    "auc_gap": ("AUC gap (out of time)", "AUC 差距（时间外）"),
    "calibration_gap": (
        "calibration gap, mean predicted − observed default rate (out of time)",
        "校准差距：平均预测 − 实际违约率（时间外）",
    ),
}
STATUS_EN: dict[str, str] = {
    "reference": "reference",
    "too_few": "too few to judge",
    "within": "within threshold",
    "unclear": "beyond threshold, not confirmed (CI includes no gap)",
    "exceeds": "**FLAG: beyond threshold**",
}
STATUS_ZH: dict[str, str] = {
    "reference": "参照组",
    "too_few": "样本不足",
    "within": "未超过阈值",
    "unclear": "超过阈值但不确定（区间含零）",
    "exceeds": "超过阈值（需复核）",
}
# What a reviewer needs beside a grouping's figures.
GROUPING_NOTES: dict[str, tuple[str, str]] = {
    "poverty": (
        "The poverty product (扶贫小额信贷, policy `[poverty_product]`) grants lines to eligible "
        "poverty-register households by design: a higher pre-credit rate for them is the "
        "policy at work, to be told apart from a gap the model makes.",
        "扶贫小额信贷（政策文件 [poverty_product]）按设计向符合条件的扶贫对象授信：其预授信率高于"
        "参照组是政策本身的结果，复核时应与模型造成的差距区分。",
    )
}
_SEED = 20221  # bootstrap replicates are the same on every run: same data, same card


def _reference(sizes: pd.Series) -> str | None:
    """The group with the most rows; a tie goes to the first name (sorted)."""
    if sizes.empty:
        return None
    ordered = sorted(sizes.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return str(ordered[0][0])


def _ci(pair: tuple[float, float] | None) -> list[float] | None:
    return None if pair is None else [float(pair[0]), float(pair[1])]


def _approval(joined: pd.DataFrame, grouping: str, rule: Fairness) -> dict[str, Any]:
    counts = joined.groupby(grouping, sort=True)["pre_credited"].agg(["size", "sum"])
    reference = _reference(counts["size"])
    rows: list[dict[str, Any]] = []
    if reference is None:
        return {"reference": None, "rows": rows}
    n_ref, k_ref = (int(v) for v in counts.loc[reference])
    ref_enough = n_ref >= rule.min_households
    for group, (n, k) in counts.iterrows():
        n, k = int(n), int(k)
        enough = n >= rule.min_households
        row: dict[str, Any] = {
            "group": str(group),
            "households": n,
            "pre_credited": k,
            "rate": k / n if enough else None,
            "rate_ci": _ci(fs.wilson(k, n, confidence=rule.confidence)) if enough else None,
            "gap": None,
            "gap_ci": None,
            "gap_status": "too_few",
            "ratio": None,
            "ratio_ci": None,
            "ratio_status": "too_few",
        }
        if str(group) == reference:
            row["gap_status"] = row["ratio_status"] = "reference" if enough else "too_few"
        elif enough and ref_enough:
            gap, lo, hi = fs.newcombe_difference(k, n, k_ref, n_ref, confidence=rule.confidence)
            row.update(gap=gap, gap_ci=[lo, hi])
            row["gap_status"] = fs.judge(gap, lo, hi, rule.max_approval_gap)
            ratio = fs.rate_ratio(k, n, k_ref, n_ref, confidence=rule.confidence)
            if ratio is not None:
                row.update(ratio=ratio[0], ratio_ci=[ratio[1], ratio[2]])
                row["ratio_status"] = fs.judge_ratio(*ratio, rule.min_approval_ratio)
            else:  # both rates 0: no ratio, and no gap either
                row["ratio_status"] = "within"
        rows.append(row)
    return {"reference": reference, "rows": rows}


def _performance(
    evaluation: pd.DataFrame, grouping: str, rule: Fairness, rng: np.random.Generator
) -> dict[str, Any]:
    parts = {str(g): part for g, part in evaluation.groupby(grouping, sort=True)}
    reference = _reference(pd.Series({g: len(part) for g, part in parts.items()}, dtype=int))
    rows: list[dict[str, Any]] = []

    def arrays(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return part["bad"].to_numpy(dtype=int), part["probability"].to_numpy(dtype=float)

    def enough(part: pd.DataFrame) -> bool:
        bads = int(part["bad"].sum())
        return len(part) >= rule.min_households and min(bads, len(part) - bads) >= rule.min_bads

    ref_enough = reference is not None and enough(parts[reference])
    for group, part in parts.items():
        y, p = arrays(part)
        row: dict[str, Any] = {
            "group": group,
            "rows": len(part),
            "bads": int(y.sum()),
            "auc": None,
            "auc_ci": None,
            "auc_gap": None,
            "auc_gap_ci": None,
            "auc_status": "too_few",
            "predicted": None,
            "observed": None,
            "calibration_gap": None,
            "calibration_gap_ci": None,
            "calibration_status": "too_few",
        }
        if enough(part):
            assert reference is not None
            y_ref, p_ref = arrays(parts[reference]) if ref_enough else (y, p)
            boot = fs.bootstrap_auc_gap(
                y,
                p,
                y_ref,
                p_ref,
                samples=rule.bootstrap_samples,
                confidence=rule.confidence,
                rng=rng,
            )
            row.update(auc=boot["auc"], auc_ci=_ci(boot["auc_ci"]))
            if group == reference:
                row["auc_status"] = "reference"
            elif ref_enough:
                row.update(auc_gap=boot["gap"], auc_gap_ci=_ci(boot["gap_ci"]))
                gap_lo, gap_hi = boot["gap_ci"]
                row["auc_status"] = fs.judge(boot["gap"], gap_lo, gap_hi, rule.max_auc_gap)
            gap, lo, hi = fs.bootstrap_calibration_gap(
                y, p, samples=rule.bootstrap_samples, confidence=rule.confidence, rng=rng
            )
            row.update(
                predicted=float(p.mean()),
                observed=float(y.mean()),
                calibration_gap=gap,
                calibration_gap_ci=[lo, hi],
                calibration_status=fs.judge(gap, lo, hi, rule.max_calibration_gap),
            )
        rows.append(row)
    return {"reference": reference, "rows": rows}


def fairness_gaps(
    outcomes: pd.DataFrame,
    groups: pd.DataFrame,
    evaluation: pd.DataFrame,
    rule: Fairness,
    *,
    policy_version: str = "",
) -> dict[str, Any]:
    """The gaps of ``metrics["fairness_gaps"]`` (module docstring). ``outcomes`` has
    pre_credited and ``groups`` the groupings, both indexed by household_no (the scoring
    population); ``evaluation`` has one row per out-of-time row: bad (0/1), probability and the
    groupings."""
    joined = outcomes[["pre_credited"]].join(groups, how="inner")
    rng = np.random.default_rng(_SEED)
    out: dict[str, Any] = {
        "rule": {
            **rule.model_dump(),
            "flag": "point estimate beyond the threshold and confidence interval excluding "
            "no gap (0 for a difference, 1 for a ratio)",
            "policy_version": policy_version,
        },
        "groupings": {},
        "flags": [],
    }
    thresholds = {
        "approval_gap": rule.max_approval_gap,
        "approval_ratio": rule.min_approval_ratio,
        "auc_gap": rule.max_auc_gap,
        "calibration_gap": rule.max_calibration_gap,
    }
    for grouping in GROUPINGS:
        approval = _approval(joined, grouping, rule)
        performance = _performance(evaluation, grouping, rule, rng)
        out["groupings"][grouping] = {"approval": approval, "performance": performance}
        found = [
            (approval, "approval_gap", "gap", "gap_ci", "gap_status"),
            (approval, "approval_ratio", "ratio", "ratio_ci", "ratio_status"),
            (performance, "auc_gap", "auc_gap", "auc_gap_ci", "auc_status"),
            (
                performance,
                "calibration_gap",
                "calibration_gap",
                "calibration_gap_ci",
                "calibration_status",
            ),
        ]
        for table, measure, value, ci, status in found:
            for row in table["rows"]:
                if row[status] == "exceeds":
                    out["flags"].append(
                        {
                            "grouping": grouping,
                            "group": row["group"],
                            "reference": None
                            if measure == "calibration_gap"
                            else table["reference"],
                            "measure": measure,
                            "value": row[value],
                            "ci": row[ci],
                            "threshold": thresholds[measure],
                            "confidence": rule.confidence,
                        }
                    )
    return out


# -- how the gaps read (model card, card_zh, the model page) ---------------------------------------
def _points(x: float, sign: bool = True) -> str:
    """A share difference in percentage points: -0.152 → −15.2."""
    text = f"{100 * x:+.1f}" if sign else f"{100 * x:.1f}"
    return text.replace("-", "−")


def _signed(x: float, digits: int = 3) -> str:
    return f"{x:+.{digits}f}".replace("-", "−")


def _flag_figures(flag: dict[str, Any]) -> tuple[str, str, str]:
    """(value, interval, threshold) as text, in the measure's unit."""
    lo, hi = flag["ci"]
    if flag["measure"] in ("approval_gap", "calibration_gap"):
        return (
            _points(flag["value"]),
            f"{_points(lo)} … {_points(hi)}",
            _points(flag["threshold"], sign=False),
        )
    if flag["measure"] == "approval_ratio":
        return f"{flag['value']:.2f}", f"{lo:.2f} … {hi:.2f}", f"{flag['threshold']:.2f}"
    return _signed(flag["value"]), f"{_signed(lo)} … {_signed(hi)}", f"{flag['threshold']:.3f}"


def flag_text_en(flag: dict[str, Any]) -> str:
    """One flag as a sentence of the English model card."""
    value, ci, threshold = _flag_figures(flag)
    level = f"{100 * flag['confidence']:.0f}%"
    who = f"{flag['grouping']} {flag['group']}" + (
        f" vs {flag['reference']}" if flag.get("reference") else ""
    )
    unit = " points" if flag["measure"] in ("approval_gap", "calibration_gap") else ""
    bound = "below" if flag["measure"] == "approval_ratio" else "beyond ±"
    return (
        f"{who}: {GAP_MEASURES[flag['measure']][0]} {value}{unit} ({level} CI {ci}), "
        f"{bound}{threshold}{unit}"
    )


def flag_text_zh(flag: dict[str, Any]) -> str:
    """One flag as a sentence in Chinese (card_zh, the model page)."""
    value, ci, threshold = _flag_figures(flag)
    level = f"{100 * flag['confidence']:.0f}%"
    who = f"{GROUPINGS.get(flag['grouping'], flag['grouping'])} {flag['group']}" + (
        f"（参照组 {flag['reference']}）" if flag.get("reference") else ""
    )
    unit = " 个百分点" if flag["measure"] in ("approval_gap", "calibration_gap") else ""
    bound = "低于" if flag["measure"] == "approval_ratio" else "超过 ±"
    return (
        f"{who}：{GAP_MEASURES[flag['measure']][1]} {value}{unit}"
        f"（{level} 置信区间 {ci}），{bound}{threshold}{unit}"
    )


def rule_text_zh(rule: dict[str, Any]) -> str:
    """The thresholds and the flag rule, in Chinese."""
    level = f"{100 * rule['confidence']:.0f}%"
    return (
        f"参照组为各分组中户数最多的组。阈值（政策文件 [fairness]）：预授信率差距 ±"
        f"{_points(rule['max_approval_gap'], sign=False)} 个百分点，预授信率之比（低/高）不低于 "
        f"{rule['min_approval_ratio']:.2f}（五分之四规则），AUC 差距 ±{rule['max_auc_gap']:.3f}，"
        f"校准差距 ±{_points(rule['max_calibration_gap'], sign=False)} 个百分点。"
        f"点估计超过阈值且 {level} 置信区间不含“无差距”（差距 0、比值 1）时提示复核；"
        f"区间含“无差距”的只标“不确定”。不足 {rule['min_households']} 户（时间外样本行）"
        f"或坏样本、好样本不足 {rule['min_bads']} 个的组标“样本不足”，不给数字。"
        "区间：比率用 Wilson，率差用 Newcombe，比值用 Katz，AUC 与校准差距用自助法"
        f"（{rule['bootstrap_samples']} 次）。"
    )


def rule_text_en(rule: dict[str, Any]) -> str:
    level = f"{100 * rule['confidence']:.0f}%"
    return (
        "Reference group: the group with the most households (out-of-time rows) in each "
        f"grouping. Thresholds (policy `[fairness]`): pre-credit rate gap ±"
        f"{_points(rule['max_approval_gap'], sign=False)} points; impact ratio (lower rate / "
        f"higher rate) at least {rule['min_approval_ratio']:.2f} (four-fifths rule); AUC gap "
        f"±{rule['max_auc_gap']:.3f}; calibration gap (mean predicted − observed default rate) "
        f"±{_points(rule['max_calibration_gap'], sign=False)} points. **A gap is flagged when "
        f"its point estimate is beyond the threshold and its {level} interval excludes no gap** "
        "(0 for a difference, 1 for a ratio): large enough to matter and unlikely to be noise. "
        "Requiring the whole interval beyond the threshold would never flag a group of tens of "
        "households, and a point estimate alone flags noise. A gap beyond the threshold whose "
        "interval includes no gap is shown as not confirmed. A flag asks for review; it does not "
        f"establish discrimination. Groups with fewer than {rule['min_households']} households "
        f"(out-of-time rows), or fewer than {rule['min_bads']} bad or good outcomes for the "
        "out-of-time figures, are too few to judge. Intervals: Wilson (rates), Newcombe hybrid "
        "score (rate differences), Katz log (ratios), bootstrap percentile with "
        f"{rule['bootstrap_samples']} replicates (AUC stratified by outcome; calibration gap)."
    )


def _pct_ci(value: Any, ci: Any) -> str:
    if value is None:
        return STATUS_ZH["too_few"]
    return f"{100 * value:.1f}%（{100 * ci[0]:.1f}%–{100 * ci[1]:.1f}%）"


def _gap_ci(value: Any, ci: Any, status: str, kind: str) -> str:
    if value is None:
        return STATUS_ZH[status] if status in ("reference", "too_few") else "—"
    if kind == "points":
        return f"{_points(value)}（{_points(ci[0])} … {_points(ci[1])}）"
    if kind == "ratio":
        return f"{value:.2f}（{ci[0]:.2f} … {ci[1]:.2f}）"
    return f"{_signed(value)}（{_signed(ci[0])} … {_signed(ci[1])}）"


def _auc_ci(value: Any, ci: Any) -> str:
    return STATUS_ZH["too_few"] if value is None else f"{value:.3f}（{ci[0]:.3f}–{ci[1]:.3f}）"


_ORDER = ("exceeds", "unclear", "within", "reference", "too_few")


def _worst(*statuses: str) -> str:
    return min(statuses, key=_ORDER.index)


@dataclass
class GapSection:
    grouping: str
    title: str
    approval: pd.DataFrame
    performance: pd.DataFrame
    note_zh: str = ""


@dataclass
class GapView:
    """What the model page shows of ``metrics["fairness_gaps"]``: the rule, the flags and two
    tables per grouping, every cell already text."""

    rule_zh: str
    flags_zh: list[str]
    sections: list[GapSection]


def gap_view_zh(gaps: dict[str, Any] | None) -> GapView | None:
    """The page's view of the gaps; ``None`` for a model version saved without them."""
    if not gaps:
        return None
    level = f"{100 * gaps['rule']['confidence']:.0f}%"
    sections = []
    for grouping, title in GROUPINGS.items():
        part = (gaps.get("groupings") or {}).get(grouping)
        if not part:
            continue
        approval = pd.DataFrame(
            [
                {
                    "组别": r["group"],
                    "户数": r["households"],
                    "预授信户数": r["pre_credited"],
                    f"预授信率（{level} 区间）": _pct_ci(r["rate"], r["rate_ci"]),
                    "与参照组差距（百分点）": _gap_ci(
                        r["gap"], r["gap_ci"], r["gap_status"], "points"
                    ),
                    "比值（低/高）": _gap_ci(r["ratio"], r["ratio_ci"], r["ratio_status"], "ratio"),
                    "判断": STATUS_ZH[_worst(r["gap_status"], r["ratio_status"])],
                }
                for r in part["approval"]["rows"]
            ]
        )
        performance = pd.DataFrame(
            [
                {
                    "组别": r["group"],
                    "时间外样本": r["rows"],
                    "坏样本": r["bads"],
                    f"AUC（{level} 区间）": _auc_ci(r["auc"], r["auc_ci"]),
                    "AUC 与参照组差距": _gap_ci(
                        r["auc_gap"], r["auc_gap_ci"], r["auc_status"], "auc"
                    ),
                    "AUC 判断": STATUS_ZH[r["auc_status"]],
                    "平均预测": "—" if r["predicted"] is None else f"{100 * r['predicted']:.1f}%",
                    "实际违约率": "—" if r["observed"] is None else f"{100 * r['observed']:.1f}%",
                    "校准差距（百分点）": _gap_ci(
                        r["calibration_gap"],
                        r["calibration_gap_ci"],
                        r["calibration_status"],
                        "points",
                    ),
                    "校准判断": STATUS_ZH[r["calibration_status"]],
                }
                for r in part["performance"]["rows"]
            ]
        )
        note = GROUPING_NOTES.get(grouping, ("", ""))[1]
        sections.append(GapSection(grouping, title, approval, performance, note))
    return GapView(
        rule_zh=rule_text_zh(gaps["rule"]),
        flags_zh=[flag_text_zh(f) for f in gaps.get("flags") or []],
        sections=sections,
    )
