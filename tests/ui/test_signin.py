"""The app asks who you are before any page, and ends idle sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from creditfarm.access import Principal, Role
from tests.helpers.app_county import AppCounty
from tests.helpers.paths import UI

APP = Path(UI).parent / "app.py"


def test_sign_in_with_a_demo_account(app_env: AppCounty) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert any("登录" in t.value for t in at.title)
    assert not at.dataframe  # nothing of the county before signing in
    at.text_input(key="signin-user").set_value("pboc1")
    at.text_input(key="signin-password").set_value("wrong password")
    at.button[0].click().run()
    assert any("用户名或密码错误" in e.value for e in at.error)
    assert at.session_state["principal"] is None
    at.text_input(key="signin-user").set_value("pboc1")
    at.text_input(key="signin-password").set_value("pboc1-demo")
    at.button[0].click().run()
    principal = at.session_state["principal"]
    assert principal is not None
    assert (principal.username, principal.role) == ("pboc1", Role.pboc_analyst)
    assert any("人民银行分析员" in m.value for m in at.sidebar.markdown)


def test_an_idle_session_ends(app_env: AppCounty) -> None:
    at = AppTest.from_file(str(UI / "page_rates.py"), default_timeout=120)
    at.session_state["principal"] = Principal(username="pboc_t", role=Role.pboc_analyst)
    # 30 minutes is the default idle time (settings.session_idle_minutes).
    at.session_state["last_seen"] = datetime.now(UTC) - timedelta(minutes=31)
    at.run()
    assert any("已自动退出" in w.value for w in at.warning)
    assert not at.dataframe
    assert "principal" not in at.session_state


def test_sign_in_through_the_identity_provider(
    app_env: AppCounty, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """OIDC on: the provider's verified e-mail names a local account, which gives the role."""
    from creditfarm.accounts import add_user
    from creditfarm.settings import get_settings
    from creditfarm.workspace import open_workspace

    monkeypatch.setenv("CREDITFARM_OIDC_PROVIDER", "default")
    get_settings.cache_clear()
    st.cache_resource.clear()  # the app's workspace is made again with these settings
    request.addfinalizer(st.cache_resource.clear)  # later tests: a workspace without it
    ws = open_workspace(get_settings())
    add_user(ws, username="wang.li@bank.example", password="unused-here-1", role=Role.pboc_analyst)
    ws.engine.dispose()

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.user = {"is_logged_in": False}
    at.run()
    assert any(b.label == "使用单位统一身份认证登录" for b in at.button)
    assert "principal" not in at.session_state or at.session_state["principal"] is None

    at.user = {"is_logged_in": True, "email": "Wang.Li@bank.example", "email_verified": True}
    at.run()
    principal = at.session_state["principal"]
    assert (principal.username, principal.role) == ("wang.li@bank.example", Role.pboc_analyst)

    stranger = AppTest.from_file(str(APP), default_timeout=120)
    stranger.user = {"is_logged_in": True, "email": "nobody@bank.example"}
    stranger.run()
    assert any("尚未在本系统开通" in e.value for e in stranger.error)
    assert "principal" not in stranger.session_state or stranger.session_state["principal"] is None
