"""信用村评定 — the assessment of a year: every village's result first (coloured) and its
criteria, the year's results stored with their history (评定 / 保持 / 摘牌), the 信用乡(镇)
roll-up, exports (the county's results, a village's 评定表 and 公示 list, its 整村授信 list),
and the households behind each figure."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from creditfarm.access import Permission, can
from creditfarm.display.formatting import fmt_count, fmt_date, fmt_pct
from creditfarm.reports.credit_village import (
    BEHIND,
    CRITERIA,
    assess_year,
    assessed_years,
    assessment_sheet_xlsx,
    can_assess,
    count_behind,
    criteria_long,
    export_xlsx,
    history,
    households_behind,
    publicity_xlsx,
    year_results,
)
from creditfarm.reports.rates import ReportHeading, report_heading
from creditfarm.scoring.village_list import village_list, village_list_pdf, village_list_xlsx
from ui.common import (
    audit,
    cached_credit_villages,
    data_stamp,
    display,
    page_principal,
    sortable,
    workspace,
)

ws = workspace()
principal = page_principal(Permission.view_credit_village)
stamp = data_stamp(ws)
rules = ws.policy.credit_village
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESULT = "评定结果"
STATUS_COL = "评定情况"
# Colours of a result cell: rated green, not rated red (the column a reader looks for first).
COLOURS = {
    "信用村": "background-color: #C6EFCE; color: #006100; font-weight: bold",
    "信用乡(镇)": "background-color: #C6EFCE; color: #006100; font-weight: bold",
    "未达标": "background-color: #FFC7CE; color: #9C0006",
}


@st.cache_data(show_spinner=False, max_entries=4)
def _heading(stamp: tuple[Any, ...]) -> ReportHeading:
    return report_heading(workspace())


def _colour(value: object) -> str:
    return COLOURS.get(str(value), "")


st.title("信用村评定")
heading = _heading(stamp)
st.caption(
    f"标准（政策文件）：信用户占比 ≥ {fmt_pct(rules.min_credit_household_share, 0)}，"
    f"借款户无欠息占比 ≥ {fmt_pct(rules.min_borrowers_without_arrears, 0)}，"
    f"不良贷款率 < {fmt_pct(rules.max_non_performing_ratio, 0)}，"
    f"建档率 ≥ {fmt_pct(rules.min_filing_rate, 0)}；"
    f"信用乡(镇)：信用村占比 ≥ {fmt_pct(ws.policy.credit_town.min_credit_village_share, 0)}"
)
facts, villages, towns = cached_credit_villages(stamp, principal)

stored_years = assessed_years(ws)
# The data's year, the year before it (a late assessment) and every year already stored.
years = sorted({*stored_years, heading.as_of.year, heading.as_of.year - 1}, reverse=True)
c1, c2 = st.columns([1, 2])
year = c1.selectbox("评定年度", years, key="year", format_func=lambda y: f"{y}年")
if can_assess(principal) and c1.button(f"评定{year}年度并保存结果", key="assess"):
    stored = assess_year(ws, year=year, principal=principal, households=facts)
    audit("assess_villages", target=f"{year}年度", detail=f"{stored} 个村")
    st.success(f"已保存{year}年度评定结果：{fmt_count(stored, '个村')}。")
    stored_years = assessed_years(ws)
results = history(year_results(ws, principal=principal))
this_year = results[results["year"] == year]
if year in stored_years:
    first = this_year.iloc[0] if not this_year.empty else None
    by = f"，{first['assessed_by']} 评定" if first is not None else ""
    c2.caption(f"{year}年度已评定（数据截至 {fmt_date(heading.as_of)}{by}）；下表为当前数据。")
else:
    c2.caption(f"{year}年度尚未保存评定结果；下表按截至 {fmt_date(heading.as_of)} 的数据计算。")

m = st.columns(3)
m[0].metric("行政村", fmt_count(len(villages), "个"))
m[1].metric("信用村", fmt_count(villages["credit_village"].sum(), "个"))
m[2].metric("信用乡(镇)", f"{int(towns['credit_town'].sum())} / {len(towns)}")

st.markdown("**各村评定（评定结果在最前；未达标的排在前面）**")
columns = ["village_name", "town_name", "village_code", "households"]
for c in CRITERIA:
    columns += [c.key, f"{c.key}_pass"]
shown, config = sortable(villages, columns)
shown = shown.rename(columns={f"{c.key}_pass": f"{c.label}达标" for c in CRITERIA})
for c in CRITERIA:
    shown[f"{c.label}达标"] = shown[f"{c.label}达标"].map(lambda v: "达标" if v else "未达标")
shown.insert(0, RESULT, villages["credit_village"].map({True: "信用村", False: "未达标"}).values)
status = dict(zip(this_year["code"], this_year["status_label"], strict=True))
shown.insert(1, STATUS_COL, villages["village_code"].map(lambda c: status.get(c, "—")).values)
st.dataframe(
    shown.style.map(_colour, subset=[RESULT]),
    column_config=config,
    hide_index=True,
    width="stretch",
    height=320,
)

st.markdown("**历年评定（评定 / 保持 / 摘牌）**")
if results.empty:
    st.caption("尚未保存任何年度的评定结果。")
else:
    past = results.pivot_table(
        index=["code", "name", "town_name"], columns="year", values="status_label", aggfunc="first"
    )
    past.columns = [f"{y}年" for y in past.columns]
    past = past.reset_index().rename(columns={"code": "村代码", "name": "村", "town_name": "乡镇"})
    st.dataframe(past.fillna("—"), hide_index=True, width="stretch", key="history")

st.markdown("**信用乡(镇)评定**")
town_shown, town_config = sortable(
    towns, ["town_name", "villages", "credit_villages", "credit_village_share"]
)
town_shown.insert(0, RESULT, towns["credit_town"].map({True: "信用乡(镇)", False: "未达标"}).values)
st.dataframe(
    town_shown.style.map(_colour, subset=[RESULT]),
    column_config=town_config,
    hide_index=True,
    width="stretch",
)

if st.download_button(
    "导出评定结果（Excel）",
    export_xlsx(ws, villages=villages, towns=towns, year=year),
    file_name=f"{heading.county_name}{year}年度信用村评定.xlsx",
    mime=XLSX,
    key="export-village",
):
    audit("export", target=f"信用村评定 {year}年度")

st.markdown("### 单村明细")
labels = {r.village_code: f"{r.town_name} · {r.village_name}" for r in villages.itertuples()}
code = st.selectbox(
    "选择村", ["", *labels], key="village", format_func=lambda c: labels.get(c, "请选择")
)
if code:
    criteria = display(
        criteria_long(ws, villages=villages[villages["village_code"] == code]),
        ["label", "value", "comparison", "threshold", "passed"],
    )
    # shares as percentages, kept numbers (a village without borrowers has no value)
    criteria["数值"] = pd.to_numeric(criteria["数值"], errors="coerce") * 100
    criteria["标准"] = pd.to_numeric(criteria["标准"], errors="coerce") * 100
    percent = st.column_config.NumberColumn
    st.dataframe(
        criteria,
        column_config={"数值": percent(format="%.1f%%"), "标准": percent(format="%.0f%%")},
        hide_index=True,
        width="stretch",
    )
    mine = results[results["code"] == code]
    if not mine.empty:
        st.caption(
            "历年："
            + "；".join(
                f"{r.year}年 {'信用村' if r.credit else '未达标'}（{r.status_label}）"
                for r in mine.itertuples()
            )
        )
    name = labels[code].split(" · ")[-1]
    d1, d2, d3, d4 = st.columns(4)
    if year in set(mine["year"]):
        d1.download_button(
            f"{year}年度评定表（Excel）",
            assessment_sheet_xlsx(ws, village_code=code, year=year, principal=principal),
            file_name=f"{name}{year}年度信用村评定表.xlsx",
            mime=XLSX,
            key="export-sheet",
        )
    else:
        d1.caption(f"{year}年度尚未评定，评定后可导出评定表。")
    if can(principal, Permission.view_households, village_code=code):
        d2.download_button(
            "信用户公示名单（Excel）",
            publicity_xlsx(ws, village_code=code, year=year, principal=principal, households=facts),
            file_name=f"{name}{year}年度信用户公示名单.xlsx",
            mime=XLSX,
            key="export-publicity",
        )
    if can(principal, Permission.export_lists, village_code=code):
        listing = village_list(ws, village_code=code, principal=principal)
        if not listing.rows.empty:
            d3.download_button(
                "整村授信名单（Excel）",
                village_list_xlsx(listing),
                file_name=f"{name}整村授信名单.xlsx",
                mime=XLSX,
                key="export-list-xlsx",
            )
            d4.download_button(
                "整村授信名单（PDF）",
                village_list_pdf(listing),
                file_name=f"{name}整村授信名单.pdf",
                mime="application/pdf",
                key="export-list-pdf",
            )
    which = st.radio(
        "查看数字背后的农户", list(BEHIND), format_func=BEHIND.get, horizontal=True, key="behind"
    )
    counted = count_behind(facts, village_code=code, figure=which)
    st.caption(f"{BEHIND[which]}：{fmt_count(counted, '户')}")
    # Only the bank's roles see the households themselves; the others the count.
    if can(principal, Permission.view_households, village_code=code):
        rows = households_behind(facts, village_code=code, figure=which, principal=principal)
        behind, behind_config = sortable(
            rows,
            [
                "household_no",
                "head_name",
                "filed",
                "grade",
                "credit_household",
                "borrower",
                "in_arrears",
                "loan_balance",
                "npl_balance",
            ],
        )
        st.dataframe(behind, column_config=behind_config, hide_index=True, width="stretch")
    else:
        st.info("农户明细仅对信贷员角色开放。")
