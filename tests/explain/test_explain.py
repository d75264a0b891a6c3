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


def test_reasons_are_sorted_by_size_and_signed_by_effect_in_score_points():
    contributions = {"a": 0.1, "b": 0.5, "c": -0.3, "d": -0.05, "e": 0.0, "_base": -2.0}
    X = pd.DataFrame({k: [1.0] for k in "abcde"})
    infos = {k: FeatureInfo(name=k, zh=f"因素{k}", source="archive") for k in "abcde"}
    from creditfarm.explain import PointsScale, build_reasons

    # score = 40 − 11 · (2 · raw + 0.5): a log-odds contribution c is worth −11 · 2 · c = −22c
    scale = PointsScale(offset=40.0, factor=11.0, slope=2.0, intercept=0.5)
    reasons = build_reasons(
        household_no="H",
        village_code="V",
        contributions=contributions,
        values=X.iloc[0].to_dict(),
        infos=infos,
        monotone={},
        reference=None,
        scale=scale,
        waterfall_top=2,
    )
    # lowered = positive log-odds, largest first; raised = negative, most negative first
    assert [r["feature"] for r in reasons[LOWERED]] == ["b", "a"]
    assert [r["feature"] for r in reasons[RAISED]] == ["c", "d"]
    # -2.0 + 0.1 + 0.5 - 0.3 - 0.05 + 0 = -1.75
    assert reasons["raw"] == pytest.approx(-1.75)
    # points: b −22 · 0.5 = −11; a −2.2; c +6.6; d +1.1
    assert [r["points"] for r in reasons[LOWERED]] == pytest.approx([-11.0, -2.2])
    assert [r["points"] for r in reasons[RAISED]] == pytest.approx([6.6, 1.1])
    assert reasons[LOWERED][0]["points_text"] == "−11.0分"
    assert reasons[RAISED][0]["points_text"] == "+6.6分"
    # base score 40 − 11 · (2 · −2 + 0.5) = 78.5; the household: 40 − 11 · (2 · −1.75 + 0.5) = 73
    assert reasons["base_score"] == pytest.approx(78.5)
    assert reasons["model_score"] == pytest.approx(73.0)
    # waterfall: base, the two largest (b, c), the rest a + d + e = −2.2 + 1.1 = −1.1, total
    steps = [(s["label"], s["kind"], s["points"]) for s in reasons["waterfall"]]
    assert steps == [
        ("基准分", "base", pytest.approx(78.5)),
        ("因素b", "feature", pytest.approx(-11.0)),
        ("因素c", "feature", pytest.approx(6.6)),
        ("其他因素", "other", pytest.approx(-1.1)),
        ("本户评分", "total", pytest.approx(73.0)),
    ]


def _npl_land_inflow_infos() -> dict[str, FeatureInfo]:
    return {
        "land_area_mu": FeatureInfo("land_area_mu", "承包地面积", "archive", "亩", monotone=-1),
        "pay_inflow_month_mean": FeatureInfo(
            "pay_inflow_month_mean", "月均资金流入", "payments", "元", monotone=-1
        ),
        "village_npl_ratio": FeatureInfo("village_npl_ratio", "本村不良贷款率", "village", ""),
    }


