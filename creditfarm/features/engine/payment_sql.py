"""Payment features as SQL over the ``payments`` relation (the Parquet store).

Every expression here is standard SQL (SUM, COUNT, MAX, AVG, STDDEV_POP, CASE WHEN, COALESCE);
the one date difference goes through the dialect. The CTEs read:

- ``payments`` — the Parquet store (``storage.paystore``), rows keyed by person_key;
- ``members(person_key, household_no)`` — who belongs to which 户籍 household;
- ``calendar(month_idx)`` — the months of the window that the store covers (year*12 + month).

Only rows dated strictly before the as-of date enter (``txn_time < :as_of``).
"""

from __future__ import annotations

from creditfarm.features.engine.dialects import Dialect
from creditfarm.features.engine.params import FeatureParams

__all__ = ["MONTHLY_SQL", "PAYMENT_FEATURE_SQL", "payment_ctes"]

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
    "pay_active_month_share": "SUM(CASE WHEN g.ok_count > 0 THEN 1 ELSE 0 END) * 1E0 / COUNT(*)",
    "pay_days_since_last": "MAX(g.last_ok)",  # turned into whole days before the as-of date
    "pay_txn_month_mean": "SUM(g.txn_count) * 1E0 / COUNT(*)",
    "pay_bill_month_share": "SUM(CASE WHEN g.bill_count > 0 THEN 1 ELSE 0 END) * 1E0 / COUNT(*)",
    "pay_bill_month_mean": "SUM(g.bills) / COUNT(*)",
    "pay_withdrawal_share": (
        "CASE WHEN SUM(g.outflow) > 0 THEN SUM(g.withdrawn) / SUM(g.outflow) END"
    ),
    "pay_failed_share": (
        "CASE WHEN SUM(g.txn_count) > 0 THEN SUM(g.failed_count) * 1E0 / SUM(g.txn_count) END"
    ),
}


def payment_ctes(d: Dialect, p: FeatureParams) -> list[tuple[str, str]]:
    """CTEs ending in ``pay`` (per household with a payment in the window ``[start, as_of)``)."""
    monthly = ",\n    ".join(f"{expr} AS {name}" for name, expr in MONTHLY_SQL.items())
    zero = ", ".join(f"COALESCE(m.{n}, 0) AS {n}" for n in MONTHLY_SQL if n != "last_ok")
    features = ",\n    ".join(f"{expr} AS {name}" for name, expr in PAYMENT_FEATURE_SQL.items())
    months = ", ".join(f"({m})" for m in p.payment_months or (0,))
    start, as_of = d.timestamp(p.payment_start), d.timestamp(p.as_of)
    tx = f"""
  SELECT mb.household_no, p.txn_time, p.txn_type, p.amount, p.status, p.bill_category,
         p.direction,
         CAST(EXTRACT(YEAR FROM p.txn_time) * 12 + EXTRACT(MONTH FROM p.txn_time) AS INTEGER)
           AS month_idx
  FROM payments p JOIN members mb ON p.person_key = mb.person_key
  WHERE p.txn_time >= {start} AND p.txn_time < {as_of}"""
    grid = f"""
  SELECT hh.household_no, c.month_idx, {zero}, m.last_ok
  FROM pay_households hh CROSS JOIN calendar c
  LEFT JOIN pay_monthly m ON m.household_no = hh.household_no AND m.month_idx = c.month_idx"""
    # Whole days from the last successful payment to the as-of date (midnight): a payment at
    # 10:00 nineteen days and fourteen hours before is 19 days ago.
    last = "pay_days_since_last"  # pay_raw holds the time of the last successful payment
    part_day = f"(hour({last}) * 3600 + minute({last}) * 60 + second({last}) > 0)"
    days = (
        f"{d.days_between(d.date(p.as_of), f'CAST({last} AS DATE)')}"
        f" - CASE WHEN {part_day} THEN 1 ELSE 0 END"
    )
    others = ", ".join(n for n in PAYMENT_FEATURE_SQL if n != last)
    return [
        ("calendar", f"\n  SELECT * FROM (VALUES {months}) AS months(month_idx)"),
        ("pay_tx", tx),
        (
            "pay_monthly",
            f"\n  SELECT household_no, month_idx,\n    {monthly}\n"
            "  FROM pay_tx GROUP BY household_no, month_idx",
        ),
        # From the monthly rows, not the transactions: pay_tx is then read once, streaming.
        ("pay_households", "\n  SELECT DISTINCT household_no FROM pay_monthly"),
        ("pay_grid", grid),
        (
            "pay_raw",
            f"\n  SELECT g.household_no,\n    {features}\n"
            "  FROM pay_grid g GROUP BY g.household_no",
        ),
        ("pay", f"\n  SELECT household_no, {others},\n    {days} AS {last}\n  FROM pay_raw"),
    ]
