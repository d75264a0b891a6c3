"""The fairness gaps in both model cards: the flag at the top, the rule, the flagged gap with its
interval, 样本不足 / too few instead of a figure, and a version saved before the gaps."""

from __future__ import annotations

import copy
from typing import Any

from creditfarm.model.card import render_card
from creditfarm.model.card_zh import render_card_zh
from creditfarm.policy.config import load_policy
from creditfarm.settings import DEFAULT_POLICY_FILE

RULE = {
    "max_approval_gap": 0.10,
    "min_approval_ratio": 0.80,
    "max_auc_gap": 0.05,
    "max_calibration_gap": 0.02,
    "min_households": 30,
    "min_bads": 5,
    "confidence": 0.95,
    "bootstrap_samples": 1000,
    "flag": "point estimate beyond the threshold and interval excluding no gap",
    "policy_version": "test",
}
NOT_COMPARED = {"gap": None, "gap_ci": None, "ratio": None, "ratio_ci": None}
TOO_FEW_PERF = {
    "auc": None,
    "auc_ci": None,
    "auc_gap": None,
    "auc_gap_ci": None,
    "auc_status": "too_few",
    "predicted": None,
    "observed": None,
    "calibration_gap": None,
    "calibration_gap_ci": None,
    "calibration_status": "too_few",
}
# 汉族 the reference (360/400); 回族 50/100, gap −0.40 (−0.50 … −0.30), ratio 0.56 flagged;
# 苗族 10 households: too few.
GAPS: dict[str, Any] = {
    "rule": RULE,
    "groupings": {
        "ethnicity": {
            "approval": {
                "reference": "汉族",
                "rows": [
                    {
                        "group": "回族",
                        "households": 100,
                        "pre_credited": 50,
                        "rate": 0.5,
                        "rate_ci": [0.4038, 0.5962],
                        "gap": -0.4,
                        "gap_ci": [-0.5, -0.3],
                        "gap_status": "exceeds",
                        "ratio": 0.5556,
                        "ratio_ci": [0.45, 0.68],
                        "ratio_status": "exceeds",
                    },
                    {
                        "group": "汉族",
                        "households": 400,
                        "pre_credited": 360,
                        "rate": 0.9,
                        "rate_ci": [0.8671, 0.9257],
                        **NOT_COMPARED,
                        "gap_status": "reference",
                        "ratio_status": "reference",
                    },
                    {
                        "group": "苗族",
                        "households": 10,
                        "pre_credited": 5,
                        "rate": None,
                        "rate_ci": None,
                        **NOT_COMPARED,
                        "gap_status": "too_few",
                        "ratio_status": "too_few",
                    },
                ],
            },
            "performance": {
                "reference": "汉族",
                "rows": [
                    {
                        "group": "汉族",
                        "rows": 200,
                        "bads": 10,
                        **TOO_FEW_PERF,
                        "auc": 0.88,
                        "auc_ci": [0.80, 0.94],
                        "auc_status": "reference",
                        "predicted": 0.05,
                        "observed": 0.05,
                        "calibration_gap": 0.0,
                        "calibration_gap_ci": [-0.03, 0.03],
                        "calibration_status": "within",
                    },
                    {"group": "苗族", "rows": 10, "bads": 1, **TOO_FEW_PERF},
                ],
            },
        }
    },
    "flags": [
        {
            "grouping": "ethnicity",
            "group": "回族",
            "reference": "汉族",
            "measure": "approval_gap",
            "value": -0.4,
            "ci": [-0.5, -0.3],
            "threshold": 0.1,
            "confidence": 0.95,
        }
    ],
}


def _metrics(gaps: dict[str, Any] | None) -> dict[str, Any]:
    summary = {"n": 500, "bads": 25, "auc": 0.81, "ks": 0.5, "gini": 0.62, "brier": 0.043}
    metrics: dict[str, Any] = {
        "as_of": "2022-06-30",
        "horizon_months": 12,
        "observation_dates": ["2020-09-30", "2021-06-30"],
        "out_of_time_date": "2021-06-30",
        "populations": {
            "fitting": {"rows": 800, "bads": 40, "folds": 5},
            "held_out": {"rows": 200, "bads": 10},
            "out_of_time": {"rows": 500, "bads": 25, "thin_file_rows": 0, "thin_file_bads": 0},
        },
        "model": {**summary, "calibration": []},
        "baseline": summary,
        "best_iteration": 60,
        "model_beats_baseline": True,
        "psi": {"score": 0.02, "features": {}},
        "scoring_population": {
            "households": 510,
            "filed": 510,
            "thin_file": 3,
            "grades": {"AAA": 2},
            "pre_credited": 415,
            "credit_households": 400,
        },
        "fairness": {},
    }
    if gaps is not None:
        metrics["fairness_gaps"] = gaps
    return metrics


FINGERPRINT = {"loan_book_date": "2022-06-30", "row_counts": {"household": 510}, "import_runs": []}


def test_english_card_flags_the_gap_and_says_too_few():
    policy = load_policy(DEFAULT_POLICY_FILE)
    card = render_card(version="v1", metrics=_metrics(GAPS), fingerprint=FINGERPRINT, policy=policy)
    assert "**Fairness: 1 gap between groups flagged for review**" in card
    assert "### Gaps between groups" in card
    assert "**A gap is flagged when its point estimate is beyond the threshold" in card
    assert (
        "- **FLAG** ethnicity 回族 vs 汉族: pre-credit rate gap −40.0 points "
        "(95% CI −50.0 … −30.0), beyond ±10.0 points." in card
    )
    assert (
        "| 回族 | 100 | 50 | 50.0% (40.4–59.6) | −40.0 (−50.0 … −30.0) | 0.56 (0.45–0.68) |" in card
    )
    assert "| 苗族 | 10 | 5 | too few to judge |" in card
    assert "| 苗族 | 10 | 1 | too few to judge |" in card
    assert "| 汉族 | 200 | 10 | 0.880 (0.800–0.940) | – | 5.0% | 5.0% |" in card


def test_english_card_without_flags_and_for_an_older_version():
    policy = load_policy(DEFAULT_POLICY_FILE)
    quiet = copy.deepcopy(GAPS)
    quiet["flags"] = []
    card = render_card(
        version="v1", metrics=_metrics(quiet), fingerprint=FINGERPRINT, policy=policy
    )
    assert "**No gap flagged.**" in card and "Fairness: 1 gap" not in card
    old = render_card(version="v0", metrics=_metrics(None), fingerprint=FINGERPRINT, policy=policy)
    assert "trained before the gaps were computed" in old


def test_chinese_card_flags_the_gap_and_says_too_few():
    card = render_card_zh(version="v1", metrics=_metrics(GAPS), fingerprint=FINGERPRINT)
    assert "**公平性：1 项组间差距超过阈值，需人工复核（见“公平性”）。**" in card
    assert (
        "- **需复核** 民族 回族（参照组 汉族）：预授信率差距 −40.0 个百分点"
        "（95% 置信区间 −50.0 … −30.0），超过 ±10.0 个百分点。" in card
    )
    assert "| 苗族 | 10 | 5 | 样本不足 | 样本不足 | 样本不足 | 样本不足 |" in card
    assert "| 汉族 | 400 | 360 | 90.0%（86.7%–92.6%） | 参照组 | 参照组 | 参照组 |" in card
    old = render_card_zh(version="v0", metrics=_metrics(None), fingerprint=FINGERPRINT)
    assert "本模型版本训练时尚未计算组间差距。" in old
