"""``creditfarm list``: the printable 整村授信 list of one village (xlsx or PDF)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

__all__ = ["village_list"]


class ListFormat(StrEnum):
    xlsx = "xlsx"
    pdf = "pdf"


@app.command("list")
def village_list(
    village: Annotated[str, typer.Option("--village", help="村代码 (12 位)")],
    out: Annotated[Path, typer.Option("--out", help="output file (.xlsx or .pdf)")],
    fmt: Annotated[ListFormat, typer.Option("--format", help="xlsx | pdf")] = ListFormat.xlsx,
    bank: Annotated[str, typer.Option("--bank", help="授信银行名称（标题用）")] = "",
    db: DbOption = None,
) -> None:
    """导出一个村的整村授信农户名单（公示与签字用，Excel 或 PDF；身份证号前6后4）。"""
    from creditfarm.access import AccessDenied, Permission
    from creditfarm.accounts import record_event
    from creditfarm.scoring.village_list import (
        village_list as make_list,
    )
    from creditfarm.scoring.village_list import (
        village_list_pdf,
        village_list_xlsx,
    )

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.export_lists)
    try:
        listing = make_list(ws, village_code=village, principal=principal, bank=bank)
    except AccessDenied as exc:
        _common.fail(str(exc))
    except ValueError as exc:
        _common.fail(str(exc))
    if listing.rows.empty:
        _common.fail(f"no assessments for village {village}: run `creditfarm score` first")
    data = village_list_pdf(listing) if fmt is ListFormat.pdf else village_list_xlsx(listing)
    out.write_bytes(data)
    record_event(
        ws,
        actor=principal,
        action="export",
        target=f"整村授信名单 {village} → {out}",
        detail=f"{len(listing.rows)} 户 ({fmt.value})",
        origin=_common.origin(),
    )
    typer.echo(f"{len(listing.rows)} households → {out}")
