"""Whole-column parsing gives, cell for cell, what the one-cell rule gives: the same value, the
same cells failing, the same ID warnings. Cells are drawn near every form the expressions take
(and just outside them), so a difference in any fast path shows."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from creditfarm.identity import checksum_char
from creditfarm.ingest.columns import parse_cell, parse_column
from creditfarm.ingest.contract import Column
from creditfarm.ingest.normalize import ValueProblem

_DIGITS = st.text("0123456789", min_size=1, max_size=4)
_SEP = st.sampled_from(["-", "/", ".", "", " ", "T", "  ", "\t", "年", "月", "日", ":", "：", "x"])
_SPACE = st.sampled_from(["", "", "", " ", "  ", "\u3000", "\t", "\x1c", "\xa0"])
_NOISE = st.text(
    alphabet=st.sampled_from([*"0123456789-/.: T,$¥+eE万元亩%xX一黎䶮ａ１\u3000\u00b7"]),
    max_size=12,
)


@st.composite
def _date_like(draw: st.DrawFn) -> str:
    parts = [draw(_DIGITS) for _ in range(draw(st.integers(1, 6)))]
    text = parts[0]
    for part in parts[1:]:
        text += draw(_SEP) + part
    return draw(_SPACE) + text + draw(_SPACE)


@st.composite
def _number_like(draw: st.DrawFn) -> str:
    sign = draw(st.sampled_from(["", "", "-", "+", " -"]))
    whole = draw(st.text("0123456789,", max_size=9))
    frac = draw(st.sampled_from(["", ".", ".5", ".25", ".125", ".0", ".999999999999999999"]))
    unit = draw(st.sampled_from(["", "", "", "元", "万元", "万", "亩", "%", "abc", "e3", "E-2"]))
    return draw(_SPACE) + sign + whole + frac + unit + draw(_SPACE)


@st.composite
def _id_like(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["469029", "110101", "990101", "46902"]))
    born = draw(st.dates(min_value=date(1870, 1, 1), max_value=date(2030, 12, 31)))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"[:17]
    good = first17 + (checksum_char(first17) if len(first17) == 17 else "")
    form = draw(st.integers(0, 6))
    if form == 0:
        return good
    if form == 1:  # the 15-digit legacy form (born 19xx)
        return (region + f"{born:%y%m%d}{seq:03d}")[:15]
    if form == 2:
        return good.lower()
    if form == 3:
        return good[:17] + draw(st.sampled_from("0123456789X"))
    if form == 4:
        return draw(_SPACE) + good + draw(_SPACE)
    if form == 5:
        return good.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return draw(st.sampled_from(["", "-", "无", "NULL", "4.69029E+17", good[:16], "x" * 18]))


_CELLS = {
    "date": st.one_of(_date_like(), _NOISE, st.sampled_from(["44260", "00000", "44260.5"])),
    "datetime": st.one_of(
        _date_like(),
        _NOISE,
        st.sampled_from(
            [
                "2021-07-01 10:00:00",
                "2021-07-01T10:00:00",
                "2021-07-01 10:00:00.5",
                "2021-07-01 10:00:00+08:00",
                "2021-07-01 24:00:00",
                "2021/7/1 9:5",
                "20210701",
                "20210701101010",
                "2021-W26-4",
                "2021-02-29 10:00",
                "2024-02-29 10:00",
            ]
        ),
    ),
    "amount": st.one_of(_number_like(), _NOISE),
    "number": st.one_of(_number_like(), _NOISE),
    "int": st.one_of(
        _number_like(), _NOISE, st.sampled_from(["123456789012345", "1e5", "2.0", "2.5"])
    ),
    "text": st.one_of(_NOISE, st.text(max_size=8), st.sampled_from(["", "-", "N/A", " 无 "])),
    "code": st.one_of(_NOISE, st.text(max_size=8), st.sampled_from(["H 001", " N / A "])),
    "id": _id_like(),
}


@st.composite
def _iso_time(draw: st.DrawFn) -> str:
    """``YYYY-MM-DD HH:MM:SS`` with any two digits in each place (so also Feb 30, 24:00)."""
    two = st.integers(0, 99).map(lambda v: f"{v:02d}")
    year = draw(st.integers(0, 9999))
    sep = draw(st.sampled_from([" ", " ", "T", "/", "_"]))
    return f"{year:04d}-{draw(two)}-{draw(two)}{sep}{draw(two)}:{draw(two)}:{draw(two)}"


# Whole columns in one machine form (with a stray other cell now and then): the row-by-row
# paths that skip looking for distinct cells.
_MACHINE = {
    "datetime": st.one_of(_iso_time(), _iso_time(), _iso_time(), _date_like()),
    "id": st.one_of(_id_like(), st.text("0123456789Xx", min_size=18, max_size=18)),
    "code": st.one_of(
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12),
        st.sampled_from(["-", "NULL", "N/A", "", " x"]),
    ),
}


def _scalar(col: Column, cell: str, scale: float) -> tuple[object, bool, Counter[str]]:
    warnings: Counter[str] = Counter()
    try:
        return parse_cell(col, cell, False, scale, warnings), False, warnings
    except ValueProblem:
        return None, True, Counter()


def _agree(kind: str, cells: list[str | None], scale: float = 1.0) -> None:
    col = Column("x", kind)  # type: ignore[arg-type]
    try:
        parsed = parse_column(col, pa.array(cells, pa.string()), scale=scale)
    except ValueError as exc:  # only an integer that fits no 64-bit column may do this
        assert "整数超出范围" in str(exc)
        assert any(abs(_scalar(col, c or "", scale)[0] or 0) >= 2**63 for c in cells)  # type: ignore[arg-type]
        return
    values = parsed.values.to_pylist()
    for i, cell in enumerate(cells):
        value, bad, warnings = _scalar(col, cell or "", scale)
        if isinstance(value, datetime) and kind == "datetime":
            value = value.replace(tzinfo=None)
        assert bool(parsed.bad[i]) == bad, (kind, cell)
        assert values[i] == value, (kind, cell, values[i], value)
        if kind == "id":
            got = {code for code, flags in parsed.warnings.items() if flags[i]}
            assert got == set(warnings), (cell, got, warnings)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_kind_of_column_agrees_with_the_cell_rule(data: st.DataObject) -> None:
    for kind, cells in _CELLS.items():
        drawn = data.draw(st.lists(st.one_of(st.none(), cells), min_size=1, max_size=25))
        _agree(kind, drawn, scale=data.draw(st.sampled_from([1.0, 10_000.0, 1_000.0])))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_columns_in_one_machine_form_agree_with_the_cell_rule(data: st.DataObject) -> None:
    for kind, cells in _MACHINE.items():
        _agree(kind, data.draw(st.lists(cells, min_size=1, max_size=40)))


def test_known_cells_by_hand() -> None:
    col = Column("t", "datetime")
    parsed = parse_column(
        col, pa.array(["2021-07-01 10:00:00", "2021/7/2 11:00", "20210703", "2021-02-30", None])
    )
    assert parsed.values.to_pylist() == [
        datetime(2021, 7, 1, 10),
        datetime(2021, 7, 2, 11),
        datetime(2021, 7, 3),
        None,
        None,
    ]
    assert list(parsed.bad) == [False, False, False, True, False]
    amounts = parse_column(Column("a", "amount"), pa.array(["1,200元", "0.5万元", "250.00", "-"]))
    assert amounts.values.to_pylist() == [1200.0, 5000.0, 250.0, None]
    ids = parse_column(
        Column("i", "id"), pa.array(["469029800101001", "46902919800101001x", "46902919800101001"])
    )
    assert ids.values.to_pylist() == ["46902919800101001X", "46902919800101001X", None]
    assert list(ids.bad) == [False, False, True]
    assert list(ids.warnings["id_upgraded_15_to_18"]) == [True, False, False]


def test_an_integer_beyond_64_bits_fails_the_column() -> None:
    try:
        parse_column(Column("n", "int"), pa.array(["12345678901234567890"]))
    except ValueError as exc:
        assert "整数超出范围" in str(exc)
    else:
        raise AssertionError("a 20-digit integer was accepted")
