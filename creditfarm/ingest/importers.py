"""Import county exports: validate, link, quarantine, upsert. One transaction per file.

Per file: read (``readers``), parse each cell (``normalize``), check resident IDs, resolve
villages and link persons (``linkage``), merge duplicates by natural key (last wins), then write
everything in one SQL transaction with Core bulk upserts. Payments go to the Parquet store,
staged inside the transaction and committed only after SQL commits. Any unexpected error rolls
the file back and records the run as failed with its message. A file whose sha256 was already
imported (status ``done``) is skipped as ``unchanged``; a newer export upserts by natural key.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Connection

from creditfarm.identity import birth_date_from_id, check_id, gender_from_id, mask_card
from creditfarm.ingest.contract import GOVERNMENT_SOURCES, SOURCES, Column, Source
from creditfarm.ingest.linkage import (
    KeyHasher,
    VillageResolver,
    card_persons,
    direction_for,
    person_households,
    relink_archives,
)
from creditfarm.ingest.normalize import (
    ValueProblem,
    normalize_cell,
    parse_amount,
    parse_code,
    parse_date,
    parse_datetime,
    parse_int,
    parse_number,
    parse_text,
)
from creditfarm.ingest.placement import place_file
from creditfarm.ingest.readers import RawRow, RawTable, ReadError, read_table
from creditfarm.storage.models import (
    Archive,
    Blacklist,
    Card,
    GovRecord,
    Household,
    ImportRun,
    Loan,
    Person,
    Point,
    QuarantineRow,
    Region,
)
from creditfarm.storage.paystore import StagedWrite, stage_payments
from creditfarm.workspace import Workspace

__all__ = [
    "CANDIDATE_SUFFIXES",
    "IMPORT_ORDER",
    "REASONS",
    "UNPLACED",
    "WARNINGS",
    "IngestError",
    "ProgressFn",
    "ingest_file",
    "ingest_folder",
]

# progress(done, total, label): called before each file and once at the end.
ProgressFn = Callable[[int, int, str], None]

# Dependency order: villages before anything that names one, 户籍 before what links to it,
# cards before the payments they link.
IMPORT_ORDER: tuple[str, ...] = (
    "regions",
    "points",
    "hukou",
    "cards",
    "archive",
    *GOVERNMENT_SOURCES,
    "loans",
    "blacklist",
    "payments",
)
# Files a folder import looks at (.xls/.xlsm are reported as unsupported, not skipped); other
# files (README.md, notes) are not exports. A .txt that is not a placeable export is reported.
CANDIDATE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm")
UNPLACED = "unplaced"  # source of the failed run recorded for a file that cannot be placed

# Stable quarantine reason codes and what they mean (Chinese: shown to users).
REASONS: dict[str, str] = {
    "missing_required": "必填项为空",
    "id_format": "身份证号格式错误",
    "id_date": "身份证号出生日期无效",
    "id_checksum": "身份证号校验位错误",
    "id_excel_number": "身份证号以 Excel 数字存储，末位可能已丢失",
    "bad_amount": "金额无法识别",
    "bad_number": "数值无法识别",
    "bad_date": "日期无法识别",
    "bad_code": "代码格式错误",
    "card_format": "卡号格式错误",
    "card_excel_number": "卡号以 Excel 数字存储，末位可能已丢失",
    "unknown_village": "村代码或村名不在行政区划中",
    "unknown_card": "卡号不在卡户对照中",
    "duplicate_conflict": "同一主键的记录内容冲突（保留最后一条）",
}
# Warning codes: rows kept, but counted so the import report can point at them.
WARNINGS: dict[str, str] = {
    "id_upgraded_15_to_18": "15 位旧身份证号已升为 18 位",
    "id_unknown_region": "身份证号地区码未知（仍接受）",
    "unknown_point": "交易的服务点不在服务点表中",
    "payment_extra_columns_not_stored": "交易流水的额外列未保存",
    "head_name_differs_from_hukou": "档案姓名与户籍不一致",
    "village_differs_from_hukou": "档案村代码与户籍不一致",
}
# Fields that identify the thing a natural key names: two rows with the same key that differ
# here are not an update but a conflict (e.g. one ID, two different names).
_IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "hukou": ("name",),
    "archive": ("head_name",),
    "cards": ("id_number",),
    "loans": ("id_number", "issue_date", "amount"),
    "payments": ("amount", "txn_time", "id_number", "card_no"),
}
_SCI_NOTATION = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_CARD_RE = re.compile(r"^\d{12,19}$")
_VILLAGE_CODE_RE = re.compile(r"^\d{12}$")
_HEAD_RELATIONS = {"户主", "本人"}
_CHUNK = 5000
_HOUSEHOLD = Household.__table__  # type: ignore[attr-defined]
_POINT = Point.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]


class IngestError(Exception):
    """A folder that cannot be imported at all (missing or unreadable)."""


@dataclass
class _Problem:
    column: str | None
    reason: str
    detail: str = ""


@dataclass
class _Outcome:
    """What one file's rows became."""

    rows_read: int = 0
    accepted: int = 0
    merged: int = 0
    linked: int = 0
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)
    payments: pd.DataFrame | None = None

    def reject(self, row: RawRow, problems: Sequence[_Problem], table: RawTable) -> None:
        first = problems[0]
        others = "；".join(f"{p.column}: {p.reason}" for p in problems[1:])
        detail = first.detail + (f"（另有: {others}）" if others else "")
        self.quarantine.append(
            {
                "source": table.source.name,
                "file_name": table.path.name,
                "line": row.line,
                "column": first.column,
                "reason": first.reason,
                "detail": detail or None,
                "row": dict(row.values),
            }
        )


