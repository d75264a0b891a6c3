"""Fairness tables and gaps: grade shares, mean limit and rates per group, and the flagged gaps
between groups, worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from creditfarm.model.fairness import (
    fairness_gaps,
    fairness_tables,
    flag_text_en,
    flag_text_zh,
    gap_view_zh,
    groups_of,
)
from creditfarm.policy.config import Fairness


def test_fairness_tables_by_hand():
    outcomes = pd.DataFrame(
        {
            "grade": ["AAA", "A", "C", "AAA"],
            "limit": [100000.0, 50000.0, 0.0, 90000.0],
            "pre_credited": [True, True, False, True],
            "credit_household": [True, True, False, False],
        },
        index=pd.Index(["H1", "H2", "H3", "H4"], name="household_no"),
    )
    groups = pd.DataFrame(
        {
            "ethnicity": ["黎族", "汉族", "黎族", "汉族"],
            "gender": ["男", "男", "女", "男"],
            "poverty": ["非扶贫户", "监测户", "非扶贫户", "非扶贫户"],
        },
        index=outcomes.index,
    )
    tables = fairness_tables(outcomes, groups)
    li = next(r for r in tables["ethnicity"] if r["group"] == "黎族")
    # 黎族: H1 (AAA, 100,000, pre-credited, 信用户) and H3 (C, 0, neither)
    assert li["households"] == 2
    assert li["mean_limit"] == pytest.approx(50000.0)  # (100,000 + 0) / 2
    assert li["pre_credit_rate"] == pytest.approx(0.5)
    assert li["credit_household_rate"] == pytest.approx(0.5)
    assert (li["grade_AAA"], li["grade_C"], li["grade_A"]) == (0.5, 0.5, 0.0)
    men = next(r for r in tables["gender"] if r["group"] == "男")
    # 男: H1, H2, H4 → limits 240,000 / 3 = 80,000; pre-credited 3/3; 信用户 2/3
    assert men["mean_limit"] == pytest.approx(80000.0)
    assert men["pre_credit_rate"] == 1.0
    assert men["credit_household_rate"] == pytest.approx(2 / 3)
    assert [r["group"] for r in tables["poverty"]] == ["监测户", "非扶贫户"]


# -- gaps, intervals and flags --------------------------------------------------------------------
RULE = Fairness(
    max_approval_gap=0.10,
    min_approval_ratio=0.80,
    max_auc_gap=0.05,
    max_calibration_gap=0.02,
    min_households=30,
    min_bads=5,
    confidence=0.95,
    bootstrap_samples=200,
)


def _county() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Scoring population: 汉族 400 households, 360 pre-credited (90%); 回族 100, 50 (50%); 苗族
    10, 5 (too few). Gender: 男 408 with 332, 女 102 with 83 — both exactly 83/102. Poverty: one
    group. Out of time: 汉族 200 rows, 10 bad at 0.30 and 190 good at 7/190 (AUC 1, mean
    predicted 10/200 = observed 5%); 回族 100 rows, 5 bad, all predicted 5% (AUC ½,
    calibration gap 0); 苗族 10 rows."""
    n = {"汉族": 400, "回族": 100, "苗族": 10}
    approved = {"汉族": 360, "回族": 50, "苗族": 5}
    eth, pre = [], []
    for group, count in n.items():
        eth += [group] * count
        pre += [True] * approved[group] + [False] * (count - approved[group])
    index = pd.Index([f"H{i}" for i in range(len(eth))], name="household_no")
    outcomes = pd.DataFrame({"pre_credited": pre}, index=index)
    # 415 pre-credited and 95 not: 男 takes 332 and 76, 女 83 and 19
    gender = pd.Series("", index=index)
    yes, no = index[outcomes["pre_credited"]], index[~outcomes["pre_credited"]]
    gender[yes[:332]], gender[no[:76]] = "男", "男"
    gender[yes[332:]], gender[no[76:]] = "女", "女"
    assert (gender == "").sum() == 0
    groups = pd.DataFrame({"ethnicity": eth, "gender": gender, "poverty": "非扶贫户"}, index=index)
    rows = []
    rows += [("汉族", "男", 1, 0.30)] * 10 + [("汉族", "女", 0, 7 / 190)] * 190
    rows += [("回族", "男", 1, 0.05)] * 5 + [("回族", "女", 0, 0.05)] * 95
    rows += [("苗族", "男", 1, 0.05)] * 2 + [("苗族", "男", 0, 0.05)] * 8
    evaluation = pd.DataFrame(rows, columns=["ethnicity", "gender", "bad", "probability"])
    evaluation["poverty"] = "非扶贫户"
    return outcomes, groups, evaluation


