"""Read one county export (CSV in any of its encodings, or .xlsx) into batches of text cells.

An ``ExportFile`` opens the file once. Files up to ``HOLD_BYTES`` are then held in memory; a
larger one keeps its handle and is streamed from it: once for the fingerprint (sha256, which
also checks whether the bytes are UTF-8 and whether any cell is quoted) and, unless the same
bytes were imported before, once more for the cells. Placement and import share that one
``ExportFile``, so a file is never opened or held twice.

Everything is read as text. A table is read in ``CellBatch`` es of Arrow string columns, one
per cell position of the header row, with each row's 1-based line (CSV) or row number (xlsx)
and, for xlsx, which cells were Excel numbers (an ID stored as a number has lost its last
digits and must be flagged, never trusted). The header row may sit below a few title rows: the
row matching most contract columns is taken. Blank rows are dropped here.

CSV cells: a file without any ``"`` is split by Arrow's CSV reader (quoting off: a record is a
line, exactly as Python's ``csv`` module reads such a file); a file with quotes is read by
Python's ``csv`` module itself, streamed. Either way the text is decoded as UTF-8 (with or
without BOM) when every byte of the file is UTF-8, else as GB18030, transcoded in a stream.
Rows with another number of cells than the header (rare) are read one by one in Python, which
is also what names cells beyond the header (``列7``) in the order they appear.

Which source a file is (``placement``) is decided before its table is read: ``open_table`` and
``read_table`` take the source. ``read_table`` builds every row as a Python ``RawRow`` (tests,
small files); the import reads the batches.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from creditfarm.ingest.contract import SOURCES, Source
from creditfarm.ingest.limits import ReadLimits, default_limits
from creditfarm.ingest.normalize import normalize_cell, unit_scale

__all__ = [
    "BATCHING",
    "DATA_SUFFIXES",
    "HOLD_BYTES",
    "PY_WHITESPACE",
    "TEXT_SUFFIXES",
    "Batching",
    "CellBatch",
    "ExportFile",
    "Grid",
    "GridRow",
    "MissingColumnsError",
    "RawRow",
    "RawTable",
    "ReadError",
    "TableReader",
    "decode_csv_bytes",
    "find_header",
    "header_key",
    "match_header",
    "open_table",
    "read_table",
]

# Delimited text (bank systems often export .txt / .tsv) is read like CSV.
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
DATA_SUFFIXES = (*TEXT_SUFFIXES, ".xlsx")
HOLD_BYTES = 8 << 20  # files up to this size are held in memory after their one read
_CHUNK = 8 << 20  # bytes per read when a file is streamed
_HEADER_SCAN_ROWS = 10  # title rows an export may put above its header
_HEAD_BYTES = 64 << 10  # first bytes decoded to find the header (grown when rows are long)
_HEAD_MAX_BYTES = 64 << 20  # … up to this: the header search never reads a whole file
_UNIT_RE = re.compile(r"\(([^()]*)\)$")
_BOM = b"\xef\xbb\xbf"
# What str.strip() removes: a blank cell is one that strips to "".
PY_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


class ReadError(Exception):
    """A file that cannot be read at all; the message names the file (and line/column)."""


class MissingColumnsError(ReadError):
    """Required contract columns absent from the header row."""


@dataclass(frozen=True)
class Batching:
    """How much of a file one batch holds: ``rows`` for rows built in Python (xlsx, quoted
    CSV, re-reads), ``block_bytes`` for Arrow's CSV reader (a block must hold a whole line)."""

    rows: int = 131_072
    block_bytes: int = 16 << 20


BATCHING = Batching()


@dataclass
class GridRow:
    line: int  # 1-based line (CSV) or sheet row (xlsx)
    cells: list[str]
    numeric: frozenset[int] = frozenset()  # indexes of cells that were Excel numbers


@dataclass
class Grid:
    """Rows of text cells: the first rows of a file (what placement and the header search
    look at)."""

    path: Path
    rows: list[GridRow]
    encoding: str | None = None  # CSV only
    sheet: str | None = None  # xlsx only


@dataclass
class RawRow:
    line: int
    values: dict[str, str]  # original header → raw text
    numeric: frozenset[str] = frozenset()  # headers whose cell was an Excel number


@dataclass
class RawTable:
    path: Path
    source: Source
    headers: list[str]
    mapping: dict[str, str]  # original header → canonical column
    scales: dict[str, float]  # canonical column → unit scale from its header (万元 → 10000)
    rows: list[RawRow]
    header_line: int = 1
    encoding: str | None = None
    sheet: str | None = None
    extra_headers: list[str] = field(default_factory=list)  # kept as extra attributes

    def canonical(self, row: RawRow) -> dict[str, str]:
        """The row's raw values by canonical column (only mapped columns)."""
        return {canon: row.values.get(header, "") for header, canon in self.mapping.items()}

    def header_for(self, column: str) -> str | None:
        for header, canon in self.mapping.items():
            if canon == column:
                return header
        return None


@dataclass
class CellBatch:
    """Consecutive rows of a table (blank rows dropped): their lines, one string column per
    cell position of the header row (null: the row has no such cell), and for xlsx one
    boolean column per position (the cell was an Excel number). Rows with cells beyond the
    header are also kept whole as ``RawRow`` (``wide``, by index in the batch)."""

    lines: np.ndarray
    cells: list[pa.Array]
    numeric: list[pa.Array] | None = None
    wide: dict[int, RawRow] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)