# ---------------------------------------------------------------- cell parsing


def _parse_id(text: str, numeric: bool, warnings: Counter[str]) -> str | None:
    value = normalize_cell(text)
    if numeric or _SCI_NOTATION.match(value):
        raise ValueProblem(
            "id_excel_number", "身份证号被存为数字，可能已丢失末位，请以文本重新导出"
        )
    if parse_text(value) is None:
        return None
    checked = check_id(value)
    if not checked.ok:
        raise ValueProblem(checked.error or "id_format", REASONS.get(checked.error or "", ""))
    warnings.update(checked.warnings)
    return checked.normalized


def _parse_cell(col: Column, text: str, numeric: bool, scale: float, warnings: Counter[str]) -> Any:
    kind = col.type
    if kind == "id":
        return _parse_id(text, numeric, warnings)
    if kind == "text":
        return parse_text(text)
    if kind == "code":
        return parse_code(text)
    if kind == "amount":
        return parse_amount(text, scale=scale)
    if kind == "number":
        return parse_number(text, scale=scale)
    if kind == "int":
        return parse_int(text, scale=scale)
    if kind == "date":
        return parse_date(text)
    if kind == "datetime":
        return parse_datetime(text)
    raise AssertionError(kind)


def _parse_rows(
    table: RawTable, out: _Outcome
) -> list[tuple[RawRow, dict[str, Any], dict[str, str]]]:
    """Parsed rows (raw row, canonical values, extra attributes); failures are quarantined."""
    src = table.source
    plan = [
        (header, src.column(canon), table.scales.get(canon, 1.0))
        for header, canon in table.mapping.items()
    ]
    header_of = {canon: header for header, canon in table.mapping.items()}
    parsed_rows = []
    for row in table.rows:
        values: dict[str, Any] = {c.name: None for c in src.columns}
        problems: list[_Problem] = []
        for header, col, scale in plan:
            try:
                values[col.name] = _parse_cell(
                    col, row.values.get(header, ""), header in row.numeric, scale, out.warnings
                )
            except ValueProblem as exc:
                problems.append(_Problem(header, exc.reason, exc.detail))
        failed = {p.column for p in problems}
        for col in src.columns:
            named = header_of.get(col.name)
            if col.required and values[col.name] is None and named and named not in failed:
                problems.append(_Problem(named, "missing_required", f"{col.name} 为空"))
        for group in src.one_of:
            if all(values[name] is None for name in group) and not problems:
                problems.append(_Problem("|".join(group), "missing_required", "这些列至少要填一列"))
        if problems:
            out.reject(row, problems, table)
            continue
        extra = {
            header: normalize_cell(row.values[header])
            for header in table.extra_headers
            if parse_text(row.values.get(header, "")) is not None
        }
        parsed_rows.append((row, values, extra))
    return parsed_rows


