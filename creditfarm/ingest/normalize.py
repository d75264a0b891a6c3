"""Value parsing for county exports: amounts, numbers, dates, datetimes, codes, missing markers.

Every parser takes the raw text of one cell and returns a Python value, ``None`` for a missing
marker, or raises :class:`ValueProblem` carrying a stable reason code (``bad_amount``,
``bad_number``, ``bad_date``, …) so the ingest step can quarantine the row with its column.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

__all__ = [
    "MISSING_MARKERS",
    "ValueProblem",
    "is_missing",
    "normalize_cell",
    "parse_amount",
    "parse_code",
    "parse_date",
    "parse_datetime",
    "parse_int",
    "parse_number",
    "parse_text",
    "unit_scale",
]

# Cells that mean "no value" (compared after NFKC and trimming; case-sensitive spellings listed).
MISSING_MARKERS = frozenset(
    {"", "-", "--", "—", "——", "无", "/", "NULL", "null", "Null", "N/A", "n/a", "NA", "None"}
)

# Scale of a unit written in a header or after a value.
_AMOUNT_UNITS = {"元": 1.0, "万元": 10_000.0, "万": 10_000.0, "千元": 1_000.0, "亿元": 1e8}
# Units that only name what is counted; they do not scale the value.
_PLAIN_UNITS = {
    "亩",
    "头",
    "只",
    "口",
    "人",
    "个",
    "次",
    "月",
    "年",
    "%",
    "平方米",
    "㎡",
    "台",
    "辆",
}
_NUMBER_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(.*)$")
_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug folded in)
_EXCEL_SERIAL_RE = re.compile(r"^\d{5}(?:\.\d+)?$")
_YMD_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_CN_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME_RE = re.compile(r"^(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2})(?:\.\d+)?)?$")
_COMPACT_DT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$")


class ValueProblem(ValueError):
    """A cell that could not be parsed: ``reason`` is a stable code, ``detail`` says why."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def normalize_cell(raw: object) -> str:
    """NFKC (full-width digits, letters and punctuation → half-width) and trimmed."""
    if raw is None:
        return ""
    return unicodedata.normalize("NFKC", str(raw)).strip()


def is_missing(raw: object) -> bool:
    return normalize_cell(raw) in MISSING_MARKERS


def unit_scale(unit: str) -> float | None:
    """Scale for a header or value unit (``万元`` → 10000); ``None`` when not an amount unit."""
    return _AMOUNT_UNITS.get(normalize_cell(unit))


def parse_text(raw: object) -> str | None:
    value = normalize_cell(raw)
    return None if value in MISSING_MARKERS else value


def parse_code(raw: object) -> str | None:
    """Codes (户号, 村代码, 流水号, phone, card): NFKC, inner white space removed."""
    value = normalize_cell(raw)
    if value in MISSING_MARKERS:
        return None
    return re.sub(r"[\s]+", "", value)


def _split_number(raw: object, reason: str) -> tuple[float, str] | None:
    value = normalize_cell(raw)
    if value in MISSING_MARKERS:
        return None
    cleaned = re.sub(r"[,\s¥$]", "", value)  # thousands separators (NFKC turned ， into ,)
    match = _NUMBER_RE.match(cleaned)
    if not match:
        raise ValueProblem(reason, f"不是数字: {value!r}")
    return float(match.group(1)), match.group(2)


def parse_amount(raw: object, *, scale: float = 1.0) -> float | None:
    """Yuan. ``元``/``万元`` after the value win over the column's ``scale`` (from its header)."""
    parts = _split_number(raw, "bad_amount")
    if parts is None:
        return None
    number, unit = parts
    if not unit:
        return number * scale
    factor = _AMOUNT_UNITS.get(unit)
    if factor is None:
        raise ValueProblem("bad_amount", f"未知金额单位: {unit!r}")
    return number * factor


def parse_number(raw: object, *, scale: float = 1.0) -> float | None:
    """A plain quantity (亩, 头, …); an amount unit after the value scales it like an amount."""
    parts = _split_number(raw, "bad_number")
    if parts is None:
        return None
    number, unit = parts
    if not unit:
        return number * scale
    if unit in _PLAIN_UNITS:
        return number * scale
    if unit in _AMOUNT_UNITS:
        return number * _AMOUNT_UNITS[unit]
    raise ValueProblem("bad_number", f"未知单位: {unit!r}")


def parse_int(raw: object, *, scale: float = 1.0) -> int | None:
    try:
        number = parse_number(raw, scale=scale)
    except ValueProblem as exc:
        raise ValueProblem("bad_number", exc.detail) from None
    if number is None:
        return None
    if number != int(number):
        raise ValueProblem("bad_number", f"不是整数: {normalize_cell(raw)!r}")
    return int(number)


def _checked_date(y: str, m: str, d: str, raw: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise ValueProblem("bad_date", f"日期不存在: {raw!r}") from None


def _excel_serial(value: str) -> datetime:
    days = float(value)
    if not 1 <= days < 2958466:
        raise ValueProblem("bad_date", f"Excel 日期序号越界: {value!r}")
    whole = int(days)
    seconds = round((days - whole) * 86400)
    return datetime.combine(_EXCEL_EPOCH + timedelta(days=whole), datetime.min.time()) + timedelta(
        seconds=seconds
    )


def _parse_date_part(value: str) -> date | None:
    for pattern in (_YMD_RE, _CN_RE, _COMPACT_RE):
        match = pattern.match(value)
        if match:
            year, month, day = match.groups()
            return _checked_date(year, month, day, value)
    return None


def parse_date(raw: object) -> date | None:
    """``2021-03-05``, ``2021/3/5``, ``2021.3.5``, ``20210305``, ``2021年3月5日``, Excel serials
    (``44260``), and datetimes whose time part is dropped."""
    value = normalize_cell(raw)
    if value in MISSING_MARKERS:
        return None
    found = _parse_date_part(value)
    if found is not None:
        return found
    if _EXCEL_SERIAL_RE.match(value):
        return _excel_serial(value).date()
    try:
        return parse_datetime(value).date()  # type: ignore[union-attr]
    except ValueProblem:
        raise ValueProblem("bad_date", f"无法识别的日期: {value!r}") from None


def parse_datetime(raw: object) -> datetime | None:
    """A date form of :func:`parse_date` followed by ``HH:MM[:SS]`` (space or ``T``), ISO
    strings, ``YYYYMMDDHHMMSS``, or an Excel serial with a day fraction. A date alone is
    midnight."""
    value = normalize_cell(raw)
    if value in MISSING_MARKERS:
        return None
    try:  # fast path: what machines write
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        pass
    match = _COMPACT_DT_RE.match(value)
    if match:
        y, mo, d, h, mi, s = match.groups()
        try:
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        except ValueError:
            raise ValueProblem("bad_date", f"时间不存在: {value!r}") from None
    if _EXCEL_SERIAL_RE.match(value):
        return _excel_serial(value)
    parts = re.split(r"[\sT]+", value, maxsplit=1)
    day = _parse_date_part(parts[0])
    if day is None:
        raise ValueProblem("bad_date", f"无法识别的时间: {value!r}")
    if len(parts) == 1:
        return datetime.combine(day, datetime.min.time())
    clock = _TIME_RE.match(parts[1])
    if not clock:
        raise ValueProblem("bad_date", f"无法识别的时间: {value!r}")
    h, mi, s = clock.groups()
    try:
        return datetime.combine(day, datetime.min.time()).replace(
            hour=int(h), minute=int(mi), second=int(s or 0)
        )
    except ValueError:
        raise ValueProblem("bad_date", f"时间不存在: {value!r}") from None
