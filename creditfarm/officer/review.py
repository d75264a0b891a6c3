"""Human review of automated grades (PIPL Art. 24): officer decisions, maker-checker approval
and the review queue.

**Decisions.** A decision confirms, adjusts the line of, or declines one assessment, always
with a reason, and is stored with who made it (the signed-in principal) and when. It is checked
against the policy: no line above ``[limit].cap`` (nor, for a thin file, ``[limit.thin_file].cap``)
is ever accepted. **Maker-checker (审贷分离):** an adjustment above the maker's authority limit
(their account's own, else their role's in policy ``[authority]``) and any line above 0 on an
assessment with a veto (an override of 一票否决) is stored ``pending`` and becomes effective only
when a credit supervisor other than the maker approves it; the supervisor may reject it
instead. A decline is always allowed. Each assessment has at most one effective and one
pending decision: a new decision supersedes the pending one, and the effective one too when it
takes effect itself (history is kept: ``decisions`` lists every status).

**Optimistic versioning.** Every assessment carries ``decision_version``; a decision, approval
or rejection names the version the person saw (``expected_version``) and moves it by one in the
same transaction, only if it still holds that value. A second person deciding on the same
household at the same time therefore gets ``DecisionConflict``, never a silent overwrite.

What the decisions mean for counts and lists is ``storage.current_line``'s rule.

**The queue** lists households of the current assessments that need a person, most urgent
first: a veto holding down a grade good enough for 信用户, a grade changed since the previous
run, a score near a grade edge, a thin file granted a line (largest lines first), sources that
disagree with 户籍. A household leaves it when decided (effective, or pending approval: those
wait in the supervisor's ``pending_approvals`` instead).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import text, update
from sqlmodel import Session, select

from creditfarm.access import Permission, Principal, can, require
from creditfarm.display.formatting import fmt_yuan
from creditfarm.identity import show_name
from creditfarm.officer.households import household_frame
from creditfarm.policy.config import Policy
from creditfarm.storage.assessments import current_assessment_select, previous_grades
from creditfarm.storage.models import Assessment, Decision, Household
from creditfarm.workspace import Workspace

__all__ = [
    "ACTIONS",
    "APPROVAL_REASONS",
    "DECISION_STATUSES",
    "FIRST_ASSESSMENT",
    "QUEUE_REASONS",
    "DecisionConflict",
    "DecisionError",
    "approve_decision",
    "decisions",
    "grade_edges",
    "officer_options",
    "only_reason",
    "pending_approvals",
    "reason_counts",
    "record_decision",
    "reject_decision",
    "review_queue",
]

ACTIONS: dict[str, str] = {"confirm": "确认", "adjust": "调整额度", "decline": "拒绝"}

DECISION_STATUSES: dict[str, str] = {
    "effective": "已生效",
    "pending": "待审批",
    "superseded": "已被新决定替代",
    "rejected": "已驳回",
}

APPROVAL_REASONS: dict[str, str] = {
    "veto_override": "推翻一票否决",
    "above_authority": "超出经办人授权额度",
}

# Most urgent first: the queue is ordered by the first of these a household has.
QUEUE_REASONS: dict[str, str] = {
    "veto": "一票否决压下了达标等级",
    "grade_changed": "等级较上次评定有变化",
    "borderline": "评分接近等级边界",
    "thin_file": "无借贷记录(薄档案)且有额度",
    "village_conflict": "档案所在村与户籍不一致",
    "size_conflict": "档案家庭人口与户籍人数不一致",
    "name_conflict": "档案户主姓名与户籍姓名不一致",
}

FIRST_ASSESSMENT = "首次评定"  # 上次等级 of a household scored once


class DecisionError(ValueError):
    """A decision that cannot be stored; the message is for the officer (Chinese)."""


class DecisionConflict(DecisionError):
    """Someone else changed the decisions on this assessment since the person looked."""


def _begin(session: Session, ws: Workspace) -> None:
    """Take the write lock first on SQLite (BEGIN IMMEDIATE), so that a second writer waits
    (busy timeout) and then reads the first one's result, instead of failing on a stale
    snapshot; PostgreSQL's row lock of the version update does the same."""
    if ws.engine.dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


