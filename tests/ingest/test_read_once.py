"""A folder import reads each file from disk once: placing it (by name or by its headers),
fingerprinting it and importing it share that one read. Counted at the interpreter's file
opens, so a second read through any path would show."""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine

from creditfarm.ingest import SOURCES, ingest_folder
from creditfarm.ingest.importers import BUILDERS
from tests.helpers.paths import COUNTY
from tests.helpers.paths import SAMPLE_DATA as SAMPLE

LI_MING = "46902919800101001X"  # in the county's 户籍

_opened: list[str] | None = None  # paths opened for reading while a test listens, else None


def _on_audit(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or _opened is None:
        return
    path, mode = args[0], args[1]
    reading = isinstance(mode, str) and "r" in mode and "+" not in mode  # not the test's writes
    if reading and isinstance(path, str | bytes | os.PathLike):
        _opened.append(os.fsdecode(path))


_hooked = False


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every path opened for reading during the test: Python's own opens (audit events), and
    workbooks handed to calamine by path (its Rust code opens files without an audit event)."""
    global _opened, _hooked
    if not _hooked:  # an audit hook cannot be removed: install one per process, idle by default
        sys.addaudithook(_on_audit)
        _hooked = True
    seen: list[str] = []
    real = python_calamine.load_workbook

    def load_workbook(source: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, str | os.PathLike):
            seen.append(os.fspath(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(python_calamine, "load_workbook", load_workbook)
    _opened = seen
    try:
        yield seen
    finally:
        _opened = None


def _reads_under(opened: list[str], folder: Path) -> Counter[str]:
    root = str(folder.resolve())
    return Counter(Path(p).name for p in opened if str(Path(p).resolve()).startswith(root + os.sep))


def test_folder_import_reads_each_file_once(ws, tmp_path, opens):
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    # Placed by headers (the names say nothing): these are read to be placed, then imported.
    (folder / "export_0630.csv").write_text(
        f"卡号,身份证号\n6228480000000000011,{LI_MING}\n", "utf-8"
    )
    book = openpyxl.Workbook()
    book.active.append(["借据号", "身份证号", "发放日期", "贷款金额"])
    book.active.append(["L1", LI_MING, "2021-01-05", "50000"])
    book.save(folder / "export_0701.xlsx")
    # Not placed, and not readable as an export: each is still fingerprinted once.
    (folder / "notes.csv").write_text("甲,乙\n1,2\n", "utf-8")
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")

    runs = ingest_folder(ws, folder)
    assert {r.file_name: (r.source, r.status) for r in runs} == {
        "行政区划.csv": ("regions", "done"),
        "hukou.csv": ("hukou", "done"),
        "export_0630.csv": ("cards", "done"),
        "2021年农户信用档案.csv": ("archive", "done"),
        "export_0701.xlsx": ("loans", "done"),
        "notes.csv": ("unplaced", "failed"),
        "old.xls": ("unplaced", "failed"),
    }
    names = sorted(p.name for p in folder.iterdir())
    assert _reads_under(opens, folder) == Counter(names)  # 7 files, each read once

    opens.clear()
    again = ingest_folder(ws, folder)  # nothing changed: only the fingerprints are read
    assert [r.status for r in again if r.source != "unplaced"] == ["unchanged"] * 5
    assert _reads_under(opens, folder) == Counter(names)


@pytest.mark.slow
def test_sample_county_import_reads_each_file_once(sqlite_ws, tmp_path, opens):
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    runs = ingest_folder(sqlite_ws, folder)
    assert {r.status for r in runs} == {"done"}, [r.message for r in runs if r.status != "done"]
    exports = sorted(p.name for p in folder.iterdir() if p.suffix in (".csv", ".xlsx"))
    assert len(runs) == len(exports) == 24
    assert _reads_under(opens, folder) == Counter(exports)  # README.md is not opened at all


def test_every_contract_source_has_a_builder():
    assert set(BUILDERS) == set(SOURCES)
