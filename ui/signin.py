"""The sign-in form and the signed-in person's sidebar (used by ``app.py`` before any page)."""

from __future__ import annotations

import threading

import streamlit as st

from creditfarm.access import ROLE_ZH, Principal
from ui.state import audit, workspace

__all__ = ["require_sign_in"]


_warming: list[threading.Thread] = []


def _warm() -> None:
    """Import the pages' libraries (pandas, the officer and report modules) while the person
    types their password, so the first page after sign-in does not wait for them."""
    import ui.common  # noqa: F401


def _form() -> None:
    from creditfarm.accounts import SignInRefused, authenticate

    if not _warming:  # once per server process
        _warming.append(threading.Thread(target=_warm, name="warm-imports", daemon=True))
        _warming[0].start()

    st.title("creditfarm 农户信用 · 登录")
    provider = workspace().settings.oidc_provider
    if provider:
        if st.button("使用单位统一身份认证登录", key="signin-oidc", type="primary"):
            if provider == "default":
                st.login()
            else:
                st.login(provider)
        st.caption("或使用本系统账户登录：")
    with st.form("signin"):
        username = st.text_input("用户名", key="signin-user")
        password = st.text_input("密码", type="password", key="signin-password")
        submitted = st.form_submit_button("登录")
    if submitted:
        try:
            principal = authenticate(workspace(), username=username, password=password)
        except SignInRefused as exc:
            st.session_state["principal"] = None
            audit("signin_failed", target=username.strip()[:64])
            st.error(str(exc))
        else:
            st.session_state["principal"] = principal
            audit("signin")
            st.rerun()
    if workspace().settings.demo_mode:
        st.caption(
            "演示模式：演示账户见 README（officer1、supervisor1、pboc1、village1、admin1）。"
        )


def _from_provider() -> Principal | None:
    """The principal of a person the identity provider has signed in (OIDC), if any."""
    from creditfarm.accounts import SignInRefused, principal_for_identity

    if not workspace().settings.oidc_provider or not st.user.is_logged_in:
        return None
    email = st.user.get("email")
    try:
        principal = principal_for_identity(
            workspace(), email=str(email or ""), verified=bool(st.user.get("email_verified", True))
        )
    except SignInRefused as exc:
        audit("signin_failed", target=str(email or "")[:64])
        st.error(str(exc))
        return None
    st.session_state["principal"] = principal
    st.session_state["signed_in_by_provider"] = True
    audit("signin", detail="oidc")
    return principal


def require_sign_in() -> Principal:
    """The signed-in person; shows the sign-in form and stops the run until there is one."""
    principal = st.session_state.get("principal") or _from_provider()
    if principal is None:
        _form()
        st.stop()
    with st.sidebar:
        name = principal.display_name or principal.username
        st.markdown(f"**{name}**（{ROLE_ZH[principal.role]}）")
        if st.button("退出登录", key="signout"):
            audit("signout")
            by_provider = st.session_state.pop("signed_in_by_provider", False)
            for key in ("principal", "last_seen"):
                st.session_state.pop(key, None)
            if by_provider:
                st.logout()  # ends the provider's cookie too, then reruns
            st.rerun()
    return principal  # type: ignore[no-any-return]
