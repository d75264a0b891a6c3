"""Differential tests: the columnar import gives the same database, quarantine, import runs and
Parquet payments as the row-by-row import it replaced (``tests.helpers.rowwise``, the oracle),
on the sample county, on generated messy counties and on hand-made files that hold every
defect and every odd form the readers know. Also: a file read in many small batches, and from
its handle rather than from memory, gives the same result as one read whole."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, inspect, text

from creditfarm.identity import checksum_char
from creditfarm.ingest import ingest_folder, readers
from creditfarm.ingest.readers import Batching, TableReader
from creditfarm.sample import generate_county
from creditfarm.storage.sealed import redact_text
from creditfarm.workspace import Workspace, open_workspace
from tests.conftest import PG_ADMIN_URL, make_settings
from tests.helpers.paths import COUNTY, SAMPLE_DATA
from tests.helpers.rowwise import orchestrate as rowwise

SAMPLE = SAMPLE_DATA

_TABLES = (
    "region",
    "point",
    "household",
    "person",
    "card",
    "archive",
    "govrecord",
    "loan",
    "blacklist",
    "importrun",
    "quarantinerow",
)
_CLOCKS = {"started_at", "finished_at"}


def _id(region: str, born: str, seq: int) -> str:
    first17 = f"{region}{born}{seq:03d}"
    return first17 + checksum_char(first17)


MING = "46902919800101001X"
FANG = "469029198203050028"
MEI = "469029197802140426"
YAN = _id("469029", "20050607", 11)
OLD = _id("469029", "19800101", 2)  # its 15-digit form is in 户籍
OUTSIDER = _id("110101", "19900909", 91)
ODD_REGION = _id("990101", "19700101", 5)  # an unknown province: a warning, not a rejection


def _messy(folder: Path) -> Path:
    """A county in which every file is awkward in its own way."""
    folder.mkdir(parents=True)
    # BOM, a title row, CRLF, a full-width code, a bad code, one village name in two towns
    (folder / "行政区划.csv").write_bytes(
        "\ufeff保亭县行政区划（2021年）,,,\r\n村代码,村名,乡镇,乡镇代码\r\n"
        "469029100201,什玲村,什玲镇,\r\n469029100202,八村村,什玲镇,469029100\r\n"
        "469029101201,南林村,南林乡,\r\n469029102201,南林村,响水镇,\r\n"
        "12345,坏村,什玲镇,\r\n４６９０２９１０３２０１,全角村,加茂镇,\r\n".encode()
    )
    (folder / "助农取款服务点.csv").write_text(
        "服务点编号,所在村代码,开办日期,经营者,状态\n"
        "P01,469029100201,2014/7/27,符月莲,正常\nP02,469029999999,2015-01-01,,正常\n"
        "P03,,20150101,张三,\nP04,469029100202,2015年3月5日,李四,停业\n",
        "utf-8",
    )
    # GB18030 with a rare character, a quoted two-line note, a wide row, a blank row,
    # villages by name (unique, ambiguous, unknown), a 15-digit ID, every bad-ID kind
    hukou = (
        "身份证号,姓名,户号,与户主关系,村代码,乡镇,村名,性别,出生日期,民族,备注\n"
        f'{MING},黎明,H001,户主,469029100201,,,男,1980-01-01,黎族,"两行\n备注"\n'
        f"{FANG},黎芳,H001,配偶,,什玲镇,什玲村委会,,,黎族,\n"
        f"{YAN},黎䶮,H001,子,,,什玲村,,,,\n"
        f"{MEI},李梅,H002,户主,,,南林村,,,汉族,\n"
        f"{MEI[:6]}{MEI[8:17]},李梅旧,H002,户主,,南林乡,南林村,女,,,\n"
        f"{OLD[:6]}{OLD[8:17]},旧号,H003,户主,469029100202,,,,,,\n"
        f"{ODD_REGION},远客,H004,本人,469029100202,,,,,,,多出,再多\n"
        ",,,,,,,,,,\n"
        f"{MING},黎明明,H001,户主,469029100201,,,男,,,\n"
        "4.69029E+17,丁,H005,户主,469029100201,,,,,,\n"
        f"{FANG[:17]}9,丙,H005,女,469029100201,,,,,,\n"
        "469029199902300017,乙,H005,女,469029100201,,,,,,\n"
        f"{OUTSIDER},张三,H006,户主,469029999999,,,,,,\n"
        f"{_id('469029', '19850520', 51)},,H007,户主,469029100201,,,,,,\n"
        f"{_id('469029', '19850520', 61)},符军,H007,子,,,,,,,\n"
        f"{_id('469029', '19600101', 71)},王五,H008,户主,,,全角村,,1960/1/1,汉族,\n"
    )
    (folder / "户籍.csv").write_bytes(hukou.encode("gb18030"))
    cards = (
        "卡号,身份证号\n"
        f"6228 4800 0000 0000 011,{MING}\n"
        f"6228-4800-0000-0000-022,{FANG}\n"
        f"62284800000,{MEI}\n"
        f"6228480000000000044,{OUTSIDER}\n"
        f"6228480000000000055,{_id('469029', '19850520', 61)}\n"
    )
    (folder / "卡户对照.csv").write_text(cards, "utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "卡户对照_补充"
    sheet.append(["卡号", "身份证号"])
    sheet.append([6228480000000000066, MING])  # a card stored as a number
    sheet.append(["6228480000000000077", 469029198203050028])  # an ID stored as a number
    book.save(folder / "卡户对照_补充.xlsx")
    _archive_xlsx(folder / "2021年农户信用档案.xlsx")
    # quoted cells (Python's csv reads this one), card-only rows, every time and amount form
    (folder / "助农取款服务点交易流水_2021-07.csv").write_text(
        "交易流水号,服务点编号,交易时间,交易类型,交易金额,交易状态,持卡人身份证号,卡号,收付方向,缴费项目,备注\n"
        f"T1,P01,2021-07-01 10:00:00,小额取款,500,成功,{MING},,,,\n"
        'T2,P01,2021/7/2 11:00,补贴发放,"1,200元",成功,,6228480000000000011,,,\n'
        f"T3,P01,20210703,代理缴费,80,成功,{FANG},,,电费,\n"
        f"T4,P01,2021-07-04T09:00:00,余额查询,0,成功,{FANG},,,,\n"
        f"T5,P09,2021-08-01 08:00:00,汇入,0.5万元,成功,{OUTSIDER},,,,\n"
        f"T6,P01,2021-07-05 09:00:00.5,转账,２５０．００,成功,{MING},,收,,\n"
        f"T7,P01,2021年7月6日,转账,33,成功,{MING},,借,,\n"
        "T8,P01,2021-07-06 10:00:00,小额取款,100,成功,,6228489999999999999,,,\n"
        "T9,P01,2021-07-06 10:00:00,小额取款,100,成功,,62284800000,,,\n"
        f"T10,P01,2021-07-06 10:00:00,小额取款,-,成功,{MING},,,,\n"
        f"T11,P01,2021-07-06 25:00:00,小额取款,10,成功,{MING},,,,\n"
        f"T12,P01,2021-07-07 10:00:00,小额取款,abc,成功,{MING},,,,\n"
        f'T13,P02,2021-07-07 10:00:00,小额取款,10,成功,{MING},,,,"备注, 有逗号"\n'
        f"T1,P01,2021-07-01 10:00:00,小额取款,500,成功,{MING},,,,\n"
        f"T3,P01,2021-07-03 00:00:00,代理缴费,81,成功,{FANG},,,电费,\n"
        "T14,P01,2021-07-08 10:00:00,小额取款,10,成功,,6228480000000000055,,,\n",
        "utf-8",
    )
    # no quotes (Arrow's reader), GB18030, CRLF, a short row, a wide row, blank lines
    (folder / "助农取款服务点交易流水_2021-08.csv").write_bytes(
        (
            "交易流水号,服务点编号,交易时间,交易类型,交易金额,交易状态,持卡人身份证号,卡号\r\n"
            f"U1,P01,2021-08-02 10:00:00,小额取款,20,成功,{MING},\r\n"
            "\r\n"
            f"U2,P04,2021-08-02 10:00:01,小额取款,30,成功,{YAN}\r\n"
            f"U3,P01,2021-08-02 10:00:02,小额取款,40,成功,{FANG},,多余\r\n"
            ",,,,,,,\r\n"
            f"U4,P01,2021-8-2 9:5,小额取款,50,成功,{MING},\r\n"
            f"U5,P01,2021-08-03 10:00:00,小额取款,60,成功,{OLD[:6]}{OLD[8:17]},\r\n"
            f"T1,P01,2021-07-01 10:00:00,小额取款,500,成功,{MING},\r\n"  # replaces July's T1
        ).encode("gb18030")
    )
    # a tab-separated .txt with lone CR line ends
    (folder / "助农取款服务点交易流水_2021-09.txt").write_bytes(
        (
            "txn_id\tpoint_id\ttxn_time\ttxn_type\tamount\tstatus\tid_number\r"
            f"V1\tP01\t2021-09-01 10:00:00\t取款\t10\t成功\t{MING}\r"
            f"V2\tP01\t2021-09-01 10:00:00\t取款\t10\t成功\t{MING}\r"
        ).encode()
    )
    (folder / "政务_税收登记.csv").write_text(
        "id_number,tax_status,tax_paid_last_year,arrears,note\n"
        f'{MING},正常,"1,000",0,有\n{FANG},欠税,,2千元,\n{OUTSIDER},正常,无,-,\n',
        "utf-8",
    )
    (folder / "政务_扶贫人口.csv").write_text(
        f"身份证号,贫困状态,认定年份\n{MING},脱贫户,2016年\n{MEI},监测户,二〇一六\n",
        "utf-8",
    )
    (folder / "政务_农业土地确权.csv").write_text(
        "身份证号,确权面积(亩),证书编号,流转出面积(亩)\n"
        f"{MING},5.5亩,J1,0\n{MING},5.5,J1,1\n{FANG},７．２,J2,\n",
        "utf-8",
    )
    (folder / "政务_违法犯罪记录.csv").write_text(
        f"身份证号,记录类型,类别,记录日期\n{MING},行政,赌博,2020-05-01\n"
        f"{MING},行政,赌博,2020-05-01\n{OUTSIDER},刑事,诈骗,44197\n",
        "utf-8",
    )
    # every row quarantined: the records of no row at all
    (folder / "政务_出入境.csv").write_text("身份证号,出境次数\n12345,3\n", "utf-8")
    (folder / "贷款台账.csv").write_text(
        "借据号,身份证号,发放日期,到期日期,贷款金额(万元),贷款余额,最长逾期天数,五级分类,状态\n"
        f'L1,{MING},2021-01-05,2022-01-05,5,"20,000",0,正常,未结清\n'
        f"L2,{FANG},2021/2/5,,3,1万元,95,次级,未结清\n"
        f"L1,{MING},2021-01-05,2022-01-05,6,0,0,正常,结清\n"
        f"L3,{MEI},20210305,,1.5,0,三十,正常,结清\n",
        "utf-8",
    )
    (folder / "逃废债黑名单.csv").write_text(
        f"身份证号,列入日期,原因\n{MEI},2020-01-01,逃废债\n{OUTSIDER},,\n", "utf-8"
    )
    (folder / "export_0630.csv").write_text(f"卡号,身份证号\n6228480000000000088,{YAN}\n", "utf-8")
    (folder / "notes.csv").write_text("甲,乙\n1,2\n", "utf-8")
    (folder / "户籍_旧.csv").write_bytes("身份证号,姓名\n".encode() + b"\x81\x20\n")
    return folder


def _archive_xlsx(path: Path) -> None:
    from datetime import date, datetime

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2021年农户信用档案"])
    sheet.merge_cells("A1:H1")
    sheet.append(
        [
            "户主身份证号",
            "户主姓名",
            "建档日期",
            "家庭年收入(万元)",
            "承包地面积",
            "联系电话",
            "村代码",
            "家庭人口",
        ]
    )
    sheet.append([MING, "黎明", date(2021, 3, 5), 3.5, "5亩", "13812345678", "469029100201", 3])
    sheet.append(
        [FANG, "黎芳芳", datetime(2021, 3, 5, 9, 30), "２．８", "-", 13912345678, "", "四"]
    )
    sheet.append([469029197802140426, "李梅", 44260, 2, 3, "", "", ""])
    sheet.append([MEI, "李梅", "2021/3/5", "4万元", "无", "", "469029100202", 2])
    sheet.append([OUTSIDER, "张三", "2021-13-01", 1, 1, "", "", 1])
    sheet.append([YAN, "黎䶮", "20210305", "1,200元", 0.5, "", "469029999999", 1])
    sheet.append([MING, "黎明", "2021-03-06", 4, 5, "", "469029100201", 3])
    book.save(path)


# ---------------------------------------------------------------- the comparison


def _dump(ws: Workspace) -> dict[str, Any]:
    """Every table the import writes (rows by primary key, clocks left out), and each month's
    Parquet rows in file order."""
    out: dict[str, Any] = {}
    with ws.engine.connect() as conn:
        meta = inspect(conn)
        for name in _TABLES:
            columns = [c["name"] for c in meta.get_columns(name) if c["name"] not in _CLOCKS]
            keys = meta.get_pk_constraint(name)["constrained_columns"]
            order = ", ".join(f'"{k}"' for k in keys)
            query = text(
                f"SELECT {', '.join(chr(34) + c + chr(34) for c in columns)} "
                f'FROM "{name}" ORDER BY {order}'
            )
            out[name] = [dict(zip(columns, row, strict=True)) for row in conn.execute(query)]
    out["payments"] = {
        f.parent.name: pq.read_table(f).to_pylist()
        for f in sorted(ws.payments_root.glob("month=*/part-0.parquet"))
    }
    return out


def _opened(ws: Workspace, dump: dict[str, Any]) -> dict[str, Any]:
    """``dump`` with the personal numbers the database holds sealed opened again, and masked
    free text masked on both sides: the reference path writes them as read, and the comparison
    is of what was imported, not of how it is kept (``tests/storage/test_sealed.py`` checks
    the keeping)."""
    sealer = ws.sealer
    for row in dump["person"]:
        row["id_number"] = sealer.open(row["id_number"])
        row.pop("id_masked", None)
    for row in dump["archive"]:
        row["phone"] = sealer.open(row["phone"])
    for row in dump["quarantinerow"]:
        row["row"] = sealer.open_raw_row(_json(row["row"]) or {}, row.pop("sealed", None))
        row["detail"] = redact_text(row["detail"]) if row["detail"] else row["detail"]
    for row in dump["importrun"]:
        row["message"] = redact_text(row["message"]) if row["message"] else row["message"]
    return dump


def _json(value: Any) -> Any:
    """A JSON column as read by a plain query: text on SQLite, parsed on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def _compare(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    for name in (*_TABLES, "payments"):
        assert ours[name] == theirs[name], name


@pytest.fixture
def reference_ws(
    request: pytest.FixtureRequest, ws: Workspace, tmp_path: Path
) -> Iterator[Workspace]:
    """A second fresh workspace on the same database kind as ``ws``, for the oracle."""
    if ws.engine.dialect.name == "sqlite":
        other = open_workspace(make_settings(tmp_path / "reference"))
        yield other
        other.engine.dispose()
        return
    name = f"cf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    other = open_workspace(make_settings(tmp_path / "reference", url))
    try:
        yield other
    finally:
        other.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _both(ws: Workspace, reference: Workspace, folder: Path) -> dict[str, Any]:
    ours = ingest_folder(ws, folder)
    theirs = rowwise.ingest_folder(reference, folder)
    assert [(r.file_name, r.status) for r in ours] == [(r.file_name, r.status) for r in theirs]
    mine, oracle = _opened(ws, _dump(ws)), _opened(reference, _dump(reference))
    _compare(mine, oracle)
    return mine


def test_hand_made_messy_files_import_as_before(ws, reference_ws, tmp_path):
    folder = _messy(tmp_path / "messy")
    dump = _both(ws, reference_ws, folder)
    # the files did exercise what they were made for
    reasons = {(q["file_name"], q["reason"]) for q in dump["quarantinerow"]}
    assert ("户籍.csv", "duplicate_conflict") in reasons
    assert ("户籍.csv", "unknown_village") in reasons  # 南林村 without its town
    assert ("卡户对照_补充.xlsx", "card_excel_number") in reasons
    assert ("助农取款服务点交易流水_2021-07.csv", "unknown_card") in reasons
    runs = {r["file_name"]: r for r in dump["importrun"]}
    assert _json(runs["户籍.csv"]["warnings"]) == {
        "id_upgraded_15_to_18": 2,
        "id_unknown_region": 1,
    }
    assert runs["户籍_旧.csv"]["status"] == "failed"
    persons = {p["name"]: p for p in dump["person"]}
    assert _json(persons["远客"]["extra"]) == {"列12": "多出", "列13": "再多"}
    conflict = next(q for q in dump["quarantinerow"] if q["reason"] == "duplicate_conflict")
    assert _json(conflict["row"])["备注"] == "两行\n备注"  # the losing 黎明 row, kept whole
    july = {row["txn_id"]: row for row in dump["payments"]["month=2021-07"]}
    assert july["T1"]["run_id"] == runs["助农取款服务点交易流水_2021-08.csv"]["id"]


def test_messy_files_read_in_small_batches_from_the_handle_import_as_before(
    ws, reference_ws, tmp_path, monkeypatch
):
    monkeypatch.setattr(readers, "BATCHING", Batching(rows=2, block_bytes=256))
    monkeypatch.setattr(readers, "HOLD_BYTES", 0)  # every file streamed from its handle
    _both(ws, reference_ws, _messy(tmp_path / "messy"))


@pytest.mark.parametrize("seed", [3, 11])
def test_generated_messy_county_imports_as_before(ws, reference_ws, tmp_path, seed):
    folder = tmp_path / "county"
    generate_county(folder, households=150, seed=seed, months=4)
    shutil.copytree(COUNTY, folder / "更多", dirs_exist_ok=True)  # a second 户籍 and archive
    _both(ws, reference_ws, folder)


@pytest.mark.slow
def test_sample_county_imports_as_before(ws, reference_ws, tmp_path):
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("*.md"))
    dump = _both(ws, reference_ws, folder)
    assert sum(len(rows) for rows in dump["payments"].values()) > 60_000


