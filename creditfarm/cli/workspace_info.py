"""``creditfarm workspace``: which payment store and model registry a database is bound to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

__all__ = ["show_workspace"]


@app.command("workspace")
def show_workspace(
    payments_dir: Annotated[
        Path | None,
        typer.Option("--payments-dir", help="交易流水库已移到此处：记录新位置（须带本工作区标记）"),
    ] = None,
    model_dir: Annotated[
        Path | None,
        typer.Option("--model-dir", help="模型库已移到此处：记录新位置（须含当前模型）"),
    ] = None,
    db: DbOption = None,
) -> None:
    """显示数据库绑定的工作区：工作区编号、交易流水库、模型库与当前模型。"""
    from creditfarm.workspace import WorkspaceError, open_workspace, rebind

    if payments_dir is None and model_dir is None:
        ws = _common.workspace(db)
    else:
        # Moving a folder is what makes the settings disagree with the record: open without
        # them, then record the new places.
        from creditfarm.settings import get_settings

        settings = get_settings().model_copy(update={"payments_dir": None, "model_dir": None})
        try:
            ws = open_workspace(settings, database_url=_common.database_url(db))
            ws = rebind(ws, payments_dir=payments_dir, model_dir=model_dir)
        except WorkspaceError as exc:
            _common.fail(str(exc))
    typer.echo(f"工作区      {ws.id}（创建于 {ws.binding.created_at:%Y-%m-%d %H:%M}）")
    typer.echo(f"数据库      {ws.database}")
    try:
        ws.payments_root  # noqa: B018  (the marker check is what is shown)
        store = "标记相符"
    except WorkspaceError as exc:
        store = f"不可用：{exc}"
    typer.echo(f"交易流水库  {ws.binding.payments_dir}（{store}）")
    typer.echo(f"模型库      {ws.model_dir}")
    typer.echo(f"当前模型    {ws.current_model or '（尚未训练）'}")