def header_key(header: str) -> tuple[str, str | None]:
    """Comparable form of a header and the unit written after it: ``家庭年收入（万元）`` →
    (``家庭年收入``, ``万元``). Case, spaces, width, ``_`` and ``*`` marks are ignored."""
    value = re.sub(r"\s+", "", normalize_cell(header)).lower().strip("*")
    unit = None
    match = _UNIT_RE.search(value)
    if match and match.start() > 0:
        unit = match.group(1)
        value = value[: match.start()].strip("*")
    return value.replace("_", ""), unit


def _alias_table(source: Source) -> dict[str, str]:
    table: dict[str, str] = {}
    for col in source.columns:
        for name in (col.name, *col.aliases):
            table.setdefault(header_key(name)[0], col.name)
    return table


_ALIASES: dict[str, dict[str, str]] = {name: _alias_table(src) for name, src in SOURCES.items()}


def match_header(header: str, source: Source) -> str | None:
    """The canonical column a header names in ``source``, or None."""
    return _ALIASES[source.name].get(header_key(header)[0])


def find_header(grid: Grid, source: Source) -> tuple[int, dict[int, str]]:
    """Index (into ``grid.rows``) of the header row and its cell index → canonical column."""
    best: tuple[int, dict[int, str]] = (-1, {})
    for idx, row in enumerate(grid.rows[:_HEADER_SCAN_ROWS]):
        mapped: dict[int, str] = {}
        for pos, cell in enumerate(row.cells):
            canon = match_header(cell, source) if cell.strip() else None
            if canon and canon not in mapped.values():  # first of two same columns wins
                mapped[pos] = canon
        if len(mapped) > len(best[1]):
            best = (idx, mapped)
    return best


def _decode_position(data: bytes, start: int) -> str:
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    return f"第 {line} 行第 {column} 字节"


def _undecodable(path: Path, position: str) -> ReadError:
    return ReadError(f"{path.name}: 编码无法识别（既不是 UTF-8 也不是 GB18030），{position}")


def _not_csv(path: Path) -> ReadError:
    return ReadError(f"{path.name}: 这是 Excel/压缩文件，不是 CSV，请以 .xlsx 扩展名提供")


def decode_csv_bytes(data: bytes, path: Path) -> tuple[str, str]:
    """Text and encoding of bytes held whole: strict UTF-8 (with or without BOM), else strict
    GB18030 (the rule a streamed file follows too)."""
    if data.startswith(b"PK\x03\x04"):
        raise _not_csv(path)
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(_BOM) else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise _undecodable(path, _decode_position(data, exc.start)) from None


# ---------------------------------------------------------------- bytes: one open, streamed


class _Window(io.RawIOBase):
    """A readable view of the file's one handle (or held bytes) that does not close it."""

    def __init__(self, base: IO[bytes]) -> None:
        self._base = base

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._base.seek(offset, whence)

    def tell(self) -> int:
        return self._base.tell()

    def readinto(self, buffer: Any) -> int:
        return self._base.readinto(buffer)  # type: ignore[attr-defined, no-any-return]


def _utf8_valid(data: bytes) -> bool:
    """Strict UTF-8 (what ``bytes.decode("utf-8")`` accepts), checked by Arrow."""
    if not data:
        return True
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _utf8_cut(data: bytes) -> int:
    """Where ``data`` ends with whole characters: a multi-byte UTF-8 sequence cut by the
    chunk boundary is carried into the next chunk."""
    end = len(data)
    for back in range(1, min(4, end) + 1):
        byte = data[end - back]
        if byte & 0xC0 == 0x80:
            continue  # continuation byte: keep looking for the lead byte
        need = 1 if byte < 0x80 else 2 if byte >= 0xC0 and byte < 0xE0 else 3 if byte < 0xF0 else 4
        return end - back if back < need else end
    return end


