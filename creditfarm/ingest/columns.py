"""Cell parsing for whole columns: raw text cells (an Arrow column) → typed values, and which
cells do not parse.

``parse_cell`` is the rule for one cell (``normalize`` does the values; resident IDs are
checked here). ``parse_column`` gives the same answer for a whole column at once: it parses
each distinct cell once, the forms machines write (ASCII digits and dates, codes and names in
ASCII and CJK ideographs, 18-digit IDs) by Arrow and numpy expressions, one per rule of
``normalize``, and any other cell (full-width digits, ``万元``, ``2021年3月5日``, a stray
character) by ``parse_cell`` itself. An expression only takes the cells whose result it is
known to give exactly as ``parse_cell`` does; everything it does not take goes to
``parse_cell``. A cell that does not parse is only marked: the message for its row is built
by ``parse_cell`` when the row is quarantined.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditfarm.identity import _PROVINCES as _KNOWN_PROVINCES
from creditfarm.identity import check_id
from creditfarm.ingest.contract import Column, ColumnType
from creditfarm.ingest.normalize import (
    MISSING_MARKERS,
    ValueProblem,
    normalize_cell,
    parse_amount,
    parse_code,
    parse_date,
    parse_datetime,
    parse_int,
    parse_number,
    parse_text,
)
from creditfarm.ingest.outcome import REASONS

__all__ = ["ARROW_TYPES", "ID_WARNINGS", "ParsedColumn", "parse_cell", "parse_column"]

ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    "id": pa.string(),
    "text": pa.string(),
    "code": pa.string(),
    "amount": pa.float64(),
    "number": pa.float64(),
    "int": pa.int64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}
ID_WARNINGS = ("id_upgraded_15_to_18", "id_unknown_region")
_SCI_NOTATION = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


# ---------------------------------------------------------------- one cell: the rule


def _parse_id(text: str, numeric: bool, warnings: Counter[str]) -> str | None:
    value = normalize_cell(text)
    if numeric or _SCI_NOTATION.match(value):
        raise ValueProblem(
            "id_excel_number", "身份证号被存为数字，可能已丢失末位，请以文本重新导出"
        )
    if parse_text(value) is None:
        return None
    checked = check_id(value)
    if not checked.ok:
        raise ValueProblem(checked.error or "id_format", REASONS.get(checked.error or "", ""))
    warnings.update(checked.warnings)
    return checked.normalized


def parse_cell(col: Column, text: str, numeric: bool, scale: float, warnings: Counter[str]) -> Any:
    """One cell by its contract type: a value, None (empty), or ``ValueProblem``. ID warnings
    (a 15-digit ID upgraded, an unknown region) are counted in ``warnings``."""
    kind = col.type
    if kind == "id":
        return _parse_id(text, numeric, warnings)
    if kind == "text":
        return parse_text(text)
    if kind == "code":
        return parse_code(text)
    if kind == "amount":
        return parse_amount(text, scale=scale)
    if kind == "number":
        return parse_number(text, scale=scale)
    if kind == "int":
        return parse_int(text, scale=scale)
    if kind == "date":
        return parse_date(text)
    if kind == "datetime":
        return parse_datetime(text)
    raise AssertionError(kind)


# ---------------------------------------------------------------- whole columns


@dataclass
class ParsedColumn:
    """A column's typed values (null: empty, absent, or not parsed), the cells that did not
    parse, and per ID warning the cells that carry it."""

    values: pa.Array
    bad: np.ndarray
    warnings: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Fast:
    """What an expression made of distinct cells: the cells it took, their values (null
    where empty), and those it found invalid (IDs only)."""

    taken: np.ndarray
    values: pa.Array
    bad: np.ndarray
    warnings: dict[str, np.ndarray] = field(default_factory=dict)


# Cells whose NFKC form is themselves: printable ASCII and the CJK ideographs (blocks without
# any decomposition), so normalising them is trimming spaces.
_PLAIN = r"^[ -~\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}]*$"
# What Python's str.strip() and \s remove among ASCII characters.
_ASCII_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_ASCII_SPACE_CLASS = r"\t\n\x0b\x0c\r\x1c-\x1f "
_MISSING = pa.array(sorted(MISSING_MARKERS), pa.string())
_DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_YMD = r"^(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})"
_CLOCK = (
    rf"[{_ASCII_SPACE_CLASS}T]+(?P<H>[0-9]{{1,2}}):(?P<M>[0-9]{{1,2}})(?::(?P<S>[0-9]{{1,2}}))?"
)
_DATE_FORMS = (
    _YMD + "$",
    r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$",  # 20210305
    _YMD + _CLOCK + "$",  # a datetime whose time is dropped
)
_DATETIME_FORMS = (
    _YMD + f"(?:{_CLOCK})?$",
    r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$",
)
_EXCEL_EPOCH_DAYS = -25569  # 1899-12-30 in days since 1970-01-01
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
# The province codes check_id knows (an unknown one is a warning, never a rejection).
_PROVINCE_CODES = np.array(sorted(int(p) for p in _KNOWN_PROVINCES))


def _np(array: pa.Array) -> np.ndarray:
    return array.to_numpy(zero_copy_only=False)


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    return _np(pc.fill_null(pc.match_substring_regex(values, pattern), False))


def _null(kind: ColumnType, n: int) -> pa.Array:
    return pa.nulls(n, ARROW_TYPES[kind])


def _fixed_width(values: pa.Array, width: int) -> np.ndarray:
    """Strings all ``width`` bytes long as an (n, width) byte matrix."""
    values = values.cast(pa.string())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8) if len(values) else np.empty(0)
    return data[offsets[0] : offsets[-1]].reshape(len(values), width)


def _digits(matrix: np.ndarray, start: int, stop: int) -> np.ndarray:
    out = np.zeros(len(matrix), dtype=np.int64)
    for pos in range(start, stop):
        out = out * 10 + (matrix[:, pos].astype(np.int64) - 48)
    return out


def _valid_date(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Which (y, m, d) ``datetime.date`` accepts."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days_in = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    month_ok = (m >= 1) & (m <= 12)
    last = days_in[np.where(month_ok, m, 1)] + ((m == 2) & leap)
    return (y >= 1) & (y <= 9999) & month_ok & (d >= 1) & (d <= last)


def _days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of valid dates (the proleptic Gregorian calendar)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _ints(values: pa.Array) -> np.ndarray:
    """Digit strings (or "") → int64, "" → 0."""
    return _np(pc.cast(pc.if_else(pc.equal(values, ""), "0", values), pa.int64()))


def _fast_text(values: pa.Array, *, code: bool) -> _Fast:
    n = len(values)
    plain = _matches(values, _PLAIN)
    stripped = pc.utf8_trim(values, " ")
    missing = _np(pc.is_in(stripped, value_set=_MISSING))
    result = pc.replace_substring(stripped, " ", "") if code else stripped
    result = pc.if_else(pa.array(missing | ~plain), pa.scalar(None, pa.string()), result)
    return _Fast(plain, result, np.zeros(n, dtype=bool))


def _fast_number(values: pa.Array, kind: ColumnType, scale: float) -> _Fast:
    n = len(values)
    cleaned = pc.replace_substring_regex(values, rf"[,{_ASCII_SPACE_CLASS}$]", "")
    taken = _matches(cleaned, _DECIMAL) & (_np(pc.binary_length(cleaned)) <= 24)
    number = np.full(n, np.nan)
    if taken.any():
        picked = pc.filter(cleaned, pa.array(taken))
        number[taken] = _np(pc.cast(picked, pa.float64())) * scale
    if kind != "int":
        result = pa.array(number, pa.float64(), mask=~taken)
        return _Fast(taken, result, np.zeros(n, dtype=bool))
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(number) & (number == np.floor(number)) & (np.abs(number) < 2**53)
    taken &= whole
    ints = np.where(taken, number, 0).astype(np.int64)
    return _Fast(taken, pa.array(ints, pa.int64(), mask=~taken), np.zeros(n, dtype=bool))


def _extract(
    values: pa.Array, pattern: str, names: tuple[str, ...]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which values match ``pattern`` and the named groups as integers (0 when empty)."""
    found = pc.extract_regex(values, pattern)
    hit = _np(found.is_valid())
    parts = {}
    for name in names:
        try:
            part = pc.struct_field(found, name)
        except (KeyError, pa.ArrowInvalid):
            parts[name] = np.zeros(len(values), dtype=np.int64)
            continue
        parts[name] = np.where(hit, _ints(pc.fill_null(part, "")), 0)
    return hit, parts


