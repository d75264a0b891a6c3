"""Every command checks who runs it: accounts, passwords, roles, and the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditfarm.accounts import add_user, audit_events, verify_audit
from creditfarm.cli import _common, app
from creditfarm.workspace import Workspace
from tests.helpers.paths import COUNTY
from tests.helpers.principals import ADMIN

runner = CliRunner()


@pytest.fixture
def ws_cli(sqlite_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The CLI opens this workspace; accounts for a few roles exist."""
    from creditfarm.cli import data

    for module in (_common, data):  # data imported the function by name
        monkeypatch.setattr(module, "workspace", lambda db=None, **_: sqlite_ws)
    for user, role in (
        ("admin1", "admin"),
        ("pboc1", "pboc_analyst"),
        ("sup1", "credit_supervisor"),
    ):
        add_user(sqlite_ws, username=user, role=role, password=f"{user}-secret")
    monkeypatch.delenv("CREDITFARM_USER", raising=False)
    monkeypatch.delenv("CREDITFARM_PASSWORD", raising=False)
    return sqlite_ws


def as_user(monkeypatch: pytest.MonkeyPatch, user: str, password: str | None = None) -> None:
    monkeypatch.setenv("CREDITFARM_USER", user)
    monkeypatch.setenv("CREDITFARM_PASSWORD", password or f"{user}-secret")


def test_import_needs_an_administrator(ws_cli: Workspace, monkeypatch: pytest.MonkeyPatch):
    as_user(monkeypatch, "pboc1")
    refused = runner.invoke(app, ["ingest", str(COUNTY)])
    assert refused.exit_code == 2 and "无权导入数据" in refused.output
    as_user(monkeypatch, "admin1")
    done = runner.invoke(app, ["ingest", str(COUNTY)])
    assert done.exit_code == 0, done.output
    actions = audit_events(ws_cli, principal=ADMIN)[["actor", "action"]].values.tolist()
    # newest first: admin1's import after its sign-in; pboc1 signed in and was refused
    assert actions[:2] == [["admin1", "import"], ["admin1", "signin"]]
    assert ["pboc1", "signin"] in actions


def test_a_wrong_password_is_refused_and_recorded(ws_cli: Workspace, monkeypatch):
    as_user(monkeypatch, "admin1", "not the password")
    result = runner.invoke(app, ["ingest", str(COUNTY)])
    assert result.exit_code == 2 and "用户名或密码错误" in result.output
    events = audit_events(ws_cli, principal=ADMIN)
    assert events[["actor", "action"]].values.tolist() == [["admin1", "signin_failed"]]


def test_outside_demo_mode_a_user_must_be_named(ws_cli: Workspace, monkeypatch):
    monkeypatch.setattr(ws_cli.settings, "demo_mode", False)
    result = runner.invoke(app, ["scores"])
    assert result.exit_code == 2 and "CREDITFARM_USER" in result.output


def test_user_commands(ws_cli: Workspace, monkeypatch: pytest.MonkeyPatch):
    as_user(monkeypatch, "sup1")  # a supervisor manages no accounts
    refused = runner.invoke(app, ["user", "list"])
    assert refused.exit_code == 2 and "无权管理用户" in refused.output
    as_user(monkeypatch, "admin1")
    added = runner.invoke(
        app,
        ["user", "add", "officer9", "--role", "loan_officer", "--villages", "469029100201"],
        input="officer9-secret\n",
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["user", "list"])
    assert "officer9" in listed.output and "信贷员" in listed.output
    assert "scrypt" not in listed.output  # no hashes shown
    assert runner.invoke(app, ["user", "disable", "officer9"]).exit_code == 0
    as_user(monkeypatch, "officer9")
    assert "已停用" in runner.invoke(app, ["scores"]).output
    as_user(monkeypatch, "admin1")
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "完整" in verified.output
    trail = runner.invoke(app, ["audit", "--limit", "20"])
    assert "user_change" in trail.output and "officer9" in trail.output
    assert verify_audit(ws_cli) == []


def test_audit_verify_fails_on_a_tampered_trail(ws_cli: Workspace, monkeypatch, tmp_path: Path):
    from sqlalchemy import text

    as_user(monkeypatch, "admin1")
    runner.invoke(app, ["user", "list"])  # a sign-in event
    with ws_cli.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER auditevent_no_update"))
        conn.execute(text("UPDATE auditevent SET actor = 'someone' WHERE id = 1"))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1 and "哈希不符" in result.output
