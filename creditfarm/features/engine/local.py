"""The local engine: DuckDB over the Arrow relations (in memory) and the Parquet payment store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

from creditfarm.features.engine.dialects import DUCKDB
from creditfarm.features.engine.params import FeatureParams
from creditfarm.features.engine.sql import feature_query, payment_span_query
from creditfarm.storage import paystore

__all__ = ["DuckDBEngine"]


class DuckDBEngine:
    """Runs the feature query in one DuckDB connection kept open for several as-of dates."""

    name = "local"
    dialect = DUCKDB

    def __init__(self, relations: dict[str, pa.Table], payments_root: Path) -> None:
        self._con = paystore.connect(payments_root)  # a `payments` view over the store
        self._relations = relations  # kept referenced: DuckDB scans the Arrow buffers in place
        for name, table in relations.items():
            self._con.register(name, table)

    def first_payment(self) -> date | None:
        first = self._con.execute(payment_span_query()).fetchall()[0][0]
        return None if first is None else pd.Timestamp(first).date()

    def features(self, params: FeatureParams) -> pd.DataFrame:
        """One row per household (columns of ``feature_query``)."""
        return self._con.execute(feature_query(self.dialect, params)).df()

    def close(self) -> None:
        self._con.close()
