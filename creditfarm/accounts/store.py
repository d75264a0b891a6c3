"""Local accounts: one row per person who signs in (``UserAccount``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from creditfarm.access import ROLE_ZH, Principal, Role, hash_password
from creditfarm.storage.models import UserAccount
from creditfarm.workspace import Workspace

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AccountError",
    "add_user",
    "assign_villages",
    "get_principal",
    "list_users",
    "principal_of",
    "set_disabled",
    "set_password",
]

MIN_PASSWORD = 8


class AccountError(ValueError):
    """An account change that cannot be made; the message (Chinese) says why."""


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")


def principal_of(account: UserAccount) -> Principal:
    return Principal(
        username=account.username,
        role=Role(account.role),
        villages=frozenset(account.villages) if account.villages else None,
        display_name=account.display_name,
        authority_limit=account.authority_limit,
    )


def add_user(
    ws: Workspace,
    *,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    villages: Iterable[str] = (),
    authority_limit: float | None = None,
) -> Principal:
    """Create an account; a village-bound role with no villages sees none until assigned."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("用户名不能为空，且不超过 64 个字符")
    try:
        checked = Role(role)
    except ValueError:
        raise AccountError(f"未知角色 {role}（可选：{', '.join(r.value for r in Role)}）") from None
    _check_password(password)
    with Session(ws.engine) as session:
        if session.get(UserAccount, username) is not None:
            raise AccountError(f"用户 {username} 已存在")
        account = UserAccount(
            username=username,
            display_name=display_name or username,
            role=checked.value,
            villages=sorted(set(villages)),
            authority_limit=authority_limit,
            password_hash=hash_password(password),
        )
        session.add(account)
        session.commit()
        session.refresh(account)
        return principal_of(account)


def _update(ws: Workspace, username: str, **values: object) -> Principal:
    with Session(ws.engine) as session:
        account = session.get(UserAccount, username)
        if account is None:
            raise AccountError(f"用户 {username} 不存在")
        for key, value in values.items():
            setattr(account, key, value)
        session.add(account)
        session.commit()
        session.refresh(account)
        return principal_of(account)


def set_password(ws: Workspace, *, username: str, password: str) -> Principal:
    _check_password(password)
    return _update(
        ws, username, password_hash=hash_password(password), failed_attempts=0, locked_until=None
    )


def set_disabled(ws: Workspace, *, username: str, disabled: bool) -> Principal:
    return _update(ws, username, disabled=disabled)


def assign_villages(
    ws: Workspace,
    *,
    username: str,
    villages: Iterable[str],
    authority_limit: float | None = None,
) -> Principal:
    values: dict[str, object] = {"villages": sorted(set(villages))}
    if authority_limit is not None:
        values["authority_limit"] = authority_limit
    return _update(ws, username, **values)


def get_principal(ws: Workspace, *, username: str) -> Principal | None:
    """The principal of an enabled account (None: no such account, or disabled)."""
    with Session(ws.engine) as session:
        account = session.get(UserAccount, username)
        if account is None or account.disabled:
            return None
        return principal_of(account)


def list_users(ws: Workspace) -> pd.DataFrame:
    """Every account without its password hash: username, name, role (中文), villages, state."""
    import pandas as pd  # here: sign-in and the audit writes need no pandas

    with Session(ws.engine) as session:
        accounts = session.exec(select(UserAccount).order_by(UserAccount.username)).all()  # type: ignore[arg-type]
    return pd.DataFrame(
        [
            {
                "username": a.username,
                "display_name": a.display_name,
                "role": ROLE_ZH[Role(a.role)],
                "villages": "、".join(a.villages),
                "authority_limit": a.authority_limit,
                "disabled": a.disabled,
                "locked_until": a.locked_until,
            }
            for a in accounts
        ],
        columns=[
            "username",
            "display_name",
            "role",
            "villages",
            "authority_limit",
            "disabled",
            "locked_until",
        ],
    )
