"""Rows of text cells → typed values, or a ``Problem`` (file, line, column, reason) that
quarantines the row; then one row per natural key.

Each cell is parsed by its contract type (``normalize`` does the values; resident IDs are
checked here, and flagged when an Excel number may have lost digits). A row missing a required
value, or all of an either/or group, is quarantined. Duplicates by natural key: the last row
wins; a loser that names another person or thing than the winner is a conflict. Nothing here
touches the database.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, NamedTuple

from creditfarm.identity import check_id
from creditfarm.ingest.contract import Column
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
from creditfarm.ingest.outcome import REASONS, Outcome, Problem
from tests.helpers.rowwise.readers import RawRow, RawTable

__all__ = ["IDENTITY_FIELDS", "ParsedRow", "check_card", "merge_duplicates", "parse_rows"]

# Fields that identify the thing a natural key names: two rows with the same key that differ
# here are not an update but a conflict (e.g. one ID, two different names).
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "hukou": ("name",),
    "archive": ("head_name",),
    "cards": ("id_number",),
    "loans": ("id_number", "issue_date", "amount"),
    "payments": ("amount", "txn_time", "id_number", "card_no"),
}
_SCI_NOTATION = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_CARD_RE = re.compile(r"^\d{12,19}$")


class ParsedRow(NamedTuple):
    row: RawRow  # as read: line and raw text, for quarantine
    values: dict[str, Any]  # canonical column → typed value (None: empty or absent)
    extra: dict[str, str]  # non-contract header → text, kept as extra attributes


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


def parse_rows(table: RawTable, out: Outcome) -> list[ParsedRow]:
    """The rows whose every cell parses and whose required values are there; the others are
    quarantined in ``out`` (under their first problem; ID warnings are counted there too)."""
    src = table.source
    plan = [
        (header, src.column(canon), table.scales.get(canon, 1.0))
        for header, canon in table.mapping.items()
    ]
    header_of = {canon: header for header, canon in table.mapping.items()}
    parsed_rows = []
    for row in table.rows:
        values: dict[str, Any] = {c.name: None for c in src.columns}
        problems: list[Problem] = []
        for header, col, scale in plan:
            try:
                values[col.name] = _parse_cell(
                    col, row.values.get(header, ""), header in row.numeric, scale, out.warnings
                )
            except ValueProblem as exc:
                problems.append(Problem(header, exc.reason, exc.detail))
        failed = {p.column for p in problems}
        for col in src.columns:
            named = header_of.get(col.name)
            if col.required and values[col.name] is None and named and named not in failed:
                problems.append(Problem(named, "missing_required", f"{col.name} 为空"))
        for group in src.one_of:
            if all(values[name] is None for name in group) and not problems:
                problems.append(Problem("|".join(group), "missing_required", "这些列至少要填一列"))
        if problems:
            out.reject(row, problems, table)
            continue
        extra = {
            header: normalize_cell(row.values[header])
            for header in table.extra_headers
            if parse_text(row.values.get(header, "")) is not None
        }
        parsed_rows.append(ParsedRow(row, values, extra))
    return parsed_rows


def merge_duplicates(table: RawTable, rows: list[ParsedRow], out: Outcome) -> list[ParsedRow]:
    """One row per natural key, the last one winning; a loser that differs from the winner in
    an identity field is quarantined as ``duplicate_conflict``, the others counted as merged."""
    src = table.source
    last: dict[tuple[Any, ...], int] = {}
    for idx, parsed in enumerate(rows):
        last[tuple(parsed.values[k] for k in src.key)] = idx
    identity = IDENTITY_FIELDS.get(src.name, ())
    kept = []
    for idx, parsed in enumerate(rows):
        winner_idx = last[tuple(parsed.values[k] for k in src.key)]
        if winner_idx == idx:
            kept.append(parsed)
            continue
        winner = rows[winner_idx]
        differs = [f for f in identity if parsed.values.get(f) != winner.values.get(f)]
        if differs:
            header = table.header_for(differs[0]) or differs[0]
            detail = f"与第 {winner.row.line} 行主键相同但 {'、'.join(differs)} 不同"
            out.reject(parsed.row, [Problem(header, "duplicate_conflict", detail)], table)
        else:
            out.merged += 1
    return kept


def check_card(
    values: dict[str, Any], row: RawRow, table: RawTable
) -> tuple[str | None, Problem | None]:
    """(card number without spaces or dashes, None), (None, None) when the row has none, or
    (None, problem): not 12–19 digits, or a long number Excel stored as a double."""
    raw = values.get("card_no")
    if raw is None:
        return None, None
    header = table.header_for("card_no") or "card_no"
    card = re.sub(r"[\s-]", "", raw)
    if header in row.numeric and len(card) >= 16:
        return None, Problem(header, "card_excel_number", REASONS["card_excel_number"])
    if not _CARD_RE.match(card):
        return None, Problem(header, "card_format", "卡号应为 12–19 位数字")
    return card, None
