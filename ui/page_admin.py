"""用户与审计 — the administrator's page: accounts (add, disable, assign villages) and the audit
trail with its integrity check."""

from __future__ import annotations

import streamlit as st

from creditfarm.access import ROLE_ZH, Permission, Role, can
from creditfarm.accounts import (
    AccountError,
    add_user,
    assign_villages,
    audit_events,
    list_users,
    set_disabled,
    verify_audit,
)
from ui.common import audit, page_principal, workspace

ws = workspace()
principal = page_principal(Permission.read_audit)
USER_LABELS = {
    "username": "用户名",
    "display_name": "姓名",
    "role": "角色",
    "villages": "负责的村",
    "authority_limit": "审批权限（元）",
    "disabled": "已停用",
    "locked_until": "锁定至（UTC）",
}

st.title("用户与审计")
users_tab, audit_tab = st.tabs(["用户", "审计日志"])

with users_tab:
    st.dataframe(
        list_users(ws).rename(columns=USER_LABELS),
        hide_index=True,
        width="stretch",
        column_config={"审批权限（元）": st.column_config.NumberColumn(format="%,.0f")},
    )
    if can(principal, Permission.manage_users):
        with st.form("add-user", clear_on_submit=True):
            st.markdown("**新增用户**")
            c1, c2, c3 = st.columns(3)
            username = c1.text_input("用户名", key="new-user")
            name = c2.text_input("姓名", key="new-name")
            role: Role = c3.selectbox(  # type: ignore[assignment]
                "角色", list(Role), format_func=lambda r: ROLE_ZH[r], key="new-role"
            )
            villages = st.text_input(
                "负责的村（村代码，逗号分隔；信贷员、村两委必填）", key="new-vil"
            )
            password = st.text_input("初始密码（至少 8 位）", type="password", key="new-pw")
            if st.form_submit_button("新增"):
                try:
                    add_user(
                        ws,
                        username=username,
                        role=role,
                        password=password,
                        display_name=name,
                        villages=[v.strip() for v in villages.split(",") if v.strip()],
                    )
                except AccountError as exc:
                    st.error(str(exc))
                else:
                    audit("user_change", target=username, detail=f"新增，角色 {ROLE_ZH[role]}")
                    st.success(f"已新增用户 {username}")
        c1, c2 = st.columns(2)
        with c1.form("disable-user"):
            who = st.text_input("用户名", key="dis-user")
            disable = st.radio("操作", ["停用", "启用"], horizontal=True, key="dis-op")
            if st.form_submit_button("执行"):
                try:
                    set_disabled(ws, username=who, disabled=disable == "停用")
                except AccountError as exc:
                    st.error(str(exc))
                else:
                    audit("user_change", target=who, detail=disable)
                    st.success(f"已{disable}用户 {who}")
        with c2.form("assign-user"):
            who = st.text_input("用户名", key="as-user")
            villages = st.text_input("负责的村（逗号分隔）", key="as-vil")
            if st.form_submit_button("分配"):
                try:
                    assign_villages(
                        ws, username=who, villages=[v.strip() for v in villages.split(",") if v]
                    )
                except AccountError as exc:
                    st.error(str(exc))
                else:
                    audit("user_change", target=who, detail=f"分配村 {villages}")
                    st.success(f"已为 {who} 分配村")

with audit_tab:
    if st.button("校验审计日志完整性", key="verify"):
        problems = verify_audit(ws)
        if problems:
            st.error(f"发现 {len(problems)} 处问题：审计日志被改动或删除过。")
            st.dataframe(
                [{"记录": p.event_id, "问题": p.problem} for p in problems], hide_index=True
            )
        else:
            st.success("审计日志完整：哈希链无断点。")
    events = audit_events(ws, principal=principal, limit=500)
    st.dataframe(
        events.rename(
            columns={
                "id": "序号",
                "at": "时间（UTC）",
                "actor": "用户",
                "role": "角色",
                "action": "操作",
                "target": "对象",
                "detail": "内容",
                "origin": "来源",
            }
        ),
        hide_index=True,
        width="stretch",
    )
