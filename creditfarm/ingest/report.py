"""The import report (per source) and the quarantine export (IDs, phones, cards masked).

Both describe every file imported, each export of a file its own entry: every run that
imported something (``done``) — a newer export of ``户籍.csv`` is listed beside the earlier one,
whose quarantined rows stay in the report (nothing imported is lost from it) — and, for a file
whose latest run failed, that failure. A run that found the file ``unchanged`` adds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from creditfarm.identity import mask_card, mask_id, mask_phone
from creditfarm.ingest.contract import SOURCES
from creditfarm.ingest.pii import header_pii, value_pii
from creditfarm.ingest.readers import match_header
from creditfarm.storage.models import ImportRun, QuarantineRow
from creditfarm.workspace import Workspace

__all__ = [
    "QUARANTINE_COLUMNS",
    "REPORT_COLUMNS",
    "current_run_ids",
    "import_report",
    "mask_row",
    "quarantine_frame",
    "run_table",
]

REPORT_COLUMNS = [
    "source",
    "files",
    "rows_read",
    "rows_accepted",
    "rows_quarantined",
    "duplicates_merged",
    "rows_linked",
    "linked_share",
    "quarantined_by_reason",
    "failed_files",
    "warnings",
]
QUARANTINE_COLUMNS = ["source", "file", "line", "column", "reason"]
# Sources whose rows name a person, so "linked to a 户籍 household" means something.
_PERSON_SOURCES = {n for n, s in SOURCES.items() if n not in ("regions", "points")}
_MASKS = {"id": mask_id, "phone": mask_phone, "card": mask_card}

_RUN = ImportRun.__table__  # type: ignore[attr-defined]
_QUARANTINE = QuarantineRow.__table__  # type: ignore[attr-defined]


def _current_runs(conn: Connection) -> list[dict[str, Any]]:
    """Every ``done`` run (each export of a file), and the latest run of a file name when it
    failed (a failure fixed by a later import of that name is history, not a problem now)."""
    rows = conn.execute(
        select(_RUN).where(_RUN.c.status.in_(["done", "failed"])).order_by(_RUN.c.id)
    ).mappings()
    kept: dict[int, dict[str, Any]] = {}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        if row["status"] == "done":
            kept[row["id"]] = dict(row)
        latest[(row["source"], row["file_name"])] = dict(row)
    for run in latest.values():
        if run["status"] == "failed":
            kept[run["id"]] = run
    return [kept[k] for k in sorted(kept)]


def current_run_ids(ws: Workspace) -> list[int]:
    with ws.engine.connect() as conn:
        return [r["id"] for r in _current_runs(conn)]


def _runs(conn: Connection, run_ids: Sequence[int] | None) -> list[dict[str, Any]]:
    """The runs asked for; an ``unchanged`` run stands for the earlier run of the same file
    content (same source and sha256) that did the work."""
    if run_ids is None:
        return _current_runs(conn)
    rows = conn.execute(select(_RUN).where(_RUN.c.id.in_(list(run_ids))).order_by(_RUN.c.id))
    chosen: dict[int, dict[str, Any]] = {}
    for row in rows.mappings():
        if row["status"] == "unchanged":
            earlier = (
                conn.execute(
                    select(_RUN)
                    .where(
                        _RUN.c.source == row["source"],
                        _RUN.c.file_sha256 == row["file_sha256"],
                        _RUN.c.status == "done",
                        _RUN.c.id < row["id"],
                    )
                    .order_by(_RUN.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
            if earlier is not None:
                chosen[earlier["id"]] = dict(earlier)
                continue
        chosen[row["id"]] = dict(row)
    return [chosen[k] for k in sorted(chosen)]


def _reason_counts(conn: Connection, run_ids: list[int]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {}
    if not run_ids:
        return counts
    from sqlalchemy import func

    rows = conn.execute(
        select(_QUARANTINE.c.run_id, _QUARANTINE.c.reason, func.count())
        .where(_QUARANTINE.c.run_id.in_(run_ids))
        .group_by(_QUARANTINE.c.run_id, _QUARANTINE.c.reason)
    )
    for run_id, reason, n in rows:
        counts.setdefault(run_id, Counter())[reason] = int(n)
    return counts


def run_table(ws: Workspace, *, run_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """One row per import run (file): status, counts, quarantine reasons, message. An
    ``unchanged`` run in ``run_ids`` is shown as the earlier run it found identical."""
    with ws.engine.connect() as conn:
        runs = _runs(conn, run_ids)
        reasons = _reason_counts(conn, [r["id"] for r in runs])
    records = []
    for run in runs:
        by_reason = reasons.get(run["id"], Counter())
        records.append(
            {
                "run_id": run["id"],
                "source": run["source"],
                "file": run["file_name"],
                "status": run["status"],
                "rows_read": run["rows_read"],
                "rows_accepted": run["rows_accepted"],
                "rows_quarantined": run["rows_quarantined"],
                "duplicates_merged": run["duplicates_merged"],
                "rows_linked": run["rows_linked"],
                "quarantined_by_reason": dict(sorted(by_reason.items())),
                "warnings": dict(run["warnings"] or {}),
                "message": run["message"] or "",
                "imported_at": run["finished_at"] or run["started_at"],
            }
        )
    return pd.DataFrame.from_records(
        records,
        columns=[
            "run_id",
            "source",
            "file",
            "status",
            "rows_read",
            "rows_accepted",
            "rows_quarantined",
            "duplicates_merged",
            "rows_linked",
            "quarantined_by_reason",
            "warnings",
            "message",
            "imported_at",
        ],
    )


def import_report(ws: Workspace, *, run_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Per source: files, rows read, accepted, quarantined (and by reason), duplicates merged,
    rows linked and their share of accepted rows (missing where rows name no person), failed
    files, and warnings (rows kept but worth a look) by code. ``run_ids`` None: the current
    imports (see module doc)."""
    runs = run_table(ws, run_ids=run_ids)
    records = []
    for source, group in runs.groupby("source", sort=False):
        done = group[group["status"] == "done"]
        by_reason: Counter[str] = Counter()
        warned: Counter[str] = Counter()
        for counts in done["warnings"]:
            warned.update(counts)
        for counts in done["quarantined_by_reason"]:
            by_reason.update(counts)
        accepted = int(done["rows_accepted"].sum())
        linked = int(done["rows_linked"].sum())
        share = round(linked / accepted, 4) if accepted and source in _PERSON_SOURCES else None
        records.append(
            {
                "source": source,
                "files": len(group),
                "rows_read": int(done["rows_read"].sum()),
                "rows_accepted": accepted,
                "rows_quarantined": int(done["rows_quarantined"].sum()),
                "duplicates_merged": int(done["duplicates_merged"].sum()),
                "rows_linked": linked,
                "linked_share": share,
                "quarantined_by_reason": dict(sorted(by_reason.items())),
                "warnings": dict(sorted(warned.items())),
                "failed_files": int((group["status"] == "failed").sum()),
            }
        )
    return pd.DataFrame.from_records(records, columns=REPORT_COLUMNS)


