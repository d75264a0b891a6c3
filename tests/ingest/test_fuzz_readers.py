"""Property and fuzz tests: every reader, fed random bytes, truncated and mutated real sample
files, NUL bytes, mixed encodings, huge and negative amounts, future dates and duplicated keys,
ends in one of two ways — a ``ReadError`` whose message names the file, or a table (whose bad
rows the import quarantines). Never another exception. Through the whole import: a run that is
done (every row read is accepted, merged or quarantined), unchanged, or failed with a message
naming the file — and a failed import leaves the database and the payment store as they were.

Examples are drawn deterministically (the ``creditfarm`` hypothesis profile in conftest);
the heavier whole-import properties are marked ``slow``.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from creditfarm.ingest.contract import SOURCES, Source
from creditfarm.ingest.limits import ReadLimits
from creditfarm.ingest.orchestrate import ingest_file
from creditfarm.ingest.placement import place_file
from creditfarm.ingest.readers import ExportFile, ReadError, read_table
from creditfarm.storage.models import Archive, Loan
from creditfarm.workspace import Workspace, open_workspace
from tests.conftest import make_settings
from tests.helpers.hostile import assert_clear, head_bytes, sample_files, state

SAMPLES = sample_files()
# Small limits, so the limit paths (size, rows, columns, cell length, rejected rows) are
# reached by small examples as well as the ordinary ones.
TIGHT = ReadLimits(
    max_bytes=48 << 10, max_rows=60, max_columns=12, max_cell_chars=40, max_rejected_rows=8
)
ROOMY = ReadLimits(
    max_bytes=1 << 30,
    max_rows=20_000_000,
    max_columns=1_000,
    max_cell_chars=32_767,
    max_rejected_rows=100_000,
)
_LIMITS = st.sampled_from([ROOMY, TIGHT])
_SOURCES = st.sampled_from(sorted(SOURCES))
# Byte strings a hostile or broken export holds.
_NASTY = st.sampled_from(
    [
        b"\0",
        b"\0\0\0\0",
        "黎明,符丽琼".encode("gbk"),  # a GBK line inside a UTF-8 file
        b"\xff\xfe",
        b"\xef\xbb\xbf",
        b'"',
        b'"unclosed',
        b"\r",
        b"\r\n\r\n",
        b",,,,,,,,,,,,,,,,,,,,",
        b"1e309",
        b"1e308",
        b"-5",
        b"-1e308",
        b"2099-01-01",
        b"9999-12-31",
        b"0000-00-00",
        b"NaN",
        b"x" * 300,
        "１２３４５６".encode(),
        b'=HYPERLINK("http://x")',
        b"'; DROP TABLE person; --",
        b"PK\x03\x04",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\n" * 50,
    ]
)
_MUTATION = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.floats(0, 1), _NASTY),
    st.tuples(st.just("duplicate_line"), st.floats(0, 1), st.just(b"")),
)


def _mutate(data: bytes, mutations: list[tuple]) -> bytes:
    for mutation in mutations:
        kind, where = mutation[0], int(mutation[1] * len(data)) if data else 0
        if kind == "truncate":
            data = data[:where]
        elif kind == "flip" and data:
            at = min(where, len(data) - 1)
            data = data[:at] + bytes([mutation[2]]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:where] + mutation[2] + data[where:]
        elif kind == "duplicate_line":
            lines = data.split(b"\n")
            at = min(int(mutation[1] * len(lines)), len(lines) - 1)
            lines.insert(at, lines[at])
            data = b"\n".join(lines)
    return data


def _sample_bytes(src: str, xlsx: bool) -> tuple[bytes, str]:
    """A real sample of ``src`` (CSV cut to its first lines, or a whole small workbook) and
    its suffix; a source without a sample of that kind gives its other kind."""
    files = SAMPLES[src]
    wanted = [p for p in files if (p.suffix == ".xlsx") == xlsx] or files
    path = min(wanted, key=lambda p: p.stat().st_size)
    if path.suffix == ".xlsx":
        return path.read_bytes(), ".xlsx"
    return head_bytes(path), path.suffix


def _read_clearly(path: Path, source: Source, limits: ReadLimits) -> None:
    """The reader-level property: a table, or a ``ReadError`` naming the file."""
    export = ExportFile(path, limits=limits)
    placement = place_file(export)
    if placement.source is None:
        assert placement.message  # not placed: said why
    try:
        table = read_table(ExportFile(path, limits=limits), source=source)
    except ReadError as exc:
        assert path.name in str(exc), str(exc)
        return
    assert all(row.line >= 1 for row in table.rows)
    assert len(table.headers) <= limits.max_columns or not table.rows


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@settings(max_examples=120)
@given(src=_SOURCES, suffix=st.sampled_from([".csv", ".xlsx", ".txt"]), data=st.binary())
def test_random_bytes_end_in_a_table_or_a_read_error(src: str, suffix: str, data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), f"{src}{suffix}", data)
        for limits in (ROOMY, TIGHT):
            _read_clearly(path, SOURCES[src], limits)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    src=_SOURCES,
    xlsx=st.booleans(),
    mutations=st.lists(_MUTATION, min_size=1, max_size=4),
    limits=_LIMITS,
)
def test_mutated_samples_end_in_a_table_or_a_read_error(
    src: str, xlsx: bool, mutations: list[tuple], limits: ReadLimits
):
    data, suffix = _sample_bytes(src, xlsx)
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), f"{src}{suffix}", _mutate(data, mutations))
        _read_clearly(path, SOURCES[src], limits)


# ------------------------------------------------------------------ the whole import


@pytest.fixture(scope="module")
def fuzz_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One workspace for every example: a refused file must leave it as it was, an accepted
    one may add to it (later examples start from there, as a real county's imports do)."""
    ws = open_workspace(make_settings(tmp_path_factory.mktemp("fuzz")))
    for name in ("行政区划.csv", "户籍.csv", "卡户对照.csv", "助农取款服务点.csv"):
        path = next(p for files in SAMPLES.values() for p in files if p.name == name)
        ingest_file(ws, path)
    yield ws
    ws.engine.dispose()


