"""Ingest on SQLite and PostgreSQL: a hand-written county, every quarantine reason, spouse-keyed
linkage, payments through cards, idempotence, newer exports, and all-or-nothing files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from creditfarm.identity import hash_key
from creditfarm.ingest import REASONS, IngestError, ingest_file, ingest_folder
from creditfarm.ingest import orchestrate as orchestrate_mod
from creditfarm.ingest import write as write_mod
from creditfarm.storage.models import (
    Archive,
    Blacklist,
    Card,
    GovRecord,
    Household,
    ImportRun,
    Loan,
    Person,
    QuarantineRow,
    Region,
)
from creditfarm.storage.paystore import payment_files, read_payments
from tests.helpers.paths import COUNTY

SECRET = "test-secret"  # conftest.make_settings
LI_MING = "46902919800101001X"  # H001 户主
LI_FANG = "469029198203050028"  # H001 配偶
LI_MEI = "469029197802140426"  # H002 配偶 (her archive files H002)
OUTSIDER = "46902919900909091X"  # not in 户籍


def _count(ws, model) -> int:
    with ws.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


def _rows(ws, model):
    with ws.engine.connect() as conn:
        return conn.execute(select(model.__table__)).mappings().all()


def _county(tmp_path: Path) -> Path:
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    return folder


def test_hand_county_import(ws, tmp_path):
    runs = ingest_folder(ws, _county(tmp_path))
    assert [(r.source, r.status) for r in runs] == [
        ("regions", "done"),
        ("hukou", "done"),
        ("archive", "done"),
    ]
    archive = runs[2]
    # 7 rows: A006 bad checksum (quarantined), first A001 merged into the last A001 → 5 kept;
    # A001, A002 (李梅 → H002), A003, A004 (黎芳 → H001) link; A005 (outsider) does not.
    assert (archive.rows_read, archive.rows_accepted, archive.rows_quarantined) == (7, 5, 1)
    assert (archive.duplicates_merged, archive.rows_linked) == (1, 4)
    assert runs[1].rows_accepted == runs[1].rows_linked == 10

    by_head = {a["archive_id"]: a for a in _rows(ws, Archive)}
    assert by_head["A002"]["household_no"] == "H002"  # opened in the spouse's name
    assert by_head["A004"]["household_no"] == "H001"
    assert by_head["A005"]["household_no"] is None
    assert by_head["A001"]["annual_income"] == pytest.approx(40_000)  # last row: 4 万元
    assert by_head["A002"]["annual_income"] == pytest.approx(28_000)  # full-width ２．８ 万元
    assert by_head["A002"]["land_area_mu"] == pytest.approx(3.0)
    assert by_head["A003"]["phone"] is None and by_head["A003"]["annual_income"] is None
    assert by_head["A005"]["filed_date"] == date(2021, 3, 5)  # Excel serial 44260
    assert by_head["A003"]["village_code"] == "469029100202"  # from the household

    persons = {p["name"]: p for p in _rows(ws, Person)}
    assert persons["黎䶮"]["household_no"] == "H001"  # GB18030 rare character survived
    assert persons["胡平"]["village_code"] == "469029101201"  # resolved from 南林乡 + 南林村
    assert persons["黎明"]["person_key"] == hash_key(LI_MING, SECRET)
    households = {h["household_no"]: h for h in _rows(ws, Household)}
    assert households["H001"]["head_person_key"] == hash_key(LI_MING, SECRET)
    assert len(households) == 6

    (bad,) = _rows(ws, QuarantineRow)
    assert (bad["reason"], bad["line"], bad["column"]) == ("id_checksum", 7, "户主身份证号")
    assert bad["row"]["户主姓名"] == "错号"  # stored whole


def test_reimport_same_files_changes_nothing(ws, tmp_path):
    folder = _county(tmp_path)
    ingest_folder(ws, folder)
    before = {
        m.__name__: _count(ws, m) for m in (Region, Household, Person, Archive, QuarantineRow)
    }
    again = ingest_folder(ws, folder)
    assert [r.status for r in again] == ["unchanged"] * 3
    after = {m.__name__: _count(ws, m) for m in (Region, Household, Person, Archive, QuarantineRow)}
    assert (
        after
        == before
        == {
            "Region": 3,
            "Household": 6,
            "Person": 10,
            "Archive": 5,
            "QuarantineRow": 1,
        }
    )


def test_newer_export_updates_by_natural_key(ws, tmp_path):
    ingest_folder(ws, _county(tmp_path))
    newer = tmp_path / "2022年农户信用档案.csv"
    newer.write_text(
        f"户主身份证号,户主姓名,建档日期,家庭年收入(元)\n{LI_MING},黎明,2022-01-10,52000\n",
        "utf-8",
    )
    run = ingest_file(ws, newer)
    assert run.status == "done" and run.source == "archive"
    assert _count(ws, Archive) == 5  # updated, not added
    (row,) = [a for a in _rows(ws, Archive) if a["head_person_key"] == hash_key(LI_MING, SECRET)]
    assert row["annual_income"] == pytest.approx(52_000)
    assert row["filed_date"] == date(2022, 1, 10)
    assert row["run_id"] == run.id


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding)
    return path


def test_every_quarantine_reason(ws, tmp_path):
    folder = tmp_path / "messy"
    folder.mkdir()
    _write(
        folder / "regions.csv",
        "村代码,村名,乡镇\n469029100201,什玲村,什玲镇\n12345,坏村,什玲镇\n",
    )
    _write(
        folder / "hukou.csv",
        "身份证号,姓名,户号,与户主关系,村代码\n"
        f"{LI_MING},黎明,H001,户主,469029100201\n"
        f"{LI_FANG},,H001,配偶,469029100201\n"  # missing_required (姓名)
        "12345,甲,H001,子,469029100201\n"  # id_format
        "469029199902300017,乙,H001,女,469029100201\n"  # id_date (Feb 30)
        "469029198203050029,丙,H001,女,469029100201\n"  # id_checksum (right one ends 8)
        "4.69029E+17,丁,H001,子,469029100201\n"  # id_excel_number (Excel-saved CSV)
        f"{LI_MEI},李梅,H002,户主,469029999999\n"  # unknown_village
        f"{OUTSIDER},张三,H003,户主,469029100201\n"
        f"{OUTSIDER},李四,H003,户主,469029100201\n",  # same ID, another name: conflict
    )
    _write(
        folder / "archive.csv",
        "户主身份证号,户主姓名,建档日期,家庭人口\n"
        f"{LI_MING},黎明,2021-13-01,3\n"  # bad_date
        f"{LI_MING},黎明,2021-03-01,四口\n"  # bad_number
        f"{LI_MING},黎明,2099-01-01,3\n"  # date_in_future (after the import's day)
        f"{LI_MING},黎明,1850-01-01,3\n"  # date_implausible
        f"{LI_MING},黎明,2021-03-01,-3\n",  # value_implausible (negative)
    )
    _write(
        folder / "cards.csv",
        f"卡号,身份证号\n6228480000000000011,{LI_MING}\n12AB,{LI_MING}\n",  # card_format
    )
    _write(
        folder / "payments.csv",
        "交易流水号,服务点编号,交易时间,交易类型,交易金额,卡号\n"
        "T1,P01,2021-07-01 10:00:00,小额取款,abc,6228480000000000011\n"  # bad_amount
        "T2,P01,2021-07-01 10:00:00,小额取款,100,6228489999999999999\n",  # unknown_card
    )
    wb = openpyxl.Workbook()
    wb.active.append(["卡号", "身份证号"])
    wb.active.append([6228480000000000022, LI_MING])  # card_excel_number (19 digits as double)
    wb.active.append(["6228480000000000033", 469029198203050028])  # id_excel_number
    wb.save(folder / "卡户对照_补充.xlsx")

    runs = ingest_folder(ws, folder)
    assert all(r.status == "done" for r in runs), [r.message for r in runs]
    quarantined = _rows(ws, QuarantineRow)
    found = {(q["source"], q["reason"], q["line"], q["column"]) for q in quarantined}
    assert found == {
        ("regions", "bad_code", 3, "村代码"),
        ("hukou", "missing_required", 3, "姓名"),
        ("hukou", "id_format", 4, "身份证号"),
        ("hukou", "id_date", 5, "身份证号"),
        ("hukou", "id_checksum", 6, "身份证号"),
        ("hukou", "id_excel_number", 7, "身份证号"),
        ("hukou", "unknown_village", 8, "村代码"),
        ("hukou", "duplicate_conflict", 9, "姓名"),
        ("archive", "bad_date", 2, "建档日期"),
        ("archive", "bad_number", 3, "家庭人口"),
        ("archive", "date_in_future", 4, "建档日期"),
        ("archive", "date_implausible", 5, "建档日期"),
        ("archive", "value_implausible", 6, "家庭人口"),
        ("cards", "card_format", 3, "卡号"),
        ("cards", "card_excel_number", 2, "卡号"),
        ("cards", "id_excel_number", 3, "身份证号"),
        ("payments", "bad_amount", 2, "交易金额"),
        ("payments", "unknown_card", 3, "卡号"),
    }
    assert {q["reason"] for q in quarantined} == set(REASONS)  # every reason code exercised
    conflict = next(q for q in quarantined if q["reason"] == "duplicate_conflict")
    assert conflict["row"]["姓名"] == "张三"  # the losing row, kept whole
    # read = accepted + quarantined + merged, for every file
    for run in runs:
        assert run.rows_read == run.rows_accepted + run.rows_quarantined + run.duplicates_merged
    hukou = next(r for r in runs if r.source == "hukou")
    assert (hukou.rows_read, hukou.rows_accepted, hukou.rows_quarantined) == (9, 2, 7)


def test_payments_link_by_id_and_card_and_store_no_raw_numbers(ws, tmp_path):
    folder = _county(tmp_path)
    _write(folder / "助农取款服务点.csv", "服务点编号,村代码\nP01,469029100201\n")
    _write(folder / "卡户对照.csv", f"卡号,身份证号\n6228480000000000011,{LI_MING}\n")
    _write(
        folder / "助农取款服务点交易流水_2021-07.csv",
        "交易流水号,服务点编号,交易时间,交易类型,交易金额,交易状态,持卡人身份证号,卡号,缴费项目\n"
        f"T1,P01,2021-07-01 10:00:00,小额取款,500,成功,{LI_MING},,\n"
        'T2,P01,2021/7/2 11:00,补贴发放,"1,200元",成功,,6228480000000000011,\n'
        f"T3,P01,2021-07-03 09:00:00,代理缴费,80,成功,{LI_FANG},,电费\n"
        f"T4,P01,2021-07-04 09:00:00,余额查询,0,成功,{LI_FANG},,\n"
        f"T5,P09,2021-08-01 08:00:00,汇入,0.5万元,成功,{OUTSIDER},,\n"
        f"T1,P01,2021-07-01 10:00:00,小额取款,500,成功,{LI_MING},,\n",  # exact duplicate
        "gb18030",
    )
    runs = ingest_folder(ws, folder)
    payments_run = runs[-1]
    assert payments_run.source == "payments" and payments_run.status == "done"
    # T1..T5 kept (T1 twice → merged once); T5's holder is not in 户籍: 4 of 5 linked
    assert (payments_run.rows_accepted, payments_run.duplicates_merged) == (5, 1)
    assert payments_run.rows_linked == 4
    assert payments_run.warnings == {"unknown_point": 1}  # P09 is not a known point
    stored = read_payments(ws.payments_root).set_index("txn_id")
    ming, fang = hash_key(LI_MING, SECRET), hash_key(LI_FANG, SECRET)
    assert stored.loc["T2", "person_key"] == ming  # through the card table
    assert stored.loc["T2", "card_key"] == hash_key("6228480000000000011", SECRET)
    assert stored.loc["T2", "amount"] == pytest.approx(1200)
    assert stored.loc["T5", "amount"] == pytest.approx(5000)  # 0.5 万元
    assert list(stored["direction"].fillna("none")) == ["out", "in", "out", "none", "in"]
    assert stored.loc["T3", "person_key"] == fang
    assert len(payment_files(ws.payments_root)) == 2  # 2021-07 and 2021-08
    text = b"".join(p.read_bytes() for p in payment_files(ws.payments_root))
    assert LI_MING.encode() not in text and b"6228480000000000011" not in text
    # the same payments file again: nothing changes
    again = ingest_folder(ws, folder)
    assert {r.status for r in again} == {"unchanged"}
    assert len(read_payments(ws.payments_root)) == 5


def test_government_loans_blacklist(ws, tmp_path):
    folder = _county(tmp_path)
    _write(
        folder / "政务_违法犯罪记录.csv",
        f"身份证号,记录类型,类别,记录日期\n{LI_MING},行政,赌博,2020-05-01\n"
        f"{OUTSIDER},刑事,诈骗,2019-01-01\n",
    )
    _write(
        folder / "贷款台账.csv",
        "借据号,身份证号,发放日期,贷款金额,贷款余额,最长逾期天数,五级分类,状态\n"
        f'L1,{LI_MING},2021-01-05,5万元,"20,000",0,正常,未结清\n',
    )
    _write(folder / "逃废债黑名单.csv", f"身份证号,列入日期,原因\n{LI_MEI},2020-01-01,逃废债\n")
    runs = {r.source: r for r in ingest_folder(ws, folder)}
    assert runs["criminal"].rows_accepted == 2 and runs["criminal"].rows_linked == 1
    records = _rows(ws, GovRecord)
    ming = next(r for r in records if r["person_key"] == hash_key(LI_MING, SECRET))
    assert ming["data"] == {"record_type": "行政", "category": "赌博", "record_date": "2020-05-01"}
    assert ming["record_date"] == date(2020, 5, 1)
    (loan,) = _rows(ws, Loan)
    assert (loan["amount"], loan["balance"], loan["max_days_overdue"]) == (50_000, 20_000, 0)
    (black,) = _rows(ws, Blacklist)
    assert black["person_key"] == hash_key(LI_MEI, SECRET)


def test_fifteen_digit_id_is_upgraded_and_counted(ws, tmp_path):
    _write(tmp_path / "regions.csv", "村代码,村名,乡镇\n469029100201,什玲村,什玲镇\n")
    ingest_file(ws, tmp_path / "regions.csv")
    # 469029 800101 001 → 469029 19 800101 001 + X (the 18-digit ID of 黎明)
    path = _write(
        tmp_path / "hukou.csv",
        "身份证号,姓名,户号,与户主关系,村代码\n469029800101001,黎明,H001,户主,469029100201\n",
    )
    run = ingest_file(ws, path)
    assert run.warnings == {"id_upgraded_15_to_18": 1}
    (person,) = _rows(ws, Person)
    assert ws.sealer.open(person["id_number"]) == LI_MING  # sealed at rest, opened here
    assert person["id_masked"] == LI_MING[:6] + "*" * 8 + LI_MING[-4:]


def test_failure_midway_leaves_nothing(ws, tmp_path, monkeypatch):
    folder = _county(tmp_path)
    ingest_file(ws, folder / "行政区划.csv")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(write_mod, "relink_archives", boom)  # after households and persons
    run = ingest_file(ws, folder / "hukou.csv")
    assert run.status == "failed" and "disk full" in (run.message or "")
    assert _count(ws, Household) == 0 and _count(ws, Person) == 0


def test_failed_payments_file_leaves_no_parquet(ws, tmp_path, monkeypatch):
    folder = _county(tmp_path)
    ingest_folder(ws, folder)
    path = _write(
        tmp_path / "payments.csv",
        f"交易流水号,服务点编号,交易时间,交易类型,交易金额,持卡人身份证号\n"
        f"T1,P01,2021-07-01 10:00:00,小额取款,500,{LI_MING}\n",
    )

    def boom(*args, **kwargs):
        raise RuntimeError("lost connection")

    monkeypatch.setattr(orchestrate_mod, "finish_run", boom)  # after staging the Parquet files
    run = ingest_file(ws, path)
    assert run.status == "failed" and "lost connection" in (run.message or "")
    assert not ws.payments_root.exists() or not any(ws.payments_root.rglob("*.parquet"))
    assert _count(ws, QuarantineRow) == 1  # only the county's own id_checksum row
    # once the fault is gone, the same file imports (a failed run does not count as done)
    monkeypatch.undo()
    assert ingest_file(ws, path).status == "done"
    assert len(read_payments(ws.payments_root)) == 1


def test_unplaceable_and_unreadable_files_are_reported(ws, tmp_path):
    folder = _county(tmp_path)
    _write(folder / "export.csv", "甲,乙\n1,2\n")
    (folder / "户籍_旧.csv").write_bytes("身份证号,姓名\n".encode() + b"\x81\x20\n")
    (folder / "README.md").write_text("not an export", "utf-8")
    runs = ingest_folder(ws, folder)
    statuses = {r.file_name: (r.source, r.status) for r in runs}
    assert statuses["export.csv"] == ("unplaced", "failed")
    assert statuses["户籍_旧.csv"] == ("hukou", "failed")
    assert statuses["hukou.csv"] == ("hukou", "done")
    assert "README.md" not in statuses
    failed = next(r for r in runs if r.file_name == "户籍_旧.csv")
    assert "编码无法识别" in (failed.message or "")
    assert _count(ws, ImportRun) == 5


def test_missing_folder(ws, tmp_path):
    with pytest.raises(IngestError, match="目录不存在"):
        ingest_folder(ws, tmp_path / "nope")


def test_progress_reports_each_file(ws, tmp_path):
    seen = []
    ingest_folder(ws, _county(tmp_path), progress=lambda d, t, label: seen.append((d, t, label)))
    assert seen == [
        (0, 3, "行政区划.csv"),
        (1, 3, "hukou.csv"),
        (2, 3, "2021年农户信用档案.csv"),
        (3, 3, ""),
    ]


def test_cards_link_to_persons(ws, tmp_path):
    folder = _county(tmp_path)
    _write(folder / "卡户对照.csv", f"卡号,身份证号\n6228 4800 0000 0000 011,{LI_MING}\n")
    runs = {r.source: r for r in ingest_folder(ws, folder)}
    assert runs["cards"].rows_linked == 1
    (card,) = _rows(ws, Card)
    assert card["card_masked"] == "622848*********0011"  # spaces removed, 前6后4
    assert card["person_key"] == hash_key(LI_MING, SECRET)


def test_archive_name_or_village_differing_from_hukou_is_counted(ws, tmp_path):
    folder = _county(tmp_path)
    (folder / "2021年农户信用档案.csv").unlink()
    _write(
        folder / "archive.csv",
        "户主身份证号,户主姓名,建档日期,村代码\n"
        f"{LI_MING},黎明明,2021-03-05,469029100201\n"  # 户籍 says 黎明
        f"{LI_MEI},李梅,2021-03-05,469029100202\n"  # H002 is in 什玲村 (…201), not 八村村
        f"{LI_FANG},黎芳,2021-03-05,469029100201\n",  # agrees with 户籍
    )
    runs = {r.source: r for r in ingest_folder(ws, folder)}
    assert runs["archive"].warnings == {
        "head_name_differs_from_hukou": 1,
        "village_differs_from_hukou": 1,
    }
    assert runs["archive"].rows_accepted == 3
