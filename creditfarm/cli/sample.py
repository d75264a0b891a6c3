"""``creditfarm sample``: generate a seeded sample county (the files a county hands over)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditfarm.cli import app
from creditfarm.cli._common import fail

__all__ = ["sample"]


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the county's files into")],
    households: Annotated[
        int, typer.Option("--households", help="Number of 户籍 households")
    ] = 3000,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed → same files)")
    ] = 2021,
    months: Annotated[
        int, typer.Option("--months", help="Months of payment flows up to 2022-06-30")
    ] = 24,
    density: Annotated[
        float,
        typer.Option("--density", help="Scale of payment transactions (1.0 ≈ 22 per household)"),
    ] = 1.0,
    clean: Annotated[
        bool, typer.Option("--clean", help="Tidy UTF-8 CSVs without deliberate defects")
    ] = False,
) -> None:
    """生成样例县导出数据（固定随机种子，可复现）。"""
    from creditfarm.sample import generate_county

    try:
        summary = generate_county(
            out,
            households=households,
            seed=seed,
            months=months,
            messy=not clean,
            density=density,
            progress=lambda msg: typer.echo(msg, err=True),
        )
    except (ValueError, OSError) as exc:
        fail(str(exc))
        return
    typer.echo(
        f"样例县已生成: {out}  ({summary.households} 户, {summary.persons} 人, "
        f"{summary.villages} 个村, {summary.seconds:.1f} 秒)"
    )
    for source, rows in summary.rows.items():
        defects = ", ".join(f"{k}={v}" for k, v in summary.defects.get(source, {}).items())
        typer.echo(f"  {source:<17} {rows:>9,} 行" + (f"   缺陷: {defects}" if defects else ""))
    typer.echo(f"  应隔离行数 (bad IDs): {summary.expected_quarantine()}")
