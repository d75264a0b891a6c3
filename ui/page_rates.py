"""建档与预授信 — the PBoC sub-branch's page: rates against targets, trend, other indicators,
monthly-report export."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from creditfarm.access import Permission
from creditfarm.display.charts import PLOTLY_FONT
from creditfarm.display.formatting import fmt_count, fmt_pct
from creditfarm.reports.indicators import monthly_report_xlsx
from creditfarm.reports.rates import (
    RATE_COLUMNS,
    Level,
    ReportHeading,
    against_target,
    report_heading,
)
from ui.common import (
    cached_indicators,
    cached_rates,
    cached_trend,
    data_stamp,
    display,
    fmt_points,
    page_principal,
    workspace,
)

ws = workspace()
principal = page_principal(Permission.view_rates)
stamp = data_stamp(ws)
policy = ws.policy
LEVELS: dict[Level, str] = {"village": "村", "town": "乡镇", "county": "全县"}


@st.cache_data(show_spinner=False, max_entries=4)
def _heading(stamp: tuple[Any, ...]) -> ReportHeading:
    return report_heading(workspace())


def _rate_chart(
    frame: pd.DataFrame, column: str, below: str, target: float, title: str
) -> go.Figure:
    """Bars of ``column`` per area, red where the ``below`` flag says it misses ``target``."""
    data = frame.sort_values(column)
    colors = ["#c0392b" if short else "#2e86c1" for short in data[below]]
    fig = go.Figure(
        go.Bar(
            x=data["name"],
            y=data[column],
            marker={"color": colors},
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )
    )
    fig.add_hline(
        y=target,
        line_dash="dash",
        line_color="#555",
        annotation_text=f"目标 {fmt_pct(target, 0)}",
        annotation_position="top left",
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], title=title)
    fig.update_layout(
        title=title,
        font={"family": PLOTLY_FONT},
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


st.title("建档与预授信")
heading = _heading(stamp)
as_of, county_name = heading.as_of, heading.county_name
years = [t.year for t in policy.targets]
default_year = policy.target(as_of.year).year
c1, c2 = st.columns(2)
level = c1.radio("层级", list(LEVELS), format_func=LEVELS.get, horizontal=True, key="level")
year = c2.selectbox(
    "考核目标年度",
    years,
    index=years.index(default_year),
    key="target_year",
    format_func=lambda y: f"{y}年",
)
target = policy.target(year)
st.caption(
    f"数据截至 {as_of.year}年{as_of.month}月{as_of.day}日；{year}年目标："
    f"建档率 {fmt_pct(target.filing_rate, 0)}，预授信率 {fmt_pct(target.pre_credit_rate, 0)}"
)

table = against_target(
    cached_rates(stamp, level),
    filing_target=target.filing_rate,
    pre_credit_target=target.pre_credit_rate,
)
county = against_target(
    cached_rates(stamp, "county"),
    filing_target=target.filing_rate,
    pre_credit_target=target.pre_credit_rate,
)
if not county.empty:
    total = county.iloc[0]
    m = st.columns(4)
    m[0].metric("户籍户数", fmt_count(total["households"], "户"))
    m[1].metric("建档率", fmt_pct(total["filing_rate"]), fmt_points(total["filing_gap"]))
    m[2].metric(
        "已预授信户数",
        fmt_count(total["pre_credited"], "户"),
        help="按当前额度计：信贷员的人工决定生效的以决定为准，否则为模型额度",
    )
    m[3].metric("预授信率", fmt_pct(total["pre_credit_rate"]), fmt_points(total["pre_credit_gap"]))

short = int(table["below_target"].sum())
st.markdown(f"**{LEVELS[level]}级建档与预授信（未达标的排在前面，共 {short} 个未达标）**")
st.dataframe(
    display(
        table,
        RATE_COLUMNS,
    ),
    hide_index=True,
    width="stretch",
    height=320,
)
if level != "county":
    left, right = st.columns(2)
    left.plotly_chart(
        _rate_chart(table, "filing_rate", "filing_below", target.filing_rate, "建档率"),
        width="stretch",
        key="chart-filing",
    )
    right.plotly_chart(
        _rate_chart(
            table, "pre_credit_rate", "pre_credit_below", target.pre_credit_rate, "预授信率"
        ),
        width="stretch",
        key="chart-pre-credit",
    )

st.markdown("**趋势（历次快照）**")
trend = cached_trend(stamp)
if trend.empty:
    st.caption("尚无快照：每次导入或评分后会自动记录一次。")
else:
    fig = go.Figure()
    fig.add_scatter(
        x=trend["taken_at"], y=trend["filing_rate"], name="建档率", mode="lines+markers"
    )
    fig.add_scatter(
        x=trend["taken_at"], y=trend["pre_credit_rate"], name="预授信率", mode="lines+markers"
    )
    fig.add_hline(y=target.filing_rate, line_dash="dash", annotation_text="建档率目标")
    fig.add_hline(y=target.pre_credit_rate, line_dash="dot", annotation_text="预授信率目标")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_layout(
        font={"family": PLOTLY_FONT}, height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}
    )
    st.plotly_chart(fig, width="stretch", key="chart-trend")

st.markdown("**其他指标**")
ind = cached_indicators(stamp, level)
ind_county = cached_indicators(stamp, "county")
if not ind_county.empty:
    row = ind_county.iloc[0]
    tiles = st.columns(3)
    tiles[0].metric(
        "村村有服务覆盖率",
        fmt_pct(row["service_coverage"]),
        f"目标 {fmt_pct(row['service_target'], 0)}",
        delta_color="off",
    )
    tiles[1].metric(
        "户均服务点交易（近12个月）",
        f"{row['txns_per_household']:.1f}笔" if pd.notna(row["txns_per_household"]) else "—",
    )
    tiles[2].metric(
        "农业保险覆盖率",
        fmt_pct(row["insurance_coverage"]),
        f"目标 {fmt_pct(row['insurance_target'], 0)}",
        delta_color="off",
    )
st.dataframe(
    display(
        ind,
        [
            "code",
            "name",
            "villages",
            "villages_with_point",
            "service_coverage",
            "households",
            "txns_per_household",
            "use_share",
            "insurance_coverage",
        ],
    ),
    hide_index=True,
    width="stretch",
)

period = f"{as_of.year}年{as_of.month}月"
report = monthly_report_xlsx(
    rates=cached_rates(stamp, level),
    indicator_table=ind,
    filing_target=target.filing_rate,
    pre_credit_target=target.pre_credit_rate,
    period=period,
    unit_name=county_name,
)
st.download_button(
    "导出月报（Excel）",
    report,
    file_name=f"建档与预授信月报_{period}_{LEVELS[level]}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="export-rates",
)