def test_missing_data_never_raises_and_village_context_is_apart():
    from creditfarm.explain import CONTEXT, PointsScale, build_reasons

    # land is missing and its contribution helps (−0.4): not a reason; the village's NPL ratio
    # (+0.2) is context, not the household's fault; low inflow (+0.3) is the one own reason.
    contributions = {
        "land_area_mu": -0.4,
        "pay_inflow_month_mean": 0.3,
        "village_npl_ratio": 0.2,
        "_base": -2.0,
    }
    values = {
        "land_area_mu": float("nan"),
        "pay_inflow_month_mean": 100.0,
        "village_npl_ratio": 0.05,
    }
    scale = PointsScale(offset=40.0, factor=10.0)  # c is worth −10c points
    reasons = build_reasons(
        household_no="H",
        village_code="V",
        contributions=contributions,
        values=values,
        infos=_npl_land_inflow_infos(),
        monotone={},
        reference=None,
        scale=scale,
    )
    assert reasons[RAISED] == []
    assert [r["feature"] for r in reasons[LOWERED]] == ["pay_inflow_month_mean"]
    assert reasons[LOWERED][0]["points"] == pytest.approx(-3.0)
    (context,) = reasons[CONTEXT]
    assert context["feature"] == "village_npl_ratio"
    assert context["points"] == pytest.approx(-2.0)
    assert context["sentence"] == "本村不良贷款率 5%"
    assert all(r["feature"] != "village_npl_ratio" for r in reasons[LOWERED] + reasons[RAISED])
    assert reasons["missing_not_counted"] == {"features": ["land_area_mu"], "points": 4.0}
    # base 40 − 10 · (−2) = 60; inflow −3; land +4 only inside 其他因素; village −2; total 59
    # (check: raw −2 − 0.4 + 0.3 + 0.2 = −1.9, score 40 + 19 = 59)
    steps = [(s["label"], s["points"]) for s in reasons["waterfall"]]
    assert steps == [
        ("基准分", pytest.approx(60.0)),
        ("月均资金流入", pytest.approx(-3.0)),
        ("其他因素", pytest.approx(4.0)),
        ("村级背景", pytest.approx(-2.0)),
        ("本户评分", pytest.approx(59.0)),
    ]


def test_monotone_feature_never_reads_against_its_direction():
    from creditfarm.explain import PointsScale, build_reasons

    # Others in V have 2, 5 and 8 亩 (median 5). More land never lowers the score (−1).
    peers = pd.DataFrame(
        {
            "household_no": ["A", "B", "C", "H", "K"],
            "village_code": ["V"] * 5,
            "land_area_mu": [2.0, 5.0, 8.0, 10.0, 3.0],
        }
    )
    ref = VillageReference.build(peers, ["land_area_mu"])
    infos = _npl_land_inflow_infos()
    infos = {"land_area_mu": infos["land_area_mu"]}

    def reason(household: str, value: float) -> dict:
        reasons = build_reasons(
            household_no=household,
            village_code="V",
            contributions={"land_area_mu": 0.2, "_base": -2.0},
            values={"land_area_mu": value},
            infos=infos,
            monotone={"land_area_mu": -1},
            reference=ref,
            scale=PointsScale(offset=40.0, factor=10.0),
        )
        (only,) = reasons[LOWERED]
        return only

    # H has 10 亩, more than the others' median 5, yet land lowered its score (below the
    # county model's average): the code says LOW and the village comparison is left out.
    h = reason("H", 10.0)
    assert h["code"] == "LAND_AREA_MU_LOW"
    assert h["sentence"] == "承包地面积 10亩"
    assert h["comparison"] is None
    # K has 3 亩: others 2 below, 5, 8 and 10 above → lower than 3/4 = 75%: kept.
    k = reason("K", 3.0)
    assert k["code"] == "LAND_AREA_MU_LOW"
    assert k["sentence"] == "承包地面积 3亩，低于本村 75% 的农户"


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
    # a monotone feature's code follows its constraint even against the village: 1,800 is above
    # the others' median of 1,500, but inflow raised risk, so it is low against the model's
    # average (and the sentence leaves the contradicting village comparison out)
    above = Comparison(peers=4, share_below=0.75, share_above=0.25, share_same=0.0, median=1500.0)
    assert reason_code(inflow, 1800.0, 0.3, monotone=-1, comparison=above) == (
        "PAY_INFLOW_MONTH_MEAN_LOW"
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
    # village context, never the household's own reason
    assert reasons[LOWERED] == []
    (reason,) = reasons["context"]
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
