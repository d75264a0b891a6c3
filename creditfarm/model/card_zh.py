"""模型卡（中文）: the model card as a loan officer or a PBoC analyst reads it in the app.

Every figure comes from the training run's ``metrics.json`` (and ``fingerprint.json``); a figure
an older model version did not record reads "—". The English card (``card.py``) stays beside it
with the full method text.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from creditfarm.features.catalogue import (
    MODEL_EXCLUDED,
    MODEL_EXCLUDED_ZH,
    REDEFINED_ZH,
    feature,
)
from creditfarm.model.fairness import GROUPINGS, gap_view_zh
from creditfarm.model.monitoring import PSI_DRIFT_FROM, PSI_STABLE_BELOW, PSI_VERDICTS, psi_verdict

__all__ = ["render_card_zh"]


def _pct(x: Any, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * float(x):.{digits}f}%"


def _num(x: Any, digits: int = 3) -> str:
    return "—" if x is None else f"{float(x):.{digits}f}"


def _zh(name: str) -> str:
    try:
        return feature(name).zh
    except KeyError:
        return name


def _psi(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):.3f}（{PSI_VERDICTS[psi_verdict(float(value))]}）"


def _figures(name: str, s: dict[str, Any] | None) -> str:
    if not s:
        return f"| {name} | — | — | — | — | — |"
    return (
        f"| {name} | {s.get('n', '—')} | {s.get('bads', '—')} | {_num(s.get('auc'))} | "
        f"{_num(s.get('ks'))} | {_num(s.get('brier'), 4)} |"
    )


def _calibration_lines(metrics: dict[str, Any]) -> list[str]:
    cal = metrics.get("calibration_method") or {}
    method = {
        "platt": "Platt 校准（对原始得分做单调递增的逻辑回归映射，两个参数）",
        "platt_crossfit": "交叉拟合 Platt 校准（在全部时间内样本的样本外预测上拟合，尾部更稳）",
        "intercept": "仅截距校准（斜率为 1，只把平均违约率移到留出样本水平）",
    }.get(str(cal.get("method")), "—")
    lines = [
        f"- 校准方法：{method}；a = {_num(cal.get('a'))}，b = {_num(cal.get('b'))}。",
    ]
    summary = metrics.get("calibration_summary") or {}
    if summary:
        lines.append(
            f"- 期望校准误差（ECE，按十分位）：{_pct(summary.get('ece'), 2)}；"
            f"最高风险十分位：预测 {_pct(summary.get('top_decile_predicted'))}，"
            f"实际 {_pct(summary.get('top_decile_observed'))}"
            f"（{summary.get('top_decile_bads', '—')} 个坏样本 / "
            f"{summary.get('top_decile_rows', '—')} 户）。"
        )
    holdout = metrics.get("calibration_holdout") or {}
    if holdout:
        lines.append(
            f"- 对照（原设计：80% 训练，20% 留出做早停和 Platt）：AUC {_num(holdout.get('auc'))}，"
            f"ECE {_pct(holdout.get('ece'), 2)}，最高风险十分位"
            f"预测 {_pct(holdout.get('top_decile_predicted'))}、实际 "
            f"{_pct(holdout.get('top_decile_observed'))}，Brier {_num(holdout.get('brier'), 4)}。"
        )
    rows = (metrics.get("model") or {}).get("calibration") or []
    if rows:
        lines += [
            "",
            "| 十分位 | 户数 | 坏样本 | 平均预测 | 实际 |",
            "| ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {r['decile']} | {r['count']} | {r['bads']} | {_pct(r['predicted'])} | "
            f"{_pct(r['observed'])} |"
            for r in rows
        ]
    return lines


def _table(frame: pd.DataFrame) -> list[str]:
    """A Markdown table of text cells (the first column left, the rest right)."""
    columns = [str(c) for c in frame.columns]
    return [
        "| " + " | ".join(columns) + " |",
        "| --- | " + " | ".join("---:" for _ in columns[1:]) + " |",
        *("| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)),
    ]


def _gap_lines(gaps: dict[str, Any] | None) -> list[str]:
    view = gap_view_zh(gaps)
    if view is None:
        return ["", "### 组间差距", "", "本模型版本训练时尚未计算组间差距。"]
    lines = ["", "### 组间差距", "", view.rule_zh, ""]
    if view.flags_zh:
        lines.append(f"**{len(view.flags_zh)} 项差距超过阈值，需人工复核：**")
        lines += [f"- **需复核** {text}。" for text in view.flags_zh]
    else:
        lines.append("**未发现超过阈值且有统计依据的差距。**")
    for section in view.sections:
        lines += ["", f"#### {section.title}", ""]
        if section.note_zh:
            lines += [section.note_zh, ""]
        lines += ["预授信率（当前评分人群）：", ""]
        lines += _table(section.approval)
        lines += ["", "区分能力与校准（时间外样本）：", ""]
        lines += _table(section.performance)
    return lines


def _flag_summary(gaps: dict[str, Any] | None) -> list[str]:
    flags = (gaps or {}).get("flags") or []
    if not flags:
        return []
    return [f"**公平性：{len(flags)} 项组间差距超过阈值，需人工复核（见“公平性”）。**", ""]


def render_card_zh(*, version: str, metrics: dict[str, Any], fingerprint: dict[str, Any]) -> str:
    pops = metrics.get("populations") or {}
    oot = pops.get("out_of_time") or {}
    psi = metrics.get("psi") or {}
    features = psi.get("features") or {}
    sp = metrics.get("scoring_population") or {}
    max_feature = max(features.items(), key=lambda kv: kv[1]) if features else None
    lines = [
        f"# 模型卡 — 农户违约模型 `{version}`",
        "",
        "用途：对本县已建档农户按违约风险排序，用于整村授信预授信清单和信贷员复核。"
        "模型结果不是唯一决策依据：信贷员可确认、调整或拒绝每一笔预授信（个人信息保护法第二十四条）。",
        "",
        *_flag_summary(metrics.get("fairness_gaps")),
        "## 数据",
        "",
        f"- 数据日期：**{metrics.get('as_of', '—')}**；贷款台账导出日期："
        f"{fingerprint.get('loan_book_date', '—')}。",
        "- 数据来源：户籍、农户信用档案、助农取款服务点交易流水、政务信息（违法犯罪、工商、税收、"
        "出入境、扶贫、土地、参保等）、贷款台账、逃废债黑名单。",
        "- 民族、性别、宗教、健康状况从不作为模型输入，只用于检查公平性。",
    ]
    if MODEL_EXCLUDED_ZH:
        lines.append(
            "- 不进入模型的特征（仍计算并监测）："
            + "；".join(f"{_zh(n)}（{why}）" for n, why in MODEL_EXCLUDED_ZH.items())
            + "。"
        )
    lines += [
        "",
        "## 标签（什么算“坏”）",
        "",
        f"在观察日之后 {metrics.get('horizon_months', '—')} 个月内，家庭成员的贷款逾期 90 天以上，"
        "或五级分类为次级、可疑、损失。观察日："
        + "、".join(metrics.get("observation_dates") or ["—"])
        + f"；最后一个观察日（{metrics.get('out_of_time_date', '—')}）留作时间外检验，"
        "下列数字都来自时间外样本。",
        "",
        "## 样本",
        "",
        "| 部分 | 行数 | 坏样本 |",
        "| --- | ---: | ---: |",
    ]
    for key, label in (
        ("fitting", "训练（全部时间内样本；树的数量与校准由分户交叉验证确定）"),
        ("held_out", "其中原设计的留出部分（仅作对照）"),
        ("out_of_time", "时间外检验"),
    ):
        part = pops.get(key) or {}
        lines.append(f"| {label} | {part.get('rows', '—')} | {part.get('bads', '—')} |")
    lines += [
        f"| 其中白户（无贷款记录） | {oot.get('thin_file_rows', '—')} | "
        f"{oot.get('thin_file_bads', '—')} |",
        "",
        "## 区分能力（时间外）",
        "",
        "| 模型 | 户数 | 坏样本 | AUC | KS | Brier |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        _figures("LightGBM 模型", metrics.get("model")),
        _figures("WoE 评分卡基准", metrics.get("baseline")),
        _figures("LightGBM，仅白户", metrics.get("model_thin_file")),
        "",
    ]
    thin = metrics.get("thin_file_validation") or {}
    if thin.get("note_zh"):
        lines += [f"白户验证：{thin['note_zh']}", ""]
    lines += ["## 校准（预测违约率与实际是否一致）", "", *_calibration_lines(metrics), ""]
    lines += [
        "## 稳定性（PSI）",
        "",
        f"当前已建档农户对 {(psi.get('reference') or {}).get('as_of', '—')}（时间外观察日，"
        "一年前）的已建档农户，口径相同、同一模型。"
        f"< {PSI_STABLE_BELOW:g} 稳定，{PSI_STABLE_BELOW:g}–"
        f"{PSI_DRIFT_FROM:g} 需关注，≥ {PSI_DRIFT_FROM:g} 显著漂移。",
        "",
        f"- 违约概率 PSI：**{_psi(psi.get('score'))}**",
        f"- 特征 PSI 最大值：**{_psi(max_feature[1]) if max_feature else '—'}**"
        + (f"（{_zh(max_feature[0])}）" if max_feature else ""),
    ]
    drifted = [(n, v) for n, v in features.items() if v >= PSI_DRIFT_FROM]
    lines.append(
        f"- 显著漂移的特征：{len(drifted)} 个"
        + (
            "（"
            + "；".join(
                f"{_zh(n)} {v:.2f}" + ("，不进入模型" if n in MODEL_EXCLUDED else "")
                for n, v in drifted
            )
            + "）"
            if drifted
            else ""
        )
    )
    lines += [f"- {_zh(n)}：{why}。" for n, why in REDEFINED_ZH.items()]
    lines += ["", "| 特征 | PSI（结论） |", "| --- | --- |"]
    lines += [f"| {_zh(n)} | {_psi(v)} |" for n, v in features.items()]
    lines += [
        "",
        "## 评分人群与政策",
        "",
        f"户籍户 {sp.get('households', '—')} 户，已建档 {sp.get('filed', '—')} 户，其中白户 "
        f"{sp.get('thin_file', '—')} 户；预授信 {sp.get('pre_credited', '—')} 户，信用户 "
        f"{sp.get('credit_households', '—')} 户。等级分布："
        + "，".join(f"{g} {n}" for g, n in (sp.get("grades") or {}).items())
        + "。",
        "",
        "## 解释怎么读",
        "",
        "每户的原因以**评分分值**表示：从基准分（模型的平均水平）出发，各因素加分或减分，"
        "合计为本户评分（评分 = offset − factor × ln(违约几率)）。数据缺失不会成为加分的理由；"
        "村级背景（如本村不良贷款率）单独列出，不算作本户自身的原因；方向明确的特征（土地、收入、"
        "存款、文化程度等越多越好，逾期天数越多越差）在模型中设为单调约束。",
        "",
        "## 公平性",
        "",
        "按户主民族、性别、扶贫状态分组的等级分布见英文模型卡的表格；这些属性不是模型输入。",
    ]
    for grouping, title in GROUPINGS.items():
        rows = (metrics.get("fairness") or {}).get(grouping) or []
        if rows:
            lines.append(
                f"- {title}："
                + "；".join(
                    f"{r['group']} 预授信率 {_pct(r['pre_credit_rate'])}（{r['households']} 户）"
                    for r in rows
                )
            )
    lines += _gap_lines(metrics.get("fairness_gaps"))
    lines += [
        "",
        "## 局限",
        "",
        "- 示例县为模拟数据，真实数据上的数字会不同。",
        "- 每个表现期坏样本只有几十个：AUC 和校准都有较大不确定性（见坏样本数）。",
        f"- PSI 超过 {PSI_DRIFT_FROM:g} 或新一年贷款台账到来时应重新训练。",
        "",
    ]
    return "\n".join(lines)
