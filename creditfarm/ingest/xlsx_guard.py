"""Look inside an .xlsx before a spreadsheet library opens it.

python-calamine builds a dense grid over a sheet's used range: a 1.7 KB sheet with one cell
at A1 and one at XFD1048576 asks for 16,384 × 1,048,576 cells and aborts the whole process
(no exception to catch; in the app it takes the server down for every user). A zip bomb
(megabytes that inflate to gigabytes of XML) exhausts memory the same way. Neither can be
caught after the fact, so the workbook's zip directory and its sheets' cell references are
checked first, streaming, within fixed limits:

- the file must be a zip (an encrypted workbook is an OLE compound file: said so);
- the members' declared uncompressed sizes together, and each member's compression ratio,
  stay under ``XlsxLimits`` (the declared sizes are what ``zipfile`` stops reading at, so a
  member cannot inflate past them);
- each sheet's used range (from the ``r="B7"`` references of its rows and cells) holds at
  most ``max_cells`` cells.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["XLSX_LIMITS", "WorkbookRefused", "XlsxLimits", "check_workbook", "column_number"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 20
_OVERLAP = 512  # a reference split across two chunks is found in the overlap
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]{0,400}?\br="([A-Z]{1,3})([0-9]{1,7})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]{0,400}?\br="([0-9]{1,7})"')


@dataclass(frozen=True)
class XlsxLimits:
    """What one workbook may hold. An export of 50,000 rows × 40 columns is 2M cells and about
    60 MB of XML; the limits leave room for that many times over."""

    max_uncompressed_bytes: int = 1 << 30  # all members inflated together
    max_ratio: int = 200  # inflated / compressed, per member (sheet XML inflates ~10-30×)
    max_cells: int = 20_000_000  # rows × columns of a sheet's used range
    max_rows: int = 1_048_576  # last row referenced (settings: ``max_rows``)
    max_columns: int = 16_384  # last column referenced (settings: ``max_columns``)


XLSX_LIMITS = XlsxLimits()


class WorkbookRefused(ValueError):
    """The workbook is not read; the message (Chinese) says why and names the file."""


def column_number(letters: bytes | str) -> int:
    """Excel column letters → 1-based number (A → 1, Z → 26, AA → 27, XFD → 16384)."""
    number = 0
    for char in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + (ord(char) - ord("A") + 1)
    return number


def _used_range(member: IO[bytes]) -> tuple[int, int, int, int] | None:
    """(first row, last row, first column, last column) of the referenced rows and cells."""
    rows: list[int] = []
    cols: list[int] = []
    tail = b""
    while chunk := member.read(_CHUNK):
        block = tail + chunk
        for match in _CELL_REF.finditer(block):
            cols.append(column_number(match.group(1)))
            rows.append(int(match.group(2)))
        rows.extend(int(m.group(1)) for m in _ROW_REF.finditer(block))
        tail = block[-_OVERLAP:]
        # Keep only the extremes: a large sheet has millions of references.
        if len(rows) > 4096:
            rows = [min(rows), max(rows)]
        if len(cols) > 4096:
            cols = [min(cols), max(cols)]
    if not rows:
        return None
    return min(rows), max(rows), (min(cols) if cols else 1), (max(cols) if cols else 1)


def check_workbook(path: Path, data: bytes, limits: XlsxLimits = XLSX_LIMITS) -> None:
    """Raise ``WorkbookRefused`` unless ``data`` is a workbook safe to hand to calamine."""
    name = path.name
    if data[:8] == _OLE_MAGIC:
        raise WorkbookRefused(
            f"{name}: 文件是加密的 Excel 或旧版 .xls 格式，无法读取；请另存为不加密的 .xlsx"
        )
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        members = book.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise WorkbookRefused(f"{name}: 不是有效的 .xlsx 文件（已损坏或被截断）: {exc}") from None
    total = sum(info.file_size for info in members)
    if total > limits.max_uncompressed_bytes:
        raise WorkbookRefused(
            f"{name}: 解压后 {total / 2**20:,.0f} MB，超过上限 "
            f"{limits.max_uncompressed_bytes / 2**20:,.0f} MB，拒绝读取（疑似压缩炸弹）"
        )
    for info in members:
        if info.file_size > (1 << 20) and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise WorkbookRefused(
                f"{name}: {info.filename} 压缩比 {info.file_size / max(info.compress_size, 1):,.0f}"
                f" 倍，超过上限 {limits.max_ratio} 倍，拒绝读取（疑似压缩炸弹）"
            )
    for info in members:
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        try:
            with book.open(info) as member:
                extent = _used_range(member)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise WorkbookRefused(f"{name}: 工作表 {info.filename} 已损坏: {exc}") from None
        if extent is None:
            continue
        first_row, last_row, first_col, last_col = extent
        cells = (last_row - first_row + 1) * (last_col - first_col + 1)
        if cells > limits.max_cells:
            raise WorkbookRefused(
                f"{name}: 工作表的数据区域达 {last_row:,} 行 × {last_col:,} 列"
                f"（{cells:,} 个单元格，上限 {limits.max_cells:,}），多为远处的孤立单元格；"
                "请删除多余单元格后重新导出"
            )
        if last_row > limits.max_rows:
            raise WorkbookRefused(
                f"{name}: 工作表有数据到第 {last_row:,} 行，超过行数上限 {limits.max_rows:,}"
                "（CREDITFARM_MAX_ROWS），拒绝读取"
            )
        if last_col > limits.max_columns:
            raise WorkbookRefused(
                f"{name}: 工作表有数据到第 {last_col:,} 列，超过列数上限 {limits.max_columns:,}"
                "（CREDITFARM_MAX_COLUMNS），拒绝读取"
            )
