"""The hostile-input catalogue of issue 10: each case an attacker (or a broken export) tried,
with the outcome it must have. Every case ends in a clear message naming the file (and the line
and column where there is one) with the database as it was, or in rows quarantined or
accepted — never a traceback, a crash, a hang or memory exhaustion.

| # | case | outcome |
| -- | -- | -- |
| 1 | xlsx, one cell at XFD1048576 | refused: rows × columns named |
| 2 | xlsx zip bomb | refused: compression ratio |
| 3 | encrypted xlsx (OLE) | refused: 加密 |
| 4 | truncated xlsx | refused: damaged or truncated |
| 5 | random bytes named .xlsx | refused: not a valid .xlsx |
| 6 | xlsx with more rows than the limit | refused before calamine |
| 7 | xlsx cell longer than the limit | refused: row and column letter |
| 8 | xlsx cell holding NUL (_x0000_) | refused: row and column letter |
| 9 | junk CSV larger than the size limit | refused unread, database unchanged |
| 10 | junk rows under the size limit | refused past the rejected-rows limit |
| 11 | 200 MB junk CSV, default limits (slow) | refused, < 1 GB memory, database not grown |
| 12 | 10 MB cell, unquoted CSV | refused: line and column |
| 13 | 10 MB cell, quoted CSV | refused: line and column |
| 14 | a million blank lines | skipped; rows keep their lines |
| 15 | a million blank lines, rows limit lower | refused: line count named |
| 16 | NUL bytes in a CSV | refused: line and byte |
| 17 | UTF-16 CSV | refused: NUL, UTF-16 named |
| 18 | UTF-8 file with GBK lines | refused: the line where it changes |
| 19 | bytes neither UTF-8 nor GB18030 | refused: line and byte |
| 20 | header wider than the columns limit | refused |
| 21 | a row with more cells than the columns limit | refused: line |
| 22 | a line longer than a read block | refused: line |
| 23 | an unclosed quote | quarantined at the end; past the cell limit: refused |
| 24 | a header without its newline | read: no rows |
| 25 | an empty file | refused: no header |
| 26 | 1e309 and 1e308万元 | quarantined: value_implausible |
| 27 | negative income | quarantined: value_implausible |
| 28 | filed 2099-01-01 | quarantined; the default as-of date unmoved |
| 29 | loans dated 9999-12-31 | quarantined; the data date still computes |
| 30 | txn_id re-sent with other content | conflict quarantined; the stored payment stays |
| 31 | a person in two households | conflict quarantined; the person stays |
| 32 | formula-injection names | exports neutralised (CSV ' prefix, xlsx text) |
| 33 | SQL-like strings | stored verbatim, tables intact |
| 34 | full-width IDs | the same person |
| 35 | unknown PII columns GMSFHM / LXDH / YHKH | not stored, warning names them, export masked |
| 36 | .xls and other unsupported files | refused: the supported types named |
| 37 | a file bigger than the limit placed by headers | not placed, the size named |
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from creditfarm.display.exports import csv_text, excel_writer
from creditfarm.features.build import data_date, load_county
from creditfarm.identity import hash_key
from creditfarm.ingest import ingest_file, ingest_folder
from creditfarm.ingest.contract import source
from creditfarm.ingest.limits import ReadLimits
from creditfarm.ingest.readers import Batching, ExportFile, ReadError, read_table
from creditfarm.ingest.report import quarantine_frame
from creditfarm.storage.models import Archive, ImportRun, Person, QuarantineRow
from creditfarm.workspace import Workspace, open_workspace
from tests.conftest import make_settings
from tests.helpers.hostile import assert_clear, state
from tests.helpers.paths import ROOT

LI_MING = "46902919800101001X"
LI_FANG = "469029198203050028"
V1, V2 = "469029100201", "469029100202"
REGIONS = f"村代码,村名,乡镇\n{V1},什玲村,什玲镇\n{V2},番茅村,什玲镇\n"
HUKOU = "身份证号,姓名,户号,与户主关系,村代码\n"
ARCHIVE = "户主身份证号,户主姓名,建档日期,家庭年收入(万元),存款余额\n"
PAYMENTS = "交易流水号,服务点编号,交易时间,交易类型,交易金额,卡号\n"
CARD = "6228480000000000011"


def _limits(**changes: int) -> ReadLimits:
    base = {
        "max_bytes": 1 << 30,
        "max_rows": 20_000_000,
        "max_columns": 1_000,
        "max_cell_chars": 32_767,
        "max_rejected_rows": 100_000,
    }
    return ReadLimits(**{**base, **changes})


def _ws(tmp_path: Path, **settings: int) -> Workspace:
    """A workspace with 行政区划 and two 户籍 persons imported, and these settings."""
    ws = open_workspace(make_settings(tmp_path).model_copy(update=settings))
    (tmp_path / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "户籍.csv").write_text(
        HUKOU + f"{LI_MING},黎明,H001,户主,{V1}\n{LI_FANG},黎芳,H002,户主,{V2}\n",
        encoding="utf-8",
    )
    for name in ("行政区划.csv", "户籍.csv"):
        assert ingest_file(ws, tmp_path / name).status == "done"
    return ws


def _refused(ws: Workspace, path: Path, *words: str, src: str | None = None) -> str:
    """Import ``path``: it must fail with a message naming the file and ``words``, and leave
    the database and the payment store as they were."""
    before = state(ws)
    run = ingest_file(ws, path, source=src)
    assert run.status == "failed", (run.status, run.message)
    assert_clear(run, path)
    message = run.message or ""
    for word in words:
        assert word in message, message
    assert state(ws) == before
    return message


def _read_refused(path: Path, src: str, limits: ReadLimits, *words: str) -> str:
    with pytest.raises(ReadError) as info:
        read_table(ExportFile(path, limits=limits), source=source(src))
    message = str(info.value)
    assert path.name in message
    for word in words:
        assert word in message, message
    return message


def _book(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "户籍"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _quarantine(ws: Workspace) -> set[tuple[str, int, str | None, str]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(QuarantineRow)).all()
    return {(q.file_name, q.line, q.column, q.reason) for q in rows}


_HUKOU_ROWS = [HUKOU.strip().split(","), [LI_MING, "黎明", "H001", "户主", V1]]


# ------------------------------------------------------------------ xlsx


def test_01_far_away_cell(tmp_path: Path):
    ws = _ws(tmp_path)
    path = _book(tmp_path / "户籍_远处.xlsx", _HUKOU_ROWS)
    book = openpyxl.load_workbook(path)
    book.active["XFD1048576"] = "x"
    book.save(path)
    _refused(ws, path, "1,048,576 行", "16,384 列")


def test_02_zip_bomb(tmp_path: Path):
    ws = _ws(tmp_path)
    plain = _book(tmp_path / "plain.xlsx", _HUKOU_ROWS).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = b"<worksheet>" + b" " * (40 << 20) + b"</worksheet>"  # ~1000x
            dst.writestr(info.filename, body, compress_type=zipfile.ZIP_DEFLATED)
    path = tmp_path / "户籍_炸弹.xlsx"
    path.write_bytes(out.getvalue())
    _refused(ws, path, "压缩比")


def test_03_encrypted_workbook(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_加密.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    _refused(ws, path, "加密")


def test_04_truncated_workbook(tmp_path: Path):
    ws = _ws(tmp_path)
    data = _book(tmp_path / "plain.xlsx", _HUKOU_ROWS).read_bytes()
    path = tmp_path / "户籍_截断.xlsx"
    path.write_bytes(data[: len(data) * 2 // 3])
    _refused(ws, path, "截断")


def test_05_random_bytes_as_xlsx(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_乱码.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    _refused(ws, path, "不是有效的 .xlsx")


def test_06_workbook_with_more_rows_than_the_limit(tmp_path: Path):
    ws = _ws(tmp_path, max_rows=3)
    rows = [*_HUKOU_ROWS, *([LI_FANG, "黎芳", "H002", "户主", V2] for _ in range(3))]
    path = _book(tmp_path / "户籍_多行.xlsx", rows)  # header + 4 rows: sheet rows 1 … 5
    _refused(ws, path, "第 5 行", "行数上限 3")


def test_07_workbook_cell_longer_than_the_limit(tmp_path: Path):
    path = _book(tmp_path / "户籍_长.xlsx", [*_HUKOU_ROWS, [LI_FANG, "黎" * 101, "H2", "户主", V2]])
    # The name cell of the third sheet row (column B) has 101 characters, the limit is 100.
    _read_refused(path, "hukou", _limits(max_cell_chars=100), "第 3 行第 B 列", "长 101 字符")


def test_08_workbook_cell_holding_nul(tmp_path: Path):
    plain = _book(tmp_path / "plain.xlsx", _HUKOU_ROWS).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/sharedStrings.xml" or info.filename.endswith("sheet1.xml"):
                body = body.replace("黎明".encode(), "黎_x0000_明".encode())
            dst.writestr(info.filename, body)
    path = tmp_path / "户籍_nul.xlsx"
    path.write_bytes(out.getvalue())
    # 黎明 is the name of the second sheet row (column B).
    _read_refused(path, "hukou", _limits(), "第 2 行第 B 列", "NUL")


# ------------------------------------------------------------------ big, long, blank


def _junk_payments(path: Path, rows: int) -> Path:
    """A payments header, then rows whose every cell is junk (no date, no amount)."""
    with path.open("w", encoding="utf-8") as out:
        out.write(PAYMENTS)
        block = "".join(f"J{i},¿¿,不是日期,垃圾,abc,{i}\n" for i in range(10_000))
        for _ in range(rows // 10_000):
            out.write(block)
    return path


def test_09_junk_larger_than_the_size_limit(tmp_path: Path):
    ws = _ws(tmp_path, max_file_mb=1)
    path = _junk_payments(tmp_path / "助农取款服务点交易流水_junk.csv", 60_000)
    assert path.stat().st_size > 1 << 20
    _refused(ws, path, "超过上限 1 MB", "CREDITFARM_MAX_FILE_MB")
    with ws.engine.connect() as conn:
        read = conn.execute(
            select(ImportRun.rows_read).order_by(ImportRun.id.desc())  # type: ignore[call-overload, union-attr]
        ).first()
    assert read is not None and read[0] == 0  # refused before one row was read


def test_10_junk_rows_past_the_rejected_rows_limit(tmp_path: Path):
    ws = _ws(tmp_path, max_rejected_rows=1_000)
    path = _junk_payments(tmp_path / "助农取款服务点交易流水_junk.csv", 20_000)
    _refused(ws, path, "超过 1,000 行未通过校验", "第 2 行", "交易时间")
    assert _quarantine(ws) == set()  # nothing of the junk was kept


@pytest.mark.slow
def test_11_a_200_mb_junk_csv_at_the_default_limits(tmp_path: Path):
    ws = _ws(tmp_path)
    path = _junk_payments(tmp_path / "助农取款服务点交易流水_junk.csv", 5_000_000)
    assert path.stat().st_size > 150 << 20
    db = Path(ws.settings.database_url.removeprefix("sqlite:///"))
    size_before = db.stat().st_size
    # In a child process, so its peak memory is the import's own (the issue saw 3.8 GB).
    script = textwrap.dedent(
        f"""
        import json, resource
        from pathlib import Path
        from creditfarm.ingest import ingest_file
        from creditfarm.workspace import open_workspace
        from tests.conftest import make_settings
        ws = open_workspace(make_settings(Path({str(tmp_path)!r})))
        run = ingest_file(ws, Path({str(path)!r}))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({{"status": run.status, "message": run.message, "peak": peak}}))
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        cwd=ROOT,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["status"] == "failed"
    assert path.name in result["message"] and "超过 100,000 行未通过校验" in result["message"]
    assert result["peak"] < 1 << 30, result["peak"]
    assert db.stat().st_size - size_before < 1 << 20  # the run's row, not the junk


