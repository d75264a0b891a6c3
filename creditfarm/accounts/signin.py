"""Signing in: a password checked against its scrypt hash, guessing slowed down, idle
sessions ended.

Each wrong password counts against the account; after ``settings.signin_max_failures`` in a row
the account is locked for ``settings.signin_lock_minutes`` (a right password does not open it
meanwhile), so a guesser gets a handful of tries an hour. An unknown user name gets the same
answer as a wrong password, and costs the same scrypt work, so names cannot be probed. The
clock is a parameter (``now``), so tests need no sleeping.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from creditfarm.access import Principal, verify_password
from creditfarm.accounts.store import principal_of
from creditfarm.storage.models import UserAccount
from creditfarm.workspace import Workspace

__all__ = ["SignInRefused", "authenticate", "session_expired"]

# A hash of no password at all: an unknown name is checked against it (same cost, never true).
_DUMMY_HASH = "scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
WRONG = "用户名或密码错误"


class SignInRefused(PermissionError):
    """Sign-in refused; the message (Chinese) is for the person signing in."""


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return moment


def authenticate(
    ws: Workspace, *, username: str, password: str, now: datetime | None = None
) -> Principal:
    """The principal of ``username`` when ``password`` is right and the account is enabled and
    not locked; else ``SignInRefused``."""
    now = now or datetime.now(UTC)
    settings = ws.settings
    with Session(ws.engine) as session:
        account = session.get(UserAccount, username.strip())
        if account is None:
            verify_password(password, _DUMMY_HASH)
            raise SignInRefused(WRONG)
        locked = _aware(account.locked_until)
        if locked is not None and locked > now:
            minutes = max(1, math.ceil((locked - now).total_seconds() / 60))
            raise SignInRefused(f"连续输错密码次数过多，账户已锁定，请 {minutes} 分钟后再试")
        if not verify_password(password, account.password_hash):
            account.failed_attempts += 1
            if account.failed_attempts >= settings.signin_max_failures:
                account.locked_until = now + timedelta(minutes=settings.signin_lock_minutes)
                account.failed_attempts = 0
            session.add(account)
            session.commit()
            raise SignInRefused(WRONG)
        if account.disabled:
            raise SignInRefused("账户已停用，请联系系统管理员")
        account.failed_attempts = 0
        account.locked_until = None
        session.add(account)
        session.commit()
        session.refresh(account)
        return principal_of(account)


def principal_for_identity(ws: Workspace, *, email: str | None, verified: bool = True) -> Principal:
    """The principal of a person the bank's identity provider signed in (OIDC, ``st.login``).

    The provider says who they are; what they may do is creditfarm's own: the local account
    named by their e-mail (the administrator adds it with ``creditfarm user add``) gives the
    role, villages and authority limit. Unknown, unverified or disabled: ``SignInRefused``."""
    name = (email or "").strip().lower()
    if not name or not verified:
        raise SignInRefused("统一身份认证未提供已验证的邮箱，无法登录")
    with Session(ws.engine) as session:
        account = session.get(UserAccount, name)
        if account is None:
            raise SignInRefused(f"统一身份账户 {name} 尚未在本系统开通，请联系系统管理员")
        if account.disabled:
            raise SignInRefused("账户已停用，请联系系统管理员")
        return principal_of(account)


def session_expired(
    last_seen: datetime | None, *, idle_minutes: int, now: datetime | None = None
) -> bool:
    """Whether a session last active at ``last_seen`` has been idle too long (or never began)."""
    if last_seen is None:
        return True
    now = now or datetime.now(UTC)
    return now - last_seen > timedelta(minutes=idle_minutes)
