"""Each role sees exactly what it may, page by page (AppTest, the sample-sized county)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from creditfarm.access import Principal, Role
from creditfarm.workspace import open_workspace
from tests.helpers.app_county import AppCounty
from tests.helpers.paths import UI

PBOC = Principal(username="pboc_t", role=Role.pboc_analyst)
ADMIN = Principal(username="admin_t", role=Role.admin)


def run(name: str, principal: Principal) -> AppTest:
    at = AppTest.from_file(str(UI / f"{name}.py"), default_timeout=120)
    at.session_state["principal"] = principal
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def refused(at: AppTest) -> bool:
    return any("无权" in e.value for e in at.error) and not at.dataframe


def villages_of(app_env: AppCounty) -> list[str]:
    ws = open_workspace(app_env.settings)
    try:
        with ws.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT village_code FROM region ORDER BY 1").all()
    finally:
        ws.engine.dispose()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("name", "who", "allowed"),
    [
        ("page_officer", PBOC, False),
        ("page_officer", ADMIN, False),
        ("page_import", PBOC, False),
        ("page_admin", PBOC, False),
        ("page_rates", PBOC, True),
        ("page_village", PBOC, True),
        ("page_model", PBOC, True),
        ("page_rates", ADMIN, True),
        ("page_import", ADMIN, True),
        ("page_admin", ADMIN, True),
    ],
)
def test_pages_open_only_to_their_roles(
    app_env: AppCounty, name: str, who: Principal, allowed: bool
) -> None:
    at = run(name, who)
    assert refused(at) is not allowed, [e.value for e in at.error]


def test_an_officer_sees_only_their_village(app_env: AppCounty) -> None:
    mine = villages_of(app_env)[0]
    officer = Principal(username="o_t", role=Role.loan_officer, villages=frozenset({mine}))
    at = run("page_officer", officer)
    table = next(df.value for df in at.dataframe if "户号" in df.value.columns)
    assert len(table) > 0
    assert set(table["村"]) == {table["村"].iloc[0]}  # one village only
    nobody = Principal(username="o_none", role=Role.loan_officer)  # no villages assigned
    at = run("page_officer", nobody)
    empty = next(df.value for df in at.dataframe if "户号" in df.value.columns)
    assert empty.empty


def test_a_village_committee_sees_its_village_and_no_household(app_env: AppCounty) -> None:
    mine = villages_of(app_env)[0]
    committee = Principal(username="v_t", role=Role.village_committee, villages=frozenset({mine}))
    at = run("page_village", committee)
    frames = [df.value for df in at.dataframe]
    codes = {c for f in frames if "村代码" in f.columns for c in f["村代码"]}
    assert codes == {mine}
    assert not any("户主" in f.columns for f in frames)  # no household rows, no names


def test_the_pboc_analyst_sees_aggregates_without_names(app_env: AppCounty) -> None:
    at = run("page_village", PBOC)
    frames = [df.value for df in at.dataframe]
    assert frames and not any("户主" in f.columns for f in frames)
    rates = run("page_rates", PBOC)
    assert any(isinstance(df.value, pd.DataFrame) and len(df.value) for df in rates.dataframe)
