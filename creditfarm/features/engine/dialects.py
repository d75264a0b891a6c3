"""The few SQL functions that differ between DuckDB and Spark SQL.

The feature SQL (``creditfarm.features.engine.sql``) is written once; where the two engines spell
a function differently it calls a method of a ``Dialect``. Everything else in the queries is
standard SQL both run unchanged (CASE, COALESCE, GREATEST, TRY_CAST, window functions, …).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["DUCKDB", "SPARK", "Dialect", "DuckDBDialect", "SparkDialect"]


@dataclass(frozen=True)
class Dialect:
    """DuckDB spelling by default; ``SparkDialect`` overrides what Spark spells differently."""

    name: str = "duckdb"

    def text(self, value: str) -> str:
        """A string literal (standard SQL: a quote is doubled, a backslash is a backslash)."""
        return "'" + value.replace("'", "''") + "'"

    def date(self, d: dt.date) -> str:
        return f"DATE '{d.isoformat()}'"

    def timestamp(self, d: dt.date) -> str:
        """Midnight at the start of ``d``, comparable with the payments' ``txn_time``."""
        return f"TIMESTAMP '{d.isoformat()} 00:00:00'"

    def add_days(self, day: str, days: str) -> str:
        """A DATE ``days`` (an integer expression, may be negative) after ``day``."""
        return f"CAST({day} + CAST({days} AS INTEGER) AS DATE)"

    def days_between(self, later: str, earlier: str) -> str:
        """Whole days from DATE ``earlier`` to DATE ``later`` (negative when later is before)."""
        return f"date_diff('day', {earlier}, {later})"

    def contains(self, text: str, part: str) -> str:
        return f"(strpos({text}, {part}) > 0)"

    def json_text(self, column: str, field: str) -> str:
        """A top-level JSON field as text (numbers as written, NULL when absent or null)."""
        return f"json_extract_string({column}, {self.text('$.' + field)})"

    def first_by(self, value: str, order: str) -> str:
        """``value`` of the row with the smallest ``order`` in the group."""
        return f"arg_min({value}, {order})"

    def float_sum(self, value: str) -> str:
        """A sum of floats that does not depend on the order rows arrive in (compensated)."""
        return f"fsum({value})"


@dataclass(frozen=True)
class DuckDBDialect(Dialect):
    name: str = "duckdb"


@dataclass(frozen=True)
class SparkDialect(Dialect):
    name: str = "spark"

    def text(self, value: str) -> str:
        # Spark reads backslash escapes and joins adjacent literals ('a''b' is 'ab').
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def timestamp(self, d: dt.date) -> str:
        # Parquet timestamps written without a time zone read as TIMESTAMP_NTZ.
        return f"TIMESTAMP_NTZ '{d.isoformat()} 00:00:00'"

    def add_days(self, day: str, days: str) -> str:
        return f"date_add({day}, CAST({days} AS INT))"

    def days_between(self, later: str, earlier: str) -> str:
        return f"datediff({later}, {earlier})"

    def contains(self, text: str, part: str) -> str:
        return f"(instr({text}, {part}) > 0)"

    def json_text(self, column: str, field: str) -> str:
        return f"get_json_object({column}, {self.text('$.' + field)})"

    def first_by(self, value: str, order: str) -> str:
        return f"min_by({value}, {order})"

    def float_sum(self, value: str) -> str:
        # Spark has no compensated sum; its partial sums differ from DuckDB's in the last bits
        # at most, far inside the 1e-9 the engines are held to.
        return f"SUM({value})"


DUCKDB = DuckDBDialect()
SPARK = SparkDialect()
