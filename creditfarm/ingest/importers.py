"""Per-source record builders: a file's validated rows → the records it writes (a ``Batch``).

Builders work on whole columns in the import's work database (DuckDB, ``rowstore``): they
read what earlier files stored (villages, 户籍 members, cards, points; ``linkage.Lookups``) to
resolve and link, hash IDs and card numbers once per distinct value, defer the rows that
cannot be linked to the quarantine (``Outcome.defer``), and count links and warnings in the
``Outcome``; they write nothing (``write`` does). The sources whose rows each name one person
by resident ID and become one row of one table (cards, loans, blacklist, government records)
are driven by a declarative table, ``PERSON_RECORDS``; regions, points, 户籍, archives and
payments have their own builders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from creditfarm.ingest.contract import GOVERNMENT_SOURCES
from creditfarm.ingest.linkage import (
    KeyHasher,
    Lookups,
    VillageResolver,
    direction_table,
    village_table,
)
from creditfarm.ingest.outcome import REASONS, Outcome, Problem
from creditfarm.ingest.readers import TableReader
from creditfarm.ingest.rowstore import RowStore, quote
from creditfarm.storage import json_text
from creditfarm.storage.models import (
    Archive,
    Blacklist,
    Card,
    GovRecord,
    Household,
    Loan,
    Person,
    Point,
    Region,
)

__all__ = [
    "BUILDERS",
    "PERSON_RECORDS",
    "Batch",
    "Context",
    "PersonRecords",
    "Upsert",
    "build",
    "drop_work_tables",
]

_VILLAGE_CODE_RE = re.compile(r"^\d{12}$")
_CARD_RE = re.compile(r"^\d{12,19}$")
_HEAD_RELATIONS = ("户主", "本人")
_REGION = Region.__table__  # type: ignore[attr-defined]
_POINT = Point.__table__  # type: ignore[attr-defined]
_HOUSEHOLD = Household.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]
_ARCHIVE = Archive.__table__  # type: ignore[attr-defined]


@dataclass
class Context:
    """What a builder works with: the file's SQL transaction (read only here), the work
    database and its lookups, the keyed-hash secret, and the run its records carry."""

    conn: Connection
    secret: str
    run_id: int
    con: duckdb.DuckDBPyConnection
    lookups: Lookups
    payments_root: Path | None = None  # the store, to refuse a re-sent txn_id with other content
    hasher: KeyHasher = field(init=False)

    def __post_init__(self) -> None:
        self.hasher = KeyHasher(self.secret)
        self.hasher.install(self.con)

    def lookup(self, name: str) -> str:
        return self.lookups.table(self.conn, name)

    def sql(self, query: str, **tables: pa.Table) -> pa.Table:
        """``query`` over the work database, with ``tables`` registered by name meanwhile."""
        for name, data in tables.items():
            self.con.register(name, data)
        try:
            return self.con.sql(query).to_arrow_table()
        finally:
            for name in tables:
                self.con.unregister(name)


@dataclass
class Upsert:
    """Records for one table (columns named as the table's), upserted on ``keys``."""

    table: Table
    rows: pa.Table
    keys: tuple[str, ...]
    keep_when_null: tuple[str, ...] = ()  # columns a null must not overwrite


@dataclass
class Batch:
    """Everything one file writes."""

    upserts: list[Upsert] = field(default_factory=list)
    relink_archives: bool = False  # 户籍 changed: point archives at their households again
    payments: str | None = None  # work-database table of payment records, for Parquet


Builder = Callable[[Context, TableReader, RowStore, Outcome], Batch]


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _defer(out: Outcome, rows: pa.Table, problem: Callable[[dict[str, Any]], Problem]) -> None:
    for row in rows.to_pylist():
        out.defer(row["_line"], problem(row))


_PLACE = ("village_code", "town_name", "village_name")


def _place(rows: RowStore, name: str, alias: str = "") -> str:
    """A village column of the rows, or NULL for a source without it (points: code only)."""
    if name in rows.schema.names:
        return f"{alias}{quote(name)}"
    return "NULL::VARCHAR"


def _villages(ctx: Context, rows: RowStore) -> tuple[pa.Table, str]:
    """The village of each distinct (code, town, village) the rows name (``village_table``),
    and the join that gives each row ``m.found``, ``m.why`` and ``m.given``."""
    columns = ", ".join(_place(rows, name) for name in _PLACE)
    triples = ctx.con.execute(f"SELECT DISTINCT {columns} FROM {rows.name}").fetchall()
    join = "LEFT JOIN vmap m ON " + " AND ".join(
        f"{_place(rows, name, 'r.')} IS NOT DISTINCT FROM m.{name}" for name in _PLACE
    )
    return village_table(VillageResolver.load(ctx.conn), triples), join


def _unknown_village(table: TableReader) -> Callable[[dict[str, Any]], Problem]:
    def problem(row: dict[str, Any]) -> Problem:
        named = "village_code" if row["has_code"] else "village_name"
        return Problem(table.header_for(named) or "village_code", "unknown_village", row["why"])

    return problem


def _keys(ctx: Context, column: str, rows: str, alias: str) -> str:
    """A CTE ``alias`` (v, k): the keyed hash of each distinct non-null ``column`` of
    ``rows`` (computed once per distinct value in the whole import)."""
    cache = ctx.hasher.keys_of(ctx.con, f"SELECT {quote(column)} AS v FROM {rows}")
    return f"{alias} AS (SELECT v, k FROM {cache})"


# ---------------------------------------------------------------- sources with their own rules


def _regions(ctx: Context, table: TableReader, rows: RowStore, out: Outcome) -> Batch:
    codes = [
        r[0] for r in ctx.con.execute(f"SELECT DISTINCT village_code FROM {rows.name}").fetchall()
    ]
    ok = pa.table(
        {
            "village_code": pa.array(codes, pa.string()),
            "ok": pa.array([bool(_VILLAGE_CODE_RE.match(c)) for c in codes], pa.bool_()),
        }
    )
    header = table.header_for("village_code") or "village_code"
    bad = ctx.sql(
        f"SELECT _line FROM {rows.name} JOIN ok USING (village_code) WHERE NOT ok ORDER BY _line",
        ok=ok,
    )
    _defer(out, bad, lambda _: Problem(header, "bad_code", "村代码应为 12 位统计用区划代码"))
    records = ctx.sql(
        f"""SELECT village_code, village_name,
                   coalesce(town_code, substr(village_code, 1, 9)) AS town_code, town_name,
                   coalesce(county_code, substr(village_code, 1, 6)) AS county_code, county_name,
                   coalesce(_extra, '{{}}') AS extra, {ctx.run_id}::BIGINT AS run_id
            FROM {rows.name} JOIN ok USING (village_code) WHERE ok ORDER BY _line""",
        ok=ok,
    )
    out.accepted = records.num_rows
    return Batch([Upsert(_REGION, records, ("village_code",))])


def _points(ctx: Context, table: TableReader, rows: RowStore, out: Outcome) -> Batch:
    vmap, join = _villages(ctx, rows)
    joined = f"""SELECT r.*, m.found, m.why, coalesce(m.given, false) AS given,
                        r.village_code IS NOT NULL AS has_code
                 FROM {rows.name} r {join}"""
    bad = ctx.sql(
        f"SELECT _line, why, has_code FROM ({joined}) WHERE given AND found IS NULL ORDER BY _line",
        vmap=vmap,
    )
    _defer(out, bad, _unknown_village(table))
    records = ctx.sql(
        f"""SELECT point_id, found AS village_code, opened_date, operator, status,
                   coalesce(_extra, '{{}}') AS extra, {ctx.run_id}::BIGINT AS run_id
            FROM ({joined}) WHERE NOT (given AND found IS NULL) ORDER BY _line""",
        vmap=vmap,
    )
    out.accepted = records.num_rows
    return Batch([Upsert(_POINT, records, ("point_id",))])


def _hukou(ctx: Context, table: TableReader, rows: RowStore, out: Outcome) -> Batch:
    vmap, join = _villages(ctx, rows)
    joined = f"""SELECT r.*, m.found, m.why, coalesce(m.given, false) AS given,
                        r.village_code IS NOT NULL AS has_code
                 FROM {rows.name} r {join}"""
    bad = ctx.sql(
        f"SELECT _line, why, has_code, given FROM ({joined}) WHERE found IS NULL ORDER BY _line",
        vmap=vmap,
    )
    unknown = _unknown_village(table)

    def problem(row: dict[str, Any]) -> Problem:
        if not row["given"]:
            return Problem("village_code", "missing_required", "缺少村代码和村名")
        return unknown(row)

    _defer(out, bad, problem)
    ctx.con.register("vmap", vmap)
    try:
        ctx.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE hukou_ok AS
                WITH {_keys(ctx, "id_number", rows.name, "idk")}
                SELECT j._line, j.household_no, j.found AS village_code, idk.k AS person_key,
                       j.relation_to_head IN ('{_HEAD_RELATIONS[0]}', '{_HEAD_RELATIONS[1]}')
                           AS is_head,
                       j.id_number, j.name, j.relation_to_head, j.birth_date, j.gender,
                       j.ethnicity, j._extra
                FROM ({joined}) j JOIN idk ON idk.v = j.id_number
                WHERE j.found IS NOT NULL"""
        )
    finally:
        ctx.con.unregister("vmap")
    _refuse_moves(ctx, table, out)
    try:
        # A household is filed where its first row puts it, unless a head row says where;
        # the last head row wins (rows in file order, as one row after another would).
        households = ctx.sql(
            f"""SELECT household_no,
                       CASE WHEN bool_or(is_head)
                            THEN arg_max(village_code, _line) FILTER (WHERE is_head)
                            ELSE arg_min(village_code, _line) END AS village_code,
                       arg_max(person_key, _line) FILTER (WHERE is_head) AS head_person_key,
                       {ctx.run_id}::BIGINT AS run_id
                FROM hukou_ok GROUP BY household_no ORDER BY min(_line)"""
        )
        persons = ctx.sql(
            f"""SELECT person_key, id_number, name, household_no, relation_to_head, village_code,
                       coalesce(birth_date, make_date(
                           CAST(substr(id_number, 7, 4) AS INTEGER),
                           CAST(substr(id_number, 11, 2) AS INTEGER),
                           CAST(substr(id_number, 13, 2) AS INTEGER))) AS birth_date,
                       coalesce(gender, CASE WHEN CAST(substr(id_number, 17, 1) AS INTEGER) % 2 = 1
                                             THEN '男' ELSE '女' END) AS gender,
                       ethnicity, coalesce(_extra, '{{}}') AS extra, {ctx.run_id}::BIGINT AS run_id
                FROM hukou_ok ORDER BY _line"""
        )
    finally:
        ctx.con.execute("DROP TABLE IF EXISTS hukou_ok")
    out.accepted = out.linked = persons.num_rows
    # A household file without its head's row must not erase the head a former file gave.
    upserts = [
        Upsert(_HOUSEHOLD, households, ("household_no",), keep_when_null=("head_person_key",)),
        Upsert(_PERSON, persons, ("person_key",)),
    ]
    return Batch(upserts, relink_archives=True)


def _refuse_moves(ctx: Context, table: TableReader, out: Outcome) -> None:
    """A person an earlier 户籍 file put in another household is a conflict, not a move: the row
    is quarantined and the person stays where they were (a silent move would change both
    households' villages' filed counts). A person listed in two households of one file is
    caught earlier, as a duplicate key whose 户号 differs."""
    persons = ctx.lookup("persons")
    moved = ctx.sql(
        f"""SELECT h._line, p.household_no AS before FROM hukou_ok h
            JOIN {persons} p ON p.person_key = h.person_key
            WHERE p.household_no IS NOT NULL AND p.household_no <> h.household_no
            ORDER BY h._line"""
    )
    if not moved.num_rows:
        return
    header = table.header_for("household_no") or "household_no"
    _defer(
        out,
        moved,
        lambda row: Problem(
            header,
            "duplicate_conflict",
            f"此人已在户号 {row['before']} 中登记（先前导入），同一人不能属于两户",
        ),
    )
    ctx.con.register("moved", moved)
    try:
        ctx.con.execute("DELETE FROM hukou_ok WHERE _line IN (SELECT _line FROM moved)")
    finally:
        ctx.con.unregister("moved")


_ARCHIVE_TEXTS = (
    "archive_id",
    "head_name",
    "phone",
    "head_education",
    "main_industry",
    "main_crops",
    "house_type",
    "village_evaluation",
    "collector",
)


def _archive(ctx: Context, table: TableReader, rows: RowStore, out: Outcome) -> Batch:
    vmap, join = _villages(ctx, rows)
    persons, households = ctx.lookup("persons"), ctx.lookup("households")
    numeric = [c.name for c in table.source.columns if c.type in ("amount", "number", "int")]
    joined = f"""SELECT r.*, m.found, m.why, coalesce(m.given, false) AS given,
                        r.village_code IS NOT NULL AS has_code
                 FROM {rows.name} r {join}"""
    bad = ctx.sql(
        f"SELECT _line, why, has_code FROM ({joined}) WHERE given AND found IS NULL ORDER BY _line",
        vmap=vmap,
    )
    _defer(out, bad, _unknown_village(table))
    copied = ", ".join(f"j.{quote(name)}" for name in (*_ARCHIVE_TEXTS, *numeric))
    records = ctx.sql(
        f"""WITH {_keys(ctx, "head_id_number", rows.name, "idk")}
            SELECT {copied}, idk.k AS head_person_key, p.household_no AS household_no,
                   j.filed_date, coalesce(j.found, h.village_code) AS village_code,
                   coalesce(j._extra, '{{}}') AS extra, {ctx.run_id}::BIGINT AS run_id,
                   p.household_no IS NOT NULL
                       AND p.name IS DISTINCT FROM j.head_name AS name_differs,
                   j.found IS NOT NULL AND p.household_no IS NOT NULL
                       AND h.village_code IS DISTINCT FROM j.found AS village_differs
            FROM ({joined}) j
            JOIN idk ON idk.v = j.head_id_number
            LEFT JOIN {persons} p ON p.person_key = idk.k
            LEFT JOIN {households} h ON h.household_no = p.household_no
            WHERE NOT (j.given AND j.found IS NULL)
            ORDER BY j._line""",
        vmap=vmap,
    )
    out.linked += int(pc.sum(records["household_no"].is_valid().cast(pa.int64())).as_py() or 0)
    for code, column in (
        ("head_name_differs_from_hukou", "name_differs"),
        ("village_differs_from_hukou", "village_differs"),
    ):
        count = int(pc.sum(records[column].cast(pa.int64())).as_py() or 0)
        if count:
            out.warnings[code] += count
    records = records.drop_columns(["name_differs", "village_differs"])
    out.accepted = records.num_rows
    return Batch([Upsert(_ARCHIVE, records, ("head_person_key",))])


def _card_checks(cards: pa.Array) -> pa.Table:
    """Each distinct card number as ``check_card`` sees it: without spaces or dashes, and
    whether it is 12–19 digits. Plain digit strings are checked as a column; anything else by
    the regular expressions."""
    raw = pc.unique(cards.drop_null())
    digits = pc.match_substring_regex(raw, r"^[0-9]{12,19}$").to_numpy(zero_copy_only=False)
    clean = raw.to_pylist()
    ok = digits.copy()
    for i in np.flatnonzero(~digits):
        clean[i] = re.sub(r"[\s-]", "", clean[i])
        ok[i] = bool(_CARD_RE.match(clean[i]))
    return pa.table(
        {
            "card_no": raw,
            "card": pa.array(clean, pa.string()),
            "card_ok": pa.array(ok, pa.bool_()),
        }
    )


_CARD_PROBLEM = """CASE WHEN r.card_no IS NULL THEN NULL
                        WHEN r._card_numeric AND length(c.card) >= 16 THEN 'card_excel_number'
                        WHEN NOT c.card_ok THEN 'card_format' END"""


def _card_problem(table: TableReader) -> Callable[[dict[str, Any]], Problem]:
    header = table.header_for("card_no") or "card_no"

    def problem(row: dict[str, Any]) -> Problem:
        reason = row["card_problem"]
        if reason == "card_excel_number":
            return Problem(header, reason, REASONS["card_excel_number"])
        if reason == "card_format":
            return Problem(header, reason, "卡号应为 12–19 位数字")
        return Problem(header, "unknown_card", REASONS["unknown_card"])

    return problem


def _payments(ctx: Context, table: TableReader, rows: RowStore, out: Outcome) -> Batch:
    persons, cards, points = ctx.lookup("persons"), ctx.lookup("cards"), ctx.lookup("points")
    checks = _card_checks(
        ctx.con.sql(f"SELECT DISTINCT card_no FROM {rows.name}").to_arrow_table()["card_no"]
    )
    pairs = ctx.con.execute(f"SELECT DISTINCT txn_type, direction FROM {rows.name}").fetchall()
    ctx.con.register("card_checks", checks)
    ctx.con.register("directions", direction_table(pairs))
    try:
        ctx.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pay_linked AS
                WITH {_keys(ctx, "id_number", rows.name, "idk")},
                     {_keys(ctx, "card", "card_checks WHERE card_ok", "cardk")}
                SELECT r._line, r.txn_id, r.point_id, r.txn_time, r.txn_type, r.amount, r.status,
                       r.point_village_code, r.bill_category, d.dir AS direction,
                       r._extra IS NOT NULL AS has_extra,
                       {_CARD_PROBLEM} AS card_problem,
                       CASE WHEN {_CARD_PROBLEM} IS NULL THEN cardk.k END AS card_key,
                       CASE WHEN r.id_number IS NOT NULL THEN idk.k ELSE lc.person_key END
                           AS person_key
                FROM {rows.name} r
                LEFT JOIN card_checks c ON c.card_no = r.card_no
                LEFT JOIN cardk ON cardk.v = c.card
                LEFT JOIN idk ON idk.v = r.id_number
                LEFT JOIN {cards} lc ON lc.card_key = cardk.k
                LEFT JOIN directions d ON d.txn_type IS NOT DISTINCT FROM r.txn_type
                    AND d.direction IS NOT DISTINCT FROM r.direction"""
        )
    finally:
        ctx.con.unregister("card_checks")
        ctx.con.unregister("directions")
    bad = ctx.sql(
        "SELECT _line, card_problem FROM pay_linked "
        "WHERE card_problem IS NOT NULL OR person_key IS NULL ORDER BY _line"
    )
    _defer(out, bad, _card_problem(table))
    if ctx.payments_root is not None:
        _refuse_changed_transactions(ctx, table, out)
    known_points = ctx.con.execute(f"SELECT count(*) FROM {points}").fetchall()[0]
    stats = ctx.con.execute(
        f"""SELECT count(*),
                   count(*) FILTER (WHERE p.household_no IS NOT NULL),
                   count(*) FILTER (WHERE has_extra),
                   count(*) FILTER (WHERE pt.point_id IS NULL)
            FROM pay_linked r
            LEFT JOIN {persons} p ON p.person_key = r.person_key
            LEFT JOIN {points} pt ON pt.point_id = r.point_id
            WHERE r.card_problem IS NULL AND r.person_key IS NOT NULL"""
    ).fetchall()[0]
    accepted, linked, extras, unknown_points = (int(x) for x in stats)
    if known_points[0] and unknown_points:
        out.warnings["unknown_point"] += unknown_points
    if extras:
        out.warnings["payment_extra_columns_not_stored"] += extras
    out.linked += linked
    out.accepted = accepted
    ctx.con.execute(
        f"""CREATE OR REPLACE TEMP VIEW pay_records AS
            SELECT txn_id, point_id, date_trunc('second', txn_time) AS txn_time, txn_type,
                   amount, status, person_key, card_key, point_village_code, bill_category,
                   direction, {ctx.run_id}::BIGINT AS run_id
            FROM pay_linked WHERE card_problem IS NULL AND person_key IS NOT NULL"""
    )
    return Batch(payments="pay_records" if accepted else None)


