"""The feature engine seam: one SQL definition per feature (``sql.py``), the few functions that
differ between DuckDB and Spark SQL (``dialects.py``), and the engines that run it (``local.py``:
DuckDB; ``spark.py``: Spark, imported only when asked for)."""
