"""Readers: encodings, title rows, Chinese/English headers, units in headers, xlsx, extras."""

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from creditfarm.ingest.contract import source
from creditfarm.ingest.placement import place_file
from creditfarm.ingest.readers import (
    MissingColumnsError,
    RawTable,
    ReadError,
    header_key,
    read_table,
)

HUKOU_ROWS = (
    "身份证号,姓名,户号,与户主关系,村代码\n"
    "46902919800101001X,黎明,H001,户主,469029100201\n"
    "469029200506070114,黎䶮,H001,子,469029100201\n"
)


def _read_placed(path: Path) -> RawTable:
    """Read a file as an import does when no source is given: placed first, then read."""
    placed = place_file(path)
    assert placed.source is not None, placed.message
    return read_table(path, source=placed.source)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_every_encoding_keeps_rare_characters(tmp_path: Path, encoding: str):
    path = tmp_path / "hukou.csv"
    path.write_bytes(HUKOU_ROWS.encode(encoding))
    table = read_table(path, source=source("hukou"))
    assert table.encoding == encoding
    names = [table.canonical(r)["name"] for r in table.rows]
    assert names == ["黎明", "黎䶮"]
    assert [r.line for r in table.rows] == [2, 3]


def test_gbk_would_fail_but_gb18030_reads_the_rare_character(tmp_path: Path):
    with pytest.raises(UnicodeEncodeError):
        "黎䶮".encode("gbk")  # why GB18030 and not GBK
    path = tmp_path / "户籍.csv"
    path.write_bytes(HUKOU_ROWS.encode("gb18030"))
    assert _read_placed(path).source.name == "hukou"  # placed by its Chinese title


def test_undecodable_file_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "hukou.csv"
    # valid UTF-8 header line, then a byte sequence neither UTF-8 nor GB18030 can decode
    path.write_bytes("身份证号,姓名\n".encode() + b"\x81\x20bad\n")
    with pytest.raises(ReadError) as err:
        read_table(path, source=source("hukou"))
    message = str(err.value)
    assert "hukou.csv" in message and "第 2 行" in message and "第 1 字节" in message


def test_title_rows_above_header_and_line_numbers(tmp_path: Path):
    path = tmp_path / "hukou.csv"
    path.write_text("保亭县户籍人口登记表,,,,\n制表日期：2022-06-30,,,,\n" + HUKOU_ROWS, "utf-8")
    table = read_table(path, source=source("hukou"))
    assert table.header_line == 3
    assert [r.line for r in table.rows] == [4, 5]


