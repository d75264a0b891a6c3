"""Batches of text cells → typed columns, or a ``Problem`` (file, line, column, reason) that
quarantines the row; then one row per natural key.

Each column is parsed by its contract type (``columns``: whole columns at once; resident IDs
are checked there, and flagged when an Excel number may have lost digits). A row missing a
required value, or all of an either/or group, is quarantined. Only a row that fails is looked
at on its own: ``row_problems`` parses it cell by cell to say why, in the words the quarantine
has always used. Duplicates by natural key: the last row wins; a loser that names another
person or thing than the winner is a conflict. Nothing here touches the SQL database.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditfarm.ingest.columns import ARROW_TYPES, ID_WARNINGS, parse_cell, parse_column
from creditfarm.ingest.contract import Column
from creditfarm.ingest.normalize import ValueProblem, normalize_cell, parse_text
from creditfarm.ingest.outcome import PII_WARNING, REASONS, Outcome, Problem
from creditfarm.ingest.pii import header_pii, personal_cells, value_pii
from creditfarm.ingest.plausible import check_value, implausible
from creditfarm.ingest.readers import CellBatch, RawRow, ReadError, TableReader
from creditfarm.ingest.rowstore import RowStore
from creditfarm.storage import json_text

__all__ = [
    "CARD_NUMERIC",
    "EXTRA",
    "IDENTITY_FIELDS",
    "LINE",
    "check_batch",
    "merge_duplicates",
    "row_problems",
    "row_schema",
]

# Fields that identify the thing a natural key names: two rows with the same key that differ
# here are not an update but a conflict (e.g. one ID, two different names).
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "hukou": ("name", "household_no"),  # one person, two households: a conflict, not a move
    "archive": ("head_name",),
    "cards": ("id_number",),
    "loans": ("id_number", "issue_date", "amount"),
    "payments": ("amount", "txn_time", "id_number", "card_no"),
}
LINE = "_line"  # the row's line in the file
EXTRA = "_extra"  # its non-contract cells as JSON text (null: none)
CARD_NUMERIC = "_card_numeric"  # its card number was an Excel number


def row_schema(table: TableReader) -> pa.Schema:
    """Columns of the accepted rows of ``table``: line, every contract column typed, extras,
    and the card's Excel-number flag where the source has a card column."""
    fields = [pa.field(LINE, pa.int64())]
    fields += [pa.field(c.name, ARROW_TYPES[c.type]) for c in table.source.columns]
    fields.append(pa.field(EXTRA, pa.string()))
    if any(c.name == "card_no" for c in table.source.columns):
        fields.append(pa.field(CARD_NUMERIC, pa.bool_()))
    return pa.schema(fields)


def row_problems(table: TableReader, row: RawRow, *, today: date | None = None) -> list[Problem]:
    """Why ``row`` is quarantined, cell by cell: its cells' problems (parse, then
    plausibility on export date ``today``) in header order, then required values missing, then
    an either/or group left empty."""
    today = today or date.today()
    src = table.source
    values: dict[str, Any] = {c.name: None for c in src.columns}
    problems: list[Problem] = []
    unused: Counter[str] = Counter()  # warnings were counted with the column
    for header, canon in table.mapping.items():
        col = src.column(canon)
        try:
            values[canon] = parse_cell(
                col,
                row.values.get(header, ""),
                header in row.numeric,
                table.scales.get(canon, 1.0),
                unused,
            )
            check_value(col, values[canon], today)
        except ValueProblem as exc:
            problems.append(Problem(header, exc.reason, exc.detail))
    header_of = {canon: header for header, canon in table.mapping.items()}
    failed = {p.column for p in problems}
    for col in src.columns:
        named = header_of.get(col.name)
        if col.required and values[col.name] is None and named and named not in failed:
            problems.append(Problem(named, "missing_required", f"{col.name} 为空"))
    for group in src.one_of:
        if all(values[name] is None for name in group) and not problems:
            problems.append(Problem("|".join(group), "missing_required", "这些列至少要填一列"))
    return problems


def _extras(table: TableReader, batch: CellBatch, today: date, out: Outcome) -> list[str | None]:
    """Each row's non-contract cells that hold a value, as JSON text (None: none). Cells of a
    column whose header names an ID, phone or card number, and cells shaped like one, are not
    kept: ``extra_pii_not_stored:<header>`` counts them (the header named for the report)."""
    n = len(batch)
    extra_pos = [
        pos
        for pos, header in enumerate(table.base_headers)
        if header not in table.mapping and header_pii(header) is None
    ]
    for pos, header in enumerate(table.base_headers):
        if header not in table.mapping and header_pii(header) is not None:
            held = int(pc.sum(pc.invert(_stripped_blank(batch.cells[pos]))).as_py() or 0)
            if held:
                out.warnings[f"{PII_WARNING}:{header}"] += held
    texts: list[str | None] = [None] * n
    if extra_pos:
        plain = Column("extra")  # a text cell: NFKC, trimmed, missing markers are empty
        parsed = []
        for pos in extra_pos:
            values = parse_column(plain, batch.cells[pos], today=today).values
            personal = personal_cells(values)
            if personal.any():
                out.warnings[f"{PII_WARNING}:{table.base_headers[pos]}"] += int(personal.sum())
                values = pc.if_else(pa.array(personal), pa.nulls(n, values.type), values)
            parsed.append(values)
        present = np.zeros(n, dtype=bool)
        for values in parsed:
            present |= values.is_valid().to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(present)
        if len(rows):
            taken = pa.array(rows)
            names = [table.base_headers[pos] for pos in extra_pos]
            lists = [values.take(taken).to_pylist() for values in parsed]
            for i, cells in zip(rows, zip(*lists, strict=True), strict=True):
                found = {
                    name: cell for name, cell in zip(names, cells, strict=True) if cell is not None
                }
                texts[i] = json_text.dumps(found)
    base = set(table.base_headers)  # their cells were counted column by column above
    for i, row in batch.wide.items():
        found = {}
        for h in table.extra_headers:
            if parse_text(row.values.get(h, "")) is None:
                continue
            text = normalize_cell(row.values[h])
            if header_pii(h) is not None or value_pii(text) is not None:
                if h not in base:
                    out.warnings[f"{PII_WARNING}:{h}"] += 1
                continue
            found[h] = text
        texts[i] = json_text.dumps(found) if found else None
    return texts