def _fast_dates(values: pa.Array, kind: ColumnType) -> _Fast:
    n = len(values)
    taken = np.zeros(n, dtype=bool)
    micros = np.zeros(n, dtype=np.int64)
    forms = _DATE_FORMS if kind == "date" else _DATETIME_FORMS
    for pattern in forms:
        left = ~taken
        if not left.any():
            break
        rest = pc.filter(values, pa.array(left))
        hit, p = _extract(rest, pattern, ("y", "m", "d", "H", "M", "S"))
        ok = hit & _valid_date(p["y"], p["m"], p["d"]) & (p["H"] <= 23) & (p["M"] <= 59)
        ok &= p["S"] <= 59
        where = np.flatnonzero(left)[ok]
        day = _days(p["y"][ok], p["m"][ok], p["d"][ok])
        seconds = p["H"][ok] * 3600 + p["M"][ok] * 60 + p["S"][ok]
        micros[where] = (day * 86400 + (0 if kind == "date" else seconds)) * 1_000_000
        taken[where] = True
    if kind == "date":
        serial = _matches(values, r"^[0-9]{5}$") & ~taken
        if serial.any():
            days = _ints(pc.filter(values, pa.array(serial)))
            good = days >= 1
            where = np.flatnonzero(serial)[good]
            micros[where] = (days[good] + _EXCEL_EPOCH_DAYS) * 86400 * 1_000_000
            taken[where] = True
        days32 = (micros // 86_400_000_000).astype(np.int32)
        return _Fast(taken, pa.array(days32, pa.date32(), mask=~taken), np.zeros(n, dtype=bool))
    return _Fast(taken, pa.array(micros, pa.timestamp("us"), mask=~taken), np.zeros(n, dtype=bool))


def _fast_ids(values: pa.Array, today: date) -> _Fast:
    n = len(values)
    taken = _matches(values, r"^(?:[0-9]{15}|[0-9]{17}[0-9Xx])$")
    out = np.zeros((n, 18), dtype=np.uint8)
    bad = np.zeros(n, dtype=bool)
    upgraded = np.zeros(n, dtype=bool)
    region = np.zeros(n, dtype=bool)
    lengths = _np(pc.binary_length(values))
    for width in (18, 15):
        rows = taken & (lengths == width)
        if not rows.any():
            continue
        matrix = _fixed_width(pc.utf8_upper(pc.filter(values, pa.array(rows))), width)
        if width == 15:  # the legacy form: born 19xx, no check character
            first17 = np.concatenate(
                [
                    matrix[:, :6],
                    np.full((len(matrix), 2), (ord("1"), ord("9")), np.uint8),
                    matrix[:, 6:],
                ],
                axis=1,
            )
        else:
            first17 = matrix[:, :17]
        check = _CHECK_CHARS[((first17.astype(np.int64) - 48) @ _WEIGHTS) % 11]
        y, m, d = _digits(first17, 6, 10), _digits(first17, 10, 12), _digits(first17, 12, 14)
        valid = _valid_date(y, m, d) & (y >= 1880)
        valid &= (y * 10000 + m * 100 + d) <= today.year * 10000 + today.month * 100 + today.day
        if width == 18:
            valid &= matrix[:, 17] == check
        where = np.flatnonzero(rows)
        out[where, :17] = first17
        out[where, 17] = check
        bad[where] = ~valid
        upgraded[where] = valid & (width == 15)
        region[where] = valid & ~np.isin(_digits(first17, 0, 2), _PROVINCE_CODES)
    good = taken & ~bad
    data = pa.py_buffer(out.tobytes())
    offsets = pa.py_buffer(np.arange(0, 18 * (n + 1), 18, dtype=np.int32))
    strings = pa.StringArray.from_buffers(n, offsets, data)
    result = pc.if_else(pa.array(good), strings, pa.scalar(None, pa.string()))
    return _Fast(
        taken,
        result,
        bad,
        {"id_upgraded_15_to_18": upgraded, "id_unknown_region": region},
    )


def _fast(col: Column, values: pa.Array, scale: float, today: date) -> _Fast:
    kind = col.type
    if kind in ("text", "code"):
        return _fast_text(values, code=kind == "code")
    if kind in ("amount", "number", "int"):
        return _fast_number(values, kind, scale)
    if kind in ("date", "datetime"):
        return _fast_dates(values, kind)
    if kind == "id":
        return _fast_ids(values, today)
    raise AssertionError(kind)


def _parse_distinct(col: Column, values: pa.Array, scale: float, today: date) -> _Fast:
    """Every distinct cell parsed: by the column's expressions, the rest by ``parse_cell``."""
    n = len(values)
    fast = (
        _fast(col, values, scale, today)
        if n
        else _Fast(np.zeros(0, bool), _null(col.type, 0), np.zeros(0, bool))
    )
    slow = np.flatnonzero(~fast.taken)
    warnings = {code: fast.warnings.get(code, np.zeros(n, dtype=bool)) for code in ID_WARNINGS}
    if not len(slow):
        return _Fast(fast.taken, fast.values, fast.bad, warnings if col.type == "id" else {})
    results: list[Any] = []
    bad = fast.bad.copy()
    for index, text in zip(slow, values.take(pa.array(slow)).to_pylist(), strict=True):
        seen: Counter[str] = Counter()
        try:
            results.append(parse_cell(col, text, False, scale, seen))
        except ValueProblem:
            results.append(None)
            bad[index] = True
        for code in seen:
            warnings[code][index] = True
    mask = np.zeros(n, dtype=bool)
    mask[slow] = True
    try:
        parsed = pa.array(results, ARROW_TYPES[col.type])
    except OverflowError:
        # An integer beyond 64 bits fits no column (SQL refuses it too): the file fails.
        raise ValueError(f"{col.name}: 整数超出范围") from None
    replaced = pc.replace_with_mask(fast.values, pa.array(mask), parsed)
    return _Fast(np.ones(n, dtype=bool), replaced, bad, warnings if col.type == "id" else {})


def _printable_bytes(values: pa.Array, allowed: bytes) -> bool:
    """Every byte of every value is one of ``allowed`` (checked on Arrow's data buffer)."""
    if not len(values) or values.null_count:
        return False
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(allowed, dtype=np.uint8)] = True
    return bool(table[data].all())


