"""Numbers the Chinese way for the UI and exports: 万元 where natural, percentages, counts."""

from __future__ import annotations

import math
from datetime import date, datetime

__all__ = ["fmt_count", "fmt_date", "fmt_pct", "fmt_prob", "fmt_score", "fmt_wan", "fmt_yuan"]

MISSING = "—"


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def fmt_yuan(value: float | None) -> str:
    """An amount in yuan: 万元 from 10,000 up (5.3万元), plain yuan below (3,200元)."""
    if _missing(value):
        return MISSING
    amount = float(value)  # type: ignore[arg-type]
    if abs(amount) >= 10_000:
        return fmt_wan(amount)
    return f"{amount:,.0f}元"


def fmt_wan(value: float | None, digits: int = 2) -> str:
    """An amount in yuan shown in 万元, trailing zeros dropped (50000 → 5万元, 12345 → 1.23万元)."""
    if _missing(value):
        return MISSING
    text = f"{float(value) / 10_000:,.{digits}f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
    return f"{text}万元"


def fmt_pct(share: float | None, digits: int = 1) -> str:
    """A share 0..1 as a percentage: 0.7 → 70.0%."""
    if _missing(share):
        return MISSING
    return f"{float(share) * 100:.{digits}f}%"  # type: ignore[arg-type]


def fmt_prob(probability: float | None) -> str:
    """A default probability with two decimals of a percent: 0.0235 → 2.35%."""
    return fmt_pct(probability, 2)


def fmt_count(value: float | None, unit: str = "") -> str:
    """A count with thousands separators and an optional unit: 1234, 户 → 1,234户."""
    if _missing(value):
        return MISSING
    return f"{round(float(value)):,}{unit}"  # type: ignore[arg-type]


def fmt_score(value: float | None) -> str:
    if _missing(value):
        return MISSING
    return f"{float(value):.1f}"  # type: ignore[arg-type]


def fmt_date(value: date | datetime | None) -> str:
    """2022-06-30 → 2022年6月30日 (with time for datetimes)."""
    if value is None:
        return MISSING
    text = f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, datetime):
        text += f" {value:%H:%M}"
    return text
