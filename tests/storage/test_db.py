from sqlalchemy import inspect
from sqlmodel import select

from creditfarm.storage import Household, Region, session_scope


def test_schema_is_migrated_and_round_trips(ws):
    tables = set(inspect(ws.engine).get_table_names())
    assert {"region", "household", "person", "archive", "importrun", "quarantinerow"} <= tables
    with session_scope(ws.engine) as s:
        s.add(Region(village_code="469029100201", village_name="什玲村", town_name="什玲镇"))
        s.flush()  # no ORM relationship orders the inserts; the FK needs the region first
        s.add(Household(household_no="H001", village_code="469029100201"))
    with session_scope(ws.engine) as s:
        hh = s.exec(select(Household)).one()
        assert (hh.household_no, hh.village_code) == ("H001", "469029100201")


def test_failed_session_commits_nothing(ws):
    try:
        with session_scope(ws.engine) as s:
            s.add(Region(village_code="469029100202", village_name="甲村", town_name="乙镇"))
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with session_scope(ws.engine) as s:
        assert s.exec(select(Region)).all() == []
