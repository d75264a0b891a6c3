"""Household search and the household card on hand-made households."""

from __future__ import annotations

from datetime import datetime

import pytest

from creditfarm.access import AccessDenied
from creditfarm.identity import mask_id
from creditfarm.officer.households import household_card, search_households
from creditfarm.workspace import Workspace
from tests.helpers.county import (
    FILED,
    V1,
    V2,
    Member,
    add_assessment,
    add_gov,
    add_household,
    add_loans,
    add_payments,
    add_regions,
    gov_record,
    loan,
    make_id,
    payment,
)
from tests.helpers.principals import BANK, PBOC, officer


def build(ws: Workspace) -> dict[str, list[str]]:
    """H1 (什玲村): 王大山 + spouse 李秀英, filed, AA then A (latest), a loan, payments, tax record.
    H2 (什玲村): 王小河, filed, thin file, credit household with AAA. H3 (八村): 陈明, not filed."""
    add_regions(ws)
    keys = {
        "H1": add_household(
            ws,
            "H1",
            V1,
            [Member("王大山", "户主", 11), Member("李秀英", "配偶", 12)],
            archive={"phone": "13812345678", "annual_income": 60000},
        ),
        "H2": add_household(ws, "H2", V1, [Member("王小河", "户主", 21)], archive=FILED),
        "H3": add_household(ws, "H3", V2, [Member("陈明", "户主", 31)]),
    }
    add_assessment(ws, "H1", grade="AA", score=72, model_version="m0")
    add_assessment(ws, "H1", grade="A", score=64, vetoes=["blacklist"], limit=0)
    add_assessment(ws, "H2", grade="AAA", score=85, thin_file=True)
    add_loans(ws, [loan("L1", keys["H1"][1], balance=20000)])
    add_gov(ws, [gov_record("tax", keys["H1"][0], tax_status="正常")])
    rows = [payment(f"t{i}", keys["H1"][i % 2], datetime(2022, 1 + i, 3)) for i in range(3)]
    add_payments(ws, rows)
    return keys


def test_search_filters(ws: Workspace) -> None:
    build(ws)
    hit = lambda **kw: list(search_households(ws, principal=BANK, **kw)["household_no"])  # noqa: E731
    assert hit() == ["H1", "H2", "H3"]
    assert hit(name="王") == ["H1", "H2"]
    assert hit(name="秀英") == ["H1"]  # any member's name finds the household
    spouse_id = make_id(12)
    assert hit(id_query=mask_id(spouse_id)) == ["H1"]  # masked ID 前6后4
    assert hit(id_query=spouse_id) == ["H1"]  # full ID
    assert hit(id_query=spouse_id[-4:]) == ["H1"]  # last four
    assert hit(village_code=V2) == ["H3"]
    assert hit(grade="A") == ["H1"]  # the latest grade, not the earlier AA
    assert hit(grade="AA") == []
    assert hit(status="unfiled") == ["H3"]
    assert hit(status="filed") == ["H1", "H2"]
    assert hit(status="thin_file") == ["H2"]
    assert hit(status="vetoed") == ["H1"]
    assert hit(status="credit_household") == ["H2"]  # H1 is vetoed
    assert hit(name="王", status="thin_file") == ["H2"]
    with pytest.raises(ValueError, match="unknown status"):
        search_households(ws, status="rich", principal=BANK)


def test_search_masks_output(sqlite_ws: Workspace) -> None:
    build(sqlite_ws)
    row = search_households(sqlite_ws, name="王大山", principal=BANK).iloc[0]
    assert row["head_id_masked"] == mask_id(make_id(11))
    assert "*" in row["head_id_masked"] and row["head_id_masked"][:6] == "469029"
    assert row["head_name"] == "王大山"  # the bank's roles see the name
    with pytest.raises(AccessDenied):  # the PBoC analyst sees aggregates only
        search_households(sqlite_ws, name="王大山", principal=PBOC)


def test_an_officer_sees_only_their_villages(ws: Workspace) -> None:
    build(ws)
    mine = officer(V2)
    assert list(search_households(ws, principal=mine)["household_no"]) == ["H3"]
    assert household_card(ws, household_no="H3", principal=mine).household_no == "H3"
    with pytest.raises(AccessDenied, match="不在您负责的范围内"):
        household_card(ws, household_no="H1", principal=mine)
    with pytest.raises(AccessDenied):
        search_households(ws, village_code=V1, principal=mine)
    nobody = officer()  # an officer with no villages assigned sees none (fail closed)
    assert search_households(ws, principal=nobody).empty


def test_household_card(ws: Workspace) -> None:
    build(ws)
    card = household_card(ws, household_no="H1", principal=BANK)
    assert (card.village_name, card.town_name, card.head_name) == ("什玲村", "什玲镇", "王大山")
    assert [m["relation"] for m in card.members] == ["户主", "配偶"]
    assert card.members[1]["id_masked"] == mask_id(make_id(12))
    assert card.members[0]["age"] == 42  # born 1980-01-01, as of 2022-06-30
    assert card.archive is not None
    assert card.archive["phone"] == "138****5678"
    assert card.archive["annual_income"] == 60000
    present = {s["source"]: s["present"] for s in card.sources}
    assert present["hukou"] and present["archive"] and present["loans"] and present["tax"]
    assert present["payments"] and not present["criminal"] and not present["cards"]
    assert card.payments["transactions"] == 3
    assert str(card.payments["first"]) == "2022-01-03"
    assert card.assessment is not None
    assert (card.assessment["grade"], card.assessment["vetoes"]) == ("A", ["blacklist"])
    assert list(card.history["grade"]) == ["A", "AA"]  # newest first


def test_card_of_unfiled_unscored_household(sqlite_ws: Workspace) -> None:
    build(sqlite_ws)
    card = household_card(sqlite_ws, household_no="H3", principal=BANK)
    assert card.archive is None and card.assessment is None and card.history.empty
    assert card.payments["transactions"] == 0
    with pytest.raises(KeyError):
        household_card(sqlite_ws, household_no="nope", principal=BANK)


def test_a_scoring_run_writing_does_not_block_officers_reading(ws: Workspace) -> None:
    """While a scoring run holds its write transaction open (it writes every assessment in
    one), an officer's search and card still answer: SQLite in WAL mode and PostgreSQL let
    readers through. The writer waits for the reader, so a blocked read would hang the
    writer's wait and fail the test, with no clock in the assertion."""
    import threading

    from sqlalchemy import text

    build(ws)
    inside = threading.Event()
    read_done = threading.Event()
    state: dict[str, object] = {}

    def scoring_run() -> None:
        with ws.engine.begin() as conn:
            conn.execute(text("UPDATE assessment SET score = score WHERE household_no = 'H2'"))
            inside.set()
            state["reader_finished_inside"] = read_done.wait(timeout=60)

    writer = threading.Thread(target=scoring_run)
    writer.start()
    assert inside.wait(timeout=60)
    found = list(search_households(ws, name="王", principal=BANK)["household_no"])
    card = household_card(ws, household_no="H1", principal=BANK)
    read_done.set()
    writer.join(timeout=60)
    assert found == ["H1", "H2"] and card.household_no == "H1"
    assert state["reader_finished_inside"] is True  # read while the write was still open
