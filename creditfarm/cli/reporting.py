"""``creditfarm monthly``: the PBoC sub-branch's monthly report workbook for one month."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

__all__ = ["monthly"]


def _month(value: str) -> date:
    """2022-06 or 2022-06-30 → a day of that month."""
    try:
        return date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        _common.fail(f"--month must look like 2022-06, not {value!r}")


@app.command("monthly")
def monthly(
    out: Annotated[Path, typer.Option("--out", help="output file (.xlsx)")],
    month: Annotated[
        str | None, typer.Option("--month", help="报告月份 2022-06 (default: the data's newest)")
    ] = None,
    unit: Annotated[str, typer.Option("--unit", help="填报单位")] = "",
    preparer: Annotated[str, typer.Option("--preparer", help="填报人")] = "",
    reviewer: Annotated[str, typer.Option("--reviewer", help="审核人")] = "",
    db: DbOption = None,
) -> None:
    """导出农户建档与预授信情况月报（Excel：全县合计、乡镇小计、本月/上月/比上月、目标与差距）。"""
    from creditfarm.access import AccessDenied, Permission
    from creditfarm.accounts import record_event
    from creditfarm.reports.monthly import ReportFooter, monthly_report_xlsx, report_months
    from creditfarm.reports.trend import month_label

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.view_rates)
    months = report_months(ws)
    if not months:
        _common.fail("no dated data yet: import the county's archive first")
    chosen = _month(month) if month else months[0]
    footer = ReportFooter(
        filing_unit=unit, preparer=preparer, reviewer=reviewer, report_date=date.today()
    )
    try:
        data = monthly_report_xlsx(ws, month=chosen, principal=principal, footer=footer)
    except AccessDenied as exc:
        _common.fail(str(exc))
    out.write_bytes(data)
    record_event(
        ws,
        actor=principal,
        action="export",
        target=f"月报 {month_label(chosen)} → {out}",
        origin=_common.origin(),
    )
    typer.echo(f"{month_label(chosen)} → {out}")
