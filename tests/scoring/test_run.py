"""Train and score a small synthetic county end to end: artefacts, stored assessments, history,
unfiled and thin-file households, the 整村授信 list and the CLI."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlmodel import col
from typer.testing import CliRunner

from creditfarm.access import AccessDenied
from creditfarm.cli import _common, app
from creditfarm.model.training import train_model
from creditfarm.scoring.lists import SCORE_COLUMNS, latest_scores
from creditfarm.scoring.run import score_households
from creditfarm.storage.models import Assessment, Household
from tests.helpers.county import V1, Member, add_household, person_key
from tests.helpers.principals import BANK, PBOC, officer
from tests.helpers.risk_county import make_county

pytestmark = pytest.mark.slow


@pytest.fixture
def county(ws, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    make_county(ws, households=300)
    # filed, never borrowed: a thin file
    add_household(
        ws,
        "THIN",
        V1,
        [
            Member(
                "王小明",
                key=person_key(ws, 900001),
                birth_date=date(1975, 1, 1),
                gender="男",
                ethnicity="汉族",
            )
        ],
        archive={
            "head_name": "张三",
            "household_size": None,
            "filed_date": date(2020, 5, 1),
            "annual_income": 50000.0,
            "annual_expense": 30000.0,
            "village_evaluation": "好",
        },
    )
    # in 户籍 but never filed: no assessment
    add_household(
        ws,
        "UNFILED",
        V1,
        [
            Member(
                "张三",
                key=person_key(ws, 900002),
                birth_date=date(1975, 1, 1),
                gender="男",
                ethnicity="汉族",
            )
        ],
    )
    return ws


def test_train_then_score_keeps_history(county):
    ws = county
    result = train_model(ws)
    assert re.fullmatch(r"2022-06-30-[0-9a-f]{8}", result.version)
    assert (ws.model_dir / "LATEST").read_text().strip() == result.version
    mm = result.metrics
    assert mm["observation_dates"] == ["2020-09-30", "2020-12-31", "2021-03-31", "2021-06-30"]
    assert mm["out_of_time_date"] == "2021-06-30"
    # risk is built into the synthetic county, so both models rank well above chance
    assert mm["model"]["auc"] > 0.7 and mm["baseline"]["auc"] > 0.7
    for key in ("auc", "ks", "gini", "brier", "calibration"):
        assert key in mm["model"] and key in mm["baseline"]
    assert set(mm["fairness"]) == {"ethnicity", "gender", "poverty"}
    card = (result.path / "model_card.md").read_text(encoding="utf-8")
    for heading in ("## Label", "thin files", "## Fairness", "PIPL Art. 24", "baseline", "PSI"):
        assert heading in card
    # Stability compares like with like: filed households now against the filed households on
    # the out-of-time observation date (not the training rows, which are borrowers only).
    assert mm["psi"]["reference"]["as_of"] == "2021-06-30"
    assert mm["psi"]["thin_file_share"]["training"] == 0.0  # no thin file has an outcome here
    assert mm["psi"]["thin_file_share"]["scoring"] > 0  # THIN is scored
    assert "`loan_months_since_first` redefined:" in card
    assert re.search(r"\| `loan_count` \| \d\.\d{3} \((stable|watch|drift)\) \|", card)

    run = score_households(ws)
    assert run.as_of == date(2022, 6, 30) and run.model_version == result.version
    assert run.households == 301  # 300 + THIN; UNFILED has no archive
    score_households(ws)  # a second run adds, never overwrites
    with ws.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Assessment)).scalar_one()
        unfiled = conn.execute(
            select(func.count())
            .select_from(Assessment)
            .where(col(Assessment.household_no) == "UNFILED")
        ).scalar_one()
        thin = conn.execute(
            select(Assessment).where(col(Assessment.household_no) == "THIN")
        ).first()
        households = conn.execute(select(func.count()).select_from(Household)).scalar_one()
    assert (total, unfiled, households) == (602, 0, 302)
    assert thin.thin_file and thin.features["loan_count"] == 0
    assert thin.pre_credit_limit <= ws.policy.limit.thin_file.cap
    assert "_base" in thin.contributions  # explanations stored with the assessment

    bank = latest_scores(ws, principal=BANK)
    assert list(bank.columns) == list(SCORE_COLUMNS) and len(bank) == 301
    assert bank.set_index("household_no").loc["THIN", "head_name"] == "王小明"
    with pytest.raises(AccessDenied):  # the PBoC analyst exports no list of households
        latest_scores(ws, principal=PBOC)
    village = latest_scores(ws, village_code="469029100202", principal=BANK)
    assert set(village["village_code"]) == {"469029100202"}
    mine = latest_scores(ws, principal=officer("469029100202"))  # an officer: own villages
    assert mine["household_no"].tolist() == village["household_no"].tolist()


def test_rows_made_in_parts_compare_each_household_with_its_whole_village(county):
    """A run explains 20,000 households at a time; parts of 7 must give the very rows one part
    gives: the village comparisons are among every household, not the households of a part."""
    from creditfarm.features.build import features_as_of
    from creditfarm.model.artefacts import current_bundle
    from creditfarm.scoring.records import iter_assessment_rows

    ws = county
    train_model(ws)
    model = current_bundle(ws).model
    features = features_as_of(ws, as_of=date(2022, 6, 30))
    whole = list(iter_assessment_rows(features, model=model, policy=ws.policy, chunk=10**6))
    parts = list(iter_assessment_rows(features, model=model, policy=ws.policy, chunk=7))
    assert len(whole) == 301  # the filed households: 300 + THIN
    assert parts == whole
    # the comparison counts other households of the village, more than a part of 7 holds
    peers = [
        r["village"]["peers"]
        for row in whole
        for r in row["reasons"]["lowered"] + row["reasons"]["raised"]
        if r["village"]
    ]
    assert max(peers) > 7


def test_cli_train_score_scores(county, monkeypatch, tmp_path):
    monkeypatch.setattr(_common, "workspace", lambda db=None: county)
    runner = CliRunner()
    trained = runner.invoke(app, ["train"])
    assert trained.exit_code == 0, trained.output
    assert "out-of-time AUC" in trained.output
    scored = runner.invoke(app, ["score", "--as-of", "2022-06-30"])
    assert scored.exit_code == 0, scored.output
    assert "scored 301 filed households" in scored.output
    listed = runner.invoke(app, ["scores", "--format", "csv"])
    assert listed.exit_code == 0
    frame = pd.read_csv(io.StringIO(listed.output), dtype={"village_code": str})
    assert list(frame.columns) == list(SCORE_COLUMNS) and len(frame) == 301
    out = tmp_path / "list.xlsx"
    assert runner.invoke(app, ["scores", "--format", "xlsx", "--out", str(out)]).exit_code == 0
    assert len(pd.read_excel(out, engine="calamine")) == 301
    bad = runner.invoke(app, ["score", "--as-of", "30/06/2022"])
    assert bad.exit_code != 0 and "--as-of" in bad.output


def test_version_ignores_reimports_and_failed_runs(county):
    """The version hashes the model and the data: re-importing an unchanged file or a failed
    import changes neither, so it must not change the version; a new file does."""
    from creditfarm.storage.engine import session_scope
    from creditfarm.storage.models import ImportRun

    first = train_model(county).version
    with session_scope(county.engine) as s:
        s.add(
            ImportRun(
                source="loans", file_name="贷款台账.csv", file_sha256="a" * 64, status="unchanged"
            )
        )
        s.add(
            ImportRun(source="loans", file_name="坏文件.csv", file_sha256="b" * 64, status="failed")
        )
    assert train_model(county).version == first
    with session_scope(county.engine) as s:
        s.add(
            ImportRun(
                source="tax",
                file_name="税收登记.csv",
                file_sha256="c" * 64,
                status="done",
                rows_accepted=0,
            )
        )
    assert train_model(county).version != first
