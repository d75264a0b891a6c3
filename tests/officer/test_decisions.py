"""The decision workflow on a hand-made village: the current line, policy caps, maker-checker,
optimistic versioning (two deciders at once, on SQLite and PostgreSQL) and the audit trail.

The county, by hand (policy.toml: cap 200,000, thin-file cap 50,000, authority loan_officer
50,000 and credit_supervisor 200,000; 信用户 from grade A without veto):

| 户号 | village | grade | model line | thin | veto | pre-credited | 信用户 |
| H01 | V1 | AA  | 80,000 | no  | —         | yes | yes |
| H02 | V1 | A   | 50,000 | yes | —         | yes | yes |
| H03 | V1 | AAA | 0      | no  | blacklist | no  | no  |
| H04 | V1 | B   | 0      | no  | —         | no  | no  |
| H05 | V2 | AA  | 60,000 | no  | —         | yes | yes |

So before any decision V1 has 4 households, 2 pre-credited and 2 信用户; V2 1 and 1.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from creditfarm import storage
from creditfarm.access import AccessDenied, Principal, Role
from creditfarm.accounts import audit_events, verify_audit
from creditfarm.officer.households import household_card, household_frame
from creditfarm.officer.review import (
    DecisionConflict,
    DecisionError,
    approve_decision,
    decisions,
    pending_approvals,
    record_decision,
    reject_decision,
)
from creditfarm.reports.rates import household_status, rates
from creditfarm.scoring.lists import latest_scores
from creditfarm.storage.current_line import current_lines
from creditfarm.storage.engine import make_engine
from creditfarm.workspace import Workspace
from tests.helpers.county import FILED, V1, V2, Member, add_assessment, add_household, add_regions
from tests.helpers.principals import ADMIN, BANK, officer

OFFICER = officer(V1, V2)  # authority: the policy's loan_officer 50,000
CHECKER = Principal(username="supervisor2", role=Role.credit_supervisor)


def _county(ws: Workspace) -> dict[str, int]:
    add_regions(ws)
    rows: list[tuple[str, str, dict[str, Any]]] = [
        ("H01", V1, {"grade": "AA", "score": 75, "limit": 80000}),
        ("H02", V1, {"grade": "A", "score": 65, "limit": 50000, "thin_file": True}),
        ("H03", V1, {"grade": "AAA", "score": 85, "limit": 0, "vetoes": ["blacklist"]}),
        ("H04", V1, {"grade": "B", "score": 50, "limit": 0}),
        ("H05", V2, {"grade": "AA", "score": 74, "limit": 60000}),
    ]
    ids = {}
    for n, (hh, village, assessment) in enumerate(rows, start=1):
        add_household(ws, hh, village, [Member(f"户主{n}", "户主", n)], archive=FILED)
        ids[hh] = add_assessment(ws, hh, village=village, **assessment)
    return ids


def _decide(ws: Workspace, aid: int, action: str, *, who: Principal = OFFICER, **kw: Any) -> Any:
    version = int(current_lines(ws.engine).set_index("assessment_id").loc[aid, "decision_version"])
    return record_decision(
        ws,
        assessment_id=aid,
        action=action,
        reason=kw.pop("reason", "入户核实"),
        expected_version=version,
        principal=who,
        **kw,
    )


def _village(ws: Workspace, code: str) -> tuple[int, int]:
    row = rates(ws, level="village").set_index("code").loc[code]
    status = household_status(ws)
    credit = int(status.loc[status["village_code"] == code, "credit_household"].sum())
    return int(row["pre_credited"]), credit


def test_the_current_line_is_the_effective_decision_everywhere(ws: Workspace) -> None:
    ids = _county(ws)
    assert _village(ws, V1) == (2, 2)  # by hand, see the module docstring
    lines = current_lines(ws.engine).set_index("household_no")
    assert set(lines["source"]) == {"model"}

    # Decline H02: V1's pre-credited and 信用户 counts each drop by one.
    declined = _decide(ws, ids["H02"], "decline", reason="本人不需要贷款")
    assert declined.status == "effective" and declined.limit == 0
    assert _village(ws, V1) == (1, 1)
    # Adjust H01 within authority (80,000 → 40,000 ≤ 50,000): effective at once.
    adjusted = _decide(ws, ids["H01"], "adjust", limit=40000, reason="经营规模偏小")
    assert adjusted.status == "effective"
    assert _village(ws, V1) == (1, 1)  # still granted, a smaller line

    listed = latest_scores(ws, principal=BANK).set_index("household_no")
    assert listed.loc["H01", "limit"] == 40000 and listed.loc["H01", "model_limit"] == 80000
    assert listed.loc["H01", "line_source"] == "人工决定"
    assert listed.loc["H01", "decided_by"] == "officer1"
    assert listed.loc["H02", "limit"] == 0 and not listed.loc["H02", "credit_household"]
    assert listed.loc["H05", "line_source"] == "模型" and listed.loc["H05", "limit"] == 60000

    frame = household_frame(ws).set_index("household_no")
    assert frame.loc["H01", "pre_credit_limit"] == 40000
    assert frame.loc["H01", "model_limit"] == 80000
    assert frame.loc["H01", "line_source"] == "人工决定"
    assert not frame.loc["H02", "pre_credited"]

    card = household_card(ws, household_no="H01", principal=OFFICER)
    assert card.line is not None
    assert (card.line["line"], card.line["source_zh"], card.line["decided_by"]) == (
        40000,
        "人工决定",
        "officer1",
    )
    assert card.assessment is not None and card.assessment["pre_credit_limit"] == 80000


def test_confirm_then_adjust_keeps_history(ws: Workspace) -> None:
    ids = _county(ws)
    _decide(ws, ids["H01"], "confirm")
    _decide(ws, ids["H01"], "adjust", limit=30000)
    _decide(ws, ids["H01"], "adjust", limit=45000)
    table = decisions(ws, household_no="H01", principal=OFFICER)
    assert list(table["decided_limit"]) == [45000, 30000, 80000]  # newest first
    assert list(table["status"]) == ["effective", "superseded", "superseded"]
    assert list(table["status_label"]) == ["已生效", "已被新决定替代", "已被新决定替代"]
    assert current_lines(ws.engine).set_index("household_no").loc["H01", "line"] == 45000


@pytest.mark.parametrize(
    ("household", "limit", "message"),
    [
        ("H01", 250000, "超过政策上限"),  # above [limit].cap 200,000
        ("H02", 60000, "薄档案"),  # a thin file: at most 50,000
        ("H01", -5, "新额度"),
    ],
)
def test_lines_above_the_policy_caps_are_refused(
    sqlite_ws: Workspace, household: str, limit: float, message: str
) -> None:
    ids = _county(sqlite_ws)
    for who in (OFFICER, BANK):  # no authority lifts a policy cap
        with pytest.raises(DecisionError, match=message):
            _decide(sqlite_ws, ids[household], "adjust", limit=limit, who=who)
    assert decisions(sqlite_ws, principal=BANK).empty


def test_above_authority_waits_for_a_second_person(ws: Workspace) -> None:
    ids = _county(ws)
    made = _decide(ws, ids["H01"], "adjust", limit=120000, reason="养殖规模扩大")
    assert made.status == "pending" and made.approval_needed == "above_authority"
    # Pending changes nothing yet: the model's 80,000 stands.
    line = current_lines(ws.engine).set_index("household_no").loc["H01"]
    assert (line["line"], line["source"]) == (80000, "model")
    # It is off the officer's queue-list and on the supervisor's approval list.
    waiting = pending_approvals(ws, principal=BANK)
    assert list(waiting["household_no"]) == ["H01"]
    assert waiting.loc[0, "approval_text"] == "超出经办人授权额度"
    assert not waiting.loc[0, "own"]
    with pytest.raises(AccessDenied):  # an officer approves nothing
        approve_decision(ws, decision_id=made.id, expected_version=1, principal=OFFICER)
    approved = approve_decision(
        ws, decision_id=made.id, expected_version=1, principal=BANK, note="同意"
    )
    assert approved.status == "effective" and approved.reviewed_by == "supervisor1"
    line = current_lines(ws.engine).set_index("household_no").loc["H01"]
    assert (line["line"], line["source"], line["decided_by"]) == (120000, "decision", "officer1")
    assert pending_approvals(ws, principal=BANK).empty


def test_a_veto_override_needs_another_supervisor(ws: Workspace) -> None:
    ids = _county(ws)
    # Even a supervisor's own override of a veto waits for a second person.
    made = _decide(ws, ids["H03"], "adjust", limit=30000, who=BANK, reason="黑名单已撤销")
    assert made.status == "pending" and made.approval_needed == "veto_override"
    with pytest.raises(DecisionError, match="不能审批本人"):
        approve_decision(ws, decision_id=made.id, expected_version=1, principal=BANK)
    assert _village(ws, V1) == (2, 2)
    approve_decision(ws, decision_id=made.id, expected_version=1, principal=CHECKER)
    # H03 is now granted 30,000, but stays no 信用户 (the veto still rules the rating).
    assert _village(ws, V1) == (3, 2)
    # Declining is always allowed, at once, even on a vetoed household.
    assert _decide(ws, ids["H03"], "decline").status == "effective"
    assert _village(ws, V1) == (2, 2)


def test_rejected_decision_leaves_the_line(ws: Workspace) -> None:
    ids = _county(ws)
    _decide(ws, ids["H05"], "adjust", limit=40000)  # effective
    made = _decide(ws, ids["H05"], "adjust", limit=150000)  # pending; 40,000 still in force
    assert current_lines(ws.engine).set_index("household_no").loc["H05", "line"] == 40000
    with pytest.raises(DecisionError, match="驳回理由"):
        reject_decision(ws, decision_id=made.id, expected_version=2, reason=" ", principal=BANK)
    rejected = reject_decision(
        ws, decision_id=made.id, expected_version=2, reason="收入证明不足", principal=BANK
    )
    assert rejected.status == "rejected" and rejected.review_note == "收入证明不足"
    assert current_lines(ws.engine).set_index("household_no").loc["H05", "line"] == 40000
    history = decisions(ws, household_no="H05", principal=BANK)
    assert list(history["status"]) == ["rejected", "effective"]
    with pytest.raises(DecisionError, match="不在待审批状态"):
        approve_decision(ws, decision_id=made.id, expected_version=3, principal=BANK)


def test_a_stale_version_is_a_conflict_not_an_overwrite(ws: Workspace) -> None:
    ids = _county(ws)
    # Two officers opened H01's card at version 0; the first saves a decline.
    record_decision(
        ws,
        assessment_id=ids["H01"],
        action="decline",
        reason="甲",
        expected_version=0,
        principal=OFFICER,
    )
    with pytest.raises(DecisionConflict, match="已被他人更新"):
        record_decision(
            ws,
            assessment_id=ids["H01"],
            action="confirm",
            reason="乙",
            expected_version=0,
            principal=officer(V1, username="officer2"),
        )
    table = decisions(ws, household_no="H01", principal=BANK)
    assert list(table["reason"]) == ["甲"] and list(table["status"]) == ["effective"]
    assert current_lines(ws.engine).set_index("household_no").loc["H01", "line"] == 0


def test_two_deciders_at_once_one_wins_the_other_is_told(ws: Workspace) -> None:
    """Two threads, each with its own connection, decide on the same assessment at the same
    moment, both having seen version 0: exactly one decision is stored, the other person gets
    DecisionConflict. Five rounds, one per household of V1 and V2."""
    ids = _county(ws)
    people = (officer(V1, V2, username="officer_a"), officer(V1, V2, username="officer_b"))
    for hh in ("H01", "H02", "H03", "H04", "H05"):
        barrier = threading.Barrier(2)
        outcome: dict[str, str] = {}

        def decide(
            who: Principal,
            hh: str = hh,
            barrier: threading.Barrier = barrier,
            outcome: dict[str, str] = outcome,
        ) -> None:
            barrier.wait()
            try:
                record_decision(
                    ws,
                    assessment_id=ids[hh],
                    action="decline",
                    reason=who.username,
                    expected_version=0,
                    principal=who,
                )
                outcome[who.username] = "saved"
            except DecisionConflict:
                outcome[who.username] = "conflict"

        threads = [threading.Thread(target=decide, args=(p,)) for p in people]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(outcome.values()) == ["conflict", "saved"], (hh, outcome)
        stored = decisions(ws, household_no=hh, principal=BANK)
        winner = next(u for u, o in outcome.items() if o == "saved")
        assert list(stored["reason"]) == [winner]
        assert current_lines(ws.engine).set_index("household_no").loc[hh, "decision_version"] == 1


def test_sqlite_uses_wal_and_waits_for_a_writer(sqlite_ws: Workspace) -> None:
    ids = _county(sqlite_ws)
    with sqlite_ws.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    # Another connection holds the write lock for a moment; the decision waits, then saves.
    holder = make_engine(str(sqlite_ws.engine.url))
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with holder.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            held.set()
            release.wait(timeout=30)
            conn.exec_driver_sql("ROLLBACK")

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(timeout=30)
    threading.Timer(0.5, release.set).start()
    saved = _decide(sqlite_ws, ids["H01"], "confirm")
    thread.join(timeout=30)
    holder.dispose()
    assert saved.status == "effective"


def test_decisions_approvals_and_rejections_are_audited(sqlite_ws: Workspace) -> None:
    ws = sqlite_ws
    ids = _county(ws)
    first = _decide(ws, ids["H01"], "adjust", limit=120000, origin="cli@test")
    approve_decision(ws, decision_id=first.id, expected_version=1, principal=BANK)
    second = _decide(ws, ids["H05"], "adjust", limit=150000)
    reject_decision(ws, decision_id=second.id, expected_version=1, reason="不足", principal=BANK)
    trail = audit_events(ws, principal=ADMIN).iloc[::-1]  # oldest first
    assert list(trail["action"]) == ["decision", "approval", "decision", "rejection"]
    assert list(trail["actor"]) == ["officer1", "supervisor1", "officer1", "supervisor1"]
    assert list(trail["target"]) == ["H01", "H01", "H05", "H05"]
    assert "待审批" in trail.iloc[0]["detail"] and trail.iloc[0]["origin"] == "cli@test"
    assert verify_audit(ws) == []


def test_decisions_of_other_villages_are_not_shown(sqlite_ws: Workspace) -> None:
    ids = _county(sqlite_ws)
    _decide(sqlite_ws, ids["H05"], "confirm", who=BANK)
    assert decisions(sqlite_ws, principal=officer(V1)).empty
    assert len(decisions(sqlite_ws, principal=officer(V2))) == 1
    with pytest.raises(AccessDenied):
        _decide(sqlite_ws, ids["H05"], "confirm", who=officer(V1))


def test_migration_keeps_old_decisions_newest_effective(ws: Workspace) -> None:
    """Decisions stored before 0012 were all kept in force; the migration keeps the newest of
    each assessment effective and makes the older ones history (downgrade, insert, upgrade)."""
    from alembic import command
    from alembic.config import Config

    ids = _county(ws)
    engine = ws.engine
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(storage.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
    with engine.begin() as conn:
        for n, (limit, action) in enumerate(((80000, "confirm"), (0, "decline")), start=1):
            conn.execute(
                text(
                    'INSERT INTO decision (assessment_id, household_no, action, "limit", reason, '
                    "decided_by, decided_at) VALUES (:a, 'H01', :act, :l, 'x', 'old', :t)"
                ),
                {"a": ids["H01"], "act": action, "l": limit, "t": f"2022-07-0{n} 00:00:00"},
            )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    table = decisions(ws, household_no="H01", principal=BANK)
    assert list(table["action"]) == ["decline", "confirm"]
    assert list(table["status"]) == ["effective", "superseded"]
    line = current_lines(engine).set_index("household_no").loc["H01"]
    assert (line["line"], line["decision_version"]) == (0, 2)


def test_the_data_stamp_moves_when_a_decision_is_approved(sqlite_ws: Workspace) -> None:
    """The app's caches are keyed by the stamp: an approval adds no row, yet must show."""
    from creditfarm.reports.freshness import data_stamp

    ids = _county(sqlite_ws)
    made = _decide(sqlite_ws, ids["H01"], "adjust", limit=120000)
    before = data_stamp(sqlite_ws)
    approve_decision(sqlite_ws, decision_id=made.id, expected_version=1, principal=BANK)
    assert data_stamp(sqlite_ws) != before


