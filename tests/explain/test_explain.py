"""TreeSHAP contributions and Chinese reasons on a model whose driver is known by construction."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from creditfarm.explain import (
    LOWERED,
    RAISED,
    FeatureInfo,
    contributions_frame,
    explain_batch,
    format_value,
    format_yuan,
    policy_reasons,
    reason_code,
)
from creditfarm.explain.village_reference import Comparison, VillageReference, percent
from creditfarm.policy.config import load_policy
from creditfarm.settings import DEFAULT_POLICY_FILE
from tests.helpers.tiny_model import FEATURES, INFLOW, hand_village, train_tiny, training_frame


@pytest.fixture(scope="module")
def booster():
    return train_tiny()


class Wrapper:
    """Like the scoring engineer's CreditModel: the Booster sits in ``.booster_``."""

    def __init__(self, booster):
        self.booster_ = booster


def test_additivity_on_every_row(booster):
    X, _ = training_frame(n=300, seed=11)
    households = pd.DataFrame(
        {"household_no": [f"H{i}" for i in range(len(X))], "village_code": ["V1"] * len(X)}
    )
    explained = explain_batch(Wrapper(booster), X, households=households)
    raw = booster.predict(X, raw_score=True)
    assert len(explained) == len(X)
    for exp, expected in zip(explained, raw, strict=True):
        assert set(exp.contributions) == {*FEATURES, "_base"}
        total = sum(exp.contributions.values())
        assert total == pytest.approx(expected, abs=1e-9)
        assert exp.reasons["raw"] == pytest.approx(expected, abs=1e-5)
        json.dumps(exp.reasons)  # JSON-serialisable as stored


def test_contributions_follow_model_feature_order_and_unwrap(booster):
    X, _ = training_frame(n=20, seed=3)
    shuffled = X[list(reversed(FEATURES))]
    a = contributions_frame(booster, X)
    b = contributions_frame(Wrapper(booster), shuffled)
    assert list(b.columns) == [*FEATURES, "_base"]
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
    with pytest.raises(TypeError, match="LightGBM Booster"):
        contributions_frame(object(), X)
    with pytest.raises(ValueError, match="land_area_mu"):
        contributions_frame(booster, X.drop(columns=["land_area_mu"]))


def test_only_driver_comes_first_with_value_and_village_comparison(booster):
    X, households = hand_village()
    explained = {e.household_no: e for e in explain_batch(booster, X, households=households)}

    # H1 has the lowest inflow (500): inflow lowers its score most, value in the sentence, and
    # all 5 other households of V9 (1500, 2500, 4000, 6000, 8000) have more: 5/5 = 100%.
    first = explained["H1"].reasons[LOWERED][0]
    assert first["code"] == "PAY_INFLOW_MONTH_MEAN_LOW"
    assert first["source_zh"] == "支付流水"
    assert first["value_text"] == "500元"
    assert first["sentence"] == "月均资金流入 500元，低于本村 100% 的农户"
    assert explained["H1"].reasons["by_source"]["支付流水"][LOWERED][0] == first["code"]

    # H5 (6000): others 500, 1500, 2500, 4000 are lower, 8000 higher: 4/5 = 80% below.
    top_raise = explained["H5"].reasons[RAISED][0]
    assert top_raise["code"] == "PAY_INFLOW_MONTH_MEAN_HIGH"
    assert top_raise["sentence"] == "月均资金流入 6,000元，高于本村 80% 的农户"
    assert top_raise["village"]["peers"] == 5
    # median of the others: sorted 500, 1500, 2500, 4000, 8000 → 2500
    assert top_raise["village"]["median"] == 2500.0


def test_missing_value_has_its_own_wording(booster):
    X, households = hand_village()
    (h7,) = [e for e in explain_batch(booster, X, households=households) if e.household_no == "H7"]
    first = h7.reasons[LOWERED][0]
    assert first["code"] == "PAY_INFLOW_MONTH_MEAN_MISSING"
    assert first["sentence"] == "月均资金流入：数据缺失"
    assert first["value"] is None
    # H7 is alone in V8: no comparison can be made
    assert first["village"] is None


