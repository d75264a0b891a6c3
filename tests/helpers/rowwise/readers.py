"""Read one county export (CSV in any of its encodings, or .xlsx) into header-matched raw rows.

An ``ExportFile`` reads the file from disk once, on first use: its bytes give the fingerprint
(sha256), the grid of text cells that placement looks at, and the table the import reads, so
placing a file by its headers does not read it a second time.

Everything is read as text. Each row keeps its 1-based line (CSV) or row number (xlsx), the
raw values by original header, and which cells were Excel numbers (an ID stored as a number
has lost its last digits and must be flagged, never trusted). The header row may sit below a
few title rows: the row matching most contract columns is taken.

Which source a file is (``placement``) is decided before its table is read: ``read_table``
takes the source.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from creditfarm.ingest.contract import SOURCES, Source
from creditfarm.ingest.normalize import normalize_cell, unit_scale

__all__ = [
    "DATA_SUFFIXES",
    "TEXT_SUFFIXES",
    "ExportFile",
    "Grid",
    "GridRow",
    "MissingColumnsError",
    "RawRow",
    "RawTable",
    "ReadError",
    "decode_csv_bytes",
    "find_header",
    "header_key",
    "match_header",
    "read_table",
]

# Delimited text (bank systems often export .txt / .tsv) is read like CSV.
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
DATA_SUFFIXES = (*TEXT_SUFFIXES, ".xlsx")
_HEADER_SCAN_ROWS = 10  # title rows an export may put above its header
_UNIT_RE = re.compile(r"\(([^()]*)\)$")


class ReadError(Exception):
    """A file that cannot be read at all; the message names the file (and line/column)."""


class MissingColumnsError(ReadError):
    """Required contract columns absent from the header row."""


@dataclass
class GridRow:
    line: int  # 1-based line (CSV) or sheet row (xlsx)
    cells: list[str]
    numeric: frozenset[int] = frozenset()  # indexes of cells that were Excel numbers


@dataclass
class Grid:
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


def decode_csv_bytes(data: bytes, path: Path) -> tuple[str, str]:
    """Text and encoding: strict UTF-8 (with or without BOM), else strict GB18030."""
    if data.startswith(b"PK\x03\x04"):
        raise ReadError(f"{path.name}: 这是 Excel/压缩文件，不是 CSV，请以 .xlsx 扩展名提供")
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(
            b"\xef\xbb\xbf"
        ) else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"{path.name}: 编码无法识别（既不是 UTF-8 也不是 GB18030），"
            f"{_decode_position(data, exc.start)}"
        ) from None


def _read_csv(path: Path, data: bytes) -> Grid:
    text, encoding = decode_csv_bytes(data, path)
    head = text[:4096]
    delimiter = max(",\t;|", key=head.count) if head else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[GridRow] = []
    start = 1
    try:
        for cells in reader:
            rows.append(GridRow(start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ReadError(f"{path.name}: 第 {start} 行 CSV 格式错误: {exc}") from None
    return Grid(path, rows, encoding=encoding)


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


def _pick_sheet(names: list[str], source: Source | None) -> str:
    if source is not None:
        titles = [normalize_cell(t).lower() for t in source.all_titles]
        for name in names:
            key = normalize_cell(name).lower()
            if any(t in key for t in titles):
                return name
    return names[0]


def _open_workbook(path: Path, data: bytes) -> Any:
    from python_calamine import CalamineError, load_workbook

    try:
        # From the bytes already read, not the path: the file is read from disk once.
        return load_workbook(io.BytesIO(data))
    except (CalamineError, OSError, ValueError) as exc:
        raise ReadError(f"{path.name}: 无法读取 Excel 文件: {exc}") from None


def _read_sheet(path: Path, workbook: Any, name: str) -> Grid:
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
            cells.append(text)
            if is_number:
                numeric.add(pos)
        rows.append(GridRow(idx + 1, cells, frozenset(numeric)))
    return Grid(path, rows, sheet=name)


class ExportFile:
    """One export file, read from disk at most once (on first use): its bytes, their sha256,
    and its grids of text cells (one per xlsx sheet asked for; a CSV has one)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._data: bytes | None = None
        self._sha256: str | None = None
        self._workbook: Any = None
        self._grids: dict[str | None, Grid] = {}

    def read_bytes(self) -> bytes:
        """The file's bytes; the only place the ingest step reads a file from disk."""
        if self._data is None:
            self._data = self.path.read_bytes()
        return self._data

    @property
    def sha256(self) -> str:
        """Fingerprint of the file's content: an import of the same bytes is ``unchanged``."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.read_bytes()).hexdigest()
        return self._sha256

    def grid(self, source: Source | None = None) -> Grid:
        """All cells as text, row by row (no header interpretation). For an xlsx, the sheet
        named like ``source`` (the first sheet when none is, or when ``source`` is None)."""
        if not self.path.is_file():
            raise ReadError(f"{self.path}: 文件不存在或不可读")
        suffix = self.path.suffix.lower()
        if suffix in TEXT_SUFFIXES:
            if None not in self._grids:
                self._grids[None] = _read_csv(self.path, self.read_bytes())
            return self._grids[None]
        if suffix == ".xlsx":
            if self._workbook is None:
                self._workbook = _open_workbook(self.path, self.read_bytes())
            name = _pick_sheet(list(self._workbook.sheet_names), source)
            if name not in self._grids:
                self._grids[name] = _read_sheet(self.path, self._workbook, name)
            return self._grids[name]
        raise ReadError(
            f"{self.path.name}: 不支持的文件类型 {suffix or '(无扩展名)'}"
            "（支持 .csv、.txt、.tsv、.xlsx）"
        )

    def release(self) -> None:
        """Drop the bytes and cells held (the fingerprint stays): once a file's table is read,
        nothing needs them, and a county payments file is large."""
        self._data = None
        self._workbook = None
        self._grids.clear()


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


def read_table(file: Path | ExportFile, *, source: Source) -> RawTable:
    """Read ``file`` as ``source``: header row found below any title rows, headers matched to
    contract columns, rows kept with their line numbers."""
    export = file if isinstance(file, ExportFile) else ExportFile(file)
    path = export.path
    grid = export.grid(source)
    header_idx, by_pos = find_header(grid, source)
    if header_idx < 0:
        raise MissingColumnsError(
            f"{path.name}（{source.name}）: 前 {_HEADER_SCAN_ROWS} 行中找不到表头"
            "（没有一列与契约列名匹配）"
        )
    _check_required(path, source, set(by_pos.values()))
    header_row = grid.rows[header_idx]
    headers = _unique_headers(header_row.cells)
    mapping = {headers[pos]: canon for pos, canon in by_pos.items()}
    scales: dict[str, float] = {}
    for pos, canon in by_pos.items():
        unit = header_key(header_row.cells[pos])[1]
        scale = unit_scale(unit) if unit else None
        if scale is not None and source.column(canon).type in ("amount", "number", "int"):
            scales[canon] = scale
    rows: list[RawRow] = []
    for grid_row in grid.rows[header_idx + 1 :]:
        if not any(c.strip() for c in grid_row.cells):
            continue  # blank line: holds nothing
        values: dict[str, str] = {}
        numeric: set[str] = set()
        for pos, cell in enumerate(grid_row.cells):
            if pos < len(headers):
                name = headers[pos]
            elif cell.strip():
                name = f"列{pos + 1}"
                if name not in headers:
                    headers.append(name)
            else:
                continue
            values[name] = cell
            if pos in grid_row.numeric:
                numeric.add(name)
        rows.append(RawRow(grid_row.line, values, frozenset(numeric)))
    extra = [h for h in headers if h not in mapping]
    return RawTable(
        path=path,
        source=source,
        headers=headers,
        mapping=mapping,
        scales=scales,
        rows=rows,
        header_line=header_row.line,
        encoding=grid.encoding,
        sheet=grid.sheet,
        extra_headers=extra,
    )
