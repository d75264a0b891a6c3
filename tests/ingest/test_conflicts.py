"""A person in two households is a conflict that goes to quarantine, never a silent move."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from creditfarm.identity import hash_key
from creditfarm.ingest import ingest_file
from creditfarm.storage.models import Person, QuarantineRow
from creditfarm.workspace import Workspace

LI_MING = "46902919800101001X"
LI_FANG = "469029198203050028"
HEADER = "身份证号,姓名,户号,与户主关系,村代码\n"
V1, V2 = "469029100201", "469029100202"
REGIONS = f"村代码,村名,乡镇\n{V1},什玲村,什玲镇\n{V2},番茅村,什玲镇\n"


def _household_of(ws: Workspace, id_number: str) -> str | None:
    key = hash_key(id_number, ws.secret)
    with Session(ws.engine) as session:
        person = session.exec(select(Person).where(Person.person_key == key)).first()
        return person.household_no if person else None


def _quarantine(ws: Workspace) -> set[tuple[str, int, str | None, str]]:
    with Session(ws.engine) as session:
        rows = session.exec(select(QuarantineRow)).all()
        return {(q.file_name, q.line, q.column, q.reason) for q in rows}


def test_two_households_in_one_file(ws: Workspace, tmp_path: Path):
    (tmp_path / "regions.csv").write_text(REGIONS, encoding="utf-8")
    ingest_file(ws, tmp_path / "regions.csv")
    hukou = tmp_path / "户籍.csv"
    hukou.write_text(
        HEADER + f"{LI_MING},黎明,H001,户主,{V1}\n{LI_MING},黎明,H002,户主,{V2}\n",
        encoding="utf-8",
    )
    run = ingest_file(ws, hukou)
    # The key (ID) repeats with another 户号: the earlier line loses and is quarantined whole.
    assert (run.rows_accepted, run.rows_quarantined, run.duplicates_merged) == (1, 1, 0)
    assert _quarantine(ws) == {("户籍.csv", 2, "户号", "duplicate_conflict")}


def test_a_later_file_cannot_move_a_person(ws: Workspace, tmp_path: Path):
    (tmp_path / "regions.csv").write_text(REGIONS, encoding="utf-8")
    ingest_file(ws, tmp_path / "regions.csv")
    first = tmp_path / "户籍_2021.csv"
    first.write_text(
        HEADER + f"{LI_MING},黎明,H001,户主,{V1}\n{LI_FANG},黎芳,H001,配偶,{V1}\n",
        encoding="utf-8",
    )
    ingest_file(ws, first)
    second = tmp_path / "户籍_2022.csv"
    second.write_text(
        HEADER + f"{LI_MING},黎明,H001,户主,{V1}\n{LI_FANG},黎芳,H002,户主,{V2}\n",
        encoding="utf-8",
    )
    run = ingest_file(ws, second)
    assert (run.status, run.rows_accepted, run.rows_quarantined) == ("done", 1, 1)
    assert _household_of(ws, LI_FANG) == "H001"  # stays where the earlier file put her
    assert _quarantine(ws) == {("户籍_2022.csv", 3, "户号", "duplicate_conflict")}


PAY_HEADER = "交易流水号,服务点编号,交易时间,交易类型,交易金额,持卡人身份证号\n"


def test_a_resent_transaction_with_other_content_is_a_conflict(ws: Workspace, tmp_path: Path):
    from creditfarm.storage.paystore import read_payments

    (tmp_path / "regions.csv").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "户籍.csv").write_text(HEADER + f"{LI_MING},黎明,H001,户主,{V1}\n", "utf-8")
    for name in ("regions.csv", "户籍.csv"):
        ingest_file(ws, tmp_path / name)
    first = tmp_path / "交易流水_7月.csv"
    first.write_text(
        PAY_HEADER
        + f"T1,P01,2021-07-01 10:00:00,小额取款,500,{LI_MING}\n"
        + f"T2,P01,2021-07-02 10:00:00,小额取款,300,{LI_MING}\n",
        encoding="utf-8",
    )
    ingest_file(ws, first)
    again = tmp_path / "交易流水_7月_重发.csv"
    again.write_text(
        PAY_HEADER
        + f"T1,P01,2021-07-01 10:00:00,小额取款,500,{LI_MING}\n"  # the same: kept, no conflict
        + f"T2,P01,2021-07-02 10:00:00,小额取款,9000,{LI_MING}\n"  # another amount
        + f"T3,P01,2021-07-03 10:00:00,小额取款,100,{LI_MING}\n",  # new
        encoding="utf-8",
    )
    run = ingest_file(ws, again)
    assert (run.status, run.rows_accepted, run.rows_quarantined) == ("done", 2, 1)
    assert _quarantine(ws) == {("交易流水_7月_重发.csv", 3, "交易流水号", "duplicate_conflict")}
    stored = read_payments(ws.payments_root).set_index("txn_id")["amount"].to_dict()
    assert stored == {"T1": 500.0, "T2": 300.0, "T3": 100.0}  # T2 as first imported
