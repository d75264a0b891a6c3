"""``creditfarm train | score | evaluate | scores``: the modelling commands (library calls only)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["evaluate", "score", "scores", "train"]

T = TypeVar("T")


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _common.fail(f"--as-of must be a date like 2022-06-30, not {value!r}")
    return None


class _Bar:
    """progress(done, total, label) drawn as a rich progress bar on stderr."""

    def __init__(self, progress: Progress, title: str) -> None:
        self.progress = progress
        self.task = progress.add_task(title, total=None)

    def __call__(self, done: int, total: int, label: str) -> None:
        self.progress.update(self.task, completed=done, total=total, description=label or "done")


_ENGINE_HELP = "特征与评分引擎: local (DuckDB, 本机) | spark (Spark 作业)"
_MASTER_HELP = "Spark master (引擎为 spark 时): local[2] | spark://主机:7077 | yarn"


def _engine(value: str) -> str:
    if value not in ("local", "spark"):
        _common.fail(f"--engine must be local or spark, not {value!r}")
    return value


def _with_bar(title: str, step: Callable[[_Bar], T]) -> T:
    """Run a library step with a progress bar; its input errors become a clear exit."""
    from rich.progress import Progress

    try:
        with Progress(transient=True) as bar:
            return step(_Bar(bar, title))
    except (ValueError, FileNotFoundError) as exc:
        _common.fail(str(exc))
        raise  # not reached: fail() exits


def _run_models() -> Any:
    from creditfarm.access import Permission

    return Permission.run_models


def _audit(ws: Any, principal: Any, action: str, target: str) -> None:
    from creditfarm.accounts import record_event

    record_event(ws, actor=principal, action=action, target=target, origin=_common.origin())


@app.command("train")
def train(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="数据日期 YYYY-MM-DD (默认: 数据中最新日期)")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help=_ENGINE_HELP)] = "local",
    master: Annotated[str, typer.Option("--master", help=_MASTER_HELP)] = "local[2]",
    db: DbOption = None,
) -> None:
    """训练违约模型（LightGBM，时间外验证），写入 models/<版本>/ 及模型卡，设为本工作区当前模型。"""
    from creditfarm.model.training import train_model

    when = _as_of(as_of)
    kind = _engine(engine)
    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, _run_models())
    result = _with_bar(
        "training",
        lambda bar: train_model(ws, as_of=when, progress=bar, engine=kind, master=master),
    )
    _audit(ws, principal, "train", result.version)
    mm = result.metrics
    typer.echo(f"model {result.version} → {result.path}")
    for name in ("model", "baseline"):
        s = mm[name]
        typer.echo(
            f"  {name:8s} out-of-time AUC {s['auc']:.3f}  KS {s['ks']:.3f}  "
            f"Gini {s['gini']:.3f}  Brier {s['brier']:.4f}  (n={s['n']}, bad={s['bads']})"
        )
    typer.echo(
        f"  PSI (now vs a year earlier) {mm['psi']['score']:.3f}; model card: "
        f"{result.path / 'model_card.md'}"
    )


@app.command("score")
def score(
    as_of: Annotated[str | None, typer.Option("--as-of", help="评分日期 YYYY-MM-DD")] = None,
    model_version: Annotated[
        str | None, typer.Option("--model", help="模型版本 (默认: 本工作区的当前模型)")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help=_ENGINE_HELP)] = "local",
    master: Annotated[str, typer.Option("--master", help=_MASTER_HELP)] = "local[2]",
    db: DbOption = None,
) -> None:
    """为每个已建档农户评分、定级、核定预授信额度并保存（保留历史）。"""
    from creditfarm.scoring.run import score_households

    when = _as_of(as_of)
    kind = _engine(engine)
    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, _run_models())
    run = _with_bar(
        "scoring",
        lambda bar: score_households(
            ws,
            as_of=when,
            model_version=model_version,
            progress=bar,
            engine=kind,
            master=master,
        ),
    )
    _audit(ws, principal, "score", f"{run.model_version} as of {run.as_of}")
    typer.echo(
        f"scored {run.households} filed households as of {run.as_of} with model "
        f"{run.model_version} (policy {run.policy_version})"
    )
    typer.echo(
        f"  pre-credited {run.pre_credited}, 信用户 {run.credit_households}, vetoed "
        f"{run.vetoed}, thin files {run.thin_files}"
        + ("" if run.explained else "; explanations not stored")
    )


@app.command("evaluate")
def evaluate(
    table: Annotated[Path, typer.Option("--table", help="CSV or Parquet feature table")],
    label: Annotated[str, typer.Option("--label", help="label column")],
    bad: Annotated[
        str | None, typer.Option("--bad", help="value of the label that means bad")
    ] = None,
    id_col: Annotated[
        str | None, typer.Option("--id", help="row id column (not a feature)")
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="K of the stratified K-fold")] = 5,
    fmt: Annotated[str, typer.Option("--format", help="text | json")] = "text",
) -> None:
    """用银行自有特征表做 K 折验证：本模型流程与 WoE 评分卡基准对比。"""
    from creditfarm.model.evaluate import TableError, evaluate_table

    if fmt not in ("text", "json"):
        _common.fail(f"--format must be text or json, not {fmt!r}")
    try:
        result = evaluate_table(table, label=label, bad=bad, id_col=id_col, folds=folds)
    except TableError as exc:
        _common.fail(str(exc))
        return
    if fmt == "json":
        typer.echo(json.dumps(result.to_json()))
        return
    typer.echo(f"{table}: {result.rows} rows, {result.bads} bad; stratified {result.folds}-fold")
    for f in result.per_fold:
        typer.echo(
            f"  fold {f['fold']}: model ({f['choice']}) AUC {f['model']['auc']:.3f} KS "
            f"{f['model']['ks']:.3f} | scorecard AUC {f['baseline']['auc']:.3f} KS "
            f"{f['baseline']['ks']:.3f}"
        )
    typer.echo(
        f"  mean:   model AUC {result.model['auc']:.3f} KS {result.model['ks']:.3f} | "
        f"scorecard AUC {result.baseline['auc']:.3f} KS {result.baseline['ks']:.3f}"
    )


@app.command("scores")
def scores(
    village: Annotated[str | None, typer.Option("--village", help="村代码 (12 位)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", help="output file (default: stdout for csv)")
    ] = None,
    db: DbOption = None,
) -> None:
    """导出每户最新评估结果（整村授信名单；按角色脱敏姓名）。"""
    from creditfarm.display.exports import safe_frame
    from creditfarm.scoring.lists import latest_scores, write_scores

    if fmt not in ("csv", "xlsx"):
        _common.fail(f"--format must be csv or xlsx, not {fmt!r}")
    if fmt == "xlsx" and out is None:
        _common.fail("--format xlsx needs --out FILE")
    from creditfarm.access import AccessDenied, Permission
    from creditfarm.accounts import record_event

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.export_lists)
    try:
        frame = latest_scores(ws, village_code=village, principal=principal)
    except AccessDenied as exc:
        _common.fail(str(exc))
    if frame.empty:
        _common.fail(
            "no assessments"
            + (f" for village {village}" if village else "")
            + ": run `creditfarm score` first"
        )
    record_event(
        ws,
        actor=principal,
        action="export",
        target=f"scores {village or '全县'} → {out or 'stdout'}",
        detail=f"{len(frame)} 户",
        origin=_common.origin(),
    )
    if out is None:
        safe_frame(frame).to_csv(sys.stdout, index=False)
    else:
        write_scores(frame, fmt=fmt, out=out)
        typer.echo(f"{len(frame)} households → {out}")