def test_reasons_are_sorted_by_size_and_signed_by_effect():
    contributions = {"a": 0.1, "b": 0.5, "c": -0.3, "d": -0.05, "e": 0.0, "_base": -2.0}
    X = pd.DataFrame({k: [1.0] for k in "abcde"})
    infos = {k: FeatureInfo(name=k, zh=f"因素{k}", source="archive") for k in "abcde"}
    from creditfarm.explain import build_reasons

    reasons = build_reasons(
        household_no="H",
        village_code="V",
        contributions=contributions,
        values=X.iloc[0].to_dict(),
        infos=infos,
        monotone={},
        reference=None,
    )
    # lowered = positive log-odds, largest first; raised = negative, most negative first
    assert [r["feature"] for r in reasons[LOWERED]] == ["b", "a"]
    assert [r["feature"] for r in reasons[RAISED]] == ["c", "d"]
    # -2.0 + 0.1 + 0.5 - 0.3 - 0.05 + 0 = -1.75
    assert reasons["raw"] == pytest.approx(-1.75)


def test_village_comparison_by_hand_with_ties_and_self_left_out():
    peers = pd.DataFrame(
        {
            "household_no": ["A", "B", "C", "D", "E"],
            "village_code": ["V"] * 5,
            "x": [1.0, 2.0, 2.0, 3.0, np.nan],
            "kind": ["p", "p", "q", "p", None],
        }
    )
    ref = VillageReference.build(peers, ["x", "kind"])
    # B (2.0) against A 1.0, C 2.0, D 3.0 (E has no value, B is itself):
    # below 1/3, above 1/3, same 1/3; median of others = 2.0
    c = ref.compare(village_code="V", household_no="B", feature="x", value=2.0)
    assert c is not None
    assert (c.peers, c.share_below, c.share_above, c.median) == (3, 1 / 3, 1 / 3, 2.0)
    # an outsider with 2.5 against all four known values: below 3/4
    c = ref.compare(village_code="V", household_no="Z", feature="x", value=2.5)
    assert c is not None
    assert (c.peers, c.share_below, c.share_above) == (4, 0.75, 0.25)
    # categories: A is "p"; the others with a value are B p, C q, D p → same 2/3
    c = ref.compare(village_code="V", household_no="A", feature="kind", value="p")
    assert c is not None
    assert c.share_same == pytest.approx(2 / 3)
    assert ref.compare(village_code="W", household_no="A", feature="x", value=1.0) is None
    assert percent(2 / 3) == 67 and percent(0.125) == 13


def test_village_comparison_keeps_villages_apart_in_interleaved_rows():
    # Rows of two villages interleaved, one household without a village, one village whose
    # values are all missing: each village sees only its own households' values.
    peers = pd.DataFrame(
        {
            "household_no": ["A1", "B1", "A2", "N", "B2", "A3", "C1"],
            "village_code": ["VA", "VB", "VA", None, "VB", "VA", "VC"],
            "x": [5.0, 100.0, 1.0, 50.0, 200.0, 3.0, np.nan],
        }
    )
    ref = VillageReference.build(peers, ["x"])
    # VA holds 5, 1, 3: A2 (1.0) against 5 and 3 → below 0, above 1, median 4.0
    c = ref.compare(village_code="VA", household_no="A2", feature="x", value=1.0)
    assert c is not None
    assert (c.peers, c.share_below, c.share_above, c.median) == (2, 0.0, 1.0, 4.0)
    # VB holds 100, 200: an outsider's 150 sits above one of two, median 150
    c = ref.compare(village_code="VB", household_no="Z", feature="x", value=150.0)
    assert c is not None
    assert (c.peers, c.share_below, c.share_above, c.median) == (2, 0.5, 0.5, 150.0)
    # VC has no known value; the household without a village counts nowhere
    assert ref.compare(village_code="VC", household_no="Z", feature="x", value=1.0) is None
    assert ref.compare(village_code="None", household_no="Z", feature="x", value=1.0) is None


