"""Human review of automated grades (PIPL Art. 24): officer decisions and the review queue.

A decision confirms, adjusts the limit of, or declines one assessment, always with a reason,
and is stored with who made it (the signed-in principal) and when. The review queue lists
households whose latest assessment needs a person: a score near a grade edge, a grade that
changed since the previous run, a thin file, or sources that disagree with 户籍.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import text

from creditfarm.access import Permission, Principal, can, require
from creditfarm.identity import show_name
from creditfarm.officer.households import household_frame
from creditfarm.policy.config import Policy
from creditfarm.storage.assessments import previous_grades
from creditfarm.storage.engine import session_scope
from creditfarm.storage.models import Assessment, Decision, Household
from creditfarm.workspace import Workspace

__all__ = [
    "ACTIONS",
    "QUEUE_REASONS",
    "DecisionError",
    "decisions",
    "grade_edges",
    "record_decision",
    "review_queue",
]

ACTIONS: dict[str, str] = {"confirm": "确认", "adjust": "调整额度", "decline": "拒绝"}

QUEUE_REASONS: dict[str, str] = {
    "borderline": "评分接近等级边界",
    "grade_changed": "等级较上次评定有变化",
    "thin_file": "无借贷记录(薄档案)",
    "village_conflict": "档案所在村与户籍不一致",
    "size_conflict": "档案家庭人口与户籍人数不一致",
    "name_conflict": "档案户主姓名与户籍姓名不一致",
}


class DecisionError(ValueError):
    """A decision that cannot be stored; the message is for the officer (Chinese)."""


def record_decision(
    ws: Workspace,
    *,
    assessment_id: int,
    action: str,
    reason: str,
    limit: float | None = None,
    principal: Principal,
    now: datetime | None = None,
) -> Decision:
    """Store an officer's decision on one assessment.

    ``confirm`` keeps the assessed limit, ``decline`` sets it to 0, ``adjust`` needs the new
    ``limit`` (≥ 0 yuan). ``reason`` is required. Who: ``principal``, who must hold
    ``decide`` for the household's village.
    """
    require(principal, Permission.decide)
    if action not in ACTIONS:
        raise DecisionError(f"未知的处理方式 {action!r}，应为：确认、调整额度或拒绝")
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError("请填写理由：每一项人工决定都必须说明理由")
    with session_scope(ws.engine) as session:
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            raise DecisionError(f"评估记录 {assessment_id} 不存在")
        village = session.get(Household, assessment.household_no)
        require(
            principal, Permission.decide, village_code=village.village_code if village else None
        )
        if action == "adjust":
            if limit is None or limit < 0:
                raise DecisionError("调整额度时请填写不小于 0 的新额度（元）")
            decided_limit: float = float(limit)
        elif action == "confirm":
            decided_limit = float(assessment.pre_credit_limit)
        else:
            decided_limit = 0.0
        decision = Decision(
            assessment_id=assessment_id,
            household_no=assessment.household_no,
            action=action,
            limit=decided_limit,
            reason=reason,
            decided_by=principal.username,
            decided_at=now or datetime.now(UTC),
        )
        session.add(decision)
        session.flush()
        session.refresh(decision)
        session.expunge(decision)
    return decision


def decisions(ws: Workspace, *, household_no: str | None = None) -> pd.DataFrame:
    """Decisions, newest first: id, assessment_id, household_no, action, action_label, limit,
    reason, decided_by, decided_at, plus the assessment's grade and as_of."""
    sql = (
        'SELECT d.id, d.assessment_id, d.household_no, d.action, d."limit" AS decided_limit, '
        "d.reason, d.decided_by, d.decided_at, a.grade, a.as_of, a.pre_credit_limit "
        "FROM decision d JOIN assessment a ON a.id = d.assessment_id"
    )
    params: dict[str, Any] = {}
    if household_no is not None:
        sql += " WHERE d.household_no = :hh"
        params["hh"] = household_no
    sql += " ORDER BY d.decided_at DESC, d.id DESC"
    with ws.engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn, params=params or None)
    frame["action_label"] = frame["action"].map(ACTIONS)
    # SQLite hands back text: make both back ends give UTC timestamps and dates.
    frame["decided_at"] = pd.to_datetime(frame["decided_at"], utc=True, format="ISO8601")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame


