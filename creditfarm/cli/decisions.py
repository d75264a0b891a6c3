"""``creditfarm decide | decisions | approve | reject | queue``: the officer's decisions and
the supervisor's approvals from the command line (the same library calls as the app)."""

from __future__ import annotations

from typing import Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

__all__ = ["approve", "decide", "decisions_list", "queue", "reject"]

FormatOption = Annotated[str, typer.Option("--format", help="table | csv")]


def _emit(frame: object, columns: list[str], fmt: str) -> None:
    import sys

    import pandas as pd

    from creditfarm.display.exports import safe_frame

    assert isinstance(frame, pd.DataFrame)
    out = frame[columns]
    if fmt == "csv":
        safe_frame(out).to_csv(sys.stdout, index=False)
    elif fmt == "table":
        typer.echo(out.to_string(index=False) if not out.empty else "（无）")
    else:
        _common.fail(f"--format must be table or csv, not {fmt!r}")


@app.command("decide")
def decide(
    household: Annotated[str, typer.Argument(metavar="HOUSEHOLD", help="户号")],
    action: Annotated[str, typer.Option("--action", help="confirm | adjust | decline")],
    reason: Annotated[str, typer.Option("--reason", help="理由（必填）")],
    limit: Annotated[
        float | None, typer.Option("--limit", help="新额度（元，adjust 时必填）")
    ] = None,
    version: Annotated[
        int | None,
        typer.Option(
            "--version",
            help="the decision version you looked at (creditfarm decisions shows it); "
            "default: the current one",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """对农户当前评估作出人工决定：确认、调整额度或拒绝（超出授权或推翻否决须审批）。"""
    from creditfarm.access import AccessDenied, Permission
    from creditfarm.officer.review import DECISION_STATUSES, DecisionError, record_decision
    from creditfarm.storage.current_line import current_lines

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.decide)
    lines = current_lines(ws.engine, household_no=household)
    if lines.empty:
        _common.fail(f"户号 {household} 不存在或尚未评分")
    line = lines.iloc[0]
    try:
        decision = record_decision(
            ws,
            assessment_id=int(line["assessment_id"]),
            action=action,
            reason=reason,
            limit=limit,
            expected_version=int(line["decision_version"]) if version is None else version,
            principal=principal,
            origin=_common.origin(),
        )
    except (DecisionError, AccessDenied) as exc:
        _common.fail(str(exc))
    typer.echo(
        f"decision #{decision.id} {household}: {decision.action} {decision.limit:,.0f} 元 — "
        f"{DECISION_STATUSES[decision.status]}"
        + (f" ({decision.approval_needed})" if decision.approval_needed else "")
    )


@app.command("decisions")
def decisions_list(
    household: Annotated[str | None, typer.Option("--household", help="户号")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="effective | pending | superseded | rejected"),
    ] = None,
    fmt: FormatOption = "table",
    db: DbOption = None,
) -> None:
    """人工决定记录（含状态：已生效、待审批、已被替代、已驳回），最新在前。"""
    from creditfarm.access import AccessDenied, Permission
    from creditfarm.officer.review import decisions

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.view_households)
    try:
        frame = decisions(ws, household_no=household, status=status, principal=principal)
    except (AccessDenied, ValueError) as exc:
        _common.fail(str(exc))
    columns = [
        "id",
        "household_no",
        "action",
        "decided_limit",
        "status",
        "approval_needed",
        "decided_by",
        "decided_at",
        "reviewed_by",
        "decision_version",
        "reason",
    ]
    _emit(frame, columns, fmt)


def _review(decision_id: int, *, approve: bool, note: str, db: str | None) -> None:
    from creditfarm.access import AccessDenied, Permission
    from creditfarm.officer.review import (
        DecisionError,
        approve_decision,
        decisions,
        reject_decision,
    )

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.approve)
    try:
        pending = decisions(ws, status="pending", principal=principal).set_index("id")
        if decision_id not in pending.index:
            _common.fail(f"决定 #{decision_id} 不在待审批状态或不在您的范围内")
        version = int(pending.loc[decision_id, "decision_version"])
        if approve:
            approve_decision(
                ws,
                decision_id=decision_id,
                expected_version=version,
                note=note,
                principal=principal,
                origin=_common.origin(),
            )
        else:
            reject_decision(
                ws,
                decision_id=decision_id,
                expected_version=version,
                reason=note,
                principal=principal,
                origin=_common.origin(),
            )
    except (DecisionError, AccessDenied) as exc:
        _common.fail(str(exc))
    typer.echo(f"decision #{decision_id}: {'approved' if approve else 'rejected'}")


@app.command("approve")
def approve(
    decision_id: Annotated[int, typer.Argument(metavar="DECISION_ID")],
    note: Annotated[str, typer.Option("--note", help="审批意见")] = "",
    db: DbOption = None,
) -> None:
    """批准一项待审批的决定（须为经办人以外的信贷主管）。"""
    _review(decision_id, approve=True, note=note, db=db)


@app.command("reject")
def reject(
    decision_id: Annotated[int, typer.Argument(metavar="DECISION_ID")],
    reason: Annotated[str, typer.Option("--reason", help="驳回理由（必填）")],
    db: DbOption = None,
) -> None:
    """驳回一项待审批的决定（额度维持原状）。"""
    _review(decision_id, approve=False, note=reason, db=db)


@app.command("queue")
def queue(
    village: Annotated[str | None, typer.Option("--village", help="村代码")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="复核原因代码")] = None,
    officer: Annotated[str | None, typer.Option("--officer", help="信贷员用户名")] = None,
    counts: Annotated[bool, typer.Option("--counts", help="每个原因的户数")] = False,
    fmt: FormatOption = "table",
    db: DbOption = None,
) -> None:
    """待复核队列，按优先顺序（一票否决、等级变化、边界、薄档案额度大者在前、数据冲突）。"""
    from creditfarm.access import AccessDenied, Permission
    from creditfarm.officer.review import reason_counts, review_queue

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.view_households)
    try:
        frame = review_queue(
            ws, village_code=village, reason=reason, officer=officer, principal=principal
        )
    except (AccessDenied, ValueError) as exc:
        _common.fail(str(exc))
    if counts:
        _emit(reason_counts(frame), ["reason", "label", "households"], fmt)
        return
    columns = [
        "household_no",
        "village_code",
        "head_name",
        "grade",
        "previous_grade",
        "score",
        "pre_credit_limit",
        "decision_version",
        "reason_text",
    ]
    _emit(frame, columns, fmt)
