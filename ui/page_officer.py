"""农户评估 — the loan officer's page: search, household card, explanation, decision, queue."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from creditfarm.access import Permission, Principal, can
from creditfarm.display.formatting import fmt_count, fmt_date, fmt_prob, fmt_score, fmt_yuan
from creditfarm.ingest.contract import SOURCES
from creditfarm.officer import households, review
from ui.common import (
    audit,
    cached_households,
    cached_members,
    cached_queue,
    data_stamp,
    display,
    numeric_table,
    origin,
    page_principal,
    workspace,
)

ws = workspace()
principal = page_principal(Permission.view_households)
stamp = data_stamp(ws)


@st.cache_data(show_spinner=False, max_entries=64)
def _card(
    stamp: tuple[Any, ...], household_no: str, principal: Principal
) -> households.HouseholdCard:
    return households.household_card(workspace(), household_no=household_no, principal=principal)


@st.cache_data(show_spinner=False, max_entries=64)
def _explanation(
    stamp: tuple[Any, ...], household_no: str, principal: Principal
) -> dict[str, Any] | None:
    from creditfarm.explain.household import explain_household

    try:
        return explain_household(workspace(), household_no=household_no, principal=principal)
    except LookupError:
        return None


def _archive_table(archive: dict[str, Any]) -> pd.DataFrame:
    """Archive facts under their contract labels, each shown the way its contract type reads."""
    rows = []
    for key, value in archive.items():
        column = SOURCES["archive"].column(key)
        if column.type == "amount":
            shown = fmt_yuan(value)
        elif column.type == "date":
            shown = fmt_date(pd.Timestamp(value).date()) if value else "—"
        elif key.endswith("_mu"):  # areas in 亩
            shown = "—" if value is None else f"{float(value):g}亩"
        else:
            shown = "—" if value is None else str(value)
        rows.append({"项目": column.aliases[0] if column.aliases else key, "内容": shown})
    return pd.DataFrame(rows)


def _source_tag(reason: dict[str, Any]) -> str:
    return f"【{reason['source_zh']}】" if reason.get("source_zh") else ""


def _explanation_block(household_no: str) -> None:
    from creditfarm.display.charts import waterfall
    from creditfarm.explain import CONTEXT, CONTEXT_ZH, LOWERED, RAISED

    explained = _explanation(stamp, household_no, principal)
    if explained is None:
        st.info("本户尚无评估结果。")
        return
    rules = explained.get("policy_rules") or []
    if rules:
        st.markdown("**政策规则（否决与限额，属于规则而非模型统计）**")
        for rule in rules:
            kind = "一票否决" if rule["kind"] == "veto" else "额度限制"
            st.warning(f"{kind}：{rule['sentence']}")
    reasons = explained.get("reasons") or {}
    if reasons.get("waterfall"):
        st.plotly_chart(
            waterfall(reasons["waterfall"]), width="stretch", key=f"waterfall-{household_no}"
        )
    left, right = st.columns(2)
    with left:
        st.markdown("**降低评分的因素**（分）")
        for r in reasons.get(LOWERED, []) or [{"sentence": "无"}]:
            st.markdown(f"- {_source_tag(r)}{r['sentence']} {r.get('points_text', '')}")
    with right:
        st.markdown("**提高评分的因素**（分）")
        for r in reasons.get(RAISED, []) or [{"sentence": "无"}]:
            st.markdown(f"- {_source_tag(r)}{r['sentence']} {r.get('points_text', '')}")
    if reasons.get(CONTEXT):
        st.caption(
            f"{CONTEXT_ZH}（本村整体情况，不是本户自身的原因）："
            + "；".join(f"{r['sentence']} {r['points_text']}" for r in reasons[CONTEXT])
        )


def _decision_form(card: households.HouseholdCard, prefix: str) -> None:
    assessment, line = card.assessment, card.line
    if assessment is None or line is None:
        return
    st.markdown("#### 人工决定")
    if not can(principal, Permission.decide, village_code=card.village_code):
        st.caption("您无权对本户作出决定。")
        return
    if line["pending_decision_id"] is not None:
        st.info("本户有一项决定正在等待信贷主管审批；新的决定将替代它。")
    with st.form(f"{prefix}-decision-{card.household_no}", clear_on_submit=True):
        action = st.radio(
            "处理方式",
            list(review.ACTIONS),
            format_func=review.ACTIONS.get,
            horizontal=True,
            key=f"{prefix}-action",
        )
        new_limit = st.number_input(
            "调整后的额度（元，仅“调整额度”时使用）",
            min_value=0.0,
            value=float(line["line"]),
            step=1000.0,
            key=f"{prefix}-limit",
        )
        reason = st.text_area("理由（必填）", key=f"{prefix}-reason")
        submitted = st.form_submit_button("保存决定")
    if submitted:
        try:
            decision = review.record_decision(
                ws,
                assessment_id=int(assessment["id"]),
                action=action,
                reason=reason,
                limit=new_limit if action == "adjust" else None,
                expected_version=int(line["decision_version"]),
                principal=principal,
                origin=origin(),
            )
        except review.DecisionError as exc:  # DecisionConflict included: a clear message
            st.error(str(exc))
        else:
            saved = (
                f"已保存：{review.ACTIONS[decision.action]}，额度 {fmt_yuan(decision.limit)}，"
                f"经办人 {decision.decided_by}"
            )
            if decision.status == "pending":
                needed = "、".join(
                    review.APPROVAL_REASONS[c] for c in decision.approval_needed.split(",")
                )
                st.warning(f"{saved}。{needed}，须经另一位信贷主管审批后生效。")
            else:
                st.success(f"{saved}，已生效。")


def render_card(household_no: str, prefix: str) -> None:
    card = _card(stamp, household_no, principal)
    if st.session_state.get(f"viewed-{prefix}") != household_no:  # a view, not every rerun
        st.session_state[f"viewed-{prefix}"] = household_no
        audit("view_household", target=household_no)
    st.subheader(
        f"户号 {card.household_no} · {card.town_name or ''}{card.village_name or ''}"
        f" · 户主 {card.head_name}"
    )
    a, line = card.assessment, card.line
    if a is not None and line is not None:
        cols = st.columns(6)
        cols[0].metric("等级", a["grade"])
        cols[1].metric("评分", fmt_score(a["score"]))
        cols[2].metric("违约概率", fmt_prob(a["probability"]))
        cols[3].metric(
            f"预授信额度（{line['source_zh']}）",
            fmt_yuan(line["line"]),
            help="人工决定生效时以决定为准，否则为模型额度",
        )
        cols[4].metric("信用户", "是" if line["credit_household"] else "否")
        cols[5].metric("薄档案", "是" if a["thin_file"] else "否")
        if a["vetoes"]:  # beside the line it holds at 0, not far below it
            st.warning("一票否决：" + "、".join(a["vetoes"]))
        source = (
            f"人工决定（{line['decided_by']}），模型额度 {fmt_yuan(line['model_limit'])}"
            if line["source"] == "decision"
            else "模型"
        )
        st.caption(
            f"额度来源 {source} · 评估日 {fmt_date(a['as_of'])} · 模型 {a['model_version']} · "
            f"政策 {a['policy_version']}"
        )
    else:
        st.info("本户尚未评级（未建档或尚未运行评分）。")
    left, right = st.columns(2)
    with left:
        st.markdown("**家庭成员**")
        st.dataframe(
            pd.DataFrame(card.members).rename(
                columns={
                    "name": "姓名",
                    "relation": "与户主关系",
                    "id_masked": "身份证号",
                    "age": "年龄",
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.markdown("**数据来源**")
        st.dataframe(
            pd.DataFrame(
                {
                    "来源": [s["title"] for s in card.sources],
                    "状态": ["有" if s["present"] else "缺" for s in card.sources],
                    "条数": [fmt_count(s["rows"]) for s in card.sources],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    with right:
        st.markdown("**档案信息**")
        if card.archive is None:
            st.info("本户未建档。")
        else:
            st.dataframe(_archive_table(card.archive), hide_index=True, width="stretch")
        pay = card.payments
        st.markdown(
            f"**助农取款服务点交易**：{fmt_count(pay['transactions'], '笔')}"
            + (f"（{fmt_date(pay['first'])} 至 {fmt_date(pay['last'])}）" if pay["first"] else "")
        )
    st.markdown("#### 评分解释")
    _explanation_block(household_no)
    st.markdown("#### 等级历史")
    if card.history.empty:
        st.caption("暂无。")
    else:
        st.dataframe(
            display(
                card.history,
                [
                    "as_of",
                    "model_version",
                    "grade",
                    "score",
                    "probability",
                    "pre_credit_limit",
                    "credit_household",
                    "created_at",
                ],
            ),
            hide_index=True,
            width="stretch",
        )
    made = review.decisions(ws, household_no=household_no, principal=principal)
    if not made.empty:
        st.markdown("**人工决定记录**")
        table, config = numeric_table(
            made,
            [
                "decided_at",
                "decided_by",
                "action_label",
                "decided_limit",
                "status_label",
                "approval_text",
                "reason",
                "reviewed_by",
                "review_note",
                "grade",
                "as_of",
            ],
        )
        st.dataframe(table, column_config=config, hide_index=True, width="stretch")
    _decision_form(card, prefix)


def _option_label(frame: pd.DataFrame) -> dict[str, str]:
    return {
        r.household_no: f"{r.household_no} · {r.head_name} · {r.village_name or ''}"
        f" · {r.grade if isinstance(r.grade, str) else '未评级'}"
        for r in frame.itertuples()
    }


st.title("农户评估")
# One view at a time (not st.tabs, which runs every tab's code): the review queue is computed
# only when it is opened, so the first page after sign-in shows sooner.
VIEWS = {"search": "农户查询", "queue": "待复核队列"}
if can(principal, Permission.approve):
    VIEWS["approvals"] = "待审批"
view = st.segmented_control(
    "视图",
    list(VIEWS),
    format_func=lambda v: VIEWS[v],
    default="search",
    required=True,
    key="officer_view",
    label_visibility="collapsed",
)


def _village_labels() -> dict[str, str]:
    villages = households.village_options(ws)
    if principal.villages is not None:  # an officer picks among their own villages
        villages = villages[villages["village_code"].isin(principal.villages)]
    return dict(zip(villages["village_code"], villages["label"], strict=True))


def _search() -> None:
    frame = cached_households(stamp)
    village_labels = _village_labels()
    c1, c2, c3, c4, c5 = st.columns(5)
    name = c1.text_input("姓名", key="q_name")
    id_query = c2.text_input("身份证号（可输入前6位或后4位）", key="q_id")
    village = c3.selectbox(
        "村",
        ["", *village_labels],
        key="q_village",
        format_func=lambda c: village_labels.get(c, "全部"),
    )
    grade = c4.selectbox(
        "等级", ["", *ws.policy.grade_order], key="q_grade", format_func=lambda g: g or "全部"
    )
    status = c5.selectbox(
        "状态",
        ["", *households.STATUSES],
        key="q_status",
        format_func=lambda s: households.STATUSES.get(s, "全部"),
    )
    found = households.search_households(
        ws,
        name=name or None,
        id_query=id_query or None,
        village_code=village or None,
        grade=grade or None,
        status=status or None,
        principal=principal,
        frame=frame,
        members=cached_members(stamp),
        limit=None,
    )
    st.caption(f"共 {fmt_count(len(found), '户')}（最多显示 500 户）")
    found = found.head(500)
    table, config = numeric_table(
        found,
        [
            "household_no",
            "town_name",
            "village_name",
            "head_name",
            "head_id_masked",
            "members",
            "filed",
            "grade",
            "score",
            "probability",
            "pre_credit_limit",
            "line_source",
            "credit_household",
            "thin_file",
            "vetoed",
        ],
    )
    st.dataframe(table, column_config=config, hide_index=True, width="stretch", height=300)
    labels = _option_label(found)
    chosen = st.selectbox(
        "选择农户查看详情",
        ["", *labels],
        key="household",
        format_func=lambda h: labels.get(h, "请选择"),
    )
    if chosen:
        render_card(chosen, "s")


def _queue() -> None:
    village_labels = _village_labels()
    officers = review.officer_options(ws, principal=principal)
    c1, c2, c3 = st.columns(3)
    village = c1.selectbox(
        "村",
        ["", *village_labels],
        key="queue_village",
        format_func=lambda c: village_labels.get(c, "全部"),
    )
    officer = ""
    if principal.villages is None:  # a supervisor may look at one officer's villages
        officer = c2.selectbox(
            "信贷员", ["", *officers], key="queue_officer", format_func=lambda o: o or "全部"
        )
    reason = c3.selectbox(
        "复核原因",
        ["", *review.QUEUE_REASONS],
        key="queue_reason",
        format_func=lambda r: review.QUEUE_REASONS.get(r, "全部"),
    )
    full = cached_queue(stamp, principal, village or None, officer or None)
    counts = review.reason_counts(full).rename(
        columns={"households": "households_count", "label": "reason_label"}
    )
    counts_table, counts_config = numeric_table(counts, ["reason_label", "households_count"])
    st.dataframe(counts_table, column_config=counts_config, hide_index=True)
    queue = review.only_reason(full, reason or None)
    st.caption(
        f"需人工复核 {fmt_count(len(queue), '户')}，按优先顺序排列：一票否决压下达标等级、"
        f"等级变化、评分距等级边界 {ws.policy.review.borderline_points:g} 分以内、"
        "有额度的薄档案（额度大的在前）、档案与户籍不一致。"
        "已作出决定（含待审批）的农户不再列出。"
    )
    table, config = numeric_table(
        queue,
        [
            "household_no",
            "village_name",
            "head_name",
            "grade",
            "previous_grade",
            "score",
            "pre_credit_limit",
            "reason_text",
        ],
    )
    st.dataframe(table, column_config=config, hide_index=True, width="stretch", height=300)
    q_labels = {
        r.household_no: f"{r.household_no} · {r.head_name} · {r.reason_text}"
        for r in queue.itertuples()
    }
    picked = st.selectbox(
        "选择待复核农户",
        ["", *q_labels],
        key="queue_household",
        format_func=lambda h: q_labels.get(h, "请选择"),
    )
    if picked:
        render_card(picked, "q")


def _approvals() -> None:
    waiting = review.pending_approvals(ws, principal=principal, frame=cached_households(stamp))
    st.caption(
        f"待审批 {fmt_count(len(waiting), '项')}：超出经办人授权额度的调整、推翻一票否决的决定，"
        "须由经办人以外的信贷主管审批后生效。"
    )
    if waiting.empty:
        return
    table, config = numeric_table(
        waiting,
        [
            "decided_at",
            "household_no",
            "village_name",
            "head_name",
            "grade",
            "model_limit",
            "decided_limit",
            "approval_text",
            "reason",
            "decided_by",
        ],
    )
    st.dataframe(table, column_config=config, hide_index=True, width="stretch")
    labels = {
        int(r.id): f"#{r.id} · {r.household_no} · {r.head_name} · {fmt_yuan(r.decided_limit)}"
        f" · 经办人 {r.decided_by}"
        for r in waiting.itertuples()
    }
    picked = st.selectbox(
        "选择待审批决定",
        [0, *labels],
        key="approval_pick",
        format_func=lambda i: labels.get(i, "请选择"),
    )
    if not picked:
        return
    row = waiting.set_index("id").loc[picked]
    if bool(row["own"]):
        st.warning("这是您本人作出的决定，不能由您审批（审贷分离）。")
        return
    note = st.text_input("审批意见（驳回时必填）", key="approval_note")
    c1, c2 = st.columns(2)
    approve = c1.button("批准", key="approve", type="primary")
    reject = c2.button("驳回", key="reject")
    if approve or reject:
        try:
            if approve:
                review.approve_decision(
                    ws,
                    decision_id=int(picked),
                    expected_version=int(row["decision_version"]),
                    note=note,
                    principal=principal,
                    origin=origin(),
                )
            else:
                review.reject_decision(
                    ws,
                    decision_id=int(picked),
                    expected_version=int(row["decision_version"]),
                    reason=note,
                    principal=principal,
                    origin=origin(),
                )
        except review.DecisionError as exc:
            st.error(str(exc))
        else:
            done = "批准" if approve else "驳回"
            st.success(f"已{done}决定 #{picked}（{row['household_no']}）。")


if view == "approvals":
    _approvals()
elif view == "queue":
    _queue()
else:
    _search()
