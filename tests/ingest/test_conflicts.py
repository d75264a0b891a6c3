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
