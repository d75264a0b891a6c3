"""Payment features as portable SQL over the ``payments`` view (DuckDB now, Spark SQL later).

Every expression here is standard SQL (SUM, COUNT, MAX, AVG, STDDEV_POP, CASE WHEN, COALESCE)
so the same definitions run on Spark. The query reads three relations:

- ``payments`` — the Parquet store (``storage.paystore.connect``), rows keyed by person_key;
- ``members(person_key, household_no)`` — who belongs to which 户籍 household;
- ``calendar(month_idx)`` — the months of the window that the store covers (year*12 + month).

Only rows dated strictly before the as-of date enter (``txn_time < :as_of``).
"""

from __future__ import annotations

__all__ = ["MONTHLY_SQL", "PAYMENT_FEATURE_SQL", "payment_feature_query"]

_OK = "(status IS NULL OR status <> '失败')"
_IN = f"({_OK} AND direction IN ('in', '收'))"
_OUT = f"({_OK} AND direction IN ('out', '付'))"
_WITHDRAW = f"({_OK} AND txn_type = '小额取款')"
_BILL = f"({_OK} AND (txn_type = '代理缴费' OR bill_category IS NOT NULL))"

# Per household and month: the monthly aggregates the features are built from.
MONTHLY_SQL: dict[str, str] = {
    "inflow": f"SUM(CASE WHEN {_IN} THEN amount ELSE 0 END)",
    "outflow": f"SUM(CASE WHEN {_OUT} THEN amount ELSE 0 END)",
    "withdrawn": f"SUM(CASE WHEN {_WITHDRAW} THEN amount ELSE 0 END)",
    "bills": f"SUM(CASE WHEN {_BILL} THEN amount ELSE 0 END)",
    "bill_count": f"SUM(CASE WHEN {_BILL} THEN 1 ELSE 0 END)",
    "ok_count": f"SUM(CASE WHEN {_OK} THEN 1 ELSE 0 END)",
    "failed_count": "SUM(CASE WHEN status = '失败' THEN 1 ELSE 0 END)",
    "txn_count": "COUNT(*)",
    "last_ok": f"MAX(CASE WHEN {_OK} THEN txn_time END)",
}

# Per household over the calendar grid (g = monthly row or zeros for a quiet month; n = months).
PAYMENT_FEATURE_SQL: dict[str, str] = {
    "pay_inflow_month_mean": "SUM(g.inflow) / COUNT(*)",
    "pay_outflow_month_mean": "SUM(g.outflow) / COUNT(*)",
    "pay_inflow_cv": "CASE WHEN SUM(g.inflow) > 0 THEN STDDEV_POP(g.inflow) / AVG(g.inflow) END",
    "pay_inflow_peak_share": "CASE WHEN SUM(g.inflow) > 0 THEN MAX(g.inflow) / SUM(g.inflow) END",
    "pay_active_month_share": "SUM(CASE WHEN g.ok_count > 0 THEN 1 ELSE 0 END) * 1.0 / COUNT(*)",
    "pay_days_since_last": "MAX(g.last_ok)",  # turned into days in Python (date arithmetic)
    "pay_txn_month_mean": "SUM(g.txn_count) * 1.0 / COUNT(*)",
    "pay_bill_month_share": "SUM(CASE WHEN g.bill_count > 0 THEN 1 ELSE 0 END) * 1.0 / COUNT(*)",
    "pay_bill_month_mean": "SUM(g.bills) / COUNT(*)",
    "pay_withdrawal_share": (
        "CASE WHEN SUM(g.outflow) > 0 THEN SUM(g.withdrawn) / SUM(g.outflow) END"
    ),
    "pay_failed_share": (
        "CASE WHEN SUM(g.txn_count) > 0 THEN SUM(g.failed_count) * 1.0 / SUM(g.txn_count) END"
    ),
}


def payment_feature_query(start: str, as_of: str) -> str:
    """The whole query for the window ``[start, as_of)`` (ISO dates, validated by the caller)."""
    monthly = ",\n    ".join(f"{expr} AS {name}" for name, expr in MONTHLY_SQL.items())
    zero = ", ".join(f"COALESCE(m.{n}, 0) AS {n}" for n in MONTHLY_SQL if n != "last_ok")
    features = ",\n  ".join(f"{expr} AS {name}" for name, expr in PAYMENT_FEATURE_SQL.items())
    return f"""
WITH tx AS (
  SELECT mb.household_no, p.*,
         CAST(EXTRACT(YEAR FROM p.txn_time) * 12 + EXTRACT(MONTH FROM p.txn_time) AS INTEGER)
           AS month_idx
  FROM payments p JOIN members mb ON p.person_key = mb.person_key
  WHERE p.txn_time >= TIMESTAMP '{start} 00:00:00' AND p.txn_time < TIMESTAMP '{as_of} 00:00:00'
),
monthly AS (
  SELECT household_no, month_idx,
    {monthly}
  FROM tx GROUP BY household_no, month_idx
),
hh AS (SELECT DISTINCT household_no FROM tx),
g AS (
  SELECT hh.household_no, c.month_idx, {zero}, m.last_ok
  FROM hh CROSS JOIN calendar c
  LEFT JOIN monthly m ON m.household_no = hh.household_no AND m.month_idx = c.month_idx
)
SELECT g.household_no,
  {features}
FROM g GROUP BY g.household_no
"""