def _refuse_changed_transactions(ctx: Context, table: TableReader, out: Outcome) -> None:
    """A transaction number already stored with another time, amount, person or card is a
    quarantined conflict: the stored payment stays as it was."""
    from creditfarm.storage.paystore import changed_transactions

    assert ctx.payments_root is not None
    ctx.con.execute(
        "CREATE OR REPLACE TEMP VIEW pay_usable AS SELECT * FROM pay_linked "
        "WHERE card_problem IS NULL AND person_key IS NOT NULL"
    )
    try:
        changed = changed_transactions(ctx.payments_root, ctx.con, "pay_usable")
    finally:
        ctx.con.execute("DROP VIEW IF EXISTS pay_usable")
    if not changed.num_rows:
        return
    header = table.header_for("txn_id") or "txn_id"

    def problem(row: dict[str, Any]) -> Problem:
        stored = f"{row['stored_time']:%Y-%m-%d %H:%M:%S}，金额 {row['stored_amount']:,.2f} 元"
        return Problem(header, "duplicate_conflict", f"该流水号已导入（{stored}），内容不同")

    _defer(out, changed, problem)
    ctx.con.register("changed", changed)
    try:
        ctx.con.execute("DELETE FROM pay_linked WHERE _line IN (SELECT _line FROM changed)")
    finally:
        ctx.con.unregister("changed")


def drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what a builder left in the work database for the writer (payment records)."""
    con.execute("DROP VIEW IF EXISTS pay_records")
    con.execute("DROP TABLE IF EXISTS pay_linked")


# ---------------------------------------------------------------- one person, one row


@dataclass(frozen=True)
class PersonRecords:
    """A source whose rows each name one person by ``id_number`` and become one row of
    ``table``: the ``copied`` contract columns as they are, ``person_key``, the columns
    ``derive`` adds to the rows' query (or the ``Problem`` that quarantines a row), extras
    and the run."""

    table: Table
    keys: tuple[str, ...]
    copied: tuple[str, ...] = ()
    derive: Derive | None = None


# (rows kept, the columns derived for them by name)
Derive = Callable[[Context, TableReader, pa.Table, Outcome], tuple[pa.Table, dict[str, pa.Array]]]


def _card_columns(
    ctx: Context, table: TableReader, rows: pa.Table, out: Outcome
) -> tuple[pa.Table, dict[str, pa.Array]]:
    """card_key and card_masked (前6后4) of each row's card; rows with a bad card deferred."""
    ctx.con.register("checks", _card_checks(rows["card_no"].combine_chunks()))
    try:
        joined = ctx.sql(
            f"""WITH {_keys(ctx, "card", "checks WHERE card_ok", "cardk")}
                SELECT r.*, {_CARD_PROBLEM} AS card_problem, cardk.k AS card_key,
                       substr(c.card, 1, 6) || repeat('*', length(c.card) - 10)
                           || substr(c.card, length(c.card) - 3) AS card_masked
                FROM rows r
                LEFT JOIN checks c ON c.card_no = r.card_no
                LEFT JOIN cardk ON cardk.v = c.card
                ORDER BY r._line""",
            rows=rows,
        )
    finally:
        ctx.con.unregister("checks")
    problem = pc.is_valid(joined["card_problem"])
    _defer(out, joined.filter(problem).select(["_line", "card_problem"]), _card_problem(table))
    kept = joined.filter(pc.invert(problem))
    derived = {name: kept[name].combine_chunks() for name in ("card_key", "card_masked")}
    return kept.drop_columns(["card_problem", "card_key", "card_masked"]), derived


