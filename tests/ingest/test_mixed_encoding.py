"""A file whose encoding changes inside it is refused with the line where it changes, instead
of importing with every name turned to mojibake."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditfarm.ingest import ingest_file
from creditfarm.ingest.contract import source
from creditfarm.ingest.readers import ReadError, read_table
from creditfarm.workspace import Workspace

HEADER = "身份证号,姓名,户号,与户主关系,村代码\n"
ROWS = [f"46902919800101001X,黎明{i},H00{i},户主,469029100201\n" for i in range(1, 7)]


def _mixed(path: Path, gbk_rows: set[int]) -> Path:
    parts = [HEADER.encode("utf-8")]
    parts += [r.encode("gb18030" if i in gbk_rows else "utf-8") for i, r in enumerate(ROWS)]
    path.write_bytes(b"".join(parts))
    return path


def test_utf8_with_a_few_gbk_lines_names_the_line(tmp_path: Path):
    # Header line 1, ROWS[0..5] on lines 2..7; ROWS[3] and ROWS[5] are GBK: lines 5 and 7.
    path = _mixed(tmp_path / "户籍.csv", {3, 5})
    with pytest.raises(ReadError, match="文件编码在第 5 行改变"):
        read_table(path, source=source("hukou"))


def test_a_gb18030_file_whose_words_happen_to_be_utf8_is_read(tmp_path: Path):
    # "小学" and "女" in GBK bytes are also valid UTF-8; the rest of the file is plain GBK.
    text = HEADER + "46902919800101001X,黎明,H001,户主,469029100201\n"
    text += "469029198203050028,黎芳,H001,女,469029100201\n"
    path = tmp_path / "户籍.csv"
    path.write_bytes(text.encode("gb18030"))
    table = read_table(path, source=source("hukou"))
    assert table.encoding == "gb18030"
    assert [table.canonical(r)["name"] for r in table.rows] == ["黎明", "黎芳"]


def test_the_import_fails_whole_and_says_why(ws: Workspace, tmp_path: Path):
    run = ingest_file(ws, _mixed(tmp_path / "户籍.csv", {4}), source="hukou")
    assert run.status == "failed"
    assert "第 6 行改变" in (run.message or "")