_GRAPHIC = bytes(range(0x21, 0x7F))  # printable ASCII but the space
_ID_BYTES = b"0123456789Xx"


def _rows_fast(col: Column, raw: pa.Array, today: date) -> _Fast | None:
    """Row by row, without looking for distinct cells, for the columns whose cells are mostly
    all different (transaction numbers, times, IDs) when they are in the usual form: the rows
    taken, or None when no row is."""
    n = len(raw)
    kind = col.type
    if kind == "code" and _printable_bytes(raw, _GRAPHIC):
        # No space and nothing NFKC changes: the value is the cell, unless a missing marker.
        missing = pc.is_in(raw, value_set=_MISSING)
        values = pc.if_else(missing, pa.scalar(None, pa.string()), raw)
        return _Fast(np.ones(n, dtype=bool), values, np.zeros(n, dtype=bool))
    if (
        kind == "id"
        and _printable_bytes(raw, _ID_BYTES)
        and (_np(pc.binary_length(raw)) == 18).all()
    ):
        return _fast_ids(raw, today)
    if kind == "datetime":
        return _fast_iso_times(raw)
    return None


def _fast_iso_times(raw: pa.Array) -> _Fast | None:
    """``YYYY-MM-DD HH:MM:SS`` (or ``T``), the form machines write, read from the bytes."""
    n = len(raw)
    lengths = _np(pc.binary_length(raw))
    rows = lengths == 19
    if not rows.any():
        return None
    matrix = _fixed_width(raw.filter(pa.array(rows)), 19)
    digits = np.r_[0:4, 5:7, 8:10, 11:13, 14:16, 17:19]
    shape = (matrix[:, digits] >= 48).all(axis=1) & (matrix[:, digits] <= 57).all(axis=1)
    shape &= (matrix[:, 4] == 45) & (matrix[:, 7] == 45)  # '-'
    shape &= (matrix[:, 10] == 32) | (matrix[:, 10] == 84)  # ' ' or 'T'
    shape &= (matrix[:, 13] == 58) & (matrix[:, 16] == 58)  # ':'
    y, m, d = _digits(matrix, 0, 4), _digits(matrix, 5, 7), _digits(matrix, 8, 10)
    hh, mm, ss = _digits(matrix, 11, 13), _digits(matrix, 14, 16), _digits(matrix, 17, 19)
    ok = shape & _valid_date(y, m, d) & (hh <= 23) & (mm <= 59) & (ss <= 59)
    taken = np.zeros(n, dtype=bool)
    where = np.flatnonzero(rows)[ok]
    taken[where] = True
    micros = np.zeros(n, dtype=np.int64)
    seconds = _days(y[ok], m[ok], d[ok]) * 86400 + hh[ok] * 3600 + mm[ok] * 60 + ss[ok]
    micros[where] = seconds * 1_000_000
    values = pa.array(micros, pa.timestamp("us"), mask=~taken)
    return _Fast(taken, values, np.zeros(n, dtype=bool))