def test_reason_codes():
    flag = FeatureInfo(
        name="gov_fraud_record",
        zh="涉诈骗赌博类记录",
        source="government",
        unit="是/否",
        monotone=1,
    )
    assert reason_code(flag, 1.0, 0.4) == "GOV_FRAUD_RECORD_YES"
    assert reason_code(flag, 0.0, -0.1) == "GOV_FRAUD_RECORD_NO"
    inflow = FeatureInfo(name=INFLOW, zh="月均资金流入", source="payments", unit="元", monotone=-1)
    # monotone -1 (more inflow, less risk): raising risk means the value is low
    assert reason_code(inflow, 800.0, 0.3, monotone=-1) == "PAY_INFLOW_MONTH_MEAN_LOW"
    assert reason_code(inflow, 9000.0, -0.3, monotone=-1) == "PAY_INFLOW_MONTH_MEAN_HIGH"
    assert reason_code(inflow, None, 0.3, monotone=-1) == "PAY_INFLOW_MONTH_MEAN_MISSING"
    # with a village comparison the code agrees with the sentence: 1,800 above a median of 1,500
    above = Comparison(peers=4, share_below=0.75, share_above=0.25, share_same=0.0, median=1500.0)
    assert reason_code(inflow, 1800.0, 0.3, monotone=-1, comparison=above) == (
        "PAY_INFLOW_MONTH_MEAN_HIGH"
    )
    assert reason_code(inflow, 1500.0, 0.3, monotone=-1, comparison=above) == (
        "PAY_INFLOW_MONTH_MEAN_LOW"
    )  # at the median: the model's direction decides
    plain = FeatureInfo(name="head_age", zh="户主年龄", source="archive", unit="岁")
    assert reason_code(plain, 45.0, 0.3, comparison=above) == "HEAD_AGE_LOW"
    assert reason_code(plain, 45.0, 0.3) == "HEAD_AGE_TYPICAL"


def test_village_level_features_are_not_compared_within_the_village():
    from creditfarm.explain import build_reasons

    peers = pd.DataFrame(
        {"household_no": ["A", "B"], "village_code": ["V", "V"], "village_npl_ratio": [0.04, 0.04]}
    )
    ref = VillageReference.build(peers, ["village_npl_ratio"])
    infos = {
        "village_npl_ratio": FeatureInfo(
            name="village_npl_ratio", zh="本村不良贷款率", source="village", monotone=1
        )
    }
    reasons = build_reasons(
        household_no="A",
        village_code="V",
        contributions={"village_npl_ratio": 0.2, "_base": -2.0},
        values={"village_npl_ratio": 0.04},
        infos=infos,
        monotone={"village_npl_ratio": 1},
        reference=ref,
    )
    (reason,) = reasons[LOWERED]
    assert reason["sentence"] == "本村不良贷款率 4%"  # 0.04 × 100
    assert reason["village"] is None
    assert reason["code"] == "VILLAGE_NPL_RATIO_HIGH"  # monotone +1 and it raised the risk


@pytest.mark.parametrize(
    ("value", "unit", "feature", "expected"),
    [
        (32000, "元", None, "3.2万元"),  # 32000 / 10000 = 3.2
        (3200, "元", None, "3,200元"),
        (125000, "元", None, "12.5万元"),  # 125000 / 10000 = 12.5
        (100000, "元", None, "10万元"),
        (3.2, "万元", None, "3.2万元"),  # already in 万元
        (12.5, "亩", None, "12.5亩"),
        (12, "月", None, "12个月"),
        (0.8, "", "village_filed_share", "80%"),  # a share: 0.8 × 100
        (0.125, "", "pay_failed_share", "12.5%"),
        (2, "级", "village_evaluation_level", "较好"),
        (1.0, "是/否", None, "是"),
        (0.0, "是/否", None, "否"),
        (None, "元", None, "数据缺失"),
        (float("nan"), "亩", None, "数据缺失"),
        (1.234, "倍", None, "1.23倍"),
    ],
)
def test_format_value(value, unit, feature, expected):
    assert format_value(value, unit, feature=feature) == expected


def test_format_yuan():
    assert format_yuan(32000) == "3.2万元"
    assert format_yuan(9999) == "9,999元"


def test_policy_reasons_listed_apart_with_thresholds():
    policy = load_policy(DEFAULT_POLICY_FILE)
    rules = policy_reasons(
        ["blacklist", "current_overdue", "something_new"], ["thin_file_cap"], policy=policy
    )
    assert [(r["kind"], r["code"]) for r in rules] == [
        ("veto", "blacklist"),
        ("veto", "current_overdue"),
        ("veto", "something_new"),
        ("cap", "thin_file_cap"),
    ]
    assert "黑名单" in rules[0]["sentence"]
    assert "90 天" in rules[1]["sentence"]  # policy.toml: current_overdue_days = 90
    assert "something_new" in rules[2]["sentence"]  # unknown codes are never hidden
    assert "5万元" in rules[3]["sentence"]  # limit.thin_file.cap = 50000 → 5万元
    # every veto and cap code that scoring uses has its own sentence
    from creditfarm.explain import CAP_CODES, VETO_CODES

    for code in VETO_CODES:
        assert code not in policy_reasons([code], [], policy=policy)[0]["sentence"]
    for code in CAP_CODES:
        assert code not in policy_reasons([], [code], policy=policy)[0]["sentence"]
