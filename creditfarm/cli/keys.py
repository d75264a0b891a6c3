"""``creditfarm keygen`` and ``creditfarm rekey``: the data key that seals personal numbers."""

from __future__ import annotations

from typing import Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

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
    db: DbOption = None,
) -> None:
    """轮换数据密钥：把旧密钥加密的身份证号、电话和隔离行原值改用新密钥加密。"""
    if not data:
        _common.fail("say what to re-key: --data (the data key of personal numbers)")
    from creditfarm.access import Permission
    from creditfarm.accounts import record_event
    from creditfarm.workspace import rekey_data

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.maintain)
    changed = rekey_data(ws)
    record_event(
        ws,
        actor=principal,
        action="rekey",
        detail=f"data key {ws.sealer.kid}; {changed} values re-sealed",
        origin=_common.origin(),
    )
    typer.echo(f"已用数据密钥 {ws.sealer.kid} 重新加密 {changed} 项个人信息。")
