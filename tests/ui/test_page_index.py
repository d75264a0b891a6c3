"""AppTest of the 普惠金融指数 page on the small county, signed in as the PBoC analyst: the county's
index and balance, the tables by village and town, the weakest dimension first, the heat table,
one village's decomposition and the filing export; a village committee sees its village only."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from creditfarm.access import Principal, Role
from creditfarm.reports.inclusion import inclusion_index
from creditfarm.workspace import open_workspace
from tests.helpers.app_county import AppCounty
from tests.helpers.paths import UI

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("app_county")]

PBOC = Principal(username="pboc1", role=Role.pboc_analyst)


def run(principal: Principal) -> AppTest:
    at = AppTest.from_file(str(UI / "page_index.py"), default_timeout=180)
    at.session_state["principal"] = principal
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_with(at: AppTest, column: str, nth: int = 0) -> pd.DataFrame:
    frames = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(frames) > nth, f"no table {nth} with {column!r}"
    return frames[nth]


def test_the_pboc_analyst_reads_the_index(app_env: AppCounty) -> None:
    ws = open_workspace(app_env.settings)
    try:
        result = inclusion_index(ws, principal=PBOC)
        villages_n = int((result.index["level"] == "village").sum() / len(result.months))
    finally:
        ws.engine.dispose()
    county = result.table("county").iloc[0]

    at = run(PBOC)
    assert at.title[0].value == "普惠金融指数"
    metrics = {m.label: m for m in at.metric}
    assert metrics["全县普惠金融指数"].value == f"{county['ifi']:.3f}"
    assert metrics["全县普惠金融指数"].delta == f"{county['change']:+.3f}"
    assert {"使用情况得分", "可得性得分", "质量得分", "村间变异系数", "村间泰尔指数"} <= set(
        metrics
    )

    by_village = table_with(at, "普惠金融指数")
    assert len(by_village) == villages_n
    shown = by_village["普惠金融指数"].astype(float)
    assert list(shown) == sorted(shown)  # lowest index first

    weakest = table_with(at, "最弱维度得分")
    assert len(weakest) == villages_n
    scores = weakest["最弱维度得分"].astype(float)
    assert list(scores) == sorted(scores)  # the weakest village's weakest dimension first
    first = result.weakest_first("village").iloc[0]
    assert weakest["代码"].iloc[0] == first["code"]
    assert set(weakest["最弱维度"]) <= {"使用情况", "可得性", "质量"}

    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # trend, heat table, decomposition
    assert at.get("download_button"), "filing export missing"

    at.radio(key="index_level").set_value("town").run()
    assert not at.exception
    towns = table_with(at, "普惠金融指数")
    assert 2 <= len(towns) < villages_n

    code = str(first["code"])
    at.selectbox(key="index_village").set_value(code).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4  # the village's own trend too
    moves = table_with(at, "本月贡献")
    assert len(moves) == len(result.catalogue.indicators)
    effects = pd.to_numeric(moves["本月贡献"], errors="coerce").dropna()
    change = float(result.table("village").set_index("code").loc[code, "change"])
    assert effects.sum() == pytest.approx(change, abs=0.001 * len(moves))  # shown to 3 places

    previous = result.months[-2]
    at.selectbox(key="index_month").set_value(previous).run()
    assert not at.exception
    last = result.table("county", previous).iloc[0]
    assert {m.label: m for m in at.metric}["全县普惠金融指数"].value == f"{last['ifi']:.3f}"


def test_a_village_committee_sees_its_own_village(app_env: AppCounty) -> None:
    ws = open_workspace(app_env.settings)
    try:
        with ws.engine.connect() as conn:
            mine = str(conn.exec_driver_sql("SELECT MIN(village_code) FROM region").scalar())
    finally:
        ws.engine.dispose()
    committee = Principal(username="v_t", role=Role.village_committee, villages=frozenset({mine}))
    at = run(committee)
    assert set(table_with(at, "普惠金融指数")["代码"]) == {mine}
