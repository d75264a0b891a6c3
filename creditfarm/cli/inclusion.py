"""``creditfarm index``: the inclusive-finance index (普惠金融指数) per village, town or county, as
a table, CSV (every month) or the Excel filing of the 普惠金融指标体系. Aggregates only: the PBoC
analyst's role may run it."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from creditfarm.cli import app
from creditfarm.cli._common import DbOption, acting_principal, fail, origin, workspace

__all__ = ["index"]

_LEVEL_NAMES = {"village": "村", "town": "乡镇", "county": "县"}


class Level(StrEnum):
    village = "village"
    town = "town"
    county = "county"


class IndexFormat(StrEnum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"


def _month(value: str | None) -> date | None:
    """``YYYY-MM`` → the month's last day."""
    if value is None:
        return None
    import calendar
    from datetime import datetime

    try:
        first = datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        fail(f"--month must look like 2022-06, not {value!r}")
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _fmt(value: object, digits: int = 3, *, signed: bool = False) -> str:
    import pandas as pd

    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "—"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:+.{digits}f}" if signed else f"{number:.{digits}f}"


@app.command("index")
def index(
    level: Annotated[
        Level, typer.Option("--level", help="village, town or county")
    ] = Level.village,
    fmt: Annotated[
        IndexFormat, typer.Option("--format", help="table, csv (every month) or xlsx (the filing)")
    ] = IndexFormat.table,
    month: Annotated[
        str | None,
        typer.Option("--month", help="报告月份 YYYY-MM (default: the data's newest month)"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="output file (xlsx: required; csv: default stdout)")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="填报单位 (default: 人民银行<county>支行)")
    ] = None,
    db: DbOption = None,
) -> None:
    """普惠金融指数（按村、乡镇或县）与指标体系填报表。"""
    from creditfarm.access import Permission
    from creditfarm.reports.inclusion import inclusion_index

    if fmt is IndexFormat.xlsx and out is None:
        fail("--format xlsx needs --out FILE")
    ws = workspace(db)
    principal = acting_principal(ws, Permission.view_rates)
    try:
        result = inclusion_index(ws, principal=principal, month=_month(month))
    except ValueError as exc:
        fail(str(exc))
    if fmt is IndexFormat.csv:
        from creditfarm.display.exports import csv_text

        text = csv_text(result.wide(level.value))
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8-sig")  # a BOM: Excel opens it as UTF-8
    elif fmt is IndexFormat.xlsx:
        from creditfarm.accounts import record_event
        from creditfarm.reports.inclusion_export import filing_xlsx

        county = result.table("county")
        county_name = str(county["name"].iloc[0]) if not county.empty else ""
        data = filing_xlsx(
            result,
            policy=ws.policy,
            level=level.value,
            unit_name=unit or f"人民银行{county_name}支行",
            filed_on=date.today(),  # the day the filing is made, not a figure
        )
        assert out is not None
        out.write_bytes(data)
        record_event(
            ws,
            actor=principal,
            action="export",
            target=f"index:{level.value}:{result.month:%Y-%m}",
            detail=str(out),
            origin=origin(),
        )
        typer.echo(f"wrote {out} ({result.month:%Y-%m}, {_LEVEL_NAMES[level.value]})")
    else:
        _print_table(result, level.value)


def _print_table(result: object, level: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from creditfarm.reports.inclusion import InclusionIndex

    assert isinstance(result, InclusionIndex)
    cat = result.catalogue
    frame = result.table(level)  # type: ignore[arg-type]
    month = result.month
    table = Table(title=f"普惠金融指数（按{_LEVEL_NAMES[level]}，{month.year}年{month.month}月）")
    for col, right in (
        ("代码", False),
        ("名称", False),
        ("乡镇", False),
        ("户数", True),
        ("指数", True),
        ("上月", True),
        ("变动", True),
        *((cat.dimension_zh(d), True) for d in ("usage", "access", "quality")),
        ("最弱维度", False),
    ):
        table.add_column(col, justify="right" if right else "left")
    for rec in frame.to_dict("records"):
        table.add_row(
            str(rec["code"]),
            str(rec["name"] or ""),
            str(rec["town_name"] or ""),
            str(int(rec["households"])),
            _fmt(rec["ifi"]),
            _fmt(rec["ifi_last"]),
            _fmt(rec["change"], signed=True),
            *(_fmt(rec[d]) for d in ("usage", "access", "quality")),
            cat.dimension_zh(rec["weakest"]),
        )
    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(table)
    bal = result.balance.set_index("month")
    if month in bal.index:
        b = bal.loc[month]
        console.print(
            f"村间均衡：{int(b['villages'])} 个村，指数均值 {_fmt(b['mean'])}，"
            f"变异系数 {_fmt(b['cv'])}，泰尔指数 {_fmt(b['theil'], 4)}"
            f"（乡镇间 {_fmt(b['theil_between_towns'], 4)}）"
        )