def test_a_payment_file_is_read_in_batches_with_the_same_result(sqlite_ws, tmp_path, monkeypatch):
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    lines = ["交易流水号,服务点编号,交易时间,交易类型,交易金额,持卡人身份证号"]
    for i in range(60):
        holder = (MING, FANG, OUTSIDER, "469029198203050029")[i % 4]  # every 4th: bad ID
        lines.append(
            f"T{i % 50},P01,2021-07-{1 + i % 28:02d} 10:{i % 60:02d}:00,取款,{i}.5,{holder}"
        )
    (folder / "助农取款服务点交易流水_2021-07.csv").write_text("\n".join(lines) + "\n", "utf-8")
    whole = ingest_folder(sqlite_ws, folder)
    expected = _opened(sqlite_ws, _dump(sqlite_ws))  # each workspace seals under its own key

    sizes: list[int] = []
    real = TableReader.batches

    def counted(self: TableReader) -> Iterator[Any]:
        for batch in real(self):
            if self.source.name == "payments":
                sizes.append(len(batch))
            yield batch

    monkeypatch.setattr(TableReader, "batches", counted)
    monkeypatch.setattr(readers, "BATCHING", Batching(rows=7, block_bytes=512))
    monkeypatch.setattr(readers, "HOLD_BYTES", 0)
    other = open_workspace(make_settings(tmp_path / "again"))
    again = ingest_folder(other, folder)
    assert len(sizes) >= 5 and sum(sizes) == 60  # the file did span several batches
    assert [r.status for r in again] == [r.status for r in whole]
    _compare(_opened(other, _dump(other)), expected)
    payments = next(r for r in again if r.source == "payments")
    # 60 rows: every 4th has a bad check digit (15); of the 45 left, T0 T2 T4 T6 T8 come twice
    # with other amounts (5 conflicts, the later row kept): 40 accepted
    assert (payments.rows_read, payments.rows_accepted) == (60, 40)
    assert (payments.rows_quarantined, payments.duplicates_merged) == (20, 0)
