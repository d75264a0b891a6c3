"""Officer decisions (who / when / why) and the review-queue rules, on hand-made households."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from creditfarm.access import AccessDenied
from creditfarm.officer.review import (
    DecisionError,
    decisions,
    grade_edges,
    reason_counts,
    record_decision,
    review_queue,
)
from creditfarm.workspace import Workspace
from tests.helpers.county import (
    FILED,
    V1,
    V2,
    Member,
    add_assessment,
    add_household,
    add_regions,
)
from tests.helpers.principals import ADMIN, BANK, PBOC, officer


def test_grade_edges_from_policy(sqlite_ws: Workspace) -> None:
    # policy bands AAA 80, AA 70, A 60, B 45, C 0: the edges between grades are 45, 60, 70, 80
    assert grade_edges(sqlite_ws.policy) == [45, 60, 70, 80]


def _one_household(ws: Workspace) -> int:
    add_regions(ws)
    add_household(ws, "H01", V1, [Member("王一", "户主", 1)], archive=FILED)
    return add_assessment(ws, "H01", grade="AA", score=75, limit=80000)


def test_decisions_stored_with_who_and_when(ws: Workspace) -> None:
    aid = _one_household(ws)
    when = datetime(2022, 7, 1, 9, 30, tzinfo=UTC)
    record_decision(
        ws,
        assessment_id=aid,
        action="confirm",
        reason="入户核实无误",
        expected_version=0,
        principal=officer(V1, username="officer_li"),
        now=when,
    )
    record_decision(
        ws,
        assessment_id=aid,
        action="adjust",
        limit=60000,
        reason="经营规模偏小",
        expected_version=1,
        principal=BANK,
        now=datetime(2022, 7, 2, tzinfo=UTC),
    )
    record_decision(
        ws,
        assessment_id=aid,
        action="decline",
        reason="本人不需要贷款",
        expected_version=2,
        principal=BANK,
        now=datetime(2022, 7, 3, tzinfo=UTC),
    )
    table = decisions(ws, household_no="H01", principal=BANK)
    # newest first: decline (limit 0), adjust (60,000 as entered), confirm (keeps 80,000)
    assert list(table["status"]) == ["effective", "superseded", "superseded"]
    assert list(table["action"]) == ["decline", "adjust", "confirm"]
    assert list(table["decided_limit"]) == [0, 60000, 80000]
    assert list(table["action_label"]) == ["拒绝", "调整额度", "确认"]
    # who: the signed-in person who decided
    assert list(table["decided_by"]) == ["supervisor1", "supervisor1", "officer_li"]
    confirm = table.iloc[2]
    assert confirm["reason"] == "入户核实无误"
    decided = confirm["decided_at"]
    assert (decided.year, decided.month, decided.day, decided.hour, decided.minute) == (
        2022,
        7,
        1,
        9,
        30,
    )


@pytest.mark.parametrize(
    ("action", "reason", "limit", "message"),
    [
        ("confirm", "  ", None, "请填写理由"),
        ("adjust", "规模小", None, "新额度"),
        ("adjust", "规模小", -1, "新额度"),
        ("approve", "x", None, "未知的处理方式"),
    ],
)
def test_bad_decisions_refused(
    sqlite_ws: Workspace, action: str, reason: str, limit: float | None, message: str
) -> None:
    aid = _one_household(sqlite_ws)
    with pytest.raises(DecisionError, match=message):
        record_decision(
            sqlite_ws,
            assessment_id=aid,
            action=action,
            reason=reason,
            limit=limit,
            expected_version=0,
            principal=BANK,
        )
    assert decisions(sqlite_ws, principal=BANK).empty  # nothing stored


def test_unknown_assessment_refused(sqlite_ws: Workspace) -> None:
    _one_household(sqlite_ws)
    with pytest.raises(DecisionError, match="不存在"):
        record_decision(
            sqlite_ws,
            assessment_id=999,
            action="confirm",
            reason="x",
            expected_version=0,
            principal=BANK,
        )


def test_only_a_bank_role_over_the_village_decides(sqlite_ws: Workspace) -> None:
    aid = _one_household(sqlite_ws)
    for who in (PBOC, ADMIN, officer(V2)):  # no decide permission, or another village
        with pytest.raises(AccessDenied):
            record_decision(
                sqlite_ws,
                assessment_id=aid,
                action="confirm",
                reason="x",
                expected_version=0,
                principal=who,
            )
    assert decisions(sqlite_ws, principal=BANK).empty


def test_review_queue_rules(ws: Workspace) -> None:
    """Edges 45/60/70/80, borderline_points 3, 信用户 from grade A (policy.toml)."""
    add_regions(ws)
    add_household(ws, "H01", V1, [Member("甲", "户主", 1)], archive=FILED)
    add_assessment(ws, "H01", grade="B", score=55)  # previous run
    add_assessment(ws, "H01", grade="A", score=61.5)  # |61.5 - 60| = 1.5 ≤ 3; B → A
    add_household(ws, "H02", V1, [Member("乙", "户主", 2)], archive=FILED)
    add_assessment(ws, "H02", grade="AA", score=75, thin_file=True)  # 5 from 70 and 80: only thin
    add_household(ws, "H03", V1, [Member("丙", "户主", 3)], archive={"village_code": V2})
    add_assessment(ws, "H03", grade="AAA", score=90)  # archive in 八村, 户籍 in 什玲村
    add_household(ws, "H04", V1, [Member("丁", "户主", 4)], archive={"household_size": 3})
    add_assessment(ws, "H04", grade="B", score=52)  # archive says 3 people, 户籍 has 1
    add_household(ws, "H05", V1, [Member("戊", "户主", 5)], archive=FILED)
    add_assessment(ws, "H05", grade="A", score=66)  # 4 from 70, 6 from 60: not in the queue
    add_household(ws, "H06", V1, [Member("己", "户主", 6)], archive=FILED)
    add_assessment(ws, "H06", grade="AAA", score=83)  # exactly 3 from 80: borderline
    add_household(ws, "H08", V1, [Member("辛大", "户主", 8)], archive={"head_name": "辛太"})
    add_assessment(ws, "H08", grade="A", score=65)  # archive typed 辛太, 户籍 says 辛大
    add_household(ws, "H07", V1, [Member("庚", "户主", 7)], archive=FILED)
    add_assessment(ws, "H07", grade="AA", score=70, model_version="m0")
    add_assessment(ws, "H07", grade="AA", score=76)  # same grade, 4 from 80: not in the queue
    add_household(ws, "H09", V1, [Member("壬", "户主", 9)], archive=FILED)
    add_assessment(ws, "H09", grade="AA", score=76, limit=0, vetoes=["blacklist"])  # veto
    add_household(ws, "H10", V1, [Member("癸", "户主", 10)], archive=FILED)
    add_assessment(ws, "H10", grade="B", score=55, limit=0, vetoes=["blacklist"])  # B anyway
    add_household(ws, "H11", V1, [Member("子", "户主", 11)], archive=FILED)
    add_assessment(ws, "H11", grade="A", score=66, thin_file=True, limit=0)  # thin, no line
    add_household(ws, "H12", V1, [Member("丑", "户主", 12)], archive=FILED)
    add_assessment(ws, "H12", grade="AA", score=76, thin_file=True, limit=30000)  # thin, smaller

    queue = review_queue(ws, principal=BANK)
    # Order by hand: the veto first (H09); the grade change (H01); borderline (H06); thin files,
    # larger line first (H02 50,000, H12 30,000); the conflicts (H03 village, H04 size,
    # H08 name).
    assert list(queue["household_no"]) == [
        "H09", "H01", "H06", "H02", "H12", "H03", "H04", "H08",
    ]  # fmt: skip
    queue = queue.set_index("household_no")
    assert queue.loc["H01", "reasons"] == ["grade_changed", "borderline"]
    assert queue.loc["H01", "previous_grade"] == "B"
    assert queue.loc["H02", "previous_grade"] == "首次评定"  # never "None"
    assert queue.loc["H09", "reasons"] == ["veto"]
    assert queue.loc["H02", "reasons"] == ["thin_file"]
    assert queue.loc["H03", "reasons"] == ["village_conflict"]
    assert queue.loc["H04", "reasons"] == ["size_conflict"]
    assert queue.loc["H06", "reasons"] == ["borderline"]
    assert queue.loc["H08", "reasons"] == ["name_conflict"]
    assert queue.loc["H01", "reason_text"] == "等级较上次评定有变化；评分接近等级边界"
    # Numbers stay numbers (they sort as numbers in the page).
    assert queue["pre_credit_limit"].dtype == float and queue["score"].dtype == float

    counts = reason_counts(queue.reset_index()).set_index("reason")["households"].to_dict()
    assert counts == {
        "veto": 1,
        "grade_changed": 1,
        "borderline": 2,
        "thin_file": 2,
        "village_conflict": 1,
        "size_conflict": 1,
        "name_conflict": 1,
    }
    thin = review_queue(ws, reason="thin_file", principal=BANK)
    assert list(thin["household_no"]) == ["H02", "H12"]

    # A decision on the current assessment takes the household out of the queue.
    record_decision(
        ws,
        assessment_id=int(queue.loc["H02", "assessment_id"]),
        action="confirm",
        reason="已入户核实",
        expected_version=0,
        principal=BANK,
    )
    assert "H02" not in set(review_queue(ws, principal=BANK)["household_no"])
    assert "H02" in set(review_queue(ws, include_decided=True, principal=BANK)["household_no"])
    # So does a decision waiting for approval (it is on the supervisor's list instead).
    record_decision(
        ws,
        assessment_id=int(queue.loc["H09", "assessment_id"]),
        action="adjust",
        limit=20000,
        reason="黑名单已撤销",
        expected_version=0,
        principal=officer(V1),
    )
    assert "H09" not in set(review_queue(ws, principal=BANK)["household_no"])
    # An officer's queue is their villages: none of these households is in 八村 (V2).
    assert review_queue(ws, principal=officer(V2)).empty
    assert len(review_queue(ws, village_code=V2, principal=BANK)) == 0


def test_queue_by_officer(sqlite_ws: Workspace) -> None:
    from creditfarm.accounts import add_user

    add_regions(sqlite_ws)
    add_household(sqlite_ws, "H01", V1, [Member("甲", "户主", 1)], archive=FILED)
    add_assessment(sqlite_ws, "H01", grade="AAA", score=81)
    add_household(sqlite_ws, "H02", V2, [Member("乙", "户主", 2)], archive=FILED)
    add_assessment(sqlite_ws, "H02", grade="AAA", score=81)
    add_user(sqlite_ws, username="li", role="loan_officer", password="pw-123456", villages=[V2])
    assert list(review_queue(sqlite_ws, principal=BANK)["household_no"]) == ["H01", "H02"]
    assert list(review_queue(sqlite_ws, officer="li", principal=BANK)["household_no"]) == ["H02"]
    with pytest.raises(ValueError, match="未知"):
        review_queue(sqlite_ws, officer="nobody", principal=BANK)


def test_queue_names_masked_for_other_roles(sqlite_ws: Workspace) -> None:
    add_regions(sqlite_ws)
    add_household(sqlite_ws, "H02", V1, [Member("李小明", "户主", 2)], archive=FILED)
    add_assessment(sqlite_ws, "H02", grade="AA", score=75, thin_file=True)
    assert review_queue(sqlite_ws, principal=officer(V1))["head_name"].tolist() == ["李小明"]
    with pytest.raises(AccessDenied):  # the PBoC analyst sees no households at all
        review_queue(sqlite_ws, principal=PBOC)