def _stripped_blank(cells: pa.Array) -> pa.Array:
    return pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(cells)), 0), True)


def check_batch(
    table: TableReader, batch: CellBatch, out: Outcome, *, today: date | None = None
) -> pa.Table:
    """The rows of ``batch`` whose every cell parses and whose required values are there, typed
    (``row_schema``); the others are quarantined in ``out`` (under their first problem). ID
    warnings are counted for every row whose ID parses, as a row-by-row parse would."""
    today = today or date.today()
    src = table.source
    n = len(batch)
    failed = np.zeros(n, dtype=bool)
    values: dict[str, pa.Array] = {}
    bad_by: dict[str, np.ndarray] = {}
    for header, canon in table.mapping.items():
        col = src.column(canon)
        pos = table.positions[header]
        parsed = parse_column(
            col, batch.cells[pos], scale=table.scales.get(canon, 1.0), today=today
        )
        too_low, too_high = implausible(col, parsed.values, today)
        bad = parsed.bad | too_low | too_high
        if col.type == "id" and batch.numeric is not None:
            numeric = batch.numeric[pos].to_numpy(zero_copy_only=False)
            bad = bad | numeric  # an ID that was an Excel number is never trusted
            counts = {c: int((parsed.warnings[c] & ~numeric).sum()) for c in ID_WARNINGS}
        else:
            counts = {code: int(flags.sum()) for code, flags in parsed.warnings.items()}
        for code, count in counts.items():
            if count:
                out.warnings[code] += count
        values[canon] = parsed.values
        bad_by[canon] = bad
        failed |= bad
    for col in src.columns:
        if col.required and col.name in values:
            failed |= ~bad_by[col.name] & values[col.name].is_null().to_numpy(zero_copy_only=False)
    for group in src.one_of:
        empty = np.ones(n, dtype=bool)
        for name in group:
            if name in values:
                empty &= values[name].is_null().to_numpy(zero_copy_only=False)
        failed |= empty
    bad_rows = np.flatnonzero(failed)
    if len(out.quarantine) + len(bad_rows) > table.caps.max_rejected_rows:
        raise _junk(table, out, bad_rows, batch, today)
    for index in bad_rows:
        row = table.raw_row(batch, int(index))
        problems = row_problems(table, row, today=today)
        if not problems:
            raise AssertionError(f"{table.path.name} line {row.line}: failed without a problem")
        out.reject(row, problems, table)
    keep = pa.array(~failed)
    schema = row_schema(table)
    columns: list[pa.Array] = [pa.array(batch.lines, pa.int64()).filter(keep)]
    kept = int((~failed).sum())
    for col in src.columns:
        column = values.get(col.name)
        columns.append(
            column.filter(keep) if column is not None else pa.nulls(kept, ARROW_TYPES[col.type])
        )
    columns.append(pa.array(_extras(table, batch, today, out), pa.string()).filter(keep))
    if CARD_NUMERIC in schema.names:
        card_header = table.header_for("card_no")
        if card_header is not None and batch.numeric is not None:
            flags = batch.numeric[table.positions[card_header]]
        else:
            flags = pa.array(np.zeros(n, dtype=bool))
        columns.append(flags.filter(keep))
    return pa.Table.from_arrays(columns, schema=schema)


def _junk(
    table: TableReader, out: Outcome, bad_rows: np.ndarray, batch: CellBatch, today: date
) -> ReadError:
    """The refusal of a file with more rows failing their checks than the limit: junk, or
    the wrong file. Refused whole (the file's transaction rolls back) before its rows fill the
    quarantine and the database; the first failing row is named, so the cause can be seen."""
    if out.quarantine:
        first = out.quarantine[0]
        line, column, reason = first["line"], first["column"], first["reason"]
    else:
        row = table.raw_row(batch, int(bad_rows[0]))
        problem = row_problems(table, row, today=today)[0]
        line, column, reason = row.line, problem.column, problem.reason
    limit = table.caps.max_rejected_rows
    return ReadError(
        f"{table.path.name}: 超过 {limit:,} 行未通过校验（CREDITFARM_MAX_REJECTED_ROWS），"
        f"整个文件未导入；首个问题在第 {line} 行「{column}」列: {REASONS.get(reason, reason)}。"
        "请确认文件是否为该来源的导出"
    )


def merge_duplicates(table: TableReader, rows: RowStore, out: Outcome) -> list[tuple[int, Problem]]:
    """Keep one row per natural key in ``rows``, the last one winning; a loser that differs
    from the winner in an identity field is returned (line, ``duplicate_conflict``) to be
    quarantined, the others are counted as merged."""
    src = table.source
    identity = IDENTITY_FIELDS.get(src.name, ())
    losers = rows.drop_duplicates(src.key, identity)
    conflicts: list[tuple[int, Problem]] = []
    for line, winner_line, differs in losers:
        if differs:
            header = table.header_for(differs[0]) or differs[0]
            detail = f"与第 {winner_line} 行主键相同但 {'、'.join(differs)} 不同"
            conflicts.append((line, Problem(header, "duplicate_conflict", detail)))
        else:
            out.merged += 1
    return conflicts
