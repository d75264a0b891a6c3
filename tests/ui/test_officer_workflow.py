"""An officer's and a supervisor's day on the small county (AppTest): officer1 confirms,
adjusts within authority (effective at once), adjusts above authority (pending) and declines;
supervisor1 approves; every count and list follows. Expected counts are worked from the
counts before: confirming or adjusting a granted line keeps the household pre-credited, a
decline takes one away, approving a line for a household the model gave 0 adds one."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from creditfarm.access import AccessDenied, Principal
from creditfarm.accounts import get_principal
from creditfarm.officer.households import household_frame
from creditfarm.officer.review import approve_decision, record_decision
from creditfarm.reports.rates import rates
from creditfarm.storage.current_line import current_lines
from creditfarm.workspace import Workspace, open_workspace
from tests.helpers.app_county import AppCounty
from tests.helpers.paths import UI

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("app_county")]


def page(principal: Principal, name: str = "page_officer") -> AppTest:
    at = AppTest.from_file(str(UI / f"{name}.py"), default_timeout=120)
    at.session_state["principal"] = principal
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def pre_credited(ws: Workspace) -> int:
    return int(rates(ws, level="county").iloc[0]["pre_credited"])


def line_of(ws: Workspace, household: str) -> Any:
    return current_lines(ws.engine).set_index("household_no").loc[household]


def decide_in_page(at: AppTest, household: str, action: str, reason: str, limit: float = 0) -> None:
    at.selectbox(key="household").set_value(household).run()
    assert not at.exception, [e.value for e in at.exception]
    at.radio(key="s-action").set_value(action)
    if action == "adjust":
        at.number_input(key="s-limit").set_value(limit)
    at.text_area(key="s-reason").set_value(reason)
    next(b for b in at.button if b.label == "保存决定").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_officer_decides_and_supervisor_approves(app_env: AppCounty) -> None:
    ws = open_workspace(app_env.settings)
    officer1 = get_principal(ws, username="officer1")
    supervisor1 = get_principal(ws, username="supervisor1")
    assert officer1 is not None and supervisor1 is not None and officer1.villages
    frame = household_frame(ws)
    mine = frame[
        frame["village_code"].isin(officer1.villages)
        & frame["scored"]
        & ~frame["vetoed"]
        & frame["decision_id"].isna()
        & frame["pending_decision_id"].isna()
    ]
    granted = mine[mine["pre_credit_limit"] > 0]["household_no"].tolist()
    zero = mine[(mine["pre_credit_limit"] == 0) & ~mine["thin_file"]]["household_no"].tolist()
    assert len(granted) >= 3 and zero, "the small county has households of each kind"
    confirmed, adjusted, declined = granted[:3]
    raised = zero[0]  # the model gave 0; officer1 asks for 80,000 (authority 50,000)
    before = pre_credited(ws)

    at = page(officer1)
    assert "approvals" not in at.segmented_control(key="officer_view").options  # no 待审批

    decide_in_page(at, confirmed, "confirm", "入户核实无误")
    assert any("已生效" in s.value for s in at.success)
    assert line_of(ws, confirmed)["source"] == "decision"

    decide_in_page(at, adjusted, "adjust", "经营规模偏小", limit=30000)
    assert any("已生效" in s.value and "3万元" in s.value for s in at.success)
    assert line_of(ws, adjusted)["line"] == 30000
    at.run()
    assert any(m.label == "预授信额度（人工决定）" and m.value == "3万元" for m in at.metric)
    history = next(df.value for df in at.dataframe if "审批人" in df.value.columns)
    assert history["状态"].iloc[0] == "已生效"

    decide_in_page(at, raised, "adjust", "新建大棚，收入证明齐全", limit=80000)
    assert any("须经另一位信贷主管审批" in w.value for w in at.warning)
    assert line_of(ws, raised)["line"] == 0  # pending changes nothing yet
    assert pre_credited(ws) == before

    decide_in_page(at, declined, "decline", "本人不需要贷款")
    assert pre_credited(ws) == before - 1  # the decline takes one household away

    # Decided households (effective or pending) leave the officer's queue.
    at.segmented_control(key="officer_view").set_value("queue").run()
    queue = next(
        df.value
        for df in at.dataframe
        if "复核原因" in df.value.columns and "户号" in df.value.columns
    )
    assert not {confirmed, adjusted, declined, raised} & set(queue["户号"])
    assert pd.api.types.is_numeric_dtype(queue["预授信额度"])  # sorts as numbers

    # The officer may not approve, in the library either.
    pending_id = int(line_of(ws, raised)["pending_decision_id"])
    with pytest.raises(AccessDenied):
        approve_decision(ws, decision_id=pending_id, expected_version=1, principal=officer1)

    # supervisor1 approves it on the 待审批 list: the county gains one pre-credited household.
    sup = page(supervisor1)
    sup.segmented_control(key="officer_view").set_value("approvals").run()
    waiting = next(df.value for df in sup.dataframe if "需审批原因" in df.value.columns)
    assert raised in set(waiting["户号"])
    sup.selectbox(key="approval_pick").set_value(pending_id).run()
    sup.text_input(key="approval_note").set_value("同意")
    sup.button(key="approve").click().run()
    assert not sup.exception, [e.value for e in sup.exception]
    assert any("已批准" in s.value for s in sup.success), [e.value for e in sup.error]
    assert line_of(ws, raised)["line"] == 80000
    assert pre_credited(ws) == before - 1 + 1

    # The rates page shows the same county count.
    rates_page = page(supervisor1, "page_rates")
    metric = next(m for m in rates_page.metric if m.label == "已预授信户数")
    assert int(re.sub(r"\D", "", metric.value)) == before
    ws.engine.dispose()


def test_a_supervisor_cannot_approve_their_own_decision(app_env: AppCounty) -> None:
    ws = open_workspace(app_env.settings)
    supervisor1 = get_principal(ws, username="supervisor1")
    assert supervisor1 is not None
    frame = household_frame(ws)
    vetoed = frame[
        frame["scored"]
        & frame["vetoed"]
        & ~frame["thin_file"]
        & frame["pending_decision_id"].isna()
    ]
    assert not vetoed.empty
    household = vetoed["household_no"].iloc[0]
    line = line_of(ws, household)
    made = record_decision(
        ws,
        assessment_id=int(line["assessment_id"]),
        action="adjust",
        limit=20000,
        reason="否决项已核销",
        expected_version=int(line["decision_version"]),
        principal=supervisor1,
    )
    assert made.status == "pending"  # a veto override waits for a second person
    at = page(supervisor1)
    at.segmented_control(key="officer_view").set_value("approvals").run()
    at.selectbox(key="approval_pick").set_value(made.id).run()
    assert any("不能由您审批" in w.value for w in at.warning)
    assert not any(b.key == "approve" for b in at.button)
    ws.engine.dispose()