def mask_row(source: str, row: dict[str, Any]) -> dict[str, Any]:
    """A quarantined row's raw values with IDs, phones and card numbers masked."""
    src = SOURCES.get(source)
    masked = {}
    for header, value in row.items():
        mask = None
        canon = match_header(header, src) if src else None
        if canon and src is not None:
            mask = _MASKS.get(src.column(canon).pii)
        text = "" if value is None else str(value)
        if canon is None:
            # Not a contract column: masked when its header names a personal number (GMSFHM,
            # 联系电话) or its value is shaped like one.
            kind = header_pii(header) or value_pii(text)
            mask = _MASKS.get(kind) if kind else None
        masked[header] = mask(text.strip()) if mask and text.strip() else text
    return masked


def quarantine_frame(
    ws: Workspace,
    *,
    run_ids: Sequence[int] | None = None,
    source: str | None = None,
    detail: bool = False,
) -> pd.DataFrame:
    """Every quarantined row of the runs: ``source,file,line,column,reason``, then the row's
    own fields (union of headers in order of appearance, masked); ``detail`` adds a last
    column saying why; ``source`` keeps one source's rows (and so only its headers). A row
    header that repeats a fixed column name gets a ``(原列)`` suffix."""
    with ws.engine.connect() as conn:
        ids = [r["id"] for r in _runs(conn, run_ids) if source is None or r["source"] == source]
        rows = (
            conn.execute(
                select(_QUARANTINE)
                .where(_QUARANTINE.c.run_id.in_(ids))
                .order_by(_QUARANTINE.c.run_id, _QUARANTINE.c.line)
            )
            .mappings()
            .all()
        )
    reserved = {*QUARANTINE_COLUMNS, "detail"}
    records: list[dict[str, Any]] = []
    fields: dict[str, None] = {}
    for q in rows:
        own = {
            (f"{h}(原列)" if h in reserved else h): v
            for h, v in mask_row(q["source"], q["row"] or {}).items()
        }
        fields.update(dict.fromkeys(own))
        records.append(
            {
                "source": q["source"],
                "file": q["file_name"],
                "line": q["line"],
                "column": q["column"] or "",
                "reason": q["reason"],
                **own,
                "detail": q["detail"] or "",
            }
        )
    columns = [*QUARANTINE_COLUMNS, *fields, *(["detail"] if detail else [])]
    return pd.DataFrame(records, columns=columns).fillna("")