def _bump_version(session: Session, assessment_id: int, expected_version: int) -> None:
    """Move the assessment's decision version by one if it is still ``expected_version``."""
    table = Assessment.__table__  # type: ignore[attr-defined]
    result = session.connection().execute(
        update(table)
        .where(table.c.id == assessment_id, table.c.decision_version == expected_version)
        .values(decision_version=table.c.decision_version + 1)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.connection().execute(
            text("SELECT decision_version FROM assessment WHERE id = :id"), {"id": assessment_id}
        )
        now = current.scalar()
        raise DecisionConflict(
            f"本户的人工决定已被他人更新（您看到的是第 {expected_version} 版，现为第 {now} 版）。"
            "您的操作未保存：请刷新后查看最新决定再处理。"
        )


def _check_current(session: Session, assessment: Assessment) -> None:
    """A decision counts only on the household's current assessment: one made on the card of
    an assessment a scoring run has since replaced is refused, not stored to no effect."""
    current = session.connection().execute(current_assessment_select(assessment.household_no))
    if current.scalar() != assessment.id:
        raise DecisionConflict(
            f"户号 {assessment.household_no} 已重新评分（评估记录 {assessment.id} 已不是最新）。"
            "您的操作未保存：请刷新后按最新评估处理。"
        )


def _open(session: Session, assessment_id: int, status: str) -> Decision | None:
    return session.exec(
        select(Decision).where(Decision.assessment_id == assessment_id, Decision.status == status)
    ).first()


def _supersede(session: Session, decision: Decision | None) -> None:
    if decision is not None:
        decision.status = "superseded"
        decision.version += 1
        session.add(decision)
        session.flush()  # before a new row takes its place under the partial unique index


def _check_caps(policy: Policy, line: float, *, thin_file: bool) -> None:
    if line > policy.limit.cap:
        raise DecisionError(
            f"额度 {fmt_yuan(line)} 超过政策上限 {fmt_yuan(policy.limit.cap)}，不能保存"
            "（任何审批都不能超过此上限）"
        )
    if thin_file and line > policy.limit.thin_file.cap:
        raise DecisionError(
            f"本户无借贷记录（薄档案），额度上限为 {fmt_yuan(policy.limit.thin_file.cap)}，"
            f"{fmt_yuan(line)} 不能保存"
        )


def _audit(
    ws: Workspace, principal: Principal, action: str, target: str, detail: str, origin: str
) -> None:
    from creditfarm.accounts import record_event

    record_event(ws, actor=principal, action=action, target=target, detail=detail, origin=origin)


def _require_village(
    session: Session, principal: Principal, permission: Permission, household_no: str
) -> None:
    """``permission`` over the household's village (inside the decision's transaction)."""
    household = session.get(Household, household_no)
    require(principal, permission, village_code=household.village_code if household else None)


def record_decision(
    ws: Workspace,
    *,
    assessment_id: int,
    action: str,
    reason: str,
    expected_version: int,
    limit: float | None = None,
    principal: Principal,
    now: datetime | None = None,
    origin: str = "",
) -> Decision:
    """Store a decision on one assessment; returns it (``status`` effective or pending).

    ``confirm`` keeps the assessed line, ``decline`` sets it to 0, ``adjust`` needs the new
    ``limit`` (≥ 0 yuan, within the policy caps). ``reason`` is required. ``expected_version``
    is the assessment's ``decision_version`` the person saw (``DecisionConflict`` when it
    moved). Who: ``principal``, who must hold ``decide`` for the household's village. The
    decision is written to the audit trail (``origin``: where from).
    """
    require(principal, Permission.decide)
    if action not in ACTIONS:
        raise DecisionError(f"未知的处理方式 {action!r}，应为：确认、调整额度或拒绝")
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError("请填写理由：每一项人工决定都必须说明理由")
    policy = ws.policy
    with Session(ws.engine, expire_on_commit=False) as session:
        _begin(session, ws)
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            raise DecisionError(f"评估记录 {assessment_id} 不存在")
        _require_village(session, principal, Permission.decide, assessment.household_no)
        _check_current(session, assessment)
        if action == "adjust":
            if limit is None or pd.isna(limit) or limit < 0:
                raise DecisionError("调整额度时请填写不小于 0 的新额度（元）")
            line = float(limit)
            _check_caps(policy, line, thin_file=assessment.thin_file)
        elif action == "confirm":
            line = float(assessment.pre_credit_limit)
        else:
            line = 0.0
        needed = []
        if line > 0 and assessment.vetoes:
            needed.append("veto_override")
        authority = policy.authority_limit(principal.role, principal.authority_limit)
        if action == "adjust" and line > authority:
            needed.append("above_authority")
        status = "pending" if needed else "effective"
        _bump_version(session, assessment_id, expected_version)
        _supersede(session, _open(session, assessment_id, "pending"))
        if status == "effective":
            _supersede(session, _open(session, assessment_id, "effective"))
        decision = Decision(
            assessment_id=assessment_id,
            household_no=assessment.household_no,
            action=action,
            limit=line,
            # A line of 0 makes no 信用户 in the bank's list; otherwise the rating stands.
            credit_household=bool(assessment.credit_household) and line > 0,
            reason=reason,
            decided_by=principal.username,
            decided_at=now or datetime.now(UTC),
            status=status,
            approval_needed=",".join(needed),
        )
        session.add(decision)
        session.commit()
    detail = f"{ACTIONS[action]} {line:,.0f} 元（{DECISION_STATUSES[status]}"
    if needed:
        detail += "，" + "、".join(APPROVAL_REASONS[n] for n in needed)
    _audit(ws, principal, "decision", decision.household_no, f"{detail}）：{reason}", origin)
    return decision


def _review(
    ws: Workspace,
    *,
    decision_id: int,
    expected_version: int,
    principal: Principal,
    approve: bool,
    note: str,
    now: datetime | None,
) -> Decision:
    require(principal, Permission.approve)
    with Session(ws.engine, expire_on_commit=False) as session:
        _begin(session, ws)
        decision = session.get(Decision, decision_id)
        if decision is None:
            raise DecisionError(f"人工决定 {decision_id} 不存在")
        _require_village(session, principal, Permission.approve, decision.household_no)
        if decision.status != "pending":
            state = DECISION_STATUSES.get(decision.status, decision.status)
            raise DecisionError(f"该决定不在待审批状态（当前：{state}）")
        if decision.decided_by == principal.username:
            raise DecisionError("不能审批本人作出的决定（审贷分离：须由另一位信贷主管审批）")
        assessment = session.get(Assessment, decision.assessment_id)
        assert assessment is not None  # a foreign key
        if approve:
            _check_current(session, assessment)
            line = float(decision.limit or 0.0)
            _check_caps(ws.policy, line, thin_file=assessment.thin_file)
            authority = ws.policy.authority_limit(principal.role, principal.authority_limit)
            if line > authority:
                raise DecisionError(f"额度 {fmt_yuan(line)} 超出您的审批权限 {fmt_yuan(authority)}")
        _bump_version(session, decision.assessment_id, expected_version)
        if approve:
            _supersede(session, _open(session, decision.assessment_id, "effective"))
        decision.status = "effective" if approve else "rejected"
        decision.reviewed_by = principal.username
        decision.reviewed_at = now or datetime.now(UTC)
        decision.review_note = note
        decision.version += 1
        session.add(decision)
        session.commit()
    return decision


def approve_decision(
    ws: Workspace,
    *,
    decision_id: int,
    expected_version: int,
    principal: Principal,
    note: str = "",
    now: datetime | None = None,
    origin: str = "",
) -> Decision:
    """Approve a pending decision: it becomes effective (the one before it, superseded).
    Only a credit supervisor other than the maker, within their own authority and village;
    ``expected_version`` is the assessment's decision version the approver saw."""
    decision = _review(
        ws,
        decision_id=decision_id,
        expected_version=expected_version,
        principal=principal,
        approve=True,
        note=(note or "").strip(),
        now=now,
    )
    _audit(
        ws,
        principal,
        "approval",
        decision.household_no,
        f"批准 {decision.decided_by} 的决定 #{decision.id}（{ACTIONS[decision.action]} "
        f"{decision.limit or 0:,.0f} 元）"
        + (f"：{decision.review_note}" if decision.review_note else ""),
        origin,
    )
    return decision


def reject_decision(
    ws: Workspace,
    *,
    decision_id: int,
    expected_version: int,
    reason: str,
    principal: Principal,
    now: datetime | None = None,
    origin: str = "",
) -> Decision:
    """Reject a pending decision (a reason is required): the line stays what it was."""
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError("请填写驳回理由")
    decision = _review(
        ws,
        decision_id=decision_id,
        expected_version=expected_version,
        principal=principal,
        approve=False,
        note=reason,
        now=now,
    )
    _audit(
        ws,
        principal,
        "rejection",
        decision.household_no,
        f"驳回 {decision.decided_by} 的决定 #{decision.id}（{ACTIONS[decision.action]} "
        f"{decision.limit or 0:,.0f} 元）：{reason}",
        origin,
    )
    return decision


_DECISION_SQL = (
    'SELECT d.id, d.assessment_id, d.household_no, h.village_code, d.action, d."limit" AS '
    "decided_limit, d.credit_household, d.reason, d.decided_by, d.decided_at, d.status, "
    "d.approval_needed, d.reviewed_by, d.reviewed_at, d.review_note, d.version, a.grade, "
    "a.as_of, a.pre_credit_limit, a.decision_version, a.vetoes "
    "FROM decision d JOIN assessment a ON a.id = d.assessment_id "
    "JOIN household h ON h.household_no = d.household_no"
)


def _decision_frame(ws: Workspace, where: list[str], params: dict[str, Any]) -> pd.DataFrame:
    sql = _DECISION_SQL + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY d.decided_at DESC, d.id DESC"
    with ws.engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn, params=params or None)
    frame["action_label"] = frame["action"].map(ACTIONS)
    frame["status_label"] = frame["status"].map(DECISION_STATUSES)
    frame["approval_text"] = frame["approval_needed"].map(
        lambda v: "、".join(APPROVAL_REASONS[c] for c in v.split(",") if c) if v else ""
    )
    frame["decided_limit"] = frame["decided_limit"].astype(float)
    frame["pre_credit_limit"] = frame["pre_credit_limit"].astype(float)
    frame["credit_household"] = (
        frame["credit_household"].astype("boolean").fillna(False).astype(bool)
    )
    frame["decision_version"] = frame["decision_version"].astype(int)
    # SQLite hands back text: make both back ends give UTC timestamps and dates.
    for col in ("decided_at", "reviewed_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame


def _in_villages(principal: Principal, where: list[str], params: dict[str, Any]) -> None:
    if principal.villages is not None:
        names = {f"v{i}": v for i, v in enumerate(sorted(principal.villages))}
        where.append(f"h.village_code IN ({', '.join(':' + n for n in names) or 'NULL'})")
        params.update(names)


def decisions(
    ws: Workspace,
    *,
    household_no: str | None = None,
    status: str | None = None,
    principal: Principal,
) -> pd.DataFrame:
    """Decisions of every status, newest first, of the villages ``principal`` covers: id,
    assessment_id, household_no, village_code, action (+ action_label), decided_limit,
    credit_household, reason, decided_by, decided_at, status (+ status_label), approval_needed
    (+ approval_text), reviewed_by, reviewed_at, review_note, version, and the assessment's
    grade, as_of, pre_credit_limit (the model's line) and decision_version."""
    require(principal, Permission.view_households)
    where: list[str] = []
    params: dict[str, Any] = {}
    if household_no is not None:
        where.append("d.household_no = :hh")
        params["hh"] = household_no
    if status is not None:
        if status not in DECISION_STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {', '.join(DECISION_STATUSES)}")
        where.append("d.status = :status")
        params["status"] = status
    _in_villages(principal, where, params)
    return _decision_frame(ws, where, params)


def pending_approvals(
    ws: Workspace, *, principal: Principal, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The 待审批 list: pending decisions of the villages ``principal`` covers (a credit
    supervisor), oldest first, with the head's name, the village, the model's line beside the
    decided one, why it needs approval, and ``own`` (made by ``principal``: they may not approve
    it). ``decision_version`` is the version to approve against. ``frame``: a cached
    ``household_frame``."""
    require(principal, Permission.approve)
    full = can(principal, Permission.see_names)
    where: list[str] = ["d.status = 'pending'"]
    params: dict[str, Any] = {}
    _in_villages(principal, where, params)
    hh = household_frame(ws) if frame is None else frame
    heads = hh[["household_no", "head_name", "village_name", "town_name"]]
    waiting = _decision_frame(ws, where, params).merge(heads, on="household_no", how="left")
    waiting["head_name"] = waiting["head_name"].map(lambda n: show_name(n, full))
    waiting["own"] = waiting["decided_by"] == principal.username
    waiting["model_limit"] = waiting["pre_credit_limit"]
    return waiting.sort_values(["decided_at", "id"], kind="stable").reset_index(drop=True)


def grade_edges(policy: Policy) -> list[float]:
    """Score boundaries between grades (every band's lower bound except the lowest band's)."""
    bands = sorted(b.min_score for b in policy.grades)
    return bands[1:]


def _officer_villages(ws: Workspace, officer: str) -> frozenset[str]:
    from creditfarm.accounts import get_principal

    account = get_principal(ws, username=officer)
    if account is None:
        raise ValueError(f"未知或已停用的用户 {officer!r}")
    if account.villages is None:
        raise ValueError(f"{officer} 不是按村分配的信贷员")
    return account.villages


def officer_options(ws: Workspace, *, principal: Principal) -> list[str]:
    """User names of the enabled loan officers (the queue's officer filter); a loan officer
    sees only themself."""
    from creditfarm.access import ROLE_ZH, Role
    from creditfarm.accounts import list_users

    require(principal, Permission.view_households)
    if principal.role == Role.loan_officer:
        return [principal.username]
    users = list_users(ws)
    officers = users[(users["role"] == ROLE_ZH[Role.loan_officer]) & ~users["disabled"]]
    return sorted(officers["username"])


def review_queue(
    ws: Workspace,
    *,
    village_code: str | None = None,
    reason: str | None = None,
    officer: str | None = None,
    include_decided: bool = False,
    principal: Principal,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Households that need a person, most urgent first, one row each with the rule codes
    that put it there (``reasons``, in ``QUEUE_REASONS`` order) and the first of them
    (``priority``: its index in ``QUEUE_REASONS``).

    Rules: ``veto`` (a veto on a grade at or above policy [credit_household].min_grade),
    ``grade_changed`` (grade ≠ the previous assessment's), ``borderline`` (score within policy
    [review].borderline_points of a grade edge), ``thin_file`` (a thin file with a line above
    0), ``village_conflict`` (archive village ≠ 户籍 village), ``size_conflict`` (archive
    household size ≠ 户籍 member count), ``name_conflict`` (the archive's head name ≠ the 户籍
    name of the person it was filed under). Order: priority, then the largest line first.

    Filters: ``village_code``, ``reason`` (a rule code), ``officer`` (a user name: their
    assigned villages). An officer's queue is their own villages. A household whose current
    assessment has an effective or pending decision leaves the queue unless
    ``include_decided``. Numbers stay numbers (score, probability, line).
    """
    require(principal, Permission.view_households, village_code=village_code)
    if reason is not None and reason not in QUEUE_REASONS:
        raise ValueError(f"unknown reason {reason!r}; one of {', '.join(QUEUE_REASONS)}")
    full = can(principal, Permission.see_names)
    hh = household_frame(ws) if frame is None else frame
    hh = hh[hh["scored"]]
    if village_code:
        hh = hh[hh["village_code"] == village_code]
    if principal.villages is not None:  # an officer's queue is their villages
        hh = hh[hh["village_code"].isin(principal.villages)]
    if officer:
        hh = hh[hh["village_code"].isin(_officer_villages(ws, officer))]
    if not include_decided:
        decided = hh["decision_id"].notna() | hh["pending_decision_id"].notna()
        hh = hh[~decided]
    hh = hh.merge(previous_grades(ws.engine), on="household_no", how="left")
    points = ws.policy.review.borderline_points
    edges = grade_edges(ws.policy)
    order = ws.policy.grade_order
    good = set(order[: order.index(ws.policy.credit_household.min_grade) + 1])

    def near_edge(score: float) -> bool:
        return not pd.isna(score) and any(abs(score - e) <= points for e in edges)

    flags = pd.DataFrame(index=hh.index)
    flags["veto"] = hh["vetoed"] & hh["grade"].isin(good)
    flags["grade_changed"] = (
        hh["grade"].notna() & hh["previous_grade"].notna() & (hh["grade"] != hh["previous_grade"])
    )
    flags["borderline"] = hh["score"].map(near_edge).astype(bool)
    flags["thin_file"] = hh["thin_file"] & (hh["pre_credit_limit"] > 0)
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
    if reason is not None:
        hh = hh[hh["reasons"].map(lambda cs: reason in cs).astype(bool)]
    rank = {c: i for i, c in enumerate(QUEUE_REASONS)}
    out = pd.DataFrame(
        {
            "household_no": hh["household_no"],
            "village_code": hh["village_code"],
            "village_name": hh["village_name"],
            "head_name": hh["head_name"].map(lambda n: show_name(n, full)),
            "assessment_id": hh["assessment_id"].astype("Int64"),
            "decision_version": hh["decision_version"].astype("Int64"),
            "grade": hh["grade"],
            "previous_grade": hh["previous_grade"]
            .astype(object)
            .where(hh["previous_grade"].notna(), FIRST_ASSESSMENT),
            "score": hh["score"].astype(float),
            "probability": hh["probability"].astype(float),
            "pre_credit_limit": hh["pre_credit_limit"].astype(float),
            "thin_file": hh["thin_file"].astype(bool),
            "vetoed": hh["vetoed"].astype(bool),
            "reasons": hh["reasons"],
            "priority": hh["reasons"].map(lambda cs: rank[cs[0]]).astype(int),
            "reason_text": hh["reasons"].map(lambda cs: "；".join(QUEUE_REASONS[c] for c in cs)),
        }
    )
    out = out.sort_values(
        ["priority", "pre_credit_limit", "household_no"],
        ascending=[True, False, True],
        kind="stable",
    )
    return out.reset_index(drop=True)


def only_reason(queue: pd.DataFrame, reason: str | None) -> pd.DataFrame:
    """The rows of a ``review_queue`` result that have ``reason`` (None: all), order kept."""
    if reason is None:
        return queue
    if reason not in QUEUE_REASONS:
        raise ValueError(f"unknown reason {reason!r}; one of {', '.join(QUEUE_REASONS)}")
    return queue[queue["reasons"].map(lambda cs: reason in cs).astype(bool)].reset_index(drop=True)


def reason_counts(queue: pd.DataFrame) -> pd.DataFrame:
    """Households per queue reason (a household with two reasons counts under each), every
    reason listed in priority order: reason, label, households."""
    counts = {c: 0 for c in QUEUE_REASONS}
    for codes in queue["reasons"]:
        for code in codes:
            counts[code] += 1
    return pd.DataFrame(
        {
            "reason": list(counts),
            "label": [QUEUE_REASONS[c] for c in counts],
            "households": list(counts.values()),
        }
    )