class _LineCount:
    """Lines of a file fed chunk by chunk: how many newlines, where the first NUL byte is, and
    the first line longer than ``max_line`` bytes (numpy finds the newlines of a chunk)."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self.newlines = 0
        self.last_newline = -1  # file offset of the last newline seen
        self.nul_at: tuple[int, int] | None = None
        self.long_line: int | None = None

    def add(self, chunk: bytes, offset: int) -> None:
        if self.nul_at is None and (nul := chunk.find(b"\0")) >= 0:
            before = chunk.count(b"\n", 0, nul)
            start = chunk.rfind(b"\n", 0, nul)
            line_start = offset + start + 1 if start >= 0 else self.last_newline + 1
            self.nul_at = (self.newlines + before + 1, offset + nul - line_start + 1)
        at = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
        if self.long_line is None:
            ends = np.concatenate(([self.last_newline], at + offset))
            long = np.flatnonzero(np.diff(ends) - 1 > self.max_line)
            if len(long):
                self.long_line = self.newlines + int(long[0]) + 1
            elif not len(at) and offset + len(chunk) - self.last_newline - 1 > self.max_line:
                self.long_line = self.newlines + 1  # no newline yet: this line is too long
        if len(at):
            self.last_newline = offset + int(at[-1])
        self.newlines += len(at)

    def end(self, size: int) -> int | None:
        """The first line too long, the last (unterminated) one included."""
        if self.long_line is None and size - self.last_newline - 1 > self.max_line:
            self.long_line = self.newlines + 1
        return self.long_line


@dataclass(frozen=True)
class _Scan:
    sha256: str
    size: int
    utf8: bool = False  # every byte is UTF-8 (CSV only)
    bom: bool = False
    utf16: bool = False  # starts with a UTF-16 byte order mark
    quoted: bool = False  # some byte is '"': Python's csv module reads the file
    zipped: bool = False  # an .xlsx (zip) saved as .csv
    lines: int = 0  # newlines (CSV only): the rows limit is checked on them
    nul_at: tuple[int, int] | None = None  # (line, byte column) of the first NUL byte
    long_line: int | None = None  # the first line longer than one read block


class ExportFile:
    """One export file, opened at most once (on first use): its fingerprint, the first rows
    that placement looks at, and its table in batches."""

    def __init__(
        self, path: Path, *, batching: Batching | None = None, limits: ReadLimits | None = None
    ) -> None:
        self.path = Path(path)
        self.batching = batching
        self.read_limits = limits or default_limits()
        self._data: bytes | None = None
        self._handle: IO[bytes] | None = None
        self._scan: _Scan | None = None
        self._decodable = False
        self._mixed_checked = False  # a non-UTF-8 file was checked for a change of encoding
        self._workbook: Any = None
        self._sheets: dict[str, list[GridRow]] = {}
        self._heads: dict[str | None, Grid] = {}

    @property
    def limits(self) -> Batching:
        return self.batching or BATCHING

    def _suffix(self) -> str:
        return self.path.suffix.lower()

    def _check_kind(self) -> None:
        if self._suffix() not in DATA_SUFFIXES:
            suffix = self._suffix()
            raise ReadError(
                f"{self.path.name}: 不支持的文件类型 {suffix or '(无扩展名)'}"
                "（支持 .csv、.txt、.tsv、.xlsx）"
            )

    def open_stream(self) -> io.BufferedReader:
        """The file's bytes from the start. The first call opens the file (the only open of
        it): a small file is read whole and held, a large one keeps its handle."""
        if self._data is None and self._handle is None:
            if not self.path.is_file():
                raise ReadError(f"{self.path}: 文件不存在或不可读")
            handle = open(self.path, "rb")  # noqa: SIM115 - kept open until release()
            size = os.fstat(handle.fileno()).st_size
            if size > self.read_limits.max_bytes:
                handle.close()
                raise ReadError(
                    f"{self.path.name}: 文件 {size / 2**20:,.1f} MB，超过上限 "
                    f"{self.read_limits.max_mb}（CREDITFARM_MAX_FILE_MB），未读取"
                )
            if size <= HOLD_BYTES:
                with handle:
                    self._data = handle.read()
            else:
                self._handle = handle
        base: IO[bytes] = io.BytesIO(self._data) if self._data is not None else self._handle  # type: ignore[assignment]
        base.seek(0)
        return io.BufferedReader(_Window(base), buffer_size=1 << 20)

    def read_bytes(self) -> bytes:
        """All of the file's bytes (an .xlsx is opened from them)."""
        if self._data is None:
            with self.open_stream() as stream:
                data = stream.read()
            if self._handle is not None and len(data) <= HOLD_BYTES:
                self._data = data
            return data
        return self._data

    def scan(self) -> _Scan:
        """One pass over the bytes: sha256, and for a CSV whether it is all UTF-8 and quoted."""
        if self._scan is None:
            text = self._suffix() in TEXT_SUFFIXES
            sha = hashlib.sha256()
            size, utf8, quoted, carry, first = 0, text, False, b"", b""
            lines = _LineCount(self.limits.block_bytes)
            with self.open_stream() as stream:
                while chunk := stream.read(_CHUNK):
                    sha.update(chunk)
                    if not size:
                        first = chunk[:4]
                    if text:
                        lines.add(chunk, size)
                    size += len(chunk)
                    if not text:
                        continue
                    quoted = quoted or b'"' in chunk
                    if utf8:
                        data = carry + chunk if carry else chunk
                        cut = _utf8_cut(data)
                        utf8 = _utf8_valid(data[:cut])
                        carry = data[cut:]
            self._scan = _Scan(
                sha256=sha.hexdigest(),
                size=size,
                utf8=utf8 and not carry,
                bom=first.startswith(_BOM),
                utf16=first[:2] in (b"\xff\xfe", b"\xfe\xff"),
                quoted=quoted,
                zipped=first.startswith(b"PK\x03\x04"),
                lines=lines.newlines,
                nul_at=lines.nul_at,
                long_line=lines.end(size) if text else None,
            )
        return self._scan

    @property
    def sha256(self) -> str:
        """Fingerprint of the file's content: an import of the same bytes is ``unchanged``."""
        return self.scan().sha256

    # ------------------------------------------------------------ CSV

    def csv_encoding(self) -> str:
        scan = self.scan()
        if scan.zipped:
            raise _not_csv(self.path)
        self._check_scan(scan)
        if scan.utf8:
            return "utf-8-sig" if scan.bom else "utf-8"
        if not self._mixed_checked:
            changed = self._encoding_change_line()
            if changed is not None:
                raise ReadError(
                    f"{self.path.name}: 文件编码在第 {changed} 行改变（此前各行是 UTF-8，此行不是，"
                    "多为从不同系统拼接的文件）；请统一存为 UTF-8 或 GB18030 后重新导出"
                )
            self._mixed_checked = True
        return "gb18030"

    def _check_scan(self, scan: _Scan) -> None:
        """Refuse a CSV whose fingerprint pass found a NUL byte, a line longer than a read
        block, or more lines than the rows limit — before any cell is read."""
        name, limits = self.path.name, self.read_limits
        if scan.nul_at is not None:
            line, column = scan.nul_at
            hint = (
                "这是 UTF-16 编码的文件，请另存为 UTF-8 或 GB18030"
                if scan.utf16
                else "多为二进制文件或损坏的导出"
            )
            raise ReadError(f"{name}: 第 {line} 行第 {column} 字节是 NUL 字符（0x00），{hint}")
        if scan.long_line is not None:
            raise ReadError(
                f"{name}: 第 {scan.long_line} 行超过 {self.limits.block_bytes >> 20} MB，"
                "超出单行长度上限（多为没有换行的数据或损坏的文件）"
            )
        if scan.lines > limits.max_rows:
            raise ReadError(
                f"{name}: 文件有 {scan.lines:,} 行，超过行数上限 {limits.max_rows:,}"
                "（CREDITFARM_MAX_ROWS），未读取"
            )

    def long_cell(self, line: int, delimiter: str) -> ReadError:
        """The error for a record starting on ``line`` with a cell longer than Python's csv
        module takes (it says only "field larger than field limit"): the record is walked
        again, quotes understood, to name the cell's column."""
        limit = self.read_limits.max_cell_chars
        column, length = 1, 0
        fresh, quoted, quote_seen = True, False, False  # at a cell's start; inside quotes
        with self.text_stream() as text:
            for _ in range(line - 1):
                if not text.readline():
                    break
            while chunk := text.read(1 << 16):
                for char in chunk:
                    if quoted:
                        if quote_seen:
                            quote_seen = False
                            if char != '"':  # the closing quote: read ``char`` unquoted
                                quoted = False
                        elif char == '"':
                            quote_seen = True  # closing, or the first of an escaped ""
                            continue
                        if quoted:
                            length += 1
                            if length > limit:
                                return self._cell_too_long(line, f"第 {column} 列", None)
                            continue
                    if char == delimiter:
                        column, length, fresh = column + 1, 0, True
                    elif char in "\r\n":
                        break  # the record ended without one (cannot happen: csv said so)
                    elif char == '"' and fresh:
                        quoted, fresh = True, False
                    else:
                        fresh = False
                        length += 1
                        if length > limit:
                            return self._cell_too_long(line, f"第 {column} 列", None)
                else:
                    continue
                break
        return self._cell_too_long(line, "", None)

    def _cell_too_long(self, line: int, where: str, length: int | None) -> ReadError:
        size = f"长 {length:,} 字符，" if length is not None else ""
        return ReadError(
            f"{self.path.name}: 第 {line} 行{where}的单元格{size}超过单元格长度上限 "
            f"{self.read_limits.max_cell_chars:,} 字符（CREDITFARM_MAX_CELL_CHARS），未读取"
        )

    def undecodable(self) -> ReadError:
        """The error for a file that is neither UTF-8 nor GB18030, with the first bad byte's
        line and column (found by decoding the file again from its start)."""
        start = self._gb18030_error()
        if start is None:
            raise AssertionError("GB18030 decodes the file")
        newlines, last_newline, offset = 0, -1, 0
        with self.open_stream() as stream:
            while offset < start and (chunk := stream.read(min(_CHUNK, start - offset))):
                newlines += chunk.count(b"\n")
                found = chunk.rfind(b"\n")
                if found >= 0:
                    last_newline = offset + found
                offset += len(chunk)
        column = start - (last_newline + 1) + 1
        return _undecodable(self.path, f"第 {newlines + 1} 行第 {column} 字节")

    def _gb18030_error(self) -> int | None:
        decoder = codecs.getincrementaldecoder("gb18030")("strict")
        offset = 0
        with self.open_stream() as stream:
            while True:
                chunk = stream.read(_CHUNK)
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    pending = len(exc.object) - len(chunk)  # bytes held from the last chunk
                    return offset - pending + exc.start
                if not chunk:
                    return None
                offset += len(chunk)

    def check_decodable(self) -> None:
        """Raise the ``ReadError`` of a file that is neither UTF-8 nor GB18030."""
        if self._decodable or self.csv_encoding() != "gb18030":
            self._decodable = True
            return
        if self._gb18030_error() is not None:
            raise self.undecodable()
        self._decodable = True

    def _encoding_change_line(self) -> int | None:
        """For a file that is not all UTF-8: the first line that is not UTF-8 when most lines
        with non-ASCII text are UTF-8 — a UTF-8 file with some GBK lines, which decoded as
        GB18030 would silently turn every UTF-8 name into mojibake. A GB18030 file whose few
        lines happen to be valid UTF-8 byte sequences is not refused (hence the majority)."""
        utf8_lines, other_lines, first_other, line = 0, 0, None, 0
        carry = b""
        with self.open_stream() as stream:
            while True:
                chunk = stream.read(_CHUNK)
                data = carry + chunk
                lines = data.split(b"\n")
                carry = lines.pop() if chunk else b""
                for text in lines:
                    line += 1
                    if text.isascii():
                        continue
                    try:
                        text.decode("utf-8")
                    except UnicodeDecodeError:
                        other_lines += 1
                        first_other = first_other or line
                    else:
                        utf8_lines += 1
                if not chunk:
                    break
        if first_other is not None and utf8_lines > other_lines:
            return first_other
        return None

    def text_stream(self) -> io.TextIOWrapper:
        """The decoded text, newlines untranslated (what ``csv`` reads)."""
        return io.TextIOWrapper(self.open_stream(), encoding=self.csv_encoding(), newline="")

    def _csv_head(self) -> tuple[Grid, str, list[int]]:
        """The first records (up to the header search's reach), the delimiter, and the line on
        which each of those records ends."""
        encoding = self.csv_encoding()
        size = _HEAD_BYTES
        while True:
            with self.open_stream() as stream:
                data = stream.read(size)
                at_end = not stream.read(1)
            text = codecs.getincrementaldecoder(encoding)("strict")
            try:
                decoded = text.decode(data, final=at_end)
            except UnicodeDecodeError:
                raise self.undecodable() from None
            if not at_end:  # the last line may be cut: leave it out
                decoded = decoded[: max(decoded.rfind("\n"), decoded.rfind("\r")) + 1]
            head = decoded[:4096]
            delimiter = max(",\t;|", key=head.count) if head else ","
            reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter)
            rows: list[GridRow] = []
            ends: list[int] = []
            start = 1
            try:
                for cells in reader:
                    rows.append(GridRow(start, cells))
                    ends.append(reader.line_num)
                    start = reader.line_num + 1
                    if len(rows) > _HEADER_SCAN_ROWS:
                        break
            except csv.Error as exc:
                if "field larger" in str(exc):
                    raise self.long_cell(start, delimiter) from None
                if at_end or len(rows) > _HEADER_SCAN_ROWS:
                    raise ReadError(
                        f"{self.path.name}: 第 {start} 行 CSV 格式错误: {exc}"
                    ) from None
            if at_end or len(rows) > _HEADER_SCAN_ROWS:
                return Grid(self.path, rows[:_HEADER_SCAN_ROWS], encoding=encoding), delimiter, ends
            if size >= _HEAD_MAX_BYTES:
                raise ReadError(
                    f"{self.path.name}: 前 {_HEADER_SCAN_ROWS} 行超过 {_HEAD_MAX_BYTES >> 20} MB，"
                    f"第 {start} 行起的记录过长（多为未闭合的引号）"
                )
            size *= 4

    # ------------------------------------------------------------ xlsx

    def _sheet_rows(self, source: Source | None) -> tuple[str, list[GridRow]]:
        if self._workbook is None:
            self._workbook = _open_workbook(self.path, self.read_bytes(), self.read_limits)
        name = _pick_sheet(list(self._workbook.sheet_names), source)
        if name not in self._sheets:
            self._sheets[name] = _read_sheet(self.path, self._workbook, name, self.read_limits)
        return name, self._sheets[name]

    # ------------------------------------------------------------ both

    def grid(self, source: Source | None = None) -> Grid:
        """The first rows as text (no header interpretation), enough to find the header. For
        an xlsx, the sheet named like ``source`` (the first sheet when none is, or when
        ``source`` is None). Raises ``ReadError`` when the file cannot be read at all."""
        if not self.path.is_file():
            raise ReadError(f"{self.path}: 文件不存在或不可读")
        self._check_kind()
        if self._suffix() in TEXT_SUFFIXES:
            # Placing a file by its headers must not place one its import cannot decode.
            self.check_decodable()
        return self.head(source)

    def head(self, source: Source | None = None) -> Grid:
        """The first rows as ``grid`` gives them, without decoding the rest of the file."""
        self._check_kind()
        key = None if self._suffix() in TEXT_SUFFIXES else _pick_sheet_key(source)
        if key not in self._heads:
            if self._suffix() in TEXT_SUFFIXES:
                self._heads[key] = self._csv_head()[0]
            else:
                name, rows = self._sheet_rows(source)
                self._heads[key] = Grid(self.path, rows[:_HEADER_SCAN_ROWS], sheet=name)
        return self._heads[key]

    def release(self) -> None:
        """Close the file and drop what is held (the fingerprint stays)."""
        if self._handle is not None:
            self._handle.close()
        self._data = None
        self._handle = None
        self._workbook = None
        self._sheets.clear()
        self._heads.clear()