def test_a_decision_on_a_replaced_assessment_is_refused(ws: Workspace) -> None:
    """The officer opened H01's card; a scoring run then stored a newer assessment. Saving
    on the old one would store a decision that counts nowhere: it is refused."""
    ids = _county(ws)
    made = _decide(ws, ids["H01"], "adjust", limit=120000)  # pending on the first assessment
    newer = add_assessment(ws, "H01", village=V1, grade="AA", score=76, limit=70000)
    with pytest.raises(DecisionConflict, match="已重新评分"):
        record_decision(
            ws,
            assessment_id=ids["H01"],
            action="confirm",
            reason="x",
            expected_version=1,
            principal=OFFICER,
        )
    with pytest.raises(DecisionConflict, match="已重新评分"):
        approve_decision(ws, decision_id=made.id, expected_version=1, principal=BANK)
    line = current_lines(ws.engine).set_index("household_no").loc["H01"]
    assert (line["assessment_id"], line["line"], line["source"]) == (newer, 70000, "model")
    assert line["decision_version"] == 0  # the new assessment is reviewed afresh


def test_a_decider_waiting_on_another_transaction_gets_a_conflict(ws: Workspace) -> None:
    """Deterministic overlap: another person's transaction has moved H01's version and not yet
    committed when this decision starts; the decision waits for it (row lock on PostgreSQL,
    write lock on SQLite), then finds the version moved and is refused — never saved over it."""
    ids = _county(ws)
    other = make_engine(str(ws.engine.url.render_as_string(hide_password=False)))
    started, outcome = threading.Event(), {}

    def decide() -> None:
        started.set()
        try:
            _decide_at(ws, ids["H01"], version=0)
            outcome["result"] = "saved"
        except DecisionConflict as exc:
            outcome["result"] = str(exc)

    with other.connect() as conn:
        if ws.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        conn.execute(
            text("UPDATE assessment SET decision_version = 1 WHERE id = :id"), {"id": ids["H01"]}
        )
        thread = threading.Thread(target=decide)
        thread.start()
        started.wait(timeout=30)
        thread.join(timeout=1.0)  # it cannot finish while the other transaction holds the row
        assert thread.is_alive() and not outcome
        conn.commit()
    thread.join(timeout=60)
    other.dispose()
    assert "已被他人更新" in outcome["result"] and "现为第 1 版" in outcome["result"]
    assert decisions(ws, household_no="H01", principal=BANK).empty


