"""Sealing what the database already holds: the first open after an upgrade seals personal
numbers an earlier version stored in plain text, and ``rekey --data`` re-seals every token
under a new data key. Both run in one transaction and touch only rows that need it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from creditfarm.identity import mask_id
from creditfarm.storage.models import Archive, ImportRun, KeyedValue, Person, QuarantineRow
from creditfarm.storage.sealed import Sealer, is_sealed, redact_text

__all__ = ["reseal_all", "seal_plaintext"]

_PERSON = Person.__table__  # type: ignore[attr-defined]
_ARCHIVE = Archive.__table__  # type: ignore[attr-defined]
_QUARANTINE = QuarantineRow.__table__  # type: ignore[attr-defined]
_RUN = ImportRun.__table__  # type: ignore[attr-defined]
_KEYED = KeyedValue.__table__  # type: ignore[attr-defined]
_CHUNK = 5000


def _rewrite(
    conn: Connection,
    table: Any,
    key: str,
    column: str,
    change: Callable[[Any], dict[str, Any] | None],
    *,
    extra: tuple[str, ...] = (),
) -> int:
    """Apply ``change`` (row → new values, or None to leave it) to every row of ``table``."""
    rows = conn.execute(select(table.c[key], table.c[column], *(table.c[e] for e in extra)))
    pending: list[dict[str, Any]] = []
    done = 0
    cols: set[str] = set()
    for row in rows.mappings().fetchall():
        values = change(row)
        if values is None:
            continue
        cols |= set(values)
        pending.append({"_key": row[key], **values})
    if not pending:
        return 0
    stmt = (
        update(table)
        .where(table.c[key] == bindparam("_key"))
        .values({c: bindparam(c) for c in sorted(cols)})
    )
    for start in range(0, len(pending), _CHUNK):
        chunk = pending[start : start + _CHUNK]
        conn.execute(stmt, chunk)
        done += len(chunk)
    return done


def seal_plaintext(conn: Connection, sealer: Sealer) -> int:
    """Seal plain-text IDs and phones, mask quarantined rows and run messages; rows already
    sealed are left as they are. Returns how many rows changed."""

    def person(row: Any) -> dict[str, Any] | None:
        value = row["id_number"]
        if value is None or is_sealed(value):
            return None
        return {"id_number": sealer.seal(value), "id_masked": mask_id(value)}

    def archive(row: Any) -> dict[str, Any] | None:
        value = row["phone"]
        if value is None or is_sealed(value):
            return None
        return {"phone": sealer.seal(value)}

    def quarantined(row: Any) -> dict[str, Any] | None:
        if row["sealed"] is not None:
            return None
        raw = row["row"]
        if isinstance(raw, str):
            raw = json.loads(raw)
        shown, sealed = sealer.seal_raw_row(raw or {}, {})
        detail = redact_text(row["detail"]) if row["detail"] else row["detail"]
        if sealed is None and detail == row["detail"]:
            return None
        return {"row": shown, "sealed": sealed, "detail": detail}

    def message(row: Any) -> dict[str, Any] | None:
        text = row["message"]
        if not text or redact_text(text) == text:
            return None
        return {"message": redact_text(text)}

    return (
        _rewrite(conn, _PERSON, "person_key", "id_number", person)
        + _rewrite(conn, _ARCHIVE, "head_person_key", "phone", archive)
        + _rewrite(conn, _QUARANTINE, "id", "row", quarantined, extra=("sealed", "detail"))
        + _rewrite(conn, _RUN, "id", "message", message)
    )


def reseal_all(conn: Connection, sealer: Sealer) -> int:
    """Every token re-sealed under ``sealer``'s current key (opened with the old keys)."""

    def one(column: str) -> Callable[[Any], dict[str, Any] | None]:
        def change(row: Any) -> dict[str, Any] | None:
            value = row[column]
            new = sealer.reseal(value)
            return None if new == value else {column: new}

        return change

    return (
        _rewrite(conn, _PERSON, "person_key", "id_number", one("id_number"))
        + _rewrite(conn, _ARCHIVE, "head_person_key", "phone", one("phone"))
        + _rewrite(conn, _QUARANTINE, "id", "sealed", one("sealed"))
        + _rewrite(conn, _KEYED, "key", "value", one("value"))
    )
