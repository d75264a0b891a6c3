"""End to end on the committed sample county (sample_data/): every scored household has stored
contributions and reasons, and contributions plus base equal the model's raw output for each."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd
import pytest
from sqlmodel import Session, select

from creditfarm.explain import LOWERED, RAISED, explain_household, load_booster
from creditfarm.storage.models import Archive, Assessment
from tests.helpers.paths import SAMPLE_DATA
from tests.helpers.principals import BANK


@pytest.mark.slow
def test_every_scored_household_is_explained_and_additive(ws):
    from creditfarm.ingest import ingest_folder
    from creditfarm.model.training import train_model
    from creditfarm.scoring.run import score_households

    ingest_folder(ws, SAMPLE_DATA)
    trained = train_model(ws)
    run = score_households(ws, model_version=trained.version)
    assert run.households > 0 and run.explained

    with Session(ws.engine) as session:
        rows = list(session.exec(select(Assessment)).all())
    with Session(ws.engine) as session:
        filed = {a.household_no for a in session.exec(select(Archive)).all() if a.household_no}
    assert {a.household_no for a in rows} == filed  # every filed household, once
    assert len(rows) == run.households
    booster = load_booster(ws, trained.version)
    names = booster.feature_name()
    X = (
        pd.DataFrame([a.features for a in rows])
        .reindex(columns=names)
        .apply(pd.to_numeric, errors="coerce")
    )
    raw = booster.predict(X, raw_score=True)
    for a, expected in zip(rows, raw, strict=True):
        assert set(a.contributions) == {*names, "_base"}
        assert sum(a.contributions.values()) == pytest.approx(expected, abs=1e-6)
        assert a.reasons[LOWERED] or a.reasons[RAISED]
        for reason in a.reasons[LOWERED] + a.reasons[RAISED]:
            assert reason["sentence"].startswith(reason["name_zh"])
    out = explain_household(ws, household_no=rows[0].household_no, principal=BANK)
    assert out["computed_on_demand"] is False
