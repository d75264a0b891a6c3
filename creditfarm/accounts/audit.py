"""The audit trail: who did what, when and from where — append-only and hash-chained.

Every row carries the hash of the row before it and its own hash over that and its fields
(SHA-256 of a canonical JSON text), so ``verify_audit`` finds a row altered, removed or
inserted anywhere in the chain. Nothing in the code updates or deletes a row, and the database
refuses it too (triggers from migration 0011, on SQLite and PostgreSQL). Writers hold an
exclusive lock while appending (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a transaction advisory
lock), so two processes never chain onto the same previous row.

Actions: ``signin``, ``signin_failed``, ``signout``, ``view_household``, ``decision``,
``export``, ``import``, ``train``, ``score``, ``user_change``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlmodel import Session, select

from creditfarm.access import ROLE_ZH, Permission, Principal, require
from creditfarm.storage.models import AuditEvent
from creditfarm.workspace import Workspace

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GENESIS", "AuditProblem", "audit_events", "record_event", "verify_audit"]

GENESIS = "0" * 64
_LOCK_KEY = 7_411_203  # PostgreSQL advisory lock of the audit chain


@dataclass(frozen=True)
class AuditProblem:
    event_id: int
    problem: str


def _row_hash(prev: str, at: datetime, fields: dict[str, str]) -> str:
    moment = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    payload = json.dumps(
        {"prev": prev, "at": moment.isoformat(timespec="microseconds"), **fields},
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _fields(event: AuditEvent) -> dict[str, str]:
    return {
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "target": event.target,
        "detail": event.detail,
        "origin": event.origin,
    }


def record_event(
    ws: Workspace,
    *,
    actor: str | Principal,
    action: str,
    target: str = "",
    detail: str = "",
    origin: str = "",
) -> None:
    """Append one event (``actor``: a principal, or a user name when none signed in)."""
    username = actor.username if isinstance(actor, Principal) else actor
    role = actor.role.value if isinstance(actor, Principal) else ""
    with Session(ws.engine) as session:
        if ws.engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        else:
            session.connection().execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"))
        last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()  # type: ignore[union-attr]
        prev = last.row_hash if last else GENESIS
        event = AuditEvent(
            at=datetime.now(UTC),
            actor=username[:64],
            role=role,
            action=action,
            target=target,
            detail=detail,
            origin=origin,
            prev_hash=prev,
            row_hash="",
        )
        event.row_hash = _row_hash(prev, event.at, _fields(event))
        session.add(event)
        session.commit()


def verify_audit(ws: Workspace) -> list[AuditProblem]:
    """Every break in the chain (empty: intact)."""
    problems: list[AuditProblem] = []
    prev = GENESIS
    with Session(ws.engine) as session:
        for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)):  # type: ignore[arg-type]
            assert event.id is not None
            if event.prev_hash != prev:
                problems.append(AuditProblem(event.id, "前一条记录被删除、插入或改动（链断开）"))
            if _row_hash(event.prev_hash, event.at, _fields(event)) != event.row_hash:
                problems.append(AuditProblem(event.id, "本条记录内容被改动（哈希不符）"))
            prev = event.row_hash
    return problems


def audit_events(ws: Workspace, *, principal: Principal, limit: int = 200) -> pd.DataFrame:
    """The newest ``limit`` events, newest first (administrators only)."""
    import pandas as pd  # here: sign-in and the audit writes need no pandas

    require(principal, Permission.read_audit)
    with Session(ws.engine) as session:
        rows = session.exec(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)  # type: ignore[union-attr]
        ).all()
    return pd.DataFrame(
        [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "role": ROLE_ZH.get(e.role, e.role) if e.role else "",  # type: ignore[call-overload]
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
                "origin": e.origin,
            }
            for e in rows
        ],
        columns=["id", "at", "actor", "role", "action", "target", "detail", "origin"],
    )