def _merge_duplicates(
    table: RawTable,
    rows: list[tuple[RawRow, dict[str, Any], dict[str, str]]],
    out: _Outcome,
) -> list[tuple[RawRow, dict[str, Any], dict[str, str]]]:
    """One row per natural key, the last one winning; a loser that differs from the winner in
    an identity field is quarantined as ``duplicate_conflict``, the others counted as merged."""
    src = table.source
    last: dict[tuple[Any, ...], int] = {}
    for idx, (_, values, _) in enumerate(rows):
        last[tuple(values[k] for k in src.key)] = idx
    identity = _IDENTITY_FIELDS.get(src.name, ())
    kept = []
    for idx, item in enumerate(rows):
        row, values, _ = item
        winner_idx = last[tuple(values[k] for k in src.key)]
        if winner_idx == idx:
            kept.append(item)
            continue
        winner = rows[winner_idx]
        differs = [f for f in identity if values.get(f) != winner[1].get(f)]
        if differs:
            header = table.header_for(differs[0]) or differs[0]
            detail = f"与第 {winner[0].line} 行主键相同但 {'、'.join(differs)} 不同"
            out.reject(row, [_Problem(header, "duplicate_conflict", detail)], table)
        else:
            out.merged += 1
    return kept


# ---------------------------------------------------------------- writes


def _upsert(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    *,
    keep_when_null: Iterable[str] = (),
) -> None:
    """Insert ``rows``; rows whose key exists replace the stored values (dialect upsert)."""
    if not rows:
        return
    stmt: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    keep = set(keep_when_null)
    set_ = {
        name: (
            func.coalesce(stmt.excluded[name], table.c[name])
            if name in keep
            else stmt.excluded[name]
        )
        for name in rows[0]
        if name not in keys
    }
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=set_)
    for start in range(0, len(rows), _CHUNK):
        conn.execute(stmt, rows[start : start + _CHUNK])


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _village(
    resolver: VillageResolver, values: dict[str, Any], table: RawTable
) -> tuple[str | None, _Problem | None, bool]:
    """(code, problem, given): the row's village, resolved through regions when it names one."""
    code = values.get("village_code")
    town, village = values.get("town_name"), values.get("village_name")
    if not code and not village:
        return None, None, False
    found, why = resolver.resolve(code, town, village)
    if found is None:
        header = table.header_for("village_code" if code else "village_name") or "village_code"
        return None, _Problem(header, "unknown_village", why), True
    return found, None, True


def _card(
    values: dict[str, Any], row: RawRow, table: RawTable
) -> tuple[str | None, _Problem | None]:
    raw = values.get("card_no")
    if raw is None:
        return None, None
    header = table.header_for("card_no") or "card_no"
    card = re.sub(r"[\s-]", "", raw)
    if header in row.numeric and len(card) >= 16:
        return None, _Problem(header, "card_excel_number", REASONS["card_excel_number"])
    if not _CARD_RE.match(card):
        return None, _Problem(header, "card_format", "卡号应为 12–19 位数字")
    return card, None


Rows = list[tuple[RawRow, dict[str, Any], dict[str, str]]]


