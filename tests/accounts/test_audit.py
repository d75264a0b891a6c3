"""The audit trail: complete, append-only, and any tampering found by ``verify_audit``."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from creditfarm.access import AccessDenied, Principal, Role
from creditfarm.accounts import audit_events, record_event, verify_audit
from creditfarm.workspace import Workspace

ADMIN = Principal(username="admin1", role=Role.admin)
OFFICER = Principal(username="officer1", role=Role.loan_officer, villages=frozenset({"V1"}))


def _session(ws: Workspace) -> None:
    record_event(ws, actor=OFFICER, action="signin", origin="app")
    record_event(ws, actor=OFFICER, action="view_household", target="H001", origin="app")
    record_event(ws, actor=OFFICER, action="decision", target="H001", detail="调整 30000 元")
    record_event(ws, actor=ADMIN, action="export", target="scores.xlsx", origin="cli@host")


def _drop_guards(ws: Workspace) -> None:
    """What an attacker with the database's owner rights could do first."""
    with ws.engine.begin() as conn:
        if ws.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER auditevent_no_update"))
            conn.execute(text("DROP TRIGGER auditevent_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER auditevent_append_only ON auditevent"))


def test_a_session_is_recorded_whole_and_verifies(ws: Workspace):
    _session(ws)
    events = audit_events(ws, principal=ADMIN)
    assert events["action"].tolist() == ["export", "decision", "view_household", "signin"]
    assert events["actor"].tolist() == ["admin1", "officer1", "officer1", "officer1"]
    assert events.loc[0, "role"] == "系统管理员"
    assert verify_audit(ws) == []
    with pytest.raises(AccessDenied):
        audit_events(ws, principal=OFFICER)


def test_the_database_refuses_update_and_delete(ws: Workspace):
    _session(ws)
    for statement in ("UPDATE auditevent SET detail = 'x'", "DELETE FROM auditevent"):
        with pytest.raises(DBAPIError, match="append-only"), ws.engine.begin() as conn:
            conn.execute(text(statement))
    assert verify_audit(ws) == []


@pytest.mark.parametrize("tamper", ["alter", "delete", "insert"])
def test_tampering_is_detected(ws: Workspace, tamper: str):
    _session(ws)
    _drop_guards(ws)
    with ws.engine.begin() as conn:
        if tamper == "alter":
            conn.execute(text("UPDATE auditevent SET detail = '调整 300000 元' WHERE id = 3"))
        elif tamper == "delete":
            conn.execute(text("DELETE FROM auditevent WHERE id = 2"))
        else:  # a forged row copied from row 2's hashes, between real rows
            conn.execute(
                text(
                    "INSERT INTO auditevent (id, at, actor, role, action, target, detail, origin,"
                    " prev_hash, row_hash) SELECT 10, at, 'officer1', role, 'decision', 'H009',"
                    " '', '', prev_hash, row_hash FROM auditevent WHERE id = 2"
                )
            )
    problems = verify_audit(ws)
    found = {(p.event_id, "哈希不符" in p.problem) for p in problems}
    expected = {
        "alter": {(3, True)},  # the altered row's own hash no longer matches
        "delete": {(3, False)},  # the row after the gap no longer links
        "insert": {(10, True), (10, False)},  # appended last here: links wrongly, hash wrong
    }[tamper]
    assert expected <= found, problems
