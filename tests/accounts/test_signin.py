"""Accounts and sign-in: passwords, lock-out after repeated failures, idle sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from creditfarm.access import Role
from creditfarm.accounts import (
    AccountError,
    SignInRefused,
    add_user,
    assign_villages,
    authenticate,
    get_principal,
    list_users,
    session_expired,
    set_disabled,
    set_password,
)
from creditfarm.workspace import Workspace

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_add_and_sign_in(ws: Workspace):
    made = add_user(
        ws,
        username="officer1",
        role="loan_officer",
        password="correct horse",
        display_name="王信贷",
        villages=["469029100201", "469029100202"],
        authority_limit=100_000,
    )
    assert made.role is Role.loan_officer
    signed = authenticate(ws, username="officer1", password="correct horse", now=T0)
    assert signed == made
    assert signed.villages == frozenset({"469029100201", "469029100202"})
    assert signed.covers("469029100201") and not signed.covers("469029100301")
    users = list_users(ws)
    assert users["username"].tolist() == ["officer1"] and "password_hash" not in users.columns
    assert users.loc[0, "role"] == "信贷员"


def test_bad_accounts_are_refused(ws: Workspace):
    with pytest.raises(AccountError, match="至少 8 位"):
        add_user(ws, username="a", role="admin", password="short")
    with pytest.raises(AccountError, match="未知角色"):
        add_user(ws, username="a", role="boss", password="long enough")
    add_user(ws, username="a", role="admin", password="long enough")
    with pytest.raises(AccountError, match="已存在"):
        add_user(ws, username="a", role="admin", password="long enough")


def test_wrong_password_and_unknown_user_get_the_same_answer(ws: Workspace):
    add_user(ws, username="pboc1", role="pboc_analyst", password="long enough")
    for name, password in (("pboc1", "wrong password"), ("nobody", "long enough")):
        with pytest.raises(SignInRefused) as info:
            authenticate(ws, username=name, password=password, now=T0)
        assert str(info.value) == "用户名或密码错误"


def test_five_failures_lock_the_account_for_fifteen_minutes(ws: Workspace):
    add_user(ws, username="v1", role="village_committee", password="long enough")
    for i in range(5):  # settings: 5 failures, 15 minutes
        with pytest.raises(SignInRefused, match="用户名或密码错误"):
            authenticate(ws, username="v1", password=f"guess {i}", now=T0)
    with pytest.raises(SignInRefused, match="已锁定，请 15 分钟后再试"):
        authenticate(ws, username="v1", password="long enough", now=T0)  # even the right one
    with pytest.raises(SignInRefused, match="请 1 分钟后再试"):
        authenticate(ws, username="v1", password="long enough", now=T0 + timedelta(minutes=14))
    later = T0 + timedelta(minutes=15, seconds=1)
    assert authenticate(ws, username="v1", password="long enough", now=later).username == "v1"


def test_four_failures_then_success_resets_the_count(ws: Workspace):
    add_user(ws, username="s1", role="credit_supervisor", password="long enough")
    for _ in range(4):
        with pytest.raises(SignInRefused):
            authenticate(ws, username="s1", password="nope nope", now=T0)
    authenticate(ws, username="s1", password="long enough", now=T0)
    for _ in range(4):  # four more: still not locked, the count started again
        with pytest.raises(SignInRefused, match="错误"):
            authenticate(ws, username="s1", password="nope nope", now=T0)
    assert authenticate(ws, username="s1", password="long enough", now=T0).username == "s1"


def test_disable_password_and_assignment(ws: Workspace):
    add_user(ws, username="o2", role="loan_officer", password="long enough")
    assert get_principal(ws, username="o2") is not None
    assert get_principal(ws, username="o2").villages == frozenset()  # type: ignore[union-attr]
    set_disabled(ws, username="o2", disabled=True)
    assert get_principal(ws, username="o2") is None
    with pytest.raises(SignInRefused, match="已停用"):
        authenticate(ws, username="o2", password="long enough", now=T0)
    set_disabled(ws, username="o2", disabled=False)
    set_password(ws, username="o2", password="a new password")
    with pytest.raises(SignInRefused):
        authenticate(ws, username="o2", password="long enough", now=T0)
    assigned = assign_villages(ws, username="o2", villages=["469029100201"], authority_limit=5e4)
    assert assigned.villages == frozenset({"469029100201"}) and assigned.authority_limit == 5e4


def test_sessions_end_after_the_idle_time():
    assert session_expired(None, idle_minutes=30, now=T0)
    assert not session_expired(T0, idle_minutes=30, now=T0 + timedelta(minutes=30))
    assert session_expired(T0, idle_minutes=30, now=T0 + timedelta(minutes=30, seconds=1))


def test_an_identity_providers_user_takes_the_local_accounts_role(sqlite_ws) -> None:
    from creditfarm.accounts import add_user, principal_for_identity, set_disabled

    add_user(
        sqlite_ws,
        username="li.na@bank.example",
        password="not-used-by-oidc",
        role="loan_officer",
        villages=["469029100201"],
        authority_limit=30000,
    )
    who = principal_for_identity(sqlite_ws, email=" Li.Na@Bank.Example ")
    assert (who.username, who.role.value) == ("li.na@bank.example", "loan_officer")
    assert who.villages == frozenset({"469029100201"}) and who.authority_limit == 30000
    for email, verified, message in (
        ("someone@bank.example", True, "尚未在本系统开通"),
        ("li.na@bank.example", False, "未提供已验证的邮箱"),
        ("", True, "未提供已验证的邮箱"),
    ):
        with pytest.raises(SignInRefused, match=message):
            principal_for_identity(sqlite_ws, email=email, verified=verified)
    set_disabled(sqlite_ws, username="li.na@bank.example", disabled=True)
    with pytest.raises(SignInRefused, match="已停用"):
        principal_for_identity(sqlite_ws, email="li.na@bank.example")