def _per_distinct(values: pa.ChunkedArray | pa.Array, text: Callable[[Any], str]) -> pa.Array:
    """``text`` of each value, computed once per distinct value."""
    encoded = pc.dictionary_encode(
        values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    )
    distinct = [text(v) for v in encoded.dictionary.to_pylist()]
    texts = pa.array(distinct, pa.string()).take(encoded.indices)
    return pc.fill_null(texts, text(None))


def key_text(value: Any) -> str:
    """One key column's text in a government record's natural key (see ``natural_key``)."""
    return str(_json_value(value) or "")


def natural_key(secret: str, source: str, texts: Sequence[str]) -> str:
    """A government record's natural key: sha256 of "secret|source|" and its key columns'
    texts joined by "|" — the expression ``_government_columns`` runs over whole columns,
    written once more per record for a re-key of the secret."""
    return hashlib.sha256(f"{secret}|{source}|{'|'.join(texts)}".encode()).hexdigest()


def _government_columns(
    ctx: Context, table: TableReader, rows: pa.Table, out: Outcome
) -> tuple[pa.Table, dict[str, pa.Array]]:
    """source; natural_key, sha256 of "secret|source|" and the key columns' text joined by
    "|" (empty for none); record_date (the first date column); data, every contract column
    but the ID as JSON, as ``json_text.dumps`` (the JSON columns' writer) writes a dict of
    them. Each value is turned into text once per distinct value."""
    src = table.source
    n = rows.num_rows
    date_cols = [c.name for c in src.columns if c.type == "date"]
    texts = [_per_distinct(rows[k], key_text) for k in src.key]
    joined = pc.binary_join_element_wise(*texts, "|") if len(texts) > 1 else texts[0]
    prefix = f"{ctx.secret}|{src.name}|".replace("'", "''")
    keys = ctx.sql(
        f"SELECT sha256('{prefix}' || k) AS h FROM keys ORDER BY i",
        keys=pa.table({"i": pa.array(range(n), pa.int64()), "k": joined}),
    )["h"]
    parts = [
        pc.binary_join_element_wise(
            pa.array([json_text.dumps(c.name) + ":"] * n, pa.string()),
            _per_distinct(rows[c.name], lambda v: json_text.dumps(_json_value(v))),
            "",
        )
        for c in src.columns
        if c.name != "id_number"
    ]
    body = pc.binary_join_element_wise(*parts, ",") if len(parts) > 1 else parts[0]
    data = pc.binary_join_element_wise(
        pa.array(["{"] * n, pa.string()), body, pa.array(["}"] * n, pa.string()), ""
    )
    record_date = rows[date_cols[0]].combine_chunks() if date_cols else pa.nulls(n, pa.date32())
    return rows, {
        "source": pa.array([src.name] * n, pa.string()),
        "natural_key": keys.combine_chunks(),
        "record_date": record_date,
        "data": data,
    }


