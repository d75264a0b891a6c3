"""Data commands: ``ingest``, ``report``, ``quarantine``, ``rates``. They call the library and
print what it returns; no figure is computed here."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from creditfarm.cli import app
from creditfarm.cli._common import DbOption, acting_principal, fail, origin, workspace

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

# The library, pandas and rich are imported inside the commands: `--help` must not load them.

__all__ = ["ingest", "quarantine", "rates", "report"]

_REPORT_HEADINGS = {
    "source": "来源",
    "files": "文件",
    "rows_read": "读取",
    "rows_accepted": "接受",
    "rows_quarantined": "隔离",
    "duplicates_merged": "合并",
    "rows_linked": "关联",
    "linked_share": "关联率",
    "failed_files": "失败",
}
_RATE_HEADINGS = {
    "code": "代码",
    "name": "名称",
    "town_name": "乡镇",
    "households": "户数",
    "filed": "已建档",
    "filing_rate": "建档率",
    "pre_credited": "已预授信",
    "pre_credit_rate": "预授信率",
}


def _console() -> Console:
    from rich.console import Console

    # A pipe or a test runner has no width: 80 columns would squeeze the report.
    return Console(width=None if sys.stdout.isatty() else 120)


_LEVEL_NAMES = {"village": "村", "town": "乡镇", "county": "县"}


class Level(StrEnum):
    village = "village"
    town = "town"
    county = "county"


class RateFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class QuarantineFormat(StrEnum):
    csv = "csv"


def _print_report(console: Console, report: pd.DataFrame) -> None:
    """The report table, then the quarantine reasons of each source on their own lines."""
    import pandas as pd
    from rich.table import Table

    from creditfarm.ingest import REASONS, WARNINGS

    columns = [c for c in report.columns if c not in ("quarantined_by_reason", "warnings")]
    table = Table(title="导入报告")
    for col in columns:
        table.add_column(_REPORT_HEADINGS.get(col, col), no_wrap=col == "source")
    for rec in report.to_dict("records"):
        share = rec["linked_share"]
        rec["linked_share"] = "—" if share is None or pd.isna(share) else f"{share:.1%}"
        table.add_row(*(str(rec[col]) for col in columns))
    console.print(table)
    for rec in report.to_dict("records"):
        for code, n in rec["quarantined_by_reason"].items():
            label = REASONS.get(code, code)
            console.print(f"  {rec['source']} 隔离 {code}×{n}（{label}）", highlight=False)
        for code, n in rec["warnings"].items():
            label = WARNINGS.get(code, code)
            console.print(f"  {rec['source']} 提示 {code}×{n}（{label}）", highlight=False)


def _print_problems(console: Console, runs: pd.DataFrame) -> None:
    for rec in runs.to_dict("records"):
        if rec["status"] == "failed":
            console.print(
                f"[red]失败[/red] {rec['file']}: {rec['message']}", markup=True, highlight=False
            )


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(help="County export folder (CSV / xlsx files)")],
    db: DbOption = None,
) -> None:
    """导入一个县的导出文件夹：识别每个文件、校验、关联、隔离问题行，并打印导入报告。"""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from creditfarm.access import Permission
    from creditfarm.accounts import record_event
    from creditfarm.ingest import UNPLACED, IngestError, ingest_folder
    from creditfarm.ingest.report import import_report, run_table

    ws = workspace(db, writes_payments=True)
    principal = acting_principal(ws, Permission.import_data)
    console = _console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("导入", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"导入 {label}")

        try:
            runs = ingest_folder(ws, folder, progress=progress)
        except IngestError as exc:
            fail(str(exc))
    run_ids = [r.id for r in runs if r.id is not None]
    record_event(
        ws,
        actor=principal,
        action="import",
        target=str(folder),
        detail="；".join(f"{r.file_name}: {r.status}" for r in runs)[:2000],
        origin=origin(),
    )
    _print_report(console, import_report(ws, run_ids=run_ids))
    unchanged = sum(r.status == "unchanged" for r in runs)
    if unchanged:
        console.print(f"{unchanged} 个文件与已导入的内容相同，未作改动。")
    if not runs:
        fail(f"{folder}: 没有找到可导入的文件（.csv / .xlsx）")
    failed = run_table(ws, run_ids=run_ids)
    failed = failed[failed["status"] == "failed"]
    if not failed.empty:
        _print_problems(console, failed)
        unplaced = int((failed["source"] == UNPLACED).sum())
        fail(f"{len(failed)} 个文件未能导入（其中 {unplaced} 个无法识别来源），见上方说明")


@app.command()
def report(db: DbOption = None) -> None:
    """再次打印导入报告（每个来源：读取、接受、隔离及原因、合并重复、关联户籍比例）。"""
    from creditfarm.ingest.report import import_report, run_table

    ws = workspace(db)
    console = _console()
    current = import_report(ws)
    if current.empty:
        console.print("尚未导入任何文件。")
        return
    _print_report(console, current)
    _print_problems(console, run_table(ws))


@app.command()
def quarantine(
    fmt: Annotated[
        QuarantineFormat, typer.Option("--format", help="Output format")
    ] = QuarantineFormat.csv,
    detail: Annotated[bool, typer.Option("--detail", help="Add a last column saying why")] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Only this source (e.g. hukou, payments)")
    ] = None,
    db: DbOption = None,
) -> None:
    """导出全部隔离行（CSV 到标准输出；身份证号、电话、卡号已脱敏）。"""
    from creditfarm.display.exports import csv_text
    from creditfarm.ingest.report import quarantine_frame

    frame = quarantine_frame(workspace(db), source=source, detail=detail)
    typer.echo(csv_text(frame), nl=False)


@app.command()
def rates(
    level: Annotated[
        Level, typer.Option("--level", help="village, town or county")
    ] = Level.village,
    fmt: Annotated[
        RateFormat, typer.Option("--format", help="table, csv or json")
    ] = RateFormat.table,
    db: DbOption = None,
) -> None:
    """建档率与预授信率（按村、乡镇或县）。"""
    from creditfarm.reports.rates import rates as rate_table

    frame = rate_table(workspace(db), level=level.value)
    if fmt is RateFormat.csv:
        from creditfarm.display.exports import csv_text

        typer.echo(csv_text(frame), nl=False)
    elif fmt is RateFormat.json:
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        from rich.table import Table

        table = Table(title=f"建档率与预授信率（按{_LEVEL_NAMES[level.value]}）")
        for col in frame.columns:
            numeric = col not in ("code", "name", "town_name")
            table.add_column(_RATE_HEADINGS[col], justify="right" if numeric else "left")
        for rec in frame.to_dict("records"):
            table.add_row(
                *[f"{rec[c]:.1%}" if c.endswith("_rate") else str(rec[c]) for c in frame.columns]
            )
        _console().print(table)
