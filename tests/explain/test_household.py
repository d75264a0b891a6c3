"""One household's explanation from stored assessments (SQLite and PostgreSQL), on demand, the
village/model views and the ``creditfarm explain`` command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from creditfarm.explain import (
    LOWERED,
    RAISED,
    explain_household,
    explanation_text,
    find_household,
    load_contributions,
    source_contributions,
    village_drivers,
)
from creditfarm.identity import checksum_char, hash_key, mask_id
from creditfarm.storage.models import Assessment, Household, Person, Region
from tests.helpers.principals import BANK
from tests.helpers.tiny_model import FEATURES, INFLOW, train_tiny

AS_OF = date(2022, 6, 30)
VILLAGE = "469029100201"


def make_id(first17: str) -> str:
    return first17 + checksum_char(first17)


HEAD_ID = make_id("46902919800101123")


def stored_reasons() -> dict:
    reason = {
        "code": "PAY_INFLOW_MONTH_MEAN_LOW",
        "feature": INFLOW,
        "source": "payments",
        "source_zh": "支付流水",
        "effect": LOWERED,
        "contribution": 0.8,
        "sentence": "月均资金流入 500元，低于本村 100% 的农户",
    }
    return {"base": -2.0, "raw": -1.2, LOWERED: [reason], RAISED: [], "by_source": {}}


def seed(ws, *, inflows: dict[str, float | None], stored: bool) -> None:
    """Households H1.. of one village with a head each and one assessment each."""
    with Session(ws.engine) as s:
        s.add(Region(village_code=VILLAGE, village_name="红星村", town_name="保城镇"))
        s.commit()
        for i, (hh, inflow) in enumerate(inflows.items()):
            pid = HEAD_ID if i == 0 else make_id(f"469029198001{i + 10:02d}12{i % 10}")
            key = hash_key(pid, ws.secret)
            s.add(Household(household_no=hh, village_code=VILLAGE, head_person_key=key))
            s.commit()
            s.add(
                Person(
                    person_key=key,
                    id_number=ws.sealer.seal(pid),  # as every import stores it
                    id_masked=mask_id(pid),
                    name="王大山",
                    household_no=hh,
                    relation_to_head="户主",
                    village_code=VILLAGE,
                )
            )
            s.add(
                Assessment(
                    household_no=hh,
                    village_code=VILLAGE,
                    as_of=AS_OF,
                    model_version="tiny",
                    policy_version="p",
                    probability=0.3,
                    score=53.3,
                    grade="B",
                    credit_household=False,
                    pre_credit_limit=0.0,
                    pre_credited=False,
                    thin_file=True,
                    vetoes=["blacklist"] if i == 0 else [],
                    caps=["thin_file_cap"] if i == 0 else [],
                    features={INFLOW: inflow, "land_area_mu": 5.0, "gov_poverty": 0.0},
                    contributions={
                        INFLOW: 0.8,
                        "land_area_mu": -0.1,
                        "gov_poverty": 0.0,
                        "_base": -2.0,
                    }
                    if stored
                    else {},
                    reasons=stored_reasons() if stored else {},
                )
            )
            s.commit()


def test_stored_explanation_masks_id_and_keeps_rules_apart(ws):
    seed(ws, inflows={"H1": 500.0, "H2": 1500.0}, stored=True)
    out = explain_household(ws, household_no="H1", principal=BANK)
    assert out["head_id"] == HEAD_ID[:6] + "********" + HEAD_ID[-4:]
    assert HEAD_ID not in json.dumps(out, ensure_ascii=False)
    assert out["head_name"] == "王大山"  # as on the card: the bank's roles see names
    assert out["village_name"] == "红星村"
    assert out["computed_on_demand"] is False
    assert out["reasons"][LOWERED][0]["code"] == "PAY_INFLOW_MONTH_MEAN_LOW"
    assert [(r["kind"], r["code"]) for r in out["policy_rules"]] == [
        ("veto", "blacklist"),
        ("cap", "thin_file_cap"),
    ]
    text = explanation_text(out)
    # policy rules come before, and apart from, the model reasons
    assert text.index("政策规则") < text.index("黑名单") < text.index("降低评分的因素")
    assert "【支付流水】" in text and "月均资金流入 500元" in text
    json.dumps(out, ensure_ascii=False)


def test_find_household_by_number_or_resident_id(ws):
    seed(ws, inflows={"H1": 500.0}, stored=True)
    assert find_household(ws, query="H1") == "H1"
    assert find_household(ws, query=HEAD_ID) == "H1"
    assert find_household(ws, query=HEAD_ID.lower()) == "H1"  # an x checksum in lower case
    with pytest.raises(LookupError, match="未找到户号"):
        find_household(ws, query="H404")
    stranger = make_id("11010119900101123")
    with pytest.raises(LookupError) as err:
        find_household(ws, query=stranger)
    assert stranger not in str(err.value)  # the ID is masked even in the error


def test_on_demand_when_not_stored(ws):
    booster = train_tiny()
    folder = Path(ws.model_dir) / "tiny"
    folder.mkdir(parents=True)
    booster.save_model(str(folder / "model.txt"))
    seed(
        ws,
        inflows={"H1": 500.0, "H2": 1500.0, "H3": 2500.0, "H4": 4000.0, "H5": None},
        stored=False,
    )
    out = explain_household(ws, household_no="H1", principal=BANK)
    assert out["computed_on_demand"] is True
    X = pd.DataFrame([{INFLOW: 500.0, "land_area_mu": 5.0, "gov_poverty": 0.0}])[FEATURES]
    raw = float(booster.predict(X, raw_score=True)[0])
    assert sum(out["contributions"].values()) == pytest.approx(raw, abs=1e-9)
    first = out["reasons"][LOWERED][0]
    # peers with a value: H2 1500, H3 2500, H4 4000 (H5 missing): all 3 higher → 100%
    assert first["sentence"] == "月均资金流入 500元，低于本村 100% 的农户"
    assert first["village"]["peers"] == 3


def test_no_assessment_is_a_clear_error(ws):
    with Session(ws.engine) as s:
        s.add(Region(village_code=VILLAGE, village_name="红星村", town_name="保城镇"))
        s.commit()
        s.add(Household(household_no="H9", village_code=VILLAGE))
        s.commit()
    with pytest.raises(LookupError, match="尚无评估结果"):
        explain_household(ws, household_no="H9", principal=BANK)


def test_village_views_by_hand(ws):
    seed(ws, inflows={"H1": 500.0, "H2": 1500.0}, stored=True)
    with Session(ws.engine) as s:  # a newer run for H2 replaces the first in the views
        s.add(
            Assessment(
                household_no="H2",
                village_code=VILLAGE,
                as_of=AS_OF,
                model_version="tiny",
                policy_version="p",
                probability=0.1,
                score=64.2,
                grade="A",
                credit_household=True,
                pre_credit_limit=50000.0,
                pre_credited=True,
                thin_file=False,
                vetoes=[],
                caps=[],
                features={INFLOW: 1500.0},
                reasons=stored_reasons(),
                contributions={
                    INFLOW: -0.4,
                    "land_area_mu": 0.3,
                    "gov_poverty": 0.1,
                    "_base": -2.0,
                },
            )
        )
        s.commit()
    contrib, values, meta = load_contributions(ws, village_code=VILLAGE)
    assert list(contrib.index) == ["H1", "H2"]
    assert list(meta["grade"]) == ["B", "A"]
    assert values.loc["H2", INFLOW] == 1500.0
    by_feature, by_source = village_drivers(ws, village_code=VILLAGE)
    row = by_feature.set_index("feature").loc[INFLOW]
    # H1 0.8, H2 -0.4: mean (0.8 - 0.4) / 2 = 0.2; mean |.| (0.8 + 0.4) / 2 = 0.6
    assert row["mean_contribution"] == pytest.approx(0.2)
    assert row["mean_abs"] == pytest.approx(0.6)
    assert row["name_zh"] == "月均资金流入"
    assert by_feature["feature"].iloc[0] == INFLOW  # the largest mean |contribution| first
    src = by_source.set_index("source_zh")
    # 档案 = land_area_mu: H1 -0.1, H2 0.3 → mean 0.1, mean |.| 0.2
    assert src.loc["档案", "mean_contribution"] == pytest.approx(0.1)
    assert src.loc["档案", "mean_abs"] == pytest.approx(0.2)
    # 政务 = gov_poverty: H1 0.0, H2 0.1 → mean 0.05
    assert src.loc["政务", "mean_contribution"] == pytest.approx(0.05)
    assert source_contributions(contrib).shape[0] == 3


def test_cli_explain_text_and_json(ws, monkeypatch):
    from creditfarm.cli import app
    from creditfarm.settings import get_settings

    seed(ws, inflows={"H1": 500.0}, stored=True)
    monkeypatch.setenv("CREDITFARM_SECRET_KEY", ws.secret)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        url = ws.engine.url.render_as_string(hide_password=False)
        result = runner.invoke(app, ["--db", url, "explain", HEAD_ID])
        assert result.exit_code == 0, result.output
        assert "信用等级：B" in result.output
        assert HEAD_ID[:6] + "********" + HEAD_ID[-4:] in result.output
        assert HEAD_ID not in result.output
        result = runner.invoke(app, ["--db", url, "explain", "H1", "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["assessment"]["grade"] == "B"
        result = runner.invoke(app, ["--db", url, "explain", "H404"])
        assert result.exit_code != 0
        assert "未找到户号 H404" in result.output
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
def test_grade_drivers_and_model_beeswarm(ws, tmp_path):
    from creditfarm.explain import grade_drivers, model_beeswarm

    seed(ws, inflows={"H1": 500.0, "H2": 1500.0}, stored=True)
    table = grade_drivers(ws)
    # both stored assessments are grade B with inflow contribution 0.8 each → mean 0.8
    assert list(table.columns) == ["feature", "name_zh", "B"]
    assert table.set_index("feature").loc[INFLOW, "B"] == pytest.approx(0.8)
    png = model_beeswarm(ws, tmp_path / "bee.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