def _by_distinct(col: Column, raw: pa.Array, scale: float, today: date) -> _Fast:
    encoded = pc.dictionary_encode(raw)
    indices = encoded.indices
    distinct = _parse_distinct(col, encoded.dictionary, scale, today)
    at = _np(indices)
    return _Fast(
        np.ones(len(raw), dtype=bool),
        distinct.values.take(indices),
        distinct.bad[at],
        {code: flags[at] for code, flags in distinct.warnings.items()},
    )


def parse_column(
    col: Column, cells: pa.Array, *, scale: float = 1.0, today: date | None = None
) -> ParsedColumn:
    """``cells`` (raw text; null: the row has no such cell, read as "") parsed as ``col``."""
    today = today or date.today()
    raw = pc.fill_null(cells.cast(pa.string()), "")
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    rows = _rows_fast(col, raw, today)
    if rows is None:
        done = _by_distinct(col, raw, scale, today)
    elif rows.taken.all():
        done = rows
    else:
        rest = ~rows.taken
        more = _by_distinct(col, raw.filter(pa.array(rest)), scale, today)
        mask = pa.array(rest)
        values = pc.replace_with_mask(rows.values, mask, more.values)
        bad = rows.bad.copy()
        bad[rest] = more.bad
        warnings = {}
        for code in set(rows.warnings) | set(more.warnings):
            flags = rows.warnings.get(code, np.zeros(len(raw), dtype=bool)).copy()
            flags[rest] = more.warnings.get(code, np.zeros(int(rest.sum()), dtype=bool))
            warnings[code] = flags
        done = _Fast(np.ones(len(raw), dtype=bool), values, bad, warnings)
    warnings = done.warnings if col.type == "id" else {}
    if col.type == "id":
        warnings = {
            code: warnings.get(code, np.zeros(len(raw), dtype=bool)) for code in ID_WARNINGS
        }
    return ParsedColumn(values=done.values, bad=done.bad, warnings=warnings)
