"""What every page needs before it renders anything, kept light (no pandas, no reports) so the
sign-in form shows at once: the workspace of the server process, the signed-in person, the
page's permission check and the audit record of what they do."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from creditfarm.access import AccessDenied, Permission, Principal, require
from creditfarm.settings import get_settings
from creditfarm.workspace import Workspace, open_workspace

__all__ = ["audit", "current_principal", "origin", "page_principal", "workspace"]


def current_principal() -> Principal:
    """The signed-in person (``st.session_state["principal"]``, set by the sign-in form in
    ``app.py``); a page opened without one, or idle past the settings' timeout, stops here."""
    from creditfarm.accounts import session_expired

    principal = st.session_state.get("principal")
    if principal is None:
        st.warning("请先登录。")
        st.stop()
    now = datetime.now(UTC)
    last = st.session_state.get("last_seen")
    idle = workspace().settings.session_idle_minutes
    if last is not None and session_expired(last, idle_minutes=idle, now=now):
        audit("signout", detail=f"闲置超过 {idle} 分钟，自动退出")
        by_provider = st.session_state.pop("signed_in_by_provider", False)
        for key in ("principal", "last_seen"):
            st.session_state.pop(key, None)
        if by_provider:
            st.logout()  # else the provider's cookie would sign them straight back in
        st.warning(f"闲置超过 {idle} 分钟，已自动退出，请重新登录。")
        st.stop()
    st.session_state["last_seen"] = now
    return principal  # type: ignore[no-any-return]


def page_principal(permission: Permission) -> Principal:
    """The signed-in person, who must hold ``permission`` to see this page (else it stops
    with the refusal): pages check too, not only the navigation."""
    principal = current_principal()
    try:
        require(principal, permission)
    except AccessDenied as exc:
        st.error(str(exc))
        st.stop()
    return principal


def audit(action: str, *, target: str = "", detail: str = "") -> None:
    """Record what the signed-in person does in the app (``creditfarm.accounts.audit``)."""
    from creditfarm.accounts import record_event

    principal = st.session_state.get("principal")
    actor = principal if principal is not None else "anonymous"
    record_event(
        workspace(), actor=actor, action=action, target=target, detail=detail, origin=_origin()
    )


def origin() -> str:
    """Where the signed-in person acts from, for the audit trail of library writes."""
    return _origin()


def _origin() -> str:
    """The browser's address when Streamlit knows it, else "app"."""
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    return f"app@{ip}" if ip else "app"


@st.cache_resource(show_spinner=False)
def workspace() -> Workspace:
    """One workspace (engine, policy) per server process, shared by every session."""
    return open_workspace(get_settings())
