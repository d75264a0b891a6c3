"""One rule for the current assessment, used by every view (regression: a back-dated scoring run
once made the 整村授信 list disagree with the card and the rates).

Scenario, for the households of one village: a run as of 2022-06-30, then a back-dated run as of
2021-12-31 (inserted later, so with higher ids), then — for one household only — a second run of
2022-06-30. Each run gives its own grade and pre-credit, so a view that picks the wrong
assessment shows a visibly wrong value. Expected values are written out by hand below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from creditfarm.explain.household import explain_household
from creditfarm.explain.views import latest_assessments as explained_assessments
from creditfarm.officer.households import household_card, household_frame, search_households
from creditfarm.officer.review import review_queue
from creditfarm.reports.rates import household_status, rates
from creditfarm.scoring.lists import latest_scores
from creditfarm.storage.assessments import current_assessment_id, current_assessments
from creditfarm.storage.models import Assessment
from tests.helpers.county import VILLAGES, Member, add_household, add_regions, person_key
from tests.helpers.principals import BANK

NEW, OLD = date(2022, 6, 30), date(2021, 12, 31)


def _row(hh: str, as_of: date, grade: str, limit: float, *, score: float) -> dict:
    return {
        "household_no": hh,
        "village_code": VILLAGES[0],
        "as_of": as_of,
        "model_version": f"m-{as_of.isoformat()}",
        "policy_version": "p",
        "probability": 0.05,
        "score": score,
        "grade": grade,
        "credit_household": limit > 0,
        "pre_credit_limit": limit,
        "pre_credited": limit > 0,
        "thin_file": False,
        "vetoes": [],
        "caps": [],
        "features": {"annual_income": 1.0},
        "contributions": {"annual_income": 0.1, "_base": -2.0},
        "reasons": {"raised": [{"feature": "annual_income", "text": f"run {grade}"}]},
        "created_at": datetime(2022, 7, 1, tzinfo=UTC),
    }


@pytest.fixture
def scored(ws):
    add_regions(ws)
    for i, hh in enumerate(("H1", "H2", "H3")):
        add_household(
            ws,
            hh,
            VILLAGES[0],
            [
                Member(
                    "李四",
                    key=person_key(ws, 100 + i),
                    birth_date=date(1975, 1, 1),
                    gender="男",
                    ethnicity="汉族",
                )
            ],
            archive={
                "head_name": "张三",
                "household_size": None,
                "filed_date": date(2020, 1, 1),
                "annual_income": 1.0,
            },
        )
    table = Assessment.__table__  # type: ignore[attr-defined]
    runs = [
        # run 1, as of 2022-06-30: every household pre-credited, grade AA
        [_row(hh, NEW, "AA", 80_000, score=75.0) for hh in ("H1", "H2", "H3")],
        # run 2, back-dated to 2021-12-31: every household declined, grade C
        [_row(hh, OLD, "C", 0, score=30.0) for hh in ("H1", "H2", "H3")],
        # run 3, 2022-06-30 again, H2 only: grade AAA, a larger line
        [_row("H2", NEW, "AAA", 100_000, score=85.0)],
    ]
    for rows in runs:
        with ws.engine.begin() as conn:
            conn.execute(insert(table), rows)
    return ws


# By hand: the newest as-of date wins over the later (back-dated) run; within one date, the
# newest run wins. So H1, H3 → run 1 (AA, 80,000); H2 → run 3 (AAA, 100,000).
EXPECTED_GRADE = {"H1": "AA", "H2": "AAA", "H3": "AA"}
EXPECTED_LIMIT = {"H1": 80_000, "H2": 100_000, "H3": 80_000}


def test_the_rule(scored):
    frame = current_assessments(scored.engine).set_index("household_no")
    assert frame["grade"].to_dict() == EXPECTED_GRADE
    assert set(frame["as_of"]) == {NEW}
    for hh in EXPECTED_GRADE:
        chosen = current_assessment_id(scored.engine, household_no=hh)
        assert chosen == int(frame.at[hh, "assessment_id"])
    assert current_assessment_id(scored.engine, household_no="NOPE") is None


def test_every_view_agrees_after_a_back_dated_run(scored):
    ws = scored
    # 整村授信 list (creditfarm scores)
    listed = latest_scores(ws, principal=BANK).set_index("household_no")
    assert listed["grade"].to_dict() == EXPECTED_GRADE
    assert listed["limit"].to_dict() == EXPECTED_LIMIT
    assert set(listed["as_of"]) == {NEW.isoformat()}
    village_list = latest_scores(ws, village_code=VILLAGES[0], principal=BANK).set_index(
        "household_no"
    )
    assert village_list["grade"].to_dict() == EXPECTED_GRADE
    # household frame, search and card
    frame = household_frame(ws).set_index("household_no")
    assert frame["grade"].to_dict() == EXPECTED_GRADE
    found = search_households(ws, village_code=VILLAGES[0], principal=BANK).set_index(
        "household_no"
    )
    assert found["pre_credit_limit"].to_dict() == EXPECTED_LIMIT
    for hh, grade in EXPECTED_GRADE.items():
        card = household_card(ws, household_no=hh, principal=BANK)
        assert card.assessment is not None
        assert card.assessment["grade"] == grade
        assert card.assessment["as_of"] == NEW
        assert card.history.iloc[0]["grade"] == grade  # history newest first, same rule
    # rates: all three pre-credited (the back-dated run declined them all)
    status = household_status(ws).set_index("household_no")
    assert status["pre_credited"].to_dict() == {"H1": True, "H2": True, "H3": True}
    village = rates(ws, level="village").set_index("code").loc[VILLAGES[0]]
    assert village["pre_credited"] == 3
    # review queue: the assessment it points at is the current one; H2's previous grade is
    # run 1's AA (the run just before the current one in the same order)
    queue = review_queue(ws, include_decided=True, principal=BANK).set_index("household_no")
    current_ids = current_assessments(ws.engine).set_index("household_no")["assessment_id"]
    for hh in queue.index:
        assert queue.at[hh, "assessment_id"] == current_ids[hh]
    assert queue.at["H2", "previous_grade"] == "AA"
    # explanation views and explain
    explained = {a.household_no: a.grade for a in explained_assessments(ws)}
    assert explained == EXPECTED_GRADE
    for hh, grade in EXPECTED_GRADE.items():
        out = explain_household(ws, household_no=hh, principal=BANK)
        assert out["assessment"]["grade"] == grade
        assert out["assessment"]["as_of"] == NEW.isoformat()
        assert out["reasons"]["raised"][0]["text"] == f"run {grade}"


def test_peers_of_a_date(scored):
    """With as_of, the views take the newest run of that date: the back-dated run's rows."""
    peers = {a.household_no: a.grade for a in explained_assessments(scored, as_of=OLD)}
    assert peers == {"H1": "C", "H2": "C", "H3": "C"}
