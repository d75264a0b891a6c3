"""The input relations of the feature query, read once from the SQL database as Arrow tables.

Each relation has a fixed Arrow schema (below), so DuckDB (which scans the Arrow tables in place)
and Spark (which reads them written as Parquet, ``write_relations``) see the same types. The
government records' fields stay JSON text, as stored: the query extracts the few it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import String, cast, select
from sqlalchemy.engine import Connection

from creditfarm.storage.engine import driver_rows
from creditfarm.storage.models import Archive, Blacklist, GovRecord, Household, Loan, Person

__all__ = ["RELATIONS", "read_relations", "relation_paths", "write_relations"]

_STR, _DATE, _F64, _I64 = pa.string(), pa.date32(), pa.float64(), pa.int64()

# relation → (SQL table, [(column, Arrow type)]).
RELATIONS: dict[str, tuple[Any, list[tuple[str, pa.DataType]]]] = {
    "households": (
        Household,
        [("household_no", _STR), ("village_code", _STR), ("head_person_key", _STR)],
    ),
    "persons": (
        Person,
        [
            ("person_key", _STR),
            ("household_no", _STR),
            ("relation_to_head", _STR),
            ("birth_date", _DATE),
            ("village_code", _STR),
            ("gender", _STR),
            ("ethnicity", _STR),
        ],
    ),
    "archives": (
        Archive,
        [
            ("head_person_key", _STR),
            ("household_no", _STR),
            ("filed_date", _DATE),
            ("village_code", _STR),
            ("household_size", _I64),
            ("labor_count", _I64),
            ("head_education", _STR),
            ("main_industry", _STR),
            ("land_area_mu", _F64),
            ("transferred_in_mu", _F64),
            ("livestock_units", _F64),
            ("house_type", _STR),
            ("machinery_value", _F64),
            ("annual_income", _F64),
            ("annual_expense", _F64),
            ("deposits", _F64),
            ("other_debt", _F64),
            ("village_evaluation", _STR),
        ],
    ),
    "govrecords": (
        GovRecord,
        [
            ("id", _I64),
            ("source", _STR),
            ("person_key", _STR),
            ("record_date", _DATE),
            ("data", _STR),  # JSON text
        ],
    ),
    "loans": (
        Loan,
        [
            ("loan_id", _STR),
            ("person_key", _STR),
            ("issue_date", _DATE),
            ("maturity_date", _DATE),
            ("amount", _F64),
            ("max_days_overdue", _I64),
            ("classification", _STR),
            ("status", _STR),
        ],
    ),
    "blacklist": (Blacklist, [("person_key", _STR), ("listed_date", _DATE)]),
}


def _column(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    if pa.types.is_date32(kind) and any(isinstance(v, str) for v in values):
        # SQLite hands dates back as ISO text: Arrow parses them in one vectorised cast.
        return pa.array(values, type=pa.string()).cast(kind)
    return pa.array(values, type=kind)


def _read(conn: Connection, table: Any, columns: list[tuple[str, pa.DataType]]) -> pa.Table:
    t = table.__table__.c
    # JSON columns are read as the text stored, not parsed into Python objects.
    selected = [cast(t[name], String) if name == "data" else t[name] for name, _ in columns]
    # Plain driver rows: SQLAlchemy's per-value type processing costs more than the read. No
    # ORDER BY either: nothing downstream depends on the order rows come in.
    sql = str(select(*selected).compile(dialect=conn.dialect))
    rows = driver_rows(conn, sql)
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pa.table(
        {name: _column(v, kind) for (name, kind), v in zip(columns, values, strict=True)}
    )


def read_relations(conn: Connection) -> dict[str, pa.Table]:
    """Every input relation, as Arrow tables of the fixed schemas."""
    return {name: _read(conn, table, cols) for name, (table, cols) in RELATIONS.items()}


def relation_paths(root: Path) -> dict[str, Path]:
    return {name: root / name for name in RELATIONS}


def write_relations(relations: dict[str, pa.Table], root: Path) -> dict[str, Path]:
    """Write the relations as Parquet (one folder each, as Spark reads them) under ``root``."""
    paths = relation_paths(root)
    for name, table in relations.items():
        paths[name].mkdir(parents=True, exist_ok=True)
        for old in paths[name].glob("*.parquet"):
            old.unlink()
        pq.write_table(table, paths[name] / "part-0.parquet", compression="zstd")
    return paths
