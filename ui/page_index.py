"""普惠金融指数 — the PBoC sub-branch's page of the inclusive-finance index: the county's index and
its balance between villages, the trend by month per town, the index by village and town, each
village's weakest dimension first, a heat table of every village's indicators, one village's
trend and what moved its index, and the 普惠金融指标体系 filing export. Aggregates only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from creditfarm.access import Permission, Principal
from creditfarm.display.charts import PLOTLY_FONT
from creditfarm.display.formatting import fmt_count, fmt_date
from creditfarm.policy.indicators import DIMENSIONS
from creditfarm.reports.inclusion import InclusionIndex, fmt_indicator, inclusion_index
from creditfarm.reports.inclusion_export import LEVEL_ZH, filing_xlsx, period_zh
from creditfarm.reports.rates import Level
from ui.common import audit, data_stamp, page_principal, workspace

ws = workspace()
principal = page_principal(Permission.view_rates)
stamp = data_stamp(ws)


@st.cache_data(show_spinner="正在计算普惠金融指数…", max_entries=4)
def _index(stamp: tuple[Any, ...], principal: Principal) -> InclusionIndex | str:
    """The index, or the reason there is none yet (an empty workspace)."""
    try:
        return inclusion_index(workspace(), principal=principal)
    except ValueError as exc:
        return str(exc)


def _idx(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.3f}"  # type: ignore[arg-type]


def _signed(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):+.3f}"  # type: ignore[arg-type]


st.title("普惠金融指数")
result = _index(stamp, principal)
if isinstance(result, str):
    st.info("尚无可计算的数据：请先导入县域数据（服务点流水、农户档案、贷款台账）。")
    st.stop()

cat = result.catalogue
dim_zh = cat.dimensions
weights = "、".join(f"{dim_zh[d]} {result.weights[d]:g}" for d in DIMENSIONS)
month = st.selectbox(
    "报告月份",
    list(reversed(result.months)),
    format_func=period_zh,
    key="index_month",
)
st.caption(
    f"数据截至 {fmt_date(result.month)}。Sarma 距离法：各指标按固定上下限标准化到 0—1，"
    f"维度得分为其指标的平均，指数 = 1 − 与理想点的加权距离 / 权重范数（维度权重：{weights}）。"
    "指数取值 0—1，越大越好；各月上下限相同，可直接比较。"
)

county = result.table("county", month)
balance = result.balance.set_index("month")
if not county.empty:
    c = county.iloc[0]
    tiles = st.columns(6)
    tiles[0].metric("全县普惠金融指数", _idx(c["ifi"]), _signed(c["change"]))
    for k, d in enumerate(DIMENSIONS, start=1):
        tiles[k].metric(f"{dim_zh[d]}得分", _idx(c[d]))
    if month in balance.index:
        b = balance.loc[month]
        tiles[4].metric("村间变异系数", _idx(b["cv"]), help="各村指数的标准差 / 平均值，越小越均衡")
        tiles[5].metric(
            "村间泰尔指数",
            f"{float(b['theil']):.4f}" if pd.notna(b["theil"]) else "—",
            help=f"其中乡镇间 {float(b['theil_between_towns']):.4f}，乡镇内 "
            f"{float(b['theil_within_towns']):.4f}",
        )

st.markdown("**指数月度趋势（全县与各乡镇）**")
fig = go.Figure()
TREND_LINES: tuple[tuple[Level, float], ...] = (("county", 3), ("town", 1.5))
for trend_level, width in TREND_LINES:
    trend = result.trend(trend_level)
    for code, rows in trend.groupby("code", sort=True):
        rows = rows.sort_values("month")
        fig.add_scatter(
            x=[period_zh(m) for m in rows["month"]],
            y=rows["ifi"],
            name=str(rows["name"].iloc[0]) or str(code),
            mode="lines+markers",
            line={"width": width},
        )
fig.update_yaxes(title="指数", tickformat=".2f")
fig.update_layout(
    font={"family": PLOTLY_FONT}, height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}
)
st.plotly_chart(fig, width="stretch", key="chart-index-trend")

LEVELS: dict[Level, str] = {"village": "村", "town": "乡镇"}
level = st.radio("层级", list(LEVELS), format_func=LEVELS.get, horizontal=True, key="index_level")
table = result.table(level, month)


def _area_table(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "代码": frame["code"],
            "名称": frame["name"],
            "乡镇": frame["town_name"],
            "户籍户数": frame["households"].map(lambda n: fmt_count(n, "户")),
            "普惠金融指数": frame["ifi"].map(_idx),
            "上月": frame["ifi_last"].map(_idx),
            "变动": frame["change"].map(_signed),
        }
    )
    for d in DIMENSIONS:
        out[dim_zh[d]] = frame[d].map(_idx)
    out["最弱维度"] = frame["weakest"].map(cat.dimension_zh)
    return out.reset_index(drop=True)


st.markdown(f"**按{LEVELS[level]}的普惠金融指数（{period_zh(month)}，指数从低到高）**")
st.dataframe(
    _area_table(table.sort_values(["ifi", "code"])),
    hide_index=True,
    width="stretch",
    height=320,
)

st.markdown("**各村最弱维度（最弱的排在前面）**")
weakest = result.weakest_first("village", month)
weak_view = _area_table(weakest)
weak_view.insert(4, "最弱维度得分", weakest["weakest_score"].map(_idx))
st.dataframe(weak_view, hide_index=True, width="stretch", height=320)

st.markdown("**各村指标热力表（按指数排序；颜色为标准化得分，格内为指标值）**")
villages = result.table("village", month).sort_values(["ifi", "code"], ascending=[False, True])
inds = cat.indicators
scores = result.scores[
    (result.scores["level"] == "village") & (result.scores["month"] == month)
].set_index("code")
values = result.values[
    (result.values["level"] == "village") & (result.values["month"] == month)
].set_index("code")
codes = list(villages["code"])
labels = [f"{n}（{_idx(v)}）" for n, v in zip(villages["name"], villages["ifi"], strict=True)]
columns = [f"{i.code} {i.name_zh}" for i in inds]
heat = go.Figure(
    go.Heatmap(
        z=[[scores.loc[c, i.key] for i in inds] for c in codes],
        x=columns,
        y=labels,
        text=[[fmt_indicator(i, values.loc[c, i.key]) for i in inds] for c in codes],
        texttemplate="%{text}",
        colorscale="RdYlGn",
        zmin=0,
        zmax=1,
        colorbar={"title": "得分"},
        hovertemplate="%{y}<br>%{x}: %{text}（得分 %{z:.2f}）<extra></extra>",
    )
)
heat.update_yaxes(autorange="reversed")
heat.update_layout(
    font={"family": PLOTLY_FONT},
    height=max(360, 28 * len(codes) + 140),
    margin={"l": 10, "r": 10, "t": 30, "b": 10},
)
st.plotly_chart(heat, width="stretch", key="chart-index-heat")

st.markdown("**单村指数分解**")
names = dict(zip(villages["code"], villages["name"], strict=True))
pick = st.selectbox(
    "村",
    sorted(names, key=lambda c: str(names[c])),
    format_func=lambda c: f"{names[c]}（{c}）",
    key="index_village",
)
if pick:
    own = result.trend("village")
    own = own[own["code"] == pick].sort_values("month")
    line = go.Figure()
    line.add_scatter(
        x=[period_zh(m) for m in own["month"]],
        y=own["ifi"],
        name="普惠金融指数",
        mode="lines+markers",
        line={"width": 3},
    )
    for d in DIMENSIONS:
        line.add_scatter(
            x=[period_zh(m) for m in own["month"]], y=own[d], name=dim_zh[d], mode="lines"
        )
    line.update_yaxes(tickformat=".2f")
    line.update_layout(
        title=f"{names[pick]}的指数与各维度得分（逐月）",
        font={"family": PLOTLY_FONT},
        height=320,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    st.plotly_chart(line, width="stretch", key="chart-index-village-trend")
    moves = result.moves("village", pick, month)
    st.caption(
        "拖累：该指标使指数低于 1 的部分（各指标之和 = 1 − 指数）；"
        "本月贡献：该指标使指数较上月变动的部分（各指标之和 = 指数变动）。"
    )
    view = pd.DataFrame(
        {
            "指标": moves["code"] + " " + moves["name_zh"],
            "维度": moves["dimension"].map(cat.dimension_zh),
            "本期": [
                fmt_indicator(cat.by_key(k), v)
                for k, v in zip(moves["indicator"], moves["value"], strict=True)
            ],
            "上月": [
                fmt_indicator(cat.by_key(k), v)
                for k, v in zip(moves["indicator"], moves["value_last"], strict=True)
            ],
            "标准化得分": moves["score"].map(_idx),
            "拖累": moves["shortfall"].map(_idx),
            "本月贡献": moves["effect"].map(_signed),
        }
    )
    st.dataframe(view, hide_index=True, width="stretch")
    bars = go.Figure(
        go.Bar(
            x=moves["effect"],
            y=view["指标"],
            orientation="h",
            marker={
                "color": ["#2e86c1" if e >= 0 else "#c0392b" for e in moves["effect"].fillna(0)]
            },
            hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
        )
    )
    bars.update_layout(
        title="各指标对本月指数变动的贡献",
        font={"family": PLOTLY_FONT},
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    st.plotly_chart(bars, width="stretch", key="chart-index-moves")

with st.expander("指标说明（口径、数据来源、上下限）"):
    st.dataframe(
        pd.DataFrame(
            {
                "代码": [i.code for i in inds],
                "指标": [i.name_zh for i in inds],
                "维度": [dim_zh[i.dimension] for i in inds],
                "计算公式": [i.formula for i in inds],
                "单位": [i.unit for i in inds],
                "下限": [i.lower for i in inds],
                "上限": [i.upper for i in inds],
                "数据来源": ["；".join(i.sources) for i in inds],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.markdown("**数据暂缺的指标**")
    st.dataframe(
        pd.DataFrame(
            {
                "代码": [u.code for u in cat.unavailable],
                "指标": [u.name_zh for u in cat.unavailable],
                "维度": [dim_zh[u.dimension] for u in cat.unavailable],
                "原因": [u.why for u in cat.unavailable],
            }
        ),
        hide_index=True,
        width="stretch",
    )

st.markdown("**普惠金融指标体系填报**")
county_name = str(county["name"].iloc[0]) if not county.empty else ""
unit = st.text_input("填报单位", value=f"人民银行{county_name}支行", key="index_unit")
filed_on = date.today()  # the day of the filing, printed on it; no figure depends on it
report = filing_xlsx(
    result, policy=ws.policy, level=level, unit_name=unit, filed_on=filed_on, month=month
)
st.download_button(
    "导出指标体系报表（Excel）",
    report,
    file_name=f"普惠金融指标体系_{period_zh(month)}_{LEVEL_ZH[level]}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="export-index",
    on_click=audit,
    args=("export",),
    kwargs={"target": f"index:{level}:{month:%Y-%m}"},
)