def _pick_sheet_key(source: Source | None) -> str:
    return f"sheet:{source.name if source else ''}"


def _cell_text(value: object) -> tuple[str, bool]:
    """Text of an xlsx cell and whether it was a number."""
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value)), True
        return repr(value), True
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S"), False
    if isinstance(value, dt.date | dt.time):
        return value.isoformat(), False
    return ("" if value is None else str(value)), False


def _column_letters(number: int) -> str:
    """1-based column number → Excel letters (1 → A, 27 → AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _pick_sheet(names: list[str], source: Source | None) -> str:
    if source is not None:
        titles = [normalize_cell(t).lower() for t in source.all_titles]
        for name in names:
            key = normalize_cell(name).lower()
            if any(t in key for t in titles):
                return name
    return names[0]


def _open_workbook(path: Path, data: bytes, limits: ReadLimits) -> Any:
    from python_calamine import CalamineError, load_workbook

    from creditfarm.ingest.xlsx_guard import WorkbookRefused, check_workbook

    try:
        # Before calamine sees it: a far-away cell or a zip bomb would abort the process.
        check_workbook(path, data, limits.xlsx())
    except WorkbookRefused as exc:
        raise ReadError(str(exc)) from None
    try:
        # From the bytes already read, not the path: the file is opened once.
        return load_workbook(io.BytesIO(data))
    except (CalamineError, OSError, ValueError) as exc:
        raise ReadError(f"{path.name}: 无法读取 Excel 文件: {exc}") from None


def _read_sheet(path: Path, workbook: Any, name: str, limits: ReadLimits) -> list[GridRow]:
    from python_calamine import CalamineError

    try:
        values = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError) as exc:
        raise ReadError(f"{path.name}: 无法读取 Excel 文件: {exc}") from None
    rows = []
    for idx, raw in enumerate(values):
        cells, numeric = [], set()
        for pos, value in enumerate(raw):
            text, is_number = _cell_text(value)
            if len(text) > limits.max_cell_chars or "\0" in text:
                # A sheet's XML can hold what Excel never writes (_x0000_, endless strings).
                ref = f"第 {idx + 1} 行第 {_column_letters(pos + 1)} 列"
                what = (
                    f"长 {len(text):,} 字符，超过单元格长度上限 {limits.max_cell_chars:,} 字符"
                    "（CREDITFARM_MAX_CELL_CHARS）"
                    if len(text) > limits.max_cell_chars
                    else "含 NUL 字符（0x00）"
                )
                raise ReadError(f"{path.name}: {ref}的单元格{what}，未读取")
            cells.append(text)
            if is_number:
                numeric.add(pos)
        rows.append(GridRow(idx + 1, cells, frozenset(numeric)))
    return rows


# ---------------------------------------------------------------- tables


def _check_required(path: Path, source: Source, found: set[str]) -> None:
    missing = [c for c in source.columns if c.required and c.name not in found]
    groups = [g for g in source.one_of if not found.intersection(g)]
    if not missing and not groups:
        return
    parts = [f"{c.name}（可用列名: {'、'.join((c.name, *c.aliases))}）" for c in missing]
    for group in groups:
        names = []
        for name in group:
            col = source.column(name)
            names.append(f"{name}/{'/'.join(col.aliases)}")
        parts.append("至少一列: " + " 或 ".join(names))
    raise MissingColumnsError(f"{path.name}（{source.name}）缺少必需列: " + "；".join(parts))


def _unique_headers(cells: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    headers = []
    for pos, cell in enumerate(cells):
        name = cell.strip() or f"列{pos + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 1
        headers.append(name)
    return headers


class _HeaderBook:
    """The headers as rows are read in order: a non-blank cell beyond them names a new column
    ``列N`` (N its 1-based position) the first time one appears."""

    def __init__(self, headers: list[str]) -> None:
        self.headers = headers

    def row(self, line: int, cells: list[str], numeric_pos: Iterable[int] = ()) -> RawRow:
        numeric_at = set(numeric_pos)
        values: dict[str, str] = {}
        numeric: set[str] = set()
        headers = self.headers
        for pos, cell in enumerate(cells):
            if pos < len(headers):
                name = headers[pos]
            elif cell.strip():
                name = f"列{pos + 1}"
                if name not in headers:
                    headers.append(name)
            else:
                continue
            values[name] = cell
            if pos in numeric_at:
                numeric.add(name)
        return RawRow(line, values, frozenset(numeric))


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


_CELL = pa.string()


class TableReader:
    """A file read as ``source``: its header (found below any title rows, matched to contract
    columns) and its rows in ``CellBatch`` es."""

    def __init__(self, export: ExportFile, source: Source) -> None:
        self.export = export
        self.path = export.path
        self.source = source
        self.limits = export.limits
        if not export.path.is_file():
            raise ReadError(f"{export.path}: 文件不存在或不可读")
        grid = export.head(source)
        header_idx, by_pos = find_header(grid, source)
        if header_idx < 0:
            raise MissingColumnsError(
                f"{self.path.name}（{source.name}）: 前 {_HEADER_SCAN_ROWS} 行中找不到表头"
                "（没有一列与契约列名匹配）"
            )
        _check_required(self.path, source, set(by_pos.values()))
        header_row = grid.rows[header_idx]
        self.caps = export.read_limits
        if len(header_row.cells) > self.caps.max_columns:
            raise ReadError(
                f"{self.path.name}: 第 {header_row.line} 行（表头）有 "
                f"{len(header_row.cells):,} 列，超过列数上限 {self.caps.max_columns:,}"
                "（CREDITFARM_MAX_COLUMNS），未读取"
            )
        self.header_idx = header_idx
        self.header_line = header_row.line
        self.width = len(header_row.cells)
        self.base_headers = _unique_headers(header_row.cells)
        self.headers = list(self.base_headers)  # grows while rows are read (列N)
        self.mapping = {self.base_headers[pos]: canon for pos, canon in by_pos.items()}
        self.positions = {self.base_headers[pos]: pos for pos in by_pos}
        self.scales: dict[str, float] = {}
        for pos, canon in by_pos.items():
            unit = header_key(header_row.cells[pos])[1]
            scale = unit_scale(unit) if unit else None
            if scale is not None and source.column(canon).type in ("amount", "number", "int"):
                self.scales[canon] = scale
        self.encoding = grid.encoding
        self.sheet = grid.sheet
        self.xlsx = export._suffix() == ".xlsx"

    @property
    def extra_headers(self) -> list[str]:
        """Non-contract headers (kept as extra attributes), as far as rows were read."""
        return [h for h in self.headers if h not in self.mapping]

    def header_for(self, column: str) -> str | None:
        for header, canon in self.mapping.items():
            if canon == column:
                return header
        return None

    def canonical(self, row: RawRow) -> dict[str, str]:
        return {canon: row.values.get(header, "") for header, canon in self.mapping.items()}

    # ------------------------------------------------------------ rows

    def batches(self) -> Iterator[CellBatch]:
        """The table's rows in order, a batch at a time (blank rows dropped)."""
        yield from self._batches(_HeaderBook(self.headers))

    def _batches(self, book: _HeaderBook) -> Iterator[CellBatch]:
        if self.xlsx:
            _, rows = self.export._sheet_rows(self.source)
            data = ((r.line, r.cells, r.numeric) for r in rows[self.header_idx + 1 :])
            yield from self._python_batches(data, book, numeric=True)
        elif self.export.scan().quoted:
            yield from self._python_batches(self._csv_records(), book, numeric=False)
        else:
            yield from self._arrow_batches(book)

    def raw_row(self, batch: CellBatch, index: int) -> RawRow:
        """Row ``index`` of ``batch`` as read: its line and its non-absent cells by header."""
        wide = batch.wide.get(index)
        if wide is not None:
            return wide
        values: dict[str, str] = {}
        numeric: set[str] = set()
        for pos, column in enumerate(batch.cells):
            cell = column[index].as_py()
            if cell is not None:
                name = self.base_headers[pos]
                values[name] = cell
                if batch.numeric is not None and batch.numeric[pos][index].as_py():
                    numeric.add(name)
        return RawRow(int(batch.lines[index]), values, frozenset(numeric))

    def raw_rows(self, lines: Iterable[int]) -> dict[int, RawRow]:
        """The rows on ``lines``, read again from the file (for messages about a few rows)."""
        wanted = np.array(sorted(set(lines)), dtype=np.int64)
        found: dict[int, RawRow] = {}
        if not len(wanted):
            return found
        for batch in self._batches(_HeaderBook(list(self.base_headers))):
            hits = np.flatnonzero(np.isin(batch.lines, wanted))
            for index in hits:
                found[int(batch.lines[index])] = self.raw_row(batch, int(index))
            if len(found) == len(wanted):
                break
        return found

    # ------------------------------------------------------------ Python-built batches

    def _python_batches(
        self,
        rows: Iterable[tuple[int, list[str], frozenset[int]]],
        book: _HeaderBook,
        *,
        numeric: bool,
    ) -> Iterator[CellBatch]:
        pending: list[tuple[int, list[str], frozenset[int]]] = []
        for line, cells, flags in rows:
            if _blank(cells):
                continue  # blank line: holds nothing
            pending.append((line, cells, flags))
            if len(pending) >= self.limits.rows:
                yield self._python_batch(pending, book, numeric=numeric)
                pending = []
        if pending:
            yield self._python_batch(pending, book, numeric=numeric)

    def _python_batch(
        self,
        rows: list[tuple[int, list[str], frozenset[int]]],
        book: _HeaderBook,
        *,
        numeric: bool,
    ) -> CellBatch:
        width = self.width
        wide = {
            i: self._wide_row(book, line, cells, flags)
            for i, (line, cells, flags) in enumerate(rows)
            if len(cells) > width
        }
        columns = [
            pa.array([cells[pos] if pos < len(cells) else None for _, cells, _ in rows], _CELL)
            for pos in range(width)
        ]
        lines = np.fromiter((line for line, _, _ in rows), dtype=np.int64, count=len(rows))
        self._check_cells(columns, lines)
        flags = (
            [pa.array([pos in f for _, _, f in rows], pa.bool_()) for pos in range(width)]
            if numeric
            else None
        )
        return CellBatch(lines, columns, flags, wide)

    def _wide_row(
        self, book: _HeaderBook, line: int, cells: list[str], flags: frozenset[int]
    ) -> RawRow:
        """A row with cells beyond the header: within the columns and cell length limits."""
        caps = self.caps
        if len(cells) > caps.max_columns:
            raise ReadError(
                f"{self.path.name}: 第 {line} 行有 {len(cells):,} 个单元格，超过列数上限 "
                f"{caps.max_columns:,}（CREDITFARM_MAX_COLUMNS），未读取"
            )
        for pos in range(self.width, len(cells)):
            if len(cells[pos]) > caps.max_cell_chars:
                raise self.export._cell_too_long(line, f"第 {pos + 1} 列", len(cells[pos]))
        return book.row(line, cells, flags)

    def _check_cells(self, columns: list[pa.Array], lines: np.ndarray) -> None:
        """Refuse the file at the first cell longer than ``max_cell_chars``, naming its line
        and column (Arrow kernels: a byte length under the limit rules a column out)."""
        limit = self.caps.max_cell_chars
        if not len(lines):
            return
        for pos, column in enumerate(columns):
            longest = pc.max(pc.binary_length(column)).as_py()
            if longest is None or longest <= limit:
                continue  # no cell has that many bytes, so none has that many characters
            lengths = pc.fill_null(pc.utf8_length(column), 0).to_numpy(zero_copy_only=False)
            over = np.flatnonzero(lengths > limit)
            if len(over):
                at = int(over[0])
                where = f"「{self.base_headers[pos]}」列（第 {pos + 1} 列）"
                raise self.export._cell_too_long(int(lines[at]), where, int(lengths[at]))

    def _csv_records(self) -> Iterator[tuple[int, list[str], frozenset[int]]]:
        """Records after the header, by Python's csv module over the decoded stream."""
        _, delimiter, _ = self.export._csv_head()
        empty: frozenset[int] = frozenset()
        with self.export.text_stream() as text:
            reader = csv.reader(text, delimiter=delimiter)
            start, index = 1, 0
            try:
                for cells in reader:
                    if index > self.header_idx:
                        yield start, cells, empty
                    index += 1
                    start = reader.line_num + 1
            except csv.Error as exc:
                if "field larger" in str(exc):
                    raise self.export.long_cell(start, delimiter) from None
                raise ReadError(f"{self.path.name}: 第 {start} 行 CSV 格式错误: {exc}") from None
            except UnicodeDecodeError:
                raise self.export.undecodable() from None

    # ------------------------------------------------------------ Arrow's CSV reader

    def _arrow_batches(self, book: _HeaderBook) -> Iterator[CellBatch]:
        import pyarrow.csv as pacsv

        _, delimiter, ends = self.export._csv_head()
        skip = ends[self.header_idx]  # physical lines up to the end of the header record
        width = self.width
        names = [f"c{pos}" for pos in range(width)]
        odd: list[tuple[int, str]] = []  # (line, text) of rows with another number of cells

        def handler(row: Any) -> str:
            odd.append((int(row.number), row.text))
            return "skip"

        encoding = self.export.csv_encoding()
        stream = self.export.open_stream()
        try:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    use_threads=False,  # keeps the line numbers of odd rows
                    block_size=self.limits.block_bytes,
                    skip_rows=skip,
                    column_names=names,
                    encoding="utf8" if encoding != "gb18030" else "gb18030",
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter,
                    quote_char=False,
                    double_quote=False,
                    escape_char=False,
                    newlines_in_values=False,
                    ignore_empty_lines=False,
                    invalid_row_handler=handler,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, _CELL),
                    strings_can_be_null=False,
                    check_utf8=False,  # validated by the fingerprint pass, or transcoded
                ),
            )
        except pa.ArrowInvalid as exc:
            stream.close()
            if "Empty CSV file" in str(exc) or "Could not skip initial" in str(exc):
                # Nothing after the header (a header without its newline: too short to skip;
                # a line longer than a block was refused by the fingerprint pass).
                return
            if encoding == "gb18030" and self.export._gb18030_error() is not None:
                raise self.export.undecodable() from None
            raise
        valid = 0  # rows of good width so far
        odd_seen: list[int] = []  # lines of odd rows, in order
        taken = 0  # odd rows already placed in a batch
        try:
            while True:
                try:
                    record = reader.read_next_batch()
                except StopIteration:
                    record = None
                except (pa.ArrowInvalid, UnicodeDecodeError):
                    if encoding == "gb18030" and self.export._gb18030_error() is not None:
                        raise self.export.undecodable() from None
                    raise
                odd_seen.extend(line for line, _ in odd[len(odd_seen) :])
                if record is None:
                    rest = self._odd_batch(odd[taken:], delimiter, book)
                    if rest is not None:
                        yield rest
                    return
                n = record.num_rows
                lines = _valid_lines(valid, n, skip, odd_seen)
                valid += n
                last = int(lines[-1]) if n else 0
                mine = [(ln, t) for ln, t in odd[taken:] if n == 0 or ln < last]
                taken += len(mine)
                batch = self._arrow_batch(record, lines)
                extra = self._odd_batch(mine, delimiter, book)
                if extra is not None:
                    batch = _merge_batches(batch, extra)
                if len(batch):
                    yield batch
        finally:
            stream.close()

    def _odd_batch(
        self, rows: list[tuple[int, str]], delimiter: str, book: _HeaderBook
    ) -> CellBatch | None:
        """Rows whose number of cells differs from the header's, split in Python."""
        split = [(line, _split(text, delimiter), frozenset[int]()) for line, text in rows]
        kept = [row for row in split if not _blank(row[1])]
        return self._python_batch(kept, book, numeric=False) if kept else None

    def _arrow_batch(self, record: pa.RecordBatch, lines: np.ndarray) -> CellBatch:
        columns = [record.column(pos) for pos in range(self.width)]
        if not len(lines):
            return CellBatch(lines, columns)
        self._check_cells(columns, lines)
        # A blank row strips to nothing in every cell; only rows whose first cell does are
        # looked at further.
        blank = _stripped_empty(columns[0])
        if pc.any(blank).as_py():
            candidates = np.flatnonzero(blank.to_numpy(zero_copy_only=False))
            rows = pa.array(candidates)
            still = np.ones(len(candidates), dtype=bool)
            for column in columns[1:]:
                still &= _stripped_empty(column.take(rows)).to_numpy(zero_copy_only=False)
            if still.any():
                keep = np.ones(len(lines), dtype=bool)
                keep[candidates[still]] = False
                mask = pa.array(keep)
                columns = [c.filter(mask) for c in columns]
                lines = lines[keep]
        return CellBatch(lines, columns)