def _import_clearly(ws: Workspace, path: Path, source: str) -> None:
    before = state(ws)
    run = ingest_file(ws, path, source=source)
    assert_clear(run, path)
    if run.status == "failed":
        assert state(ws) == before, run.message
    if run.status == "done":
        # Nothing lost: every row read is stored, merged into a later one, or quarantined.
        assert run.rows_read == run.rows_accepted + run.duplicates_merged + run.rows_quarantined


@pytest.mark.slow
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(src=_SOURCES, xlsx=st.booleans(), mutations=st.lists(_MUTATION, min_size=1, max_size=3))
def test_mutated_samples_import_clearly(
    fuzz_ws: Workspace, src: str, xlsx: bool, mutations: list[tuple]
):
    data, suffix = _sample_bytes(src, xlsx)
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), f"{src}{suffix}", _mutate(data, mutations))
        _import_clearly(fuzz_ws, path, src)


# Cells a hostile archive or loan book holds: amounts beyond float, negative, non-numbers;
# dates far ahead, impossible, in other forms; formulas, SQL, full-width digits.
_AMOUNT = st.one_of(
    st.sampled_from(["1e309", "1e308", "-1e308", "-3", "NaN", "inf", "3.5", "１．５", "", "无"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
)
_DATE = st.one_of(
    st.sampled_from(["2099-01-01", "9999-12-31", "0001-01-01", "2021-02-30", "2021/3/5", ""]),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(str),
)
_NAME = st.one_of(
    st.sampled_from(["黎明", "=cmd|' /C calc'!A0", "'; DROP TABLE person; --", "＠ＳＵＭ(1)"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
)
# A few resident IDs (valid, full-width, lower-case x) so that keys repeat with other content.
_ID = st.sampled_from(
    ["46902919800101001X", "46902919800101001x", "４６９０２９１９８２０３０５００２８", "123"]
)


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


@pytest.mark.slow
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(_ID, _NAME, _DATE, _AMOUNT, _AMOUNT), min_size=1, max_size=12),
    loans=st.lists(
        st.tuples(st.sampled_from(["L1", "L2"]), _ID, _DATE, _DATE, _AMOUNT), max_size=6
    ),
)
def test_hostile_values_are_stored_plausible_or_quarantined(
    fuzz_ws: Workspace, rows: list[tuple[str, ...]], loans: list[tuple[str, ...]]
):
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "2021年农户信用档案.csv"
        archive.write_text(
            "户主身份证号,户主姓名,建档日期,家庭年收入(万元),存款余额\n"
            + "".join(",".join(_csv_cell(v) for v in row) + "\n" for row in rows),
            encoding="utf-8",
        )
        _import_clearly(fuzz_ws, archive, "archive")
        book = Path(folder) / "贷款台账.csv"
        book.write_text(
            "贷款编号,身份证号,发放日期,到期日期,贷款金额\n"
            + "".join(",".join(_csv_cell(v) for v in loan) + "\n" for loan in loans),
            encoding="utf-8",
        )
        _import_clearly(fuzz_ws, book, "loans")
    today = date.today()
    with fuzz_ws.engine.connect() as conn:
        stored = conn.execute(
            select(Archive.filed_date, Archive.annual_income, Archive.deposits)  # type: ignore[call-overload]
        ).all()
        issued = conn.execute(select(Loan.issue_date, Loan.maturity_date, Loan.amount)).all()  # type: ignore[call-overload]
    for filed, income, deposit in stored:
        assert filed is None or _day(filed) <= today
        for amount in (income, deposit):
            assert amount is None or (math.isfinite(amount) and amount >= 0)
    for issue, maturity, amount in issued:
        assert _day(issue) <= today
        assert maturity is None or _day(maturity).year < today.year + 51
        assert math.isfinite(amount) and amount >= 0


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
