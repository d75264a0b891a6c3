"""``creditfarm user …`` (accounts, administrators only) and ``creditfarm audit [verify]``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

__all__ = ["audit_app", "user_app"]

user_app = typer.Typer(
    help="用户账户（仅系统管理员）：add / list / disable / enable / passwd / assign"
)
audit_app = typer.Typer(
    help="审计日志：列出（默认）或 verify 校验哈希链", invoke_without_command=True
)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")

VillagesOption = Annotated[
    str, typer.Option("--villages", help="负责的村代码，逗号分隔（信贷员、村两委）")
]


def _password(prompt: str) -> str:
    """From standard input when it is not a terminal (scripts), else asked twice; never argv."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt(prompt, hide_input=True)
    if typer.prompt("再输入一次", hide_input=True) != first:
        _common.fail("两次输入的密码不一致")
    return str(first)


def _admin(db: str | None):  # type: ignore[no-untyped-def]
    from creditfarm.access import Permission

    ws = _common.workspace(db)
    return ws, _common.acting_principal(ws, Permission.manage_users)


def _changed(ws: object, principal: object, target: str, detail: str) -> None:
    from creditfarm.accounts import record_event

    record_event(
        ws,  # type: ignore[arg-type]
        actor=principal,  # type: ignore[arg-type]
        action="user_change",
        target=target,
        detail=detail,
        origin=_common.origin(),
    )


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="loan_officer | credit_supervisor | pboc_analyst | village_committee | admin",
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="姓名")] = "",
    villages: VillagesOption = "",
    limit: Annotated[float | None, typer.Option("--limit", help="审批权限（元）")] = None,
    db: DbOption = None,
) -> None:
    """新增用户（密码从标准输入读取或交互输入，不接受命令行参数）。"""
    from creditfarm.accounts import AccountError, add_user

    ws, principal = _admin(db)
    try:
        add_user(
            ws,
            username=username,
            role=role,
            password=_password("新用户的密码"),
            display_name=name,
            villages=[v.strip() for v in villages.split(",") if v.strip()],
            authority_limit=limit,
        )
    except AccountError as exc:
        _common.fail(str(exc))
    _changed(ws, principal, username, f"新增，角色 {role}")
    typer.echo(f"已新增用户 {username}")


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """列出全部用户（不含密码）。"""
    from creditfarm.accounts import list_users

    ws, _ = _admin(db)
    typer.echo(list_users(ws).to_string(index=False))


def _set_disabled(username: str, disabled: bool, db: str | None) -> None:
    from creditfarm.accounts import AccountError, set_disabled

    ws, principal = _admin(db)
    try:
        set_disabled(ws, username=username, disabled=disabled)
    except AccountError as exc:
        _common.fail(str(exc))
    word = "停用" if disabled else "启用"
    _changed(ws, principal, username, word)
    typer.echo(f"已{word}用户 {username}")


@user_app.command("disable")
def user_disable(username: str, db: DbOption = None) -> None:
    """停用用户（不能再登录）。"""
    _set_disabled(username, True, db)


@user_app.command("enable")
def user_enable(username: str, db: DbOption = None) -> None:
    """重新启用用户。"""
    _set_disabled(username, False, db)


@user_app.command("passwd")
def user_passwd(username: str, db: DbOption = None) -> None:
    """重设用户密码（同时解除锁定）。"""
    from creditfarm.accounts import AccountError, set_password

    ws, principal = _admin(db)
    try:
        set_password(ws, username=username, password=_password("新密码"))
    except AccountError as exc:
        _common.fail(str(exc))
    _changed(ws, principal, username, "重设密码")
    typer.echo(f"已重设 {username} 的密码")


@user_app.command("assign")
def user_assign(
    username: str,
    villages: VillagesOption = "",
    limit: Annotated[float | None, typer.Option("--limit", help="审批权限（元）")] = None,
    db: DbOption = None,
) -> None:
    """分配负责的村（及审批权限）。"""
    from creditfarm.accounts import AccountError, assign_villages

    ws, principal = _admin(db)
    try:
        assign_villages(
            ws,
            username=username,
            villages=[v.strip() for v in villages.split(",") if v.strip()],
            authority_limit=limit,
        )
    except AccountError as exc:
        _common.fail(str(exc))
    _changed(ws, principal, username, f"分配村 {villages}")
    typer.echo(f"已为 {username} 分配村")


@audit_app.callback()
def audit_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="最近多少条")] = 50,
    db: DbOption = None,
) -> None:
    """列出最近的审计记录（系统管理员）。"""
    if ctx.invoked_subcommand is not None:
        return
    from creditfarm.access import Permission
    from creditfarm.accounts import audit_events

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.read_audit)
    typer.echo(audit_events(ws, principal=principal, limit=limit).to_string(index=False))


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """校验审计日志的哈希链：发现删除、插入或改动的记录时以非零状态退出。"""
    from creditfarm.access import Permission
    from creditfarm.accounts import verify_audit

    ws = _common.workspace(db)
    _common.acting_principal(ws, Permission.read_audit)
    problems = verify_audit(ws)
    if problems:
        for p in problems:
            typer.echo(f"记录 {p.event_id}: {p.problem}")
        _common.fail(f"审计日志不完整：{len(problems)} 处问题", code=1)
    typer.echo("审计日志完整：哈希链无断点")
