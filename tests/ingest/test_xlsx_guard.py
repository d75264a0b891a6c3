"""Hostile workbooks are refused with the file's name before calamine sees them, and the import
records a failed run instead of aborting the process."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select

from creditfarm.ingest.contract import source
from creditfarm.ingest.orchestrate import ingest_file
from creditfarm.ingest.readers import ReadError, read_table
from creditfarm.ingest.xlsx_guard import (
    WorkbookRefused,
    XlsxLimits,
    check_workbook,
    column_number,
)
from creditfarm.storage.models import ImportRun, Person
from creditfarm.workspace import Workspace

HEADER = ["身份证号", "姓名", "户号", "与户主关系", "村代码"]
ROW = ["46902919800101001X", "黎明", "H001", "户主", "469029100201"]


def _hukou_book(path: Path, *, far_cell: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "户籍"
    sheet.append(HEADER)
    sheet.append(ROW)
    if far_cell:
        sheet[far_cell] = "x"
    book.save(path)
    return path.read_bytes()


def _replace_member(data: bytes, name: str, content: bytes) -> bytes:
    """The same workbook with one member's content replaced (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = content if info.filename == name else src.read(info)
            dst.writestr(info.filename, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_column_letters():
    # A=1 … Z=26, AA=27, XFD = 24*676 + 6*26 + 4 = 16384 (Excel's last column).
    assert [column_number(c) for c in ("A", "Z", "AA", "AZ", "XFD")] == [1, 26, 27, 52, 16384]


def test_a_plain_workbook_passes(tmp_path: Path):
    check_workbook(tmp_path / "户籍.xlsx", _hukou_book(tmp_path / "户籍.xlsx"))
    table = read_table(tmp_path / "户籍.xlsx", source=source("hukou"))
    assert len(table.rows) == 1


def test_a_far_away_cell_is_refused_before_reading(tmp_path: Path):
    path = tmp_path / "户籍.xlsx"
    _hukou_book(path, far_cell="XFD1048576")
    assert path.stat().st_size < 10_000  # a tiny file that asks for 16384 × 1048576 cells
    with pytest.raises(ReadError) as info:
        read_table(path, source=source("hukou"))
    message = str(info.value)
    assert "户籍.xlsx" in message and "1,048,576 行" in message and "16,384 列" in message


def test_the_cell_limit_counts_the_used_range(tmp_path: Path):
    data = _hukou_book(tmp_path / "a.xlsx", far_cell="J100")
    # Used range A1:J100 = 100 rows × 10 columns = 1,000 cells.
    check_workbook(tmp_path / "a.xlsx", data, XlsxLimits(max_cells=1_000))
    with pytest.raises(WorkbookRefused):
        check_workbook(tmp_path / "a.xlsx", data, XlsxLimits(max_cells=999))


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path):
    data = _hukou_book(tmp_path / "a.xlsx")
    padded = b"<worksheet>" + b" " * (40 << 20) + b"</worksheet>"  # 40 MB that deflates ~1000×
    bomb = _replace_member(data, "xl/worksheets/sheet1.xml", padded)
    assert len(bomb) < 1 << 20
    path = tmp_path / "户籍.xlsx"
    path.write_bytes(bomb)
    with pytest.raises(ReadError, match=r"户籍\.xlsx.*压缩比"):
        read_table(path, source=source("hukou"))


def test_total_inflated_size_is_limited(tmp_path: Path):
    data = _hukou_book(tmp_path / "a.xlsx")
    inflated = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    check_workbook(tmp_path / "a.xlsx", data, XlsxLimits(max_uncompressed_bytes=inflated))
    with pytest.raises(WorkbookRefused, match="解压后"):
        check_workbook(tmp_path / "a.xlsx", data, XlsxLimits(max_uncompressed_bytes=inflated - 1))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000, "加密"),  # OLE: encrypted / .xls
        (b"\x8f\x13 not a zip at all" * 50, "不是有效的 .xlsx"),
    ],
)
def test_encrypted_and_random_bytes(tmp_path: Path, content: bytes, words: str):
    path = tmp_path / "户籍.xlsx"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=words):
        read_table(path, source=source("hukou"))


def test_a_truncated_workbook(tmp_path: Path):
    data = _hukou_book(tmp_path / "a.xlsx")
    path = tmp_path / "户籍.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReadError, match=r"户籍\.xlsx"):
        read_table(path, source=source("hukou"))


def test_import_records_a_failed_run_and_stores_nothing(ws: Workspace, tmp_path: Path):
    path = tmp_path / "户籍.xlsx"
    _hukou_book(path, far_cell="XFD1048576")
    run = ingest_file(ws, path, source="hukou")
    assert run.status == "failed"
    assert "户籍.xlsx" in (run.message or "")
    with Session(ws.engine) as session:
        assert session.exec(select(Person)).all() == []
        stored = session.exec(select(ImportRun)).all()
        assert [r.status for r in stored] == ["failed"]
