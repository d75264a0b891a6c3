"""The Spark engine: the same feature query in Spark SQL over Parquet (province scale).

Inputs are Parquet: the payment store as it is (hive-partitioned by month) and the SQL tables
written once as Parquet relations (``relations.write_relations``). ``spark_session`` makes a
session whose settings the query relies on (UTC, no partition type guessing); pyspark is imported
only here, so the rest of creditfarm runs without Java.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from creditfarm.features.engine.dialects import SPARK
from creditfarm.features.engine.params import FeatureParams
from creditfarm.features.engine.relations import relation_paths, write_relations
from creditfarm.features.engine.sql import feature_query, payment_span_query
from creditfarm.storage import paystore

__all__ = ["DEFAULT_MASTER", "SparkEngine", "spark_county", "spark_session"]

DEFAULT_MASTER = "local[2]"


def spark_session(
    master: str = DEFAULT_MASTER, *, app_name: str = "creditfarm", shuffle_partitions: int = 4
) -> Any:
    """A Spark session (``master``: ``local[N]``, ``spark://host:7077``, ``yarn``, …)."""
    from pyspark.sql import SparkSession

    if master.startswith("local"):
        # Local workers run this interpreter (its environment has creditfarm), not `python3`.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        # Dates and timestamps are calendar values here: no time zone may shift them.
        .config("spark.sql.session.timeZone", "UTC")
        # month=2022-06 is a folder name, not a date to guess.
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def _payment_schema() -> Any:
    from pyspark.sql import types as T

    kinds = {"string": T.StringType(), "double": T.DoubleType(), "int64": T.LongType()}
    fields = [
        T.StructField(
            f.name,
            T.TimestampNTZType() if f.name == "txn_time" else kinds[str(f.type)],
            True,
        )
        for f in paystore.PAYMENT_SCHEMA
    ]
    return T.StructType(fields)


class SparkEngine:
    """Registers the Parquet relations and the payment store as views of ``spark``."""

    name = "spark"
    dialect = SPARK

    def __init__(self, spark: Any, *, relations_root: Path, payments_root: Path) -> None:
        self.spark = spark
        for name, path in relation_paths(Path(relations_root)).items():
            spark.read.parquet(str(path)).createOrReplaceTempView(name)
        root = Path(payments_root)
        if paystore.payment_files(root):
            payments = spark.read.parquet(str(root)).drop("month")  # month=YYYY-MM folders
        else:
            payments = spark.createDataFrame([], _payment_schema())
        payments.createOrReplaceTempView("payments")

    def first_payment(self) -> date | None:
        first = self.spark.sql(payment_span_query()).collect()[0][0]
        return None if first is None else pd.Timestamp(first).date()

    def features(self, params: FeatureParams) -> Any:
        """A Spark DataFrame, one row per household (columns of ``feature_query``)."""
        return self.spark.sql(feature_query(self.dialect, params))


def spark_county(ws: Any, spark: Any, *, snapshot: date | None = None) -> tuple[Any, SparkEngine]:
    """(county data, Spark engine over it): the SQL tables read once and written as Parquet
    relations under ``<data_dir>/spark/relations`` (on a cluster: storage every executor reads,
    like the payment store)."""
    from creditfarm.features.build import load_county

    data = load_county(ws, snapshot=snapshot)
    root = Path(ws.settings.data_dir) / "spark" / "relations"
    write_relations(data.relations, root)
    return data, SparkEngine(spark, relations_root=root, payments_root=data.payments_root)
