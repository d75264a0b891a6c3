"""``creditfarm backup`` / ``creditfarm restore``: an embedded workspace as one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

__all__ = ["backup_command", "restore_command"]


@app.command("backup")
def backup_command(
    to: Annotated[Path, typer.Argument(help="备份文件（.tar.gz），不会覆盖已有文件")],
    db: DbOption = None,
) -> None:
    """备份内嵌数据库及其交易流水库、模型库（一致的快照；备份期间暂停导入）。"""
    from creditfarm.access import Permission
    from creditfarm.accounts import record_event
    from creditfarm.maintenance import BackupError, backup

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.maintain)
    try:
        manifest = backup(ws, to=to)
    except BackupError as exc:
        _common.fail(str(exc))
    record_event(ws, actor=principal, action="backup", target=str(to), origin=_common.origin())
    typer.echo(f"已备份工作区 {manifest.workspace_id}：{len(manifest.files)} 个文件 → {to}")


@app.command("restore")
def restore_command(
    archive: Annotated[Path, typer.Argument(help="creditfarm backup 写出的备份文件")],
    to_db: Annotated[
        Path, typer.Option("--to-db", help="恢复为此 SQLite 文件（流水库与模型库放在旁边）")
    ],
    force: Annotated[bool, typer.Option("--force", help="覆盖已有的数据库")] = False,
) -> None:
    """从备份恢复内嵌数据库、交易流水库与模型库，并逐个文件校验。"""
    from creditfarm.maintenance import BackupError, restore

    try:
        manifest = restore(archive, database=to_db, force=force)
    except BackupError as exc:
        _common.fail(str(exc))
    typer.echo(
        f"已恢复工作区 {manifest.workspace_id}（备份于 {manifest.taken_at}）→ {to_db}；"
        f"使用时请设 CREDITFARM_DATABASE_URL=sqlite:///{Path(to_db).resolve().as_posix()}"
    )
