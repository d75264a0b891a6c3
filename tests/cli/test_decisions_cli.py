"""``creditfarm decide / decisions / approve / reject / queue`` as signed-in accounts."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from typer.testing import CliRunner

from creditfarm.accounts import add_user, audit_events
from creditfarm.cli import _common, app
from creditfarm.storage.current_line import current_lines
from creditfarm.workspace import Workspace
from tests.helpers.county import FILED, V1, V2, Member, add_assessment, add_household, add_regions
from tests.helpers.principals import ADMIN

runner = CliRunner()


@pytest.fixture
def ws_cli(sqlite_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """H01 (V1, AA, 80,000) and H02 (V2, AAA 81 — borderline, 100,000); officer off1 has V1."""
    monkeypatch.setattr(_common, "workspace", lambda db=None, **_: sqlite_ws)
    add_regions(sqlite_ws)
    add_household(sqlite_ws, "H01", V1, [Member("甲", "户主", 1)], archive=FILED)
    add_assessment(sqlite_ws, "H01", village=V1, grade="AA", score=79, limit=80000)
    add_household(sqlite_ws, "H02", V2, [Member("乙", "户主", 2)], archive=FILED)
    add_assessment(sqlite_ws, "H02", village=V2, grade="AAA", score=81, limit=100000)
    add_user(
        sqlite_ws, username="off1", role="loan_officer", password="off1-password", villages=[V1]
    )
    for user in ("sup1", "sup2"):
        add_user(sqlite_ws, username=user, role="credit_supervisor", password=f"{user}-password")
    return sqlite_ws


def as_user(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("CREDITFARM_USER", user)
    monkeypatch.setenv("CREDITFARM_PASSWORD", f"{user}-password")


def test_decide_approve_and_list(ws_cli: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    as_user(monkeypatch, "off1")
    queue = runner.invoke(app, ["queue", "--format", "csv"])
    assert queue.exit_code == 0, queue.output
    assert list(pd.read_csv(io.StringIO(queue.output))["household_no"]) == ["H01"]  # own village
    above = runner.invoke(
        app, ["decide", "H01", "--action", "adjust", "--limit", "90000", "--reason", "扩大养殖"]
    )
    assert above.exit_code == 0, above.output
    assert "待审批" in above.output and "above_authority" in above.output
    refused = runner.invoke(app, ["decide", "H02", "--action", "decline", "--reason", "x"])
    assert refused.exit_code == 2 and "不在您负责的范围内" in refused.output
    stale = runner.invoke(
        app, ["decide", "H01", "--action", "decline", "--reason", "x", "--version", "0"]
    )
    assert stale.exit_code == 2 and "已被他人更新" in stale.output
    over_cap = runner.invoke(
        app, ["decide", "H01", "--action", "adjust", "--limit", "300000", "--reason", "x"]
    )
    assert over_cap.exit_code == 2 and "超过政策上限" in over_cap.output

    listed = runner.invoke(app, ["decisions", "--status", "pending", "--format", "csv"])
    pending = pd.read_csv(io.StringIO(listed.output))
    assert list(pending["household_no"]) == ["H01"] and list(pending["decided_by"]) == ["off1"]
    decision_id = int(pending["id"].iloc[0])

    refused = runner.invoke(app, ["approve", str(decision_id)])  # an officer approves nothing
    assert refused.exit_code == 2 and "无权审批" in refused.output
    as_user(monkeypatch, "sup1")
    done = runner.invoke(app, ["approve", str(decision_id), "--note", "同意"])
    assert done.exit_code == 0, done.output
    line = current_lines(ws_cli.engine).set_index("household_no").loc["H01"]
    assert (line["line"], line["source"], line["decided_by"]) == (90000, "decision", "off1")
    counts = runner.invoke(app, ["queue", "--counts", "--format", "csv"])
    by_reason = pd.read_csv(io.StringIO(counts.output)).set_index("reason")["households"]
    assert by_reason["borderline"] == 1  # H02 (81, 1 from 80); H01 decided, left the queue
    actions = audit_events(ws_cli, principal=ADMIN)["action"].tolist()
    assert "approval" in actions and "decision" in actions


def test_reject_needs_a_reason_and_another_person(
    ws_cli: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, "sup1")
    made = runner.invoke(
        app, ["decide", "H01", "--action", "adjust", "--limit", "210000", "--reason", "x"]
    )
    assert made.exit_code == 2 and "超过政策上限" in made.output
    made = runner.invoke(
        app, ["decide", "H02", "--action", "adjust", "--limit", "150000", "--reason", "扩建"]
    )
    assert made.exit_code == 0 and "已生效" in made.output  # within a supervisor's 200,000
    as_user(monkeypatch, "off1")
    runner.invoke(app, ["decide", "H01", "--action", "adjust", "--limit", "60000", "--reason", "y"])
    as_user(monkeypatch, "sup2")
    pending = runner.invoke(app, ["decisions", "--status", "pending", "--format", "csv"])
    decision_id = str(pd.read_csv(io.StringIO(pending.output))["id"].iloc[0])
    done = runner.invoke(app, ["reject", decision_id, "--reason", "收入证明不足"])
    assert done.exit_code == 0, done.output
    line = current_lines(ws_cli.engine).set_index("household_no").loc["H01"]
    assert (line["line"], line["source"]) == (80000, "model")
