"""Which parsed values are plausible: the second check a cell passes after it parses.

A value can parse and still be impossible for the county it describes, and one such value can
do great harm: a single archive row filed 2099-01-01 moved the default scoring date to 2099 and
vetoed every household; a loan dated 9999-12-31 broke scoring; ``1e309`` is infinity; a
negative income raised a limit. Each rule here is written once, as bounds per column
(``bounds``), and applied twice from those bounds: to whole Arrow columns during the import
(``implausible``) and to one cell when a quarantined row's reason is written
(``check_value``), so the two can never disagree.

- Dates may not lie after the export date (the day of the import: a county's export cannot
  describe the future), except a loan's maturity, which may lie up to 50 years ahead; no date
  lies before 1900 (birth dates 1880, as the ID check allows).
- Amounts, areas and counts are finite and within [0, upper]; no column of the contract holds a
  negative value (a refund or a debt has its own column).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditfarm.ingest.contract import Column
from creditfarm.ingest.normalize import ValueProblem

__all__ = ["Bounds", "bounds", "check_value", "implausible"]

_EARLIEST = date(1900, 1, 1)
_EARLIEST_BIRTH = date(1880, 1, 1)
_MATURITY_YEARS = 50
# Upper bounds by type (yuan, mu or head of livestock, counts); a few columns differ.
_UPPER: dict[str, float] = {"amount": 1e10, "number": 1e7, "int": 1e6}
_UPPER_BY_COLUMN: dict[str, float] = {
    "registered_capital": 1e12,  # a company's capital may be large
    "household_size": 100,
    "labor_count": 100,
    "max_days_overdue": 36_600,
    "months_away": 12 * 100,
    "pension_months": 12 * 100,
    "trips_last_year": 366 * 2,
}


@dataclass(frozen=True)
class Bounds:
    low: Any  # date for dates, float for numbers
    high: Any
    reason_low: str
    reason_high: str
    detail: str


def bounds(col: Column, today: date) -> Bounds | None:
    """The plausible range of ``col``'s values on export date ``today`` (None: any value)."""
    if col.type in ("date", "datetime"):
        low = _EARLIEST_BIRTH if col.name == "birth_date" else _EARLIEST
        if col.name == "maturity_date":
            high = today + timedelta(days=round(365.25 * _MATURITY_YEARS))
            return Bounds(low, high, "date_implausible", "date_implausible", f"{low}–{high}")
        return Bounds(low, today, "date_implausible", "date_in_future", f"导出日期 {today}")
    if col.type in _UPPER:
        upper = _UPPER_BY_COLUMN.get(col.name, _UPPER[col.type])
        return Bounds(0.0, upper, "value_implausible", "value_implausible", f"0–{upper:,.0f}")
    return None


def _date_scalar(value: date, kind: str, *, end_of_day: bool) -> pa.Scalar:
    if kind == "date":
        return pa.scalar(value, pa.date32())
    moment = datetime.combine(value, time.max if end_of_day else time.min)
    return pa.scalar(moment, pa.timestamp("us"))


def implausible(col: Column, values: pa.Array, today: date) -> tuple[np.ndarray, np.ndarray]:
    """Per row of parsed ``values``: (too low or not finite, too high); nulls are neither."""
    n = len(values)
    none = np.zeros(n, dtype=bool)
    limits = bounds(col, today)
    if limits is None or n == 0:
        return none, none
    if isinstance(limits.low, date):
        low = pc.less(values, _date_scalar(limits.low, col.type, end_of_day=False))
        high = pc.greater(values, _date_scalar(limits.high, col.type, end_of_day=True))
    else:
        as_float = pc.cast(values, pa.float64())
        not_finite = pc.invert(pc.is_finite(as_float))
        low = pc.or_(pc.less(as_float, float(limits.low)), not_finite)
        high = pc.greater(as_float, float(limits.high))
    low_rows = pc.fill_null(low, False).to_numpy(zero_copy_only=False)
    high_rows = pc.fill_null(high, False).to_numpy(zero_copy_only=False)
    return low_rows, high_rows & ~low_rows


def check_value(col: Column, value: Any, today: date) -> None:
    """Raise ``ValueProblem`` when one parsed ``value`` of ``col`` is out of its bounds."""
    limits = bounds(col, today)
    if value is None or limits is None:
        return
    if isinstance(limits.low, date):
        day = value.date() if isinstance(value, datetime) else value
        if day < limits.low:
            raise ValueProblem(limits.reason_low, f"{day} 早于 {limits.low}")
        if day > limits.high:
            raise ValueProblem(limits.reason_high, f"{day} 晚于{limits.detail}")
        return
    number = float(value)
    if not math.isfinite(number) or number < float(limits.low):
        raise ValueProblem(limits.reason_low, f"{value!r} 不在合理范围 {limits.detail}")
    if number > float(limits.high):
        raise ValueProblem(limits.reason_high, f"{value!r} 超出合理范围 {limits.detail}")