_GOVERNMENT = PersonRecords(
    GovRecord.__table__,  # type: ignore[attr-defined]
    ("source", "natural_key"),
    derive=_government_columns,
)
PERSON_RECORDS: dict[str, PersonRecords] = {
    "cards": PersonRecords(Card.__table__, ("card_key",), derive=_card_columns),  # type: ignore[attr-defined]
    "loans": PersonRecords(
        Loan.__table__,  # type: ignore[attr-defined]
        ("loan_id",),
        copied=(
            "loan_id",
            "product",
            "issue_date",
            "maturity_date",
            "amount",
            "balance",
            "max_days_overdue",
            "classification",
            "status",
        ),
    ),
    "blacklist": PersonRecords(
        Blacklist.__table__,  # type: ignore[attr-defined]
        ("person_key",),
        copied=("listed_date", "reason"),
    ),
    **{name: _GOVERNMENT for name in GOVERNMENT_SOURCES},
}


def _person_records(
    spec: PersonRecords, ctx: Context, table: TableReader, rows: RowStore, out: Outcome
) -> Batch:
    persons = ctx.lookup("persons")
    data = ctx.sql(
        f"""WITH {_keys(ctx, "id_number", rows.name, "idk")}
            SELECT r.*, idk.k AS person_key, p.household_no IS NOT NULL AS linked
            FROM {rows.name} r JOIN idk ON idk.v = r.id_number
            LEFT JOIN {persons} p ON p.person_key = idk.k
            ORDER BY r._line"""
    )
    derived: dict[str, pa.Array] = {}
    if spec.derive is not None:
        data, derived = spec.derive(ctx, table, data, out)
    out.linked += int(pc.sum(data["linked"].cast(pa.int64())).as_py() or 0)
    columns = {name: data[name] for name in (*spec.copied, "person_key")}
    columns.update(derived)
    columns["extra"] = pc.fill_null(data["_extra"], "{}")
    columns["run_id"] = pa.array([ctx.run_id] * data.num_rows, pa.int64())
    records = pa.table(columns)
    out.accepted = records.num_rows
    return Batch([Upsert(spec.table, records, spec.keys)])


BUILDERS: dict[str, Builder] = {
    "regions": _regions,
    "points": _points,
    "hukou": _hukou,
    "archive": _archive,
    "payments": _payments,
    **{name: partial(_person_records, spec) for name, spec in PERSON_RECORDS.items()},
}


def build(ctx: Context, table: TableReader, rows: RowStore, out: Outcome) -> Batch:
    """The records the rows of ``table`` become (rows that cannot be linked are deferred to
    the quarantine)."""
    return BUILDERS[table.source.name](ctx, table, rows, out)