def _stripped_empty(column: pa.Array) -> pa.Array:
    """Cells that ``str.strip()`` leaves empty."""
    return pc.equal(pc.utf8_length(pc.utf8_trim(column, PY_WHITESPACE)), 0)


def _split(text: str, delimiter: str) -> list[str]:
    """One line of a file without quotes, split as Python's csv module splits it."""
    return next(csv.reader([text], delimiter=delimiter), [])


def _valid_lines(before: int, n: int, skip: int, odd: list[int]) -> np.ndarray:
    """Lines of the rows ``before`` … ``before + n - 1`` of good width: the lines after the
    ``skip`` header lines, less the lines of odd rows."""
    index = np.arange(before, before + n, dtype=np.int64)
    if not odd:
        return index + skip + 1
    odd_lines = np.asarray(odd, dtype=np.int64)
    good_before = odd_lines - skip - 1 - np.arange(len(odd_lines))  # good rows before each
    return index + skip + 1 + np.searchsorted(good_before, index, side="right")


def _merge_batches(first: CellBatch, second: CellBatch) -> CellBatch:
    """Both batches' rows in line order."""
    lines = np.concatenate([first.lines, second.lines])
    order = np.argsort(lines, kind="stable")
    take = pa.array(order)
    columns = [
        pa.concat_arrays([a, b]).take(take) for a, b in zip(first.cells, second.cells, strict=True)
    ]
    where = {int(old): new for new, old in enumerate(order)}
    wide = {where[len(first.lines) + i]: row for i, row in second.wide.items()}
    return CellBatch(lines[order], columns, None, wide)


def open_table(file: Path | ExportFile, *, source: Source) -> TableReader:
    """``file`` read as ``source``, batch by batch (see ``TableReader``)."""
    export = file if isinstance(file, ExportFile) else ExportFile(file)
    return TableReader(export, source)


def read_table(file: Path | ExportFile, *, source: Source) -> RawTable:
    """Read ``file`` as ``source`` whole: header row found below any title rows, headers
    matched to contract columns, every row kept with its line number."""
    table = open_table(file, source=source)
    rows = [table.raw_row(batch, i) for batch in table.batches() for i in range(len(batch))]
    return RawTable(
        path=table.path,
        source=source,
        headers=table.headers,
        mapping=table.mapping,
        scales=table.scales,
        rows=rows,
        header_line=table.header_line,
        encoding=table.encoding,
        sheet=table.sheet,
        extra_headers=table.extra_headers,
    )
