"""``creditfarm keygen`` and ``creditfarm rekey``: the data key that seals personal numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

if TYPE_CHECKING:
    from creditfarm.access import Principal
    from creditfarm.workspace import Workspace

__all__ = ["keygen", "rekey"]


@app.command("keygen")
def keygen() -> None:
    """生成一个新的数据密钥（64 位十六进制），用于 CREDITFARM_DATA_KEY 或密钥文件。"""
    import secrets

    typer.echo("# 请妥善保管：丢失此密钥将无法读取已加密的身份证号与电话。", err=True)
    typer.echo(secrets.token_hex(32))


@app.command("rekey")
def rekey(
    data: Annotated[
        bool,
        typer.Option(
            "--data",
            help="用当前 CREDITFARM_DATA_KEY 重新加密全部个人信息"
            "（旧密钥放在 CREDITFARM_DATA_KEYS_OLD）",
        ),
    ] = False,
    secret: Annotated[
        bool,
        typer.Option(
            "--secret",
            help="把全部人员、卡片键改用新的哈希密钥（新密钥放在 CREDITFARM_NEW_SECRET_KEY）",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """轮换密钥：--data 用新数据密钥重新加密个人信息；--secret 用新哈希密钥重建全部关联键。"""
    if data == secret:
        _common.fail("say what to re-key: --data (the data key) or --secret (the hash secret)")
    from creditfarm.access import Permission
    from creditfarm.accounts import record_event

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.maintain)
    if secret:
        _rekey_secret(ws, principal)
        return
    from creditfarm.workspace import rekey_data

    changed = rekey_data(ws)
    record_event(
        ws,
        actor=principal,
        action="rekey",
        detail=f"data key {ws.sealer.kid}; {changed} values re-sealed",
        origin=_common.origin(),
    )
    typer.echo(f"已用数据密钥 {ws.sealer.kid} 重新加密 {changed} 项个人信息。")


def _rekey_secret(ws: Workspace, principal: Principal) -> None:
    import os

    from creditfarm.accounts import record_event
    from creditfarm.maintenance import RekeyError, rekey_secret

    # From the environment only: a secret on the command line would sit in shell histories.
    new = os.environ.get("CREDITFARM_NEW_SECRET_KEY", "")
    if not new:
        _common.fail("set CREDITFARM_NEW_SECRET_KEY to the new secret (see `creditfarm keygen`)")
    try:
        result = rekey_secret(ws, new_secret=new)
    except RekeyError as exc:
        _common.fail(str(exc))
    record_event(
        ws,
        actor=principal,
        action="rekey",
        detail=f"hash secret; {result.keys} keys, {result.without_value} without a stored value",
        origin=_common.origin(),
    )
    typer.echo(
        f"已用新哈希密钥重建 {result.keys} 个关联键（其中 {result.without_value} 个无存档原值，"
        f"按旧键重新散列）、{result.government_records} 条政务记录键、"
        f"{result.store_files} 个交易流水分区。请把 CREDITFARM_SECRET_KEY 改为新密钥。"
    )