def test_english_headers_any_case_and_width(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text(
        "ID_Number,ＮＡＭＥ,household no,Relation_To_Head,village_code\n"
        "46902919800101001X,黎明,H001,户主,469029100201\n",
        "utf-8",
    )
    table = read_table(path, source=source("hukou"))
    assert set(table.mapping.values()) == {
        "id_number",
        "name",
        "household_no",
        "relation_to_head",
        "village_code",
    }


def test_header_units_and_markers():
    assert header_key("家庭年收入（万元）") == ("家庭年收入", "万元")
    assert header_key(" 承包地面积 (亩) ") == ("承包地面积", "亩")
    assert header_key("*身份证号") == ("身份证号", None)


def test_unit_in_header_gives_column_scale_and_extras_kept(tmp_path: Path):
    path = tmp_path / "archive.csv"
    path.write_text(
        "户主身份证号,户主姓名,建档日期,家庭年收入(万元),存款余额（元）,承包地面积（亩）,备注\n"
        "46902919800101001X,黎明,2021-03-05,3.5,1000,5,种植大户\n",
        "utf-8",
    )
    table = read_table(path, source=source("archive"))
    assert table.scales == {"annual_income": 10_000.0, "deposits": 1.0}  # 亩 does not scale
    assert table.extra_headers == ["备注"]
    assert table.rows[0].values["备注"] == "种植大户"


def test_missing_required_columns_named_with_aliases(tmp_path: Path):
    path = tmp_path / "hukou.csv"
    path.write_text("身份证号,姓名,村代码\n46902919800101001X,黎明,469029100201\n", "utf-8")
    with pytest.raises(MissingColumnsError) as err:
        read_table(path, source=source("hukou"))
    message = str(err.value)
    assert "hukou.csv" in message
    assert "household_no" in message and "户号" in message
    assert "relation_to_head" in message and "与户主关系" in message


def test_one_of_columns_required(tmp_path: Path):
    path = tmp_path / "payments.csv"
    path.write_text(
        "交易流水号,服务点编号,交易时间,交易类型,交易金额\nT1,P1,2021-07-01,小额取款,100\n"
    )
    with pytest.raises(MissingColumnsError) as err:
        read_table(path, source=source("payments"))
    assert "id_number" in str(err.value) and "card_no" in str(err.value)


def test_unsupported_suffix(tmp_path: Path):
    path = tmp_path / "hukou.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ReadError, match=r"hukou\.xls.*不支持"):
        read_table(path, source=source("hukou"))


def _write_xlsx(path: Path, sheet_title: str = "Sheet1") -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    ws.append(["2021年农户信用档案"])  # merged title row
    ws.merge_cells("A1:E1")
    ws.append(["户主身份证号", "户主姓名", "建档日期", "家庭年收入(万元)", "联系电话"])
    ws.append(["46902919800101001X", "黎明", date(2021, 3, 5), 3.5, "13812345678"])
    ws.append([469029198505200511, "符军", datetime(2021, 3, 5, 9, 30), 2, 13912345678])
    wb.save(path)


def test_xlsx_title_row_dates_and_id_stored_as_number(tmp_path: Path):
    path = tmp_path / "2021年农户信用档案.xlsx"
    _write_xlsx(path)
    table = _read_placed(path)
    assert table.source.name == "archive"
    assert table.header_line == 2
    first, second = table.rows
    assert (first.line, second.line) == (3, 4)
    assert table.canonical(first)["head_id_number"] == "46902919800101001X"
    assert table.canonical(first)["filed_date"] == "2021-03-05"
    assert table.canonical(second)["filed_date"] == "2021-03-05 09:30:00"
    assert "户主身份证号" not in first.numeric
    assert "户主身份证号" in second.numeric  # flagged: the double lost the last digits
    assert "家庭年收入(万元)" in first.numeric and table.scales["annual_income"] == 10_000.0


def test_xlsx_sheet_named_like_the_source(tmp_path: Path):
    path = tmp_path / "county.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本文件包含户籍"])
    sheet = wb.create_sheet("户籍")
    sheet.append(["身份证号", "姓名", "户号", "与户主关系", "村代码"])
    sheet.append(["46902919800101001X", "黎明", "H001", "户主", "469029100201"])
    wb.save(path)
    table = read_table(path, source=source("hukou"))
    assert table.sheet == "户籍" and len(table.rows) == 1


def test_blank_lines_skipped_and_quoted_newlines_keep_line_numbers(tmp_path: Path):
    path = tmp_path / "hukou.csv"
    path.write_text(
        "身份证号,姓名,户号,与户主关系,村代码,备注\n"
        '46902919800101001X,黎明,H001,户主,469029100201,"两行\n备注"\n'
        ",,,,,\n"
        "469029200506070114,黎䶮,H001,子,469029100201,\n",
        "utf-8",
    )
    table = read_table(path, source=source("hukou"))
    assert [r.line for r in table.rows] == [2, 5]  # row 1 spans lines 2–3, line 4 is blank


def test_tab_separated_txt_export(tmp_path: Path):
    path = tmp_path / "户籍.txt"
    path.write_bytes(HUKOU_ROWS.replace(",", "\t").encode("gb18030"))
    table = _read_placed(path)
    assert table.source.name == "hukou"
    assert [table.canonical(r)["id_number"] for r in table.rows] == [
        "46902919800101001X",
        "469029200506070114",
    ]