def _import_regions(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    records = []
    for row, v, extra in rows:
        if not _VILLAGE_CODE_RE.match(v["village_code"]):
            header = table.header_for("village_code") or "village_code"
            out.reject(row, [_Problem(header, "bad_code", "村代码应为 12 位统计用区划代码")], table)
            continue
        records.append(
            {
                "village_code": v["village_code"],
                "village_name": v["village_name"],
                "town_code": v["town_code"] or v["village_code"][:9],
                "town_name": v["town_name"],
                "county_code": v["county_code"] or v["village_code"][:6],
                "county_name": v["county_name"],
                "extra": extra,
                "run_id": run_id,
            }
        )
    _upsert(conn, Region.__table__, records, ["village_code"])  # type: ignore[attr-defined]
    out.accepted = len(records)


def _import_points(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    resolver = VillageResolver.load(conn)
    records = []
    for row, v, extra in rows:
        code, problem, _ = _village(resolver, v, table)
        if problem:
            out.reject(row, [problem], table)
            continue
        records.append(
            {
                "point_id": v["point_id"],
                "village_code": code,
                "opened_date": v["opened_date"],
                "operator": v["operator"],
                "status": v["status"],
                "extra": extra,
                "run_id": run_id,
            }
        )
    _upsert(conn, Point.__table__, records, ["point_id"])  # type: ignore[attr-defined]
    out.accepted = len(records)


def _import_hukou(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    resolver = VillageResolver.load(conn)
    hasher = KeyHasher(ws.secret)
    persons: list[dict[str, Any]] = []
    households: dict[str, dict[str, Any]] = {}
    for row, v, extra in rows:
        code, problem, given = _village(resolver, v, table)
        if problem or not given:
            problem = problem or _Problem("village_code", "missing_required", "缺少村代码和村名")
            out.reject(row, [problem], table)
            continue
        id_number = v["id_number"]
        key = hasher(id_number)
        is_head = normalize_cell(v["relation_to_head"]) in _HEAD_RELATIONS
        hh = households.setdefault(
            v["household_no"],
            {
                "household_no": v["household_no"],
                "village_code": code,
                "head_person_key": None,
                "run_id": run_id,
            },
        )
        if is_head:
            hh["head_person_key"], hh["village_code"] = key, code
        persons.append(
            {
                "person_key": key,
                "id_number": id_number,
                "name": v["name"],
                "household_no": v["household_no"],
                "relation_to_head": v["relation_to_head"],
                "village_code": code,
                "birth_date": v["birth_date"] or birth_date_from_id(id_number),
                "gender": v["gender"] or gender_from_id(id_number),
                "ethnicity": v["ethnicity"],
                "extra": extra,
                "run_id": run_id,
            }
        )
    _upsert(
        conn,
        Household.__table__,  # type: ignore[attr-defined]
        list(households.values()),
        ["household_no"],
        keep_when_null=["head_person_key"],
    )
    _upsert(conn, Person.__table__, persons, ["person_key"])  # type: ignore[attr-defined]
    relink_archives(conn)
    out.accepted = out.linked = len(persons)


def _import_archive(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    resolver = VillageResolver.load(conn)
    hasher = KeyHasher(ws.secret)
    member_of = person_households(conn)
    village_of: dict[str | None, str | None] = {
        no: code
        for no, code in conn.execute(select(_HOUSEHOLD.c.household_no, _HOUSEHOLD.c.village_code))
    }
    name_of: dict[str, str] = {
        key: name for key, name in conn.execute(select(_PERSON.c.person_key, _PERSON.c.name))
    }
    numeric = [c.name for c in table.source.columns if c.type in ("amount", "number", "int")]
    texts = [
        "archive_id",
        "head_name",
        "phone",
        "head_education",
        "main_industry",
        "main_crops",
        "house_type",
        "village_evaluation",
        "collector",
    ]
    records = []
    for row, v, extra in rows:
        code, problem, _ = _village(resolver, v, table)
        if problem:
            out.reject(row, [problem], table)
            continue
        key = hasher(v["head_id_number"])
        household = member_of.get(key)
        record = {name: v[name] for name in (*texts, *numeric)}
        record.update(
            head_person_key=key,
            household_no=household,
            filed_date=v["filed_date"],
            village_code=code or village_of.get(household),
            extra=extra,
            run_id=run_id,
        )
        records.append(record)
        out.linked += household is not None
        if household is not None and name_of.get(key) != v["head_name"]:
            # Same ID, another name than 户籍 gives: kept (the ID is the key) but counted.
            out.warnings["head_name_differs_from_hukou"] += 1
        if code and household is not None and village_of.get(household) != code:
            out.warnings["village_differs_from_hukou"] += 1
    _upsert(conn, Archive.__table__, records, ["head_person_key"])  # type: ignore[attr-defined]
    out.accepted = len(records)


def _import_cards(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    hasher = KeyHasher(ws.secret)
    known = person_households(conn)
    records = []
    for row, v, extra in rows:
        card, problem = _card(v, row, table)
        if problem or card is None:
            out.reject(row, [problem or _Problem("card_no", "missing_required")], table)
            continue
        person = hasher(v["id_number"])
        records.append(
            {
                "card_key": hasher(card),
                "card_masked": mask_card(card),
                "person_key": person,
                "extra": extra,
                "run_id": run_id,
            }
        )
        out.linked += known.get(person) is not None
    _upsert(conn, Card.__table__, records, ["card_key"])  # type: ignore[attr-defined]
    out.accepted = len(records)


def _natural_key(src: Source, values: dict[str, Any], secret: str) -> str:
    joined = "|".join(str(_json_value(values[k]) or "") for k in src.key)
    return hashlib.sha256(f"{secret}|{src.name}|{joined}".encode()).hexdigest()


def _import_government(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    src = table.source
    hasher = KeyHasher(ws.secret)
    known = person_households(conn)
    date_cols = [c.name for c in src.columns if c.type == "date"]
    records = []
    for _, v, extra in rows:
        person = hasher(v["id_number"])
        records.append(
            {
                "source": src.name,
                "natural_key": _natural_key(src, v, ws.secret),
                "person_key": person,
                "record_date": v[date_cols[0]] if date_cols else None,
                "data": {k: _json_value(x) for k, x in v.items() if k != "id_number"},
                "extra": extra,
                "run_id": run_id,
            }
        )
        out.linked += known.get(person) is not None
    _upsert(conn, GovRecord.__table__, records, ["source", "natural_key"])  # type: ignore[attr-defined]
    out.accepted = len(records)


def _import_loans(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    hasher = KeyHasher(ws.secret)
    known = person_households(conn)
    fields = (
        "product",
        "issue_date",
        "maturity_date",
        "amount",
        "balance",
        "max_days_overdue",
        "classification",
        "status",
    )
    records = []
    for _, v, extra in rows:
        person = hasher(v["id_number"])
        record = {"loan_id": v["loan_id"], "person_key": person, **{f: v[f] for f in fields}}
        record.update(extra=extra, run_id=run_id)
        records.append(record)
        out.linked += known.get(person) is not None
    _upsert(conn, Loan.__table__, records, ["loan_id"])  # type: ignore[attr-defined]
    out.accepted = len(records)


def _import_blacklist(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    hasher = KeyHasher(ws.secret)
    known = person_households(conn)
    records = []
    for _, v, extra in rows:
        person = hasher(v["id_number"])
        records.append(
            {
                "person_key": person,
                "listed_date": v["listed_date"],
                "reason": v["reason"],
                "extra": extra,
                "run_id": run_id,
            }
        )
        out.linked += known.get(person) is not None
    _upsert(conn, Blacklist.__table__, records, ["person_key"])  # type: ignore[attr-defined]
    out.accepted = len(records)


def _import_payments(
    conn: Connection, ws: Workspace, table: RawTable, rows: Rows, out: _Outcome, run_id: int
) -> None:
    hasher = KeyHasher(ws.secret)
    known = person_households(conn)
    cards = card_persons(conn)
    points = set(conn.execute(select(_POINT.c.point_id)).scalars())
    records = []
    for row, v, extra in rows:
        card, problem = _card(v, row, table)
        if problem:
            out.reject(row, [problem], table)
            continue
        card_key = hasher(card) if card else None
        person: str | None = hasher(v["id_number"]) if v["id_number"] else None
        if person is None:
            person = cards.get(card_key) if card_key else None
            if person is None:
                header = table.header_for("card_no") or "card_no"
                out.reject(row, [_Problem(header, "unknown_card", REASONS["unknown_card"])], table)
                continue
        if points and v["point_id"] not in points:
            out.warnings["unknown_point"] += 1
        if extra:
            out.warnings["payment_extra_columns_not_stored"] += 1
        records.append(
            {
                "txn_id": v["txn_id"],
                "point_id": v["point_id"],
                "txn_time": v["txn_time"],
                "txn_type": v["txn_type"],
                "amount": v["amount"],
                "status": v["status"],
                "person_key": person,
                "card_key": card_key,
                "point_village_code": v["point_village_code"],
                "bill_category": v["bill_category"],
                "direction": direction_for(v["txn_type"], v["direction"]),
                "run_id": run_id,
            }
        )
        out.linked += known.get(person) is not None
    out.payments = pd.DataFrame.from_records(records) if records else None
    out.accepted = len(records)


_IMPORTERS: dict[str, Callable[..., None]] = {
    "regions": _import_regions,
    "points": _import_points,
    "hukou": _import_hukou,
    "archive": _import_archive,
    "cards": _import_cards,
    "loans": _import_loans,
    "blacklist": _import_blacklist,
    "payments": _import_payments,
    **{name: _import_government for name in GOVERNMENT_SOURCES},
}


# ---------------------------------------------------------------- runs


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _utcnow() -> datetime:
    return datetime.now(UTC)


_RUN = ImportRun.__table__  # type: ignore[attr-defined]


def _insert_run(conn: Connection, **values: Any) -> int:
    row: dict[str, Any] = {
        "started_at": _utcnow(),
        "finished_at": None,
        "status": "running",
        "rows_read": 0,
        "rows_accepted": 0,
        "rows_quarantined": 0,
        "duplicates_merged": 0,
        "rows_linked": 0,
        "warnings": {},
        "message": None,
    }
    row.update(values)
    inserted = conn.execute(insert(_RUN).values(**row)).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def _load_run(ws: Workspace, run_id: int) -> ImportRun:
    with ws.engine.connect() as conn:
        row = conn.execute(select(_RUN).where(_RUN.c.id == run_id)).mappings().one()
    return ImportRun(**dict(row))


def _record_failed(ws: Workspace, source: str, path: Path, sha: str, message: str) -> ImportRun:
    with ws.engine.begin() as conn:
        run_id = _insert_run(
            conn,
            source=source,
            file_name=path.name,
            file_sha256=sha,
            status="failed",
            finished_at=_utcnow(),
            message=message,
        )
    return _load_run(ws, run_id)


def _finish_run(conn: Connection, run_id: int, out: _Outcome) -> None:
    conn.execute(
        update(_RUN)
        .where(_RUN.c.id == run_id)
        .values(
            status="done",
            finished_at=_utcnow(),
            rows_read=out.rows_read,
            rows_accepted=out.accepted,
            rows_quarantined=len(out.quarantine),
            duplicates_merged=out.merged,
            rows_linked=out.linked,
            warnings=dict(out.warnings),
        )
    )


def _import_table(conn: Connection, ws: Workspace, table: RawTable, run_id: int) -> _Outcome:
    out = _Outcome(rows_read=len(table.rows))
    parsed = _parse_rows(table, out)
    kept = _merge_duplicates(table, parsed, out)
    _IMPORTERS[table.source.name](conn, ws, table, kept, out, run_id)
    if out.quarantine:
        for item in out.quarantine:
            item["run_id"] = run_id
        for start in range(0, len(out.quarantine), _CHUNK):
            conn.execute(insert(QuarantineRow.__table__), out.quarantine[start : start + _CHUNK])  # type: ignore[attr-defined]
    return out


def ingest_file(ws: Workspace, path: Path, *, source: str | Source | None = None) -> ImportRun:
    """Import one file as ``source`` (placed by name/headers when None): all or nothing."""
    path = Path(path)
    sha = _sha256(path)
    if isinstance(source, str):
        source = SOURCES[source]
    if source is None:
        placed = place_file(path)
        if placed.source is None:
            return _record_failed(ws, UNPLACED, path, sha, f"{path.name}: {placed.message}")
        source = placed.source
    with ws.engine.connect() as conn:
        earlier = conn.execute(
            select(_RUN.c.id)
            .where(_RUN.c.file_sha256 == sha, _RUN.c.source == source.name, _RUN.c.status == "done")
            .order_by(_RUN.c.id.desc())
        ).first()
    if earlier is not None:
        with ws.engine.begin() as conn:
            run_id = _insert_run(
                conn,
                source=source.name,
                file_name=path.name,
                file_sha256=sha,
                status="unchanged",
                finished_at=_utcnow(),
                message=f"与第 {earlier[0]} 次导入的文件内容相同，未作改动",
            )
        return _load_run(ws, run_id)
    try:
        table = read_table(path, source=source)
    except ReadError as exc:
        return _record_failed(ws, source.name, path, sha, str(exc))
    staged: StagedWrite | None = None
    try:
        with ws.engine.begin() as conn:
            run_id = _insert_run(conn, source=source.name, file_name=path.name, file_sha256=sha)
            out = _import_table(conn, ws, table, run_id)
            if out.payments is not None:
                staged = stage_payments(ws.payments_root, out.payments)
            _finish_run(conn, run_id, out)
    except Exception as exc:  # anything unexpected: the whole file is rolled back
        if staged is not None:
            staged.abort()
        return _record_failed(
            ws, source.name, path, sha, f"{path.name}: 导入失败，已整体回滚: {exc}"
        )
    if staged is not None:
        staged.commit()
    return _load_run(ws, run_id)


def _candidates(folder: Path) -> list[Path]:
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue  # hidden files, Office lock files
        if path.is_file() and path.suffix.lower() in CANDIDATE_SUFFIXES:
            files.append(path)
    return files


def ingest_folder(
    ws: Workspace, folder: Path, *, progress: ProgressFn | None = None
) -> list[ImportRun]:
    """Import every export in ``folder`` (and its sub-folders) in dependency order. A file that
    cannot be placed or read is recorded as a failed run; the others still import."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IngestError(f"{folder}: 目录不存在或不是目录")
    try:
        files = _candidates(folder)
    except OSError as exc:
        raise IngestError(f"{folder}: 目录不可读: {exc}") from None
    placed: list[tuple[int, Path, Source | None, str]] = []
    for path in files:
        folders = tuple(reversed(path.relative_to(folder).parts[:-1]))
        placement = place_file(path, folders=folders)
        order = IMPORT_ORDER.index(placement.source.name) if placement.source else len(IMPORT_ORDER)
        placed.append((order, path, placement.source, placement.message))
    placed.sort(key=lambda item: (item[0], str(item[1])))
    runs: list[ImportRun] = []
    for done, (_, path, src, message) in enumerate(placed):
        if progress:
            progress(done, len(placed), path.name)
        if src is None:
            runs.append(
                _record_failed(ws, UNPLACED, path, _sha256(path), f"{path.name}: {message}")
            )
        else:
            runs.append(ingest_file(ws, path, source=src))
    if progress:
        progress(len(placed), len(placed), "")
    return runs