def test_12_ten_mb_cell_unquoted(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_长单元格.csv"
    path.write_text(
        HUKOU + f"{LI_MING},黎明,H001,户主,{V1}\n{LI_FANG},{'x' * (10 << 20)},H2,户主,{V2}\n"
    )
    _refused(ws, path, "第 3 行第 2 列", "32,767")


def test_13_ten_mb_cell_quoted(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_长单元格.csv"
    path.write_text(
        HUKOU + f'"{LI_MING}",黎明,H001,户主,{V1}\n{LI_FANG},"黎芳",H2,"{"x" * (10 << 20)}",{V2}\n'
    )
    _refused(ws, path, "第 3 行第 4 列", "32,767")


def test_14_a_million_blank_lines_are_skipped(tmp_path: Path):
    path = tmp_path / "户籍.csv"
    path.write_text(
        HUKOU
        + f"{LI_MING},黎明,H001,户主,{V1}\n"
        + "\n" * 1_000_000
        + f"{LI_FANG},黎芳,H2,户主,{V2}\n"
    )
    table = read_table(ExportFile(path, limits=_limits()), source=source("hukou"))
    # Header on line 1, 黎明 on line 2, a million blank lines 3 … 1,000,002, then 黎芳.
    assert [row.line for row in table.rows] == [2, 1_000_003]


def test_15_a_million_blank_lines_past_the_rows_limit(tmp_path: Path):
    ws = _ws(tmp_path, max_rows=500_000)
    path = tmp_path / "户籍_空行.csv"
    path.write_text(HUKOU + f"{LI_MING},黎明,H001,户主,{V1}\n" + "\n" * 1_000_000)
    # 1 header line + 1 row + 1,000,000 blank lines = 1,000,002 newlines.
    _refused(ws, path, "文件有 1,000,002 行", "行数上限 500,000")


def test_16_nul_bytes(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_nul.csv"
    path.write_bytes((HUKOU + f"{LI_MING},黎\0明,H001,户主,{V1}\n").encode())
    # Line 2: the 18-character ID, a comma, then 黎 (3 UTF-8 bytes): the NUL is byte 23.
    _refused(ws, path, "第 2 行第 23 字节是 NUL")


def test_17_utf16(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_utf16.csv"
    path.write_bytes((HUKOU + f"{LI_MING},黎明,H001,户主,{V1}\n").encode("utf-16"))
    _refused(ws, path, "NUL", "UTF-16")


def test_18_utf8_with_gbk_lines(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_混合.csv"
    lines = [HUKOU.encode(), f"{LI_MING},黎明,H001,户主,{V1}\n".encode()]
    lines += [f"{LI_FANG},黎芳,H002,户主,{V2}\n".encode("gbk")]
    path.write_bytes(b"".join(lines))
    _refused(ws, path, "第 3 行改变")


def test_19_neither_utf8_nor_gb18030(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_坏字节.csv"
    path.write_bytes(HUKOU.encode("gb18030") + b"\x81\x20\xff\xfe\n")
    _refused(ws, path, "编码无法识别", "第 2 行第 1 字节")


def test_20_header_wider_than_the_limit(tmp_path: Path):
    ws = _ws(tmp_path, max_columns=10)
    path = tmp_path / "户籍_宽.csv"
    path.write_text(HUKOU.strip() + "," + ",".join(f"备注{i}" for i in range(10)) + "\n")
    _refused(ws, path, "表头", "15 列", "列数上限 10")


def test_21_a_row_wider_than_the_limit(tmp_path: Path):
    ws = _ws(tmp_path, max_columns=10)
    path = tmp_path / "户籍_宽行.csv"
    path.write_text(
        HUKOU + f"{LI_MING},黎明,H001,户主,{V1}\n{LI_FANG},黎芳,H2,户主,{V2}" + ",x" * 20 + "\n"
    )
    _refused(ws, path, "第 3 行有 25 个单元格", "列数上限 10")


def test_22_a_line_longer_than_a_read_block(tmp_path: Path):
    path = tmp_path / "户籍.csv"
    path.write_text(HUKOU + f"{LI_MING},黎明,H001,户主,{V1}\n" + "y" * 5000 + "\n")
    export = ExportFile(path, batching=Batching(block_bytes=4096), limits=_limits())
    with pytest.raises(ReadError, match="第 3 行超过"):
        read_table(export, source=source("hukou"))


def test_23_an_unclosed_quote(tmp_path: Path):
    ws = _ws(tmp_path, max_cell_chars=1_000)
    path = tmp_path / "户籍_引号.csv"
    path.write_text(HUKOU + f'{LI_MING},黎明,H001,户主,{V1}\n{LI_FANG},"黎芳,H2,户主,{V2}\n')
    # At the end of the file: the rest of line 3 is one name, the row lacks its 户号.
    run = ingest_file(ws, path)
    assert (run.status, run.rows_accepted, run.rows_quarantined) == ("done", 1, 1)
    assert _quarantine(ws) == {("户籍_引号.csv", 3, "户号", "missing_required")}
    # Early in a file, the quote swallows every later line into one cell: past the limit.
    early = tmp_path / "户籍_引号_早.csv"
    rows = "".join(f"{LI_MING},黎明,H001,户主,{V1}\n" for _ in range(100))
    early.write_text(HUKOU + f'{LI_FANG},"黎芳,H2,户主,{V2}\n' + rows)
    _refused(ws, early, "第 2 行", "第 2 列", "1,000 字符")


def test_24_a_header_without_its_newline(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_只有表头.csv"
    path.write_text(HUKOU.strip())
    run = ingest_file(ws, path)
    assert (run.status, run.rows_read) == ("done", 0)


def test_25_an_empty_file(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_空.csv"
    path.write_bytes(b"")
    _refused(ws, path, "找不到表头")


# ------------------------------------------------------------------ values


def _archive(ws: Workspace, tmp_path: Path, rows: str) -> ImportRun:
    path = tmp_path / "2021年农户信用档案.csv"
    path.write_text(ARCHIVE + rows, encoding="utf-8")
    return ingest_file(ws, path)


def test_26_amounts_beyond_float(tmp_path: Path):
    ws = _ws(tmp_path)
    run = _archive(
        ws, tmp_path, f"{LI_MING},黎明,2021-03-01,3.5,1e309\n{LI_FANG},黎芳,2021-03-01,1e308,1\n"
    )
    assert (run.rows_accepted, run.rows_quarantined) == (0, 2)
    assert _quarantine(ws) == {
        ("2021年农户信用档案.csv", 2, "存款余额", "value_implausible"),
        ("2021年农户信用档案.csv", 3, "家庭年收入(万元)", "value_implausible"),
    }


def test_27_negative_income(tmp_path: Path):
    ws = _ws(tmp_path)
    run = _archive(ws, tmp_path, f"{LI_MING},黎明,2021-03-01,-2,100\n")
    assert (run.rows_accepted, run.rows_quarantined) == (0, 1)
    assert _quarantine(ws) == {
        ("2021年农户信用档案.csv", 2, "家庭年收入(万元)", "value_implausible")
    }


def test_28_a_future_date_does_not_move_the_as_of_date(tmp_path: Path):
    ws = _ws(tmp_path)
    run = _archive(
        ws, tmp_path, f"{LI_MING},黎明,2021-03-05,3.5,100\n{LI_FANG},黎芳,2099-01-01,2,100\n"
    )
    assert (run.rows_accepted, run.rows_quarantined) == (1, 1)
    # The only dated row stored is 2021-03-05: the data date is that month's end.
    assert data_date(load_county(ws)) == date(2021, 3, 31)


def test_29_loans_dated_9999(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "贷款台账.csv"
    path.write_text(
        "贷款编号,身份证号,发放日期,到期日期,贷款金额\n"
        f"L1,{LI_MING},2021-05-10,2022-05-10,20000\n"
        f"L2,{LI_MING},2021-05-10,9999-12-31,20000\n"
        f"L3,{LI_FANG},9999-12-31,,20000\n",
        encoding="utf-8",
    )
    run = ingest_file(ws, path)
    assert (run.rows_accepted, run.rows_quarantined) == (1, 2)
    assert _quarantine(ws) == {
        ("贷款台账.csv", 3, "到期日期", "date_implausible"),
        ("贷款台账.csv", 4, "发放日期", "date_in_future"),
    }
    # What failed with "year 10000 is out of range": the data date (a month end) is May 2021.
    assert data_date(load_county(ws)) == date(2021, 5, 31)


def test_30_a_resent_txn_id_with_other_content(tmp_path: Path):
    ws = _ws(tmp_path)
    for name, text in (
        ("助农取款服务点.csv", f"服务点编号,村代码\nP01,{V1}\n"),
        ("卡户对照.csv", f"卡号,身份证号\n{CARD},{LI_MING}\n"),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert ingest_file(ws, tmp_path / name).status == "done"
    first = tmp_path / "助农取款服务点交易流水_1.csv"
    first.write_text(PAYMENTS + f"T1,P01,2021-07-01 10:00:00,小额取款,100,{CARD}\n")
    assert ingest_file(ws, first).rows_accepted == 1
    again = tmp_path / "助农取款服务点交易流水_2.csv"
    again.write_text(PAYMENTS + f"T1,P01,2021-07-01 10:00:00,小额取款,900,{CARD}\n")
    run = ingest_file(ws, again)
    assert (run.status, run.rows_accepted, run.rows_quarantined) == ("done", 0, 1)
    assert _quarantine(ws) == {
        ("助农取款服务点交易流水_2.csv", 2, "交易流水号", "duplicate_conflict")
    }
    # The stored payment stays: the payment store holds the first amount only.
    amounts = [
        v
        for part in sorted(Path(ws.payments_root).glob("month=*/*.parquet"))
        for v in pq.read_table(part).column("amount").to_pylist()
    ]
    assert amounts == [100.0]


def test_31_a_person_in_two_households(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_2022.csv"
    path.write_text(HUKOU + f"{LI_MING},黎明,H009,户主,{V2}\n", encoding="utf-8")
    run = ingest_file(ws, path)
    assert (run.rows_accepted, run.rows_quarantined) == (0, 1)
    with ws.engine.connect() as conn:
        household = conn.execute(
            select(Person.household_no).where(Person.person_key == hash_key(LI_MING, ws.secret))  # type: ignore[call-overload]
        ).scalar_one()
    assert household == "H001"  # stays where the first 户籍 put them


def test_32_formula_names_in_exports(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "户籍_公式.csv"
    names = ['=HYPERLINK("http://x","点我")', "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)"]
    # Each row lacks its 户号 (required): quarantined whole, names and all.
    path.write_text(
        HUKOU
        + "".join(f'{LI_FANG},"{n.replace(chr(34), chr(34) * 2)}",,户主,{V2}\n' for n in names)
    )
    assert ingest_file(ws, path).rows_quarantined == 5
    frame = quarantine_frame(ws)
    text = csv_text(frame)
    for name in names:
        assert f"'{name}" in text.replace('""', '"'), name
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        frame.to_excel(writer, index=False)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    cells = [c for row in sheet.iter_rows() for c in row if str(c.value or "").lstrip("'") in names]
    assert len(cells) == 5 and all(c.data_type == "s" for c in cells)


def test_33_sql_like_strings(tmp_path: Path):
    ws = _ws(tmp_path)
    name = "黎'; DROP TABLE person; --"
    run = _archive(ws, tmp_path, f'{LI_MING},"{name}",2021-03-05,3.5,100\n')
    assert run.rows_accepted == 1
    with ws.engine.connect() as conn:
        stored = conn.execute(select(Archive.head_name)).scalars().all()  # type: ignore[call-overload]
        persons = conn.execute(select(Person.person_key)).scalars().all()  # type: ignore[call-overload]
    assert list(stored) == [name] and len(persons) == 2


def test_34_full_width_ids_are_the_same_person(tmp_path: Path):
    ws = _ws(tmp_path)
    wide = LI_MING.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    assert wide != LI_MING
    run = _archive(ws, tmp_path, f"{wide},黎明,2021-03-05,3.5,100\n")
    assert (run.rows_accepted, run.rows_linked) == (1, 1)
    with ws.engine.connect() as conn:
        keys = conn.execute(select(Archive.head_person_key)).scalars().all()  # type: ignore[call-overload]
    assert list(keys) == [hash_key(LI_MING, ws.secret)]


def test_35_unknown_pii_columns(tmp_path: Path):
    ws = _ws(tmp_path)
    path = tmp_path / "2021年农户信用档案.csv"
    path.write_text(
        "户主身份证号,户主姓名,建档日期,GMSFHM,LXDH,YHKH,备注\n"
        f"{LI_MING},黎明,2021-03-05,{LI_FANG},13812345678,{CARD},13912345678\n"
        f"{LI_FANG},黎芳,2021-13-05,{LI_MING},13812345678,{CARD},种植大户\n",  # bad date
        encoding="utf-8",
    )
    run = ingest_file(ws, path)
    assert (run.rows_accepted, run.rows_quarantined) == (1, 1)
    # Named by header for all rows (2 each); 备注 by its phone-shaped value (1).
    assert {k: v for k, v in run.warnings.items() if k.startswith("extra_pii")} == {
        "extra_pii_not_stored:GMSFHM": 2,
        "extra_pii_not_stored:LXDH": 2,
        "extra_pii_not_stored:YHKH": 2,
        "extra_pii_not_stored:备注": 1,
    }
    with ws.engine.connect() as conn:
        extras = conn.execute(select(Archive.extra)).scalars().all()  # type: ignore[call-overload]
    assert list(extras) == [{}]
    frame = quarantine_frame(ws)
    row = frame.iloc[0]
    assert (row["GMSFHM"], row["LXDH"], row["YHKH"]) == (
        "46902919800101001X"[:6] + "*" * 8 + "001X",
        "138****5678",
        "622848*********0011",
    )
    assert row["备注"] == "种植大户"


def test_36_unsupported_file_types(tmp_path: Path):
    ws = _ws(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "户籍_旧版.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    runs = ingest_folder(ws, folder)
    assert len(runs) == 1 and runs[0].status == "failed"
    assert "户籍_旧版.xls" in (runs[0].message or "") and ".xlsx" in (runs[0].message or "")


def test_37_a_file_too_big_to_place_by_headers(tmp_path: Path):
    ws = _ws(tmp_path, max_file_mb=1)
    folder = tmp_path / "in"
    folder.mkdir()
    _junk_payments(folder / "export_0001.csv", 60_000)  # no source in its name
    before = state(ws)
    runs = ingest_folder(ws, folder)
    assert len(runs) == 1 and runs[0].status == "failed"
    assert "export_0001.csv" in (runs[0].message or "") and "超过上限 1 MB" in (
        runs[0].message or ""
    )
    assert state(ws) == before


@pytest.mark.postgres
def test_refusals_leave_postgresql_as_it_was(tmp_path: Path, postgres_url: str):
    """On PostgreSQL too (which refuses NUL in text, where a crash would have named the
    value): NUL bytes, a long cell and junk rows are refused with the database unchanged, and
    unknown PII columns are not stored."""
    settings = make_settings(tmp_path, postgres_url).model_copy(update={"max_rejected_rows": 100})
    ws = open_workspace(settings)
    try:
        (tmp_path / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
        assert ingest_file(ws, tmp_path / "行政区划.csv").status == "done"
        nul = tmp_path / "户籍_nul.csv"
        nul.write_bytes((HUKOU + f"{LI_MING},黎\0明,H001,户主,{V1}\n").encode())
        _refused(ws, nul, "第 2 行第 23 字节是 NUL")
        long = tmp_path / "户籍_长.csv"
        long.write_text(HUKOU + f"{LI_MING},{'x' * 40_000},H001,户主,{V1}\n")
        _refused(ws, long, "第 2 行「姓名」列（第 2 列）", "长 40,000 字符")
        junk = _junk_payments(tmp_path / "助农取款服务点交易流水_junk.csv", 10_000)
        _refused(ws, junk, "超过 100 行未通过校验")
        path = tmp_path / "户籍.csv"
        path.write_text(
            "身份证号,姓名,户号,与户主关系,村代码,LXDH\n"
            f"{LI_MING},黎明,H001,户主,{V1},13812345678\n",
            encoding="utf-8",
        )
        run = ingest_file(ws, path)
        assert (run.rows_accepted, run.warnings) == (1, {"extra_pii_not_stored:LXDH": 1})
        with ws.engine.connect() as conn:
            extras = conn.execute(select(Person.extra)).scalars().all()  # type: ignore[call-overload]
        assert list(extras) == [{}]
    finally:
        ws.engine.dispose()