def grade_edges(policy: Policy) -> list[float]:
    """Score boundaries between grades (every band's lower bound except the lowest band's)."""
    bands = sorted(b.min_score for b in policy.grades)
    return bands[1:]


def review_queue(
    ws: Workspace,
    *,
    village_code: str | None = None,
    include_decided: bool = False,
    principal: Principal,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Households that need a person, one row each with the rule codes that put it there.

    Rules: ``borderline`` (latest score within policy [review].borderline_points of a grade
    edge), ``grade_changed`` (latest grade ≠ the previous assessment's), ``thin_file``,
    ``village_conflict`` (archive village ≠ 户籍 village), ``size_conflict`` (archive household
    size ≠ 户籍 member count), ``name_conflict`` (the archive's head name ≠ the 户籍 name of the
    person it was filed under). Households whose latest assessment already has a decision leave
    the queue unless ``include_decided``.
    """
    require(principal, Permission.view_households, village_code=village_code)
    full = can(principal, Permission.see_names)
    hh = household_frame(ws) if frame is None else frame
    if village_code:
        hh = hh[hh["village_code"] == village_code]
    if principal.villages is not None:  # an officer's queue is their villages
        hh = hh[hh["village_code"].isin(principal.villages)]
    hh = hh.merge(previous_grades(ws.engine), on="household_no", how="left")
    points = ws.policy.review.borderline_points
    edges = grade_edges(ws.policy)

    def near_edge(score: float) -> bool:
        return not pd.isna(score) and any(abs(score - e) <= points for e in edges)

    flags = pd.DataFrame(index=hh.index)
    flags["borderline"] = hh["score"].map(near_edge)
    flags["grade_changed"] = (
        hh["grade"].notna() & hh["previous_grade"].notna() & (hh["grade"] != hh["previous_grade"])
    )
    flags["thin_file"] = hh["scored"] & hh["thin_file"]
    flags["village_conflict"] = hh["archive_village_code"].notna() & (
        hh["archive_village_code"] != hh["village_code"]
    )
    size = pd.to_numeric(hh["archive_household_size"], errors="coerce")
    flags["size_conflict"] = size.notna() & (size != hh["members"])
    names = hh["archive_head_name"].notna() & hh["archive_person_name"].notna()
    flags["name_conflict"] = names & (hh["archive_head_name"] != hh["archive_person_name"])
    # A list per row (an empty queue — an officer's village with none — stays a Series).
    codes = pd.Series(
        [[c for c in QUEUE_REASONS if row[c]] for row in flags.to_dict("records")],
        index=flags.index,
        dtype=object,
    )
    hh = hh.assign(reasons=codes).loc[codes.map(bool).astype(bool)]
    if not include_decided and not hh.empty:
        with ws.engine.connect() as conn:
            decided = pd.read_sql(text("SELECT DISTINCT assessment_id FROM decision"), conn)
        hh = hh[~hh["assessment_id"].isin(decided["assessment_id"])]
    return pd.DataFrame(
        {
            "household_no": hh["household_no"],
            "village_code": hh["village_code"],
            "village_name": hh["village_name"],
            "head_name": hh["head_name"].map(lambda n: show_name(n, full)),
            "assessment_id": hh["assessment_id"],
            "grade": hh["grade"],
            "previous_grade": hh["previous_grade"],
            "score": hh["score"],
            "reasons": hh["reasons"],
            "reason_text": hh["reasons"].map(lambda cs: "；".join(QUEUE_REASONS[c] for c in cs)),
        }
    ).reset_index(drop=True)
