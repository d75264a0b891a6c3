"""``creditfarm explain``: why a household has its grade (reasons in Chinese, IDs masked)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from creditfarm.cli import _common, app
from creditfarm.cli._common import DbOption

__all__ = ["explain"]


@app.command("explain")
def explain(
    query: Annotated[str, typer.Argument(metavar="ID_OR_HOUSEHOLD", help="户号或家庭成员身份证号")],
    fmt: Annotated[str, typer.Option("--format", help="text | json")] = "text",
    db: DbOption = None,
) -> None:
    """解释农户最新评级：额度、政策规则与模型原因（身份证号脱敏）。"""
    # Imported here: lightgbm/shap take seconds to load and other commands do not need them.
    from creditfarm.explain.household import explain_household, find_household
    from creditfarm.explain.text import explanation_text

    if fmt not in ("text", "json"):
        _common.fail(f"--format must be text or json, not {fmt!r}")
    from creditfarm.access import AccessDenied, Permission
    from creditfarm.accounts import record_event

    ws = _common.workspace(db)
    principal = _common.acting_principal(ws, Permission.view_households)
    try:
        household_no = find_household(ws, query=query)
        explained = explain_household(ws, household_no=household_no, principal=principal)
    except AccessDenied as exc:
        _common.fail(str(exc))
        return
    except LookupError as exc:
        _common.fail(str(exc.args[0] if exc.args else exc))
        return
    record_event(
        ws, actor=principal, action="view_household", target=household_no, origin=_common.origin()
    )
    if fmt == "json":
        typer.echo(json.dumps(explained, ensure_ascii=False, indent=2))
    else:
        typer.echo(explanation_text(explained))
