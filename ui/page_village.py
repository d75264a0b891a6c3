"""信用村评定 — every village's criteria (value, threshold, pass/fail), the 信用乡(镇) roll-up,
export, and the households behind each figure."""

from __future__ import annotations

import streamlit as st

from creditfarm.access import Permission, can
from creditfarm.display.formatting import fmt_count, fmt_pct
from creditfarm.reports.credit_village import (
    BEHIND,
    CRITERIA,
    count_behind,
    criteria_long,
    export_xlsx,
    households_behind,
)
from ui.common import cached_credit_villages, data_stamp, display, page_principal, workspace

ws = workspace()
principal = page_principal(Permission.view_credit_village)
stamp = data_stamp(ws)
rules = ws.policy.credit_village

st.title("信用村评定")
st.caption(
    f"标准（政策文件）：信用户占比 ≥ {fmt_pct(rules.min_credit_household_share, 0)}，"
    f"借款户无欠息占比 ≥ {fmt_pct(rules.min_borrowers_without_arrears, 0)}，"
    f"不良贷款率 < {fmt_pct(rules.max_non_performing_ratio, 0)}，"
    f"建档率 ≥ {fmt_pct(rules.min_filing_rate, 0)}；"
    f"信用乡(镇)：信用村占比 ≥ {fmt_pct(ws.policy.credit_town.min_credit_village_share, 0)}"
)
facts, villages, towns = cached_credit_villages(stamp, principal)
m = st.columns(3)
m[0].metric("行政村", fmt_count(len(villages), "个"))
m[1].metric("信用村", fmt_count(villages["credit_village"].sum(), "个"))
m[2].metric("信用乡(镇)", f"{int(towns['credit_town'].sum())} / {len(towns)}")

st.markdown("**各村评定（未达标的排在前面）**")
columns = ["village_code", "village_name", "town_name", "households"]
for c in CRITERIA:
    columns += [c.key, f"{c.key}_pass"]
columns.append("credit_village")
shown = display(villages, columns).rename(
    columns={f"{c.key}_pass": f"{c.label}达标" for c in CRITERIA}
)
for c in CRITERIA:
    shown[f"{c.label}达标"] = shown[f"{c.label}达标"].map(lambda v: "达标" if v else "未达标")
st.dataframe(shown, hide_index=True, width="stretch", height=320)

st.markdown("**信用乡(镇)评定**")
st.dataframe(
    display(
        towns, ["town_name", "villages", "credit_villages", "credit_village_share", "credit_town"]
    ),
    hide_index=True,
    width="stretch",
)

st.download_button(
    "导出评定结果（Excel）",
    export_xlsx(ws, villages=villages, towns=towns),
    file_name="信用村评定.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="export-village",
)

st.markdown("### 单村明细")
labels = {r.village_code: f"{r.town_name} · {r.village_name}" for r in villages.itertuples()}
code = st.selectbox(
    "选择村", ["", *labels], key="village", format_func=lambda c: labels.get(c, "请选择")
)
if code:
    st.dataframe(
        display(
            criteria_long(ws, villages=villages[villages["village_code"] == code]),
            ["label", "value", "comparison", "threshold", "passed"],
        ).assign(数值=lambda f: f["数值"].map(fmt_pct), 标准=lambda f: f["标准"].map(fmt_pct)),
        hide_index=True,
        width="stretch",
    )
    which = st.radio(
        "查看数字背后的农户", list(BEHIND), format_func=BEHIND.get, horizontal=True, key="behind"
    )
    counted = count_behind(facts, village_code=code, figure=which)
    st.caption(f"{BEHIND[which]}：{fmt_count(counted, '户')}")
    # Only the bank's roles see the households themselves; the others the count.
    if can(principal, Permission.view_households, village_code=code):
        rows = households_behind(facts, village_code=code, figure=which, principal=principal)
        st.dataframe(
            display(
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
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info("农户明细仅对信贷员角色开放。")
