"""模型 — model card, discrimination and calibration, drift (PSI), fairness gaps between groups,
global explanations and the scorecard baseline, from the artefacts in models/<version>/ and the
stored contributions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from creditfarm.access import Permission
from creditfarm.display.charts import PLOTLY_FONT, importance_bar
from creditfarm.display.formatting import fmt_count, fmt_pct
from creditfarm.model.artefacts import read_card_zh, read_report, saved_versions
from creditfarm.model.fairness import gap_view_zh
from creditfarm.model.monitoring import PSI_DRIFT_FROM, PSI_STABLE_BELOW, PSI_VERDICTS, psi_verdict
from ui.common import data_stamp, page_principal, workspace

ws = workspace()
principal = page_principal(Permission.view_model)
stamp = data_stamp(ws)
grade_order = ws.policy.grade_order


@st.cache_data(show_spinner=False, max_entries=8)
def _versions(model_dir: str, stamp: tuple[Any, ...]) -> list[str]:
    # this workspace's current model first, not the (shareable) registry's LATEST
    return saved_versions(Path(model_dir), current=ws.current_model)


@st.cache_data(show_spinner=False, max_entries=8)
def _artefacts(model_dir: str, version: str) -> tuple[dict[str, Any], str]:
    return read_report(Path(model_dir), version)


@st.cache_data(show_spinner=False, max_entries=8)
def _card_zh(model_dir: str, version: str) -> str:
    return read_card_zh(Path(model_dir), version)


@st.cache_data(show_spinner=False, max_entries=4)
def _global_views(
    stamp: tuple[Any, ...], order: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from creditfarm.explain.views import (
        drivers_by_grade,
        global_importance,
        load_contributions,
        source_contributions,
    )

    contrib, _, meta = load_contributions(workspace())
    if contrib.empty:
        empty = pd.DataFrame()
        return empty, empty, empty
    return (
        global_importance(contrib),
        source_contributions(contrib),
        drivers_by_grade(contrib, meta["grade"], order=order),
    )


def _layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(
        title=title,
        font={"family": PLOTLY_FONT},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def _psi_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}（{PSI_VERDICTS[psi_verdict(value)]}）"


st.title("模型")
versions = _versions(str(ws.model_dir), stamp)
if not versions:
    st.info("尚无已训练的模型：请先运行 `creditfarm train`（或 `python -m pipelines demo`）。")
    st.stop()
version = st.selectbox(
    "模型版本",
    versions,
    key="model_version",
    format_func=lambda v: v + ("（最新）" if v == versions[0] else ""),
)
metrics, card = _artefacts(str(ws.model_dir), version)
gaps = gap_view_zh(metrics.get("fairness_gaps"))
if gaps is not None and gaps.flags_zh:
    st.warning(f"公平性：{len(gaps.flags_zh)} 项组间差距超过阈值，需人工复核（见“公平性”）。")
tab_perf, tab_drift, tab_fair, tab_explain, tab_card = st.tabs(
    ["区分能力与校准", "稳定性(PSI)", "公平性", "全局解释", "模型卡"]
)

with tab_perf:
    model, base = metrics.get("model") or {}, metrics.get("baseline") or {}
    st.caption(
        f"样本外（时间外）验证日：{metrics.get('out_of_time_date', '—')}；"
        f"表现期 {metrics.get('horizon_months', '—')} 个月"
    )
    names = {"auc": "AUC", "ks": "KS", "gini": "Gini", "brier": "Brier"}
    table = pd.DataFrame(
        {
            "指标": list(names.values()),
            "LightGBM 模型": [model.get(k) for k in names],
            "WoE 评分卡基准": [base.get(k) for k in names],
        }
    )
    st.dataframe(table.round(4), hide_index=True, width="stretch")
    if "model_beats_baseline" in metrics:
        st.markdown(
            "模型排序能力"
            + ("**不低于**" if metrics["model_beats_baseline"] else "**低于**")
            + "评分卡基准（同一时间外样本）。"
        )
    fig = go.Figure()
    fig.add_bar(
        x=["AUC", "KS", "Gini"],
        y=[model.get(k) for k in ("auc", "ks", "gini")],
        name="LightGBM 模型",
    )
    fig.add_bar(
        x=["AUC", "KS", "Gini"],
        y=[base.get(k) for k in ("auc", "ks", "gini")],
        name="WoE 评分卡基准",
    )
    st.plotly_chart(_layout(fig, "区分能力：模型与基准"), width="stretch", key="chart-disc")
    cal = go.Figure()
    for label, summary in (("LightGBM 模型", model), ("WoE 评分卡基准", base)):
        rows = pd.DataFrame(summary.get("calibration") or [])
        if not rows.empty:
            cal.add_scatter(
                x=rows["predicted"], y=rows["observed"], mode="lines+markers", name=label
            )
    cal.add_scatter(
        x=[0, 0.3],
        y=[0, 0.3],
        mode="lines",
        name="完全校准",
        line={"dash": "dash", "color": "#888"},
    )
    cal.update_xaxes(title="预测违约率（按十分位）", tickformat=".0%")
    cal.update_yaxes(title="实际违约率", tickformat=".0%")
    st.plotly_chart(
        _layout(cal, "可靠性图：预测与实际（十分位）"), width="stretch", key="chart-cal"
    )
    summary = metrics.get("calibration_summary") or {}
    if summary:
        c1, c2, c3 = st.columns(3)
        c1.metric("期望校准误差 ECE", fmt_pct(summary["ece"], 2))
        c2.metric("最高风险十分位：预测", fmt_pct(summary["top_decile_predicted"], 1))
        c3.metric(
            "最高风险十分位：实际",
            fmt_pct(summary["top_decile_observed"], 1),
            help=f"{summary['top_decile_bads']} 个坏样本 / {summary['top_decile_rows']} 户",
        )
    thin = metrics.get("thin_file_validation") or {}
    if thin.get("note_zh"):
        (st.info if thin.get("enough") else st.warning)(f"白户验证：{thin['note_zh']}")
    grades = (metrics.get("scoring_population") or {}).get("grades") or {}
    if grades:
        g = pd.Series(grades).reindex(grade_order).fillna(0)
        st.plotly_chart(
            _layout(go.Figure(go.Bar(x=g.index, y=g.values)), "当前评分人群的等级分布"),
            width="stretch",
            key="chart-grades",
        )

with tab_drift:
    psi = metrics.get("psi") or {}
    features = psi.get("features") or {}
    left, right = st.columns(2)
    reference = (psi.get("reference") or {}).get("as_of", "—")
    left.metric(f"违约概率 PSI（当前对 {reference} 同口径人群）", _psi_text(psi.get("score")))
    if features:
        top_name, top_value = max(features.items(), key=lambda kv: kv[1])
        from creditfarm.explain import feature_infos as _infos

        right.metric(f"特征 PSI 最大值（{_infos([top_name])[top_name].zh}）", _psi_text(top_value))
    st.caption(
        f"当前已建档农户对 {reference}（时间外观察日）已建档农户，口径相同、同一模型；"
        f"分箱为参照分布的十分位（两端开口）；< {PSI_STABLE_BELOW:g} {PSI_VERDICTS['stable']}，"
        f"{PSI_STABLE_BELOW:g}–{PSI_DRIFT_FROM:g} {PSI_VERDICTS['watch']}，"
        f"≥ {PSI_DRIFT_FROM:g} {PSI_VERDICTS['drift']}。"
    )
    if features:
        from creditfarm.explain import feature_infos
        from creditfarm.features.catalogue import MODEL_EXCLUDED, MODEL_EXCLUDED_ZH, REDEFINED_ZH

        infos = feature_infos(list(features))
        frame = pd.DataFrame(
            {
                "特征": [infos[f].zh for f in features],
                "PSI": [round(v, 4) for v in features.values()],
                "判断": [PSI_VERDICTS[psi_verdict(v)] for v in features.values()],
                "模型输入": ["否（结构性漂移）" if f in MODEL_EXCLUDED else "是" for f in features],
                "说明": [MODEL_EXCLUDED_ZH.get(f) or REDEFINED_ZH.get(f, "") for f in features],
            }
        )
        st.dataframe(frame, hide_index=True, width="stretch")

with tab_fair:
    if gaps is None:
        st.info("本模型版本训练时尚未计算组间差距：重新训练后显示。")
    else:
        for text in gaps.flags_zh:
            st.warning(f"需复核：{text}")
        if not gaps.flags_zh:
            st.success("未发现超过阈值且有统计依据的组间差距。")
        st.caption(gaps.rule_zh)
        for section in gaps.sections:
            st.subheader(section.title)
            if section.note_zh:
                st.caption(section.note_zh)
            st.markdown("**预授信率**（当前评分人群）")
            st.dataframe(
                section.approval, hide_index=True, width="stretch", key=f"fair-{section.grouping}"
            )
            st.markdown("**区分能力与校准**（时间外样本）")
            st.dataframe(
                section.performance,
                hide_index=True,
                width="stretch",
                key=f"fair-perf-{section.grouping}",
            )

with tab_explain:
    importance, sources, by_grade = _global_views(stamp, grade_order)
    if importance.empty:
        st.info("尚无带贡献值的评估结果。")
    else:
        st.plotly_chart(importance_bar(importance), width="stretch", key="chart-importance")
        st.markdown("**按数据来源的平均贡献**（正值 = 平均拉低评分）")
        st.dataframe(
            sources.rename(
                columns={
                    "source_zh": "来源",
                    "features": "特征数",
                    "mean_contribution": "平均贡献",
                    "mean_abs": "平均绝对贡献",
                }
            )
            .drop(columns=["source"])
            .round(4),
            hide_index=True,
            width="stretch",
        )
        st.markdown("**各等级的主要驱动因素**（各等级内的平均贡献）")
        st.dataframe(
            by_grade.drop(columns=["feature"])
            .rename(columns={"name_zh": "特征"})
            .head(15)
            .round(3),
            hide_index=True,
            width="stretch",
        )
    population = metrics.get("scoring_population") or {}
    if population:
        st.caption(
            f"评分人群 {fmt_count(population.get('households'), '户')}，其中薄档案 "
            f"{fmt_count(population.get('thin_file'), '户')}"
        )

with tab_card:
    st.markdown(_card_zh(str(ws.model_dir), version) or "（本版本没有模型卡）")
    if card:
        with st.expander("Model card (English)"):
            st.markdown(card)