def test_fairness_gaps_flag_a_constructed_disparity_and_not_a_zero_gap():
    outcomes, groups, evaluation = _county()
    gaps = fairness_gaps(outcomes, groups, evaluation, RULE, policy_version="test")
    eth = gaps["groupings"]["ethnicity"]
    assert eth["approval"]["reference"] == "汉族"  # the most households
    rows = {r["group"]: r for r in eth["approval"]["rows"]}
    hui = rows["回族"]
    # 50/100 − 360/400 = −0.40; ratio 0.5 / 0.9 = 0.556: both far beyond their thresholds
    assert hui["gap"] == pytest.approx(-0.40)
    assert hui["gap_ci"][1] < 0
    assert hui["gap_status"] == "exceeds"
    assert hui["ratio"] == pytest.approx(0.5 / 0.9)
    assert hui["ratio_status"] == "exceeds"
    assert rows["汉族"]["gap_status"] == "reference"
    assert rows["汉族"]["rate"] == pytest.approx(0.9)
    # 苗族: 10 households < 30: no figure at all
    assert rows["苗族"]["rate"] is None and rows["苗族"]["gap"] is None
    assert rows["苗族"]["gap_status"] == rows["苗族"]["ratio_status"] == "too_few"

    gender = {r["group"]: r for r in gaps["groupings"]["gender"]["approval"]["rows"]}
    assert gaps["groupings"]["gender"]["approval"]["reference"] == "男"
    # 83/102 − 332/408 = 0 exactly: not flagged, ratio 1
    assert gender["女"]["gap"] == 0.0
    assert gender["女"]["gap_status"] == gender["女"]["ratio_status"] == "within"
    assert gender["女"]["ratio"] == pytest.approx(1.0)

    perf = {r["group"]: r for r in eth["performance"]["rows"]}
    # 回族 ranks nothing (one score for all): AUC ½ against 汉族's 1, in every replicate
    assert (perf["汉族"]["auc"], perf["回族"]["auc"]) == (1.0, 0.5)
    assert perf["回族"]["auc_gap"] == -0.5
    assert perf["回族"]["auc_status"] == "exceeds"
    # calibration: 回族 5% predicted and 5% observed; 汉族 (3.0 + 7.0)/200 = 5% predicted
    assert perf["回族"]["calibration_gap"] == pytest.approx(0.0, abs=1e-12)
    assert perf["回族"]["calibration_status"] == "within"
    assert perf["汉族"]["calibration_gap"] == pytest.approx(0.0, abs=1e-12)
    assert perf["汉族"]["calibration_status"] == "within"
    assert perf["苗族"]["auc"] is None and perf["苗族"]["auc_status"] == "too_few"
    assert perf["苗族"]["calibration_status"] == "too_few"
    # poverty: one group, the reference; nothing to compare
    (only,) = gaps["groupings"]["poverty"]["approval"]["rows"]
    assert only["gap_status"] == "reference"

    flagged = {(f["grouping"], f["group"], f["measure"]) for f in gaps["flags"]}
    assert flagged == {
        ("ethnicity", "回族", "approval_gap"),
        ("ethnicity", "回族", "approval_ratio"),
        ("ethnicity", "回族", "auc_gap"),
    }
    assert gaps["rule"]["max_approval_gap"] == 0.10 and gaps["rule"]["policy_version"] == "test"
    # the same data gives the same figures (a fixed bootstrap seed)
    assert fairness_gaps(outcomes, groups, evaluation, RULE, policy_version="test") == gaps


def test_gap_texts_and_the_page_view():
    outcomes, groups, evaluation = _county()
    gaps = fairness_gaps(outcomes, groups, evaluation, RULE)
    flag = next(f for f in gaps["flags"] if f["measure"] == "approval_gap")
    assert flag_text_zh(flag).startswith("民族 回族（参照组 汉族）：预授信率差距 −40.0 个百分点")
    assert flag_text_en(flag).startswith("ethnicity 回族 vs 汉族: pre-credit rate gap −40.0 points")
    view = gap_view_zh(gaps)
    assert view is not None and len(view.flags_zh) == 3
    eth = next(s for s in view.sections if s.grouping == "ethnicity")
    approval = eth.approval.set_index("组别")
    assert approval.loc["苗族", "预授信率（95% 区间）"] == "样本不足"
    assert approval.loc["汉族", "判断"] == "参照组"
    assert approval.loc["回族", "判断"] == "超过阈值（需复核）"
    assert approval.loc["汉族", "预授信率（95% 区间）"].startswith("90.0%（")
    assert eth.performance.set_index("组别").loc["苗族", "AUC 判断"] == "样本不足"
    assert gap_view_zh(None) is None  # a version saved before the gaps


def test_groups_of_marks_a_missing_household_unknown():
    groups = pd.DataFrame(
        {"ethnicity": ["汉族"], "gender": ["男"], "poverty": ["监测户"]},
        index=pd.Index(["H1"], name="household_no"),
    )
    out = groups_of(groups, ["H1", "H9", "H1"])
    assert list(out["ethnicity"]) == ["汉族", "未知", "汉族"]
    assert list(out["poverty"]) == ["监测户", "未知", "监测户"]