def _decide_at(ws: Workspace, aid: int, *, version: int) -> Any:
    return record_decision(
        ws,
        assessment_id=aid,
        action="decline",
        reason="并发",
        expected_version=version,
        principal=OFFICER,
    )


def test_an_accounts_own_authority_replaces_its_roles(sqlite_ws: Workspace) -> None:
    """policy [authority] loan_officer 50,000; an account with its own 100,000 (user add
    --limit) adjusts to 90,000 alone, one with 20,000 needs approval for 30,000."""
    ws = sqlite_ws
    ids = _county(ws)
    assert ws.policy.authority_limit("loan_officer") == 50000
    assert ws.policy.authority_limit("village_committee") == 0  # no authority: 0
    senior = Principal(
        username="senior", role=Role.loan_officer, villages=frozenset({V1, V2}),
        authority_limit=100000,
    )  # fmt: skip
    junior = Principal(
        username="junior", role=Role.loan_officer, villages=frozenset({V1, V2}),
        authority_limit=20000,
    )  # fmt: skip
    assert _decide(ws, ids["H01"], "adjust", limit=90000, who=senior).status == "effective"
    made = _decide(ws, ids["H05"], "adjust", limit=30000, who=junior)
    assert (made.status, made.approval_needed) == ("pending", "above_authority")
    # Confirming the model's line is no adjustment: effective whatever the authority.
    assert _decide(ws, ids["H05"], "confirm", who=junior).status == "effective"
