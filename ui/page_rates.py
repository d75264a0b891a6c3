"""建档与预授信 — the PBoC sub-branch's page: rates against targets, trend, other indicators,
monthly-report export."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from creditfarm.access import Permission, Principal
from creditfarm.display.charts import PLOTLY_FONT
from creditfarm.display.formatting import fmt_count, fmt_date, fmt_pct
from creditfarm.reports.indicators import monthly_report_xlsx as monthly_report_xlsx_indicators
from creditfarm.reports.monthly import ReportFooter, monthly_report_xlsx, report_months
from creditfarm.reports.rates import (
    RATE_COLUMNS,
    Level,
    ReportHeading,
    against_target,
    report_heading,
    target_for,
)
from creditfarm.reports.trend import month_label
from ui.common import (
    audit,
    cached_indicators,
    cached_rates,
    cached_trend,
    data_stamp,
    fmt_points,
    page_principal,
    sortable,
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


@st.cache_data(show_spinner=False, max_entries=4)
def cached_report_months(stamp: tuple[Any, ...]) -> list[date]:
    return report_months(workspace())


@st.cache_data(show_spinner="正在生成月报……", max_entries=8)
def _report(stamp: tuple[Any, ...], month: date, footer: ReportFooter, who: Principal) -> bytes:
    """The monthly report workbook (built once per month, footer and data stamp)."""
    return monthly_report_xlsx(
        workspace(), month=month, principal=who, footer=footer, trend=cached_trend(stamp)
    )


def fmt_points_or_dash(delta: float) -> str:
    """A change in percentage points (already ×100), or — when unknown."""
    return "—" if pd.isna(delta) else f"{delta:+.1f} 个百分点"


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
applied = target_for(policy, as_of.year)  # the data's year decides which target judges it
years = [t.year for t in policy.targets]
default_year = applied.target.year if applied.target else years[0]
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
    f"数据截至 {fmt_date(as_of)}（数据年度 {as_of.year}年：{applied.note}）；对照 {year}年目标："
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
shown, config = sortable(table, RATE_COLUMNS)
st.dataframe(shown, column_config=config, hide_index=True, width="stretch", height=320)
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

st.markdown("**全县月度趋势（按各月末的数据计算）**")
trend = cached_trend(stamp)
if trend.empty:
    st.caption("尚无数据：导入农户档案后按建档日期逐月计算。")
else:
    first_pre = trend["pre_credit_rate"].first_valid_index()
    fig = go.Figure()
    fig.add_scatter(
        x=trend["month"],
        y=trend["filing_rate"],
        name="建档率",
        mode="lines+markers",
        hovertemplate="%{x} 建档率 %{y:.1%}<extra></extra>",
    )
    fig.add_scatter(
        x=trend["month"],
        y=trend["pre_credit_rate"],
        name="预授信率",
        mode="lines+markers",
        hovertemplate="%{x} 预授信率 %{y:.1%}<extra></extra>",
    )
    fig.add_scatter(
        x=trend["month"],
        y=trend["filing_target"],
        name="建档率目标（当年）",
        mode="lines",
        line={"dash": "dash", "color": "#555"},
    )
    fig.add_scatter(
        x=trend["month"],
        y=trend["pre_credit_target"],
        name="预授信率目标（当年）",
        mode="lines",
        line={"dash": "dot", "color": "#999"},
    )
    fig.update_xaxes(type="category", title="月份")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_layout(
        font={"family": PLOTLY_FONT},
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h"},
    )
    st.plotly_chart(fig, width="stretch", key="chart-trend")
    newest = trend.iloc[-1]
    m = st.columns(4)
    m[0].metric(f"建档率比上月（{newest['month']}）", fmt_points_or_dash(newest["filing_mom"]))
    m[1].metric("建档率同比", fmt_points_or_dash(newest["filing_yoy"]))
    m[2].metric("预授信率比上月", fmt_points_or_dash(newest["pre_credit_mom"]))
    m[3].metric("预授信率同比", fmt_points_or_dash(newest["pre_credit_yoy"]))
    notes = "；".join(dict.fromkeys(trend["target_note"]))
    pre_from = trend.loc[first_pre, "month"] if first_pre is not None else "—"
    st.caption(
        f"每月一个点，按各月末之前的建档日期与评估日期计算。各月对照所属年度目标：{notes}。"
        f"预授信率自首次评估（{pre_from}）起计，此前的月份没有预授信率（表中为空，显示 None）。"
    )
    shown, config = sortable(
        trend.iloc[::-1],
        [
            "month_end",
            "households",
            "filed",
            "filing_rate",
            "filing_mom",
            "filing_yoy",
            "filing_gap",
            "pre_credited",
            "pre_credit_rate",
            "pre_credit_mom",
            "pre_credit_yoy",
            "pre_credit_gap",
        ],
    )
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch", height=260)

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
shown, config = sortable(
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
)
st.dataframe(shown, column_config=config, hide_index=True, width="stretch")

st.markdown("**月报（Excel）**")
months = cached_report_months(stamp)
if not months:
    st.caption("尚无数据，无法生成月报。")
elif principal.villages is not None:
    st.caption("月报为全县汇总，仅限全县范围的角色导出。")
else:
    r1, r2 = st.columns(2)
    month = r1.selectbox("报告月份", months, key="report_month", format_func=month_label)
    filed_on = r2.date_input("填报日期", value=None, key="report_date", format="YYYY/MM/DD")
    f1, f2, f3 = st.columns(3)
    footer = ReportFooter(
        filing_unit=f1.text_input("填报单位", key="report_unit"),
        preparer=f2.text_input("填报人", key="report_preparer"),
        reviewer=f3.text_input("审核人", key="report_reviewer"),
        report_date=filed_on,
    )
    report = _report(stamp, month, footer, principal)
    clicked = st.download_button(
        "导出月报（Excel）",
        report,
        file_name=f"{county_name}农户建档与预授信月报_{month_label(month)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="export-rates",
    )
    if clicked:
        audit("export", target=f"月报 {month_label(month)}", detail=county_name)
period = f"{as_of.year}年{as_of.month}月"
st.download_button(
    "导出指标明细（Excel）",
    monthly_report_xlsx_indicators(
        rates=cached_rates(stamp, level),
        indicator_table=ind,
        filing_target=target.filing_rate,
        pre_credit_target=target.pre_credit_rate,
        period=period,
        unit_name=county_name,
    ),
    file_name=f"建档与预授信指标_{period}_{LEVELS[level]}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="export-indicators",
)
