"""Fairness gap statistics against answers worked by hand (or published), and the flag rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from creditfarm.model import fairness_stats as fs

Z95 = 1.959964  # the 97.5% normal quantile


def test_z_value():
    assert fs.z_value(0.95) == pytest.approx(Z95, abs=1e-6)
    with pytest.raises(ValueError):
        fs.z_value(1.0)


def test_wilson_8_of_10():
    # p = 0.8, n = 10, z² = 3.8415: centre = (0.8 + z²/20) / (1 + z²/10) = 0.99208 / 1.38415
    # = 0.71674; half = z·sqrt(0.8·0.2/10 + z²/400) / 1.38415 = 1.96·0.16001 / 1.38415 = 0.22658
    lo, hi = fs.wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4)
    assert hi == pytest.approx(0.9433, abs=1e-4)


def test_wilson_at_the_edges():
    # k = 0: lower bound exactly 0; upper = 2·(z²/20) / 1.38415 = 0.38415 / 1.38415 = 0.27753
    assert fs.wilson(0, 10) == (0.0, pytest.approx(0.27753, abs=1e-5))
    lo, hi = fs.wilson(10, 10)  # the mirror image
    assert (lo, hi) == (pytest.approx(1 - 0.27753, abs=1e-5), 1.0)
    with pytest.raises(ValueError):
        fs.wilson(11, 10)


def test_newcombe_difference_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, table II, 56/70 − 48/80, method 10:
    # difference 0.2000, 95% interval 0.0524 to 0.3339.
    d, lo, hi = fs.newcombe_difference(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert lo == pytest.approx(0.0524, abs=1e-4)
    assert hi == pytest.approx(0.3339, abs=1e-4)


def test_newcombe_difference_of_equal_rates_is_centred_on_zero():
    d, lo, hi = fs.newcombe_difference(8, 10, 8, 10)
    # both Wilson intervals are (0.4902, 0.9433) around 0.8: lower = −sqrt(0.3098² + 0.1433²)
    half = math.hypot(0.8 - 0.49016, 0.94332 - 0.8)
    assert d == 0
    assert (lo, hi) == (pytest.approx(-half, abs=1e-4), pytest.approx(half, abs=1e-4))


def test_rate_ratio_katz():
    # 40/100 over 80/100 = 0.5; se = sqrt(1/40 − 1/100 + 1/80 − 1/100) = sqrt(0.0175) = 0.132288;
    # 0.5·exp(∓1.96·0.132288) = 0.5·0.771611, 0.5·1.296009
    katz = fs.rate_ratio(40, 100, 80, 100)
    assert katz is not None
    ratio, lo, hi = katz
    assert ratio == pytest.approx(0.5)
    assert lo == pytest.approx(0.385806, abs=1e-5)
    assert hi == pytest.approx(0.648005, abs=1e-5)
    # the lower rate is always on top, whichever comes first
    assert fs.rate_ratio(80, 100, 40, 100) == pytest.approx((ratio, lo, hi))
    assert fs.rate_ratio(0, 10, 0, 20) is None
    # a rate of 0: the ratio is 0, its interval from 0.5 in place of the zero count
    zero, _, zero_hi = fs.rate_ratio(0, 50, 40, 50)  # type: ignore[misc]
    assert zero == 0.0
    # ln(0.5/50 / 0.8) = −4.382; se = sqrt(2 − 0.02 + 0.025 − 0.02) = 1.40890 → exp(−1.6206)
    assert zero_hi == pytest.approx(math.exp(math.log(0.01 / 0.8) + Z95 * math.sqrt(1.985)))


def test_auc_by_hand():
    # bads 0.35 and 0.8 against goods 0.1 and 0.4: 0.35 beats 0.1 only, 0.8 beats both: 3/4
    assert fs.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # bads 0.5 and 0.9 against goods 0.5 and 0.2: tie ½ + 1 + 1 + 1 = 3.5 of 4
    assert fs.auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == 0.875
    with pytest.raises(ValueError):
        fs.auc([0, 0], [0.1, 0.2])


def test_bootstrap_auc_gap_of_identical_groups_is_zero_and_not_flagged():
    y = np.array([0, 0, 0, 1, 1] * 10)
    p = np.linspace(0.01, 0.5, 50)
    out = fs.bootstrap_auc_gap(y, p, y, p, samples=200, rng=1)
    assert out["gap"] == 0.0
    assert out["gap_ci"][0] < 0 < out["gap_ci"][1]
    assert fs.judge(out["gap"], out["gap_ci"][0], out["gap_ci"][1], 0.05) == "within"


def test_bootstrap_auc_gap_of_a_constructed_disparity_is_flagged():
    # the group: every bad scored above every good, so AUC 1 in every stratified replicate;
    # the reference: one score for all, AUC ½ in every replicate. Gap 0.5, interval [0.5, 0.5].
    y = np.array([1] * 6 + [0] * 40)
    p = np.where(y == 1, 0.3, 0.02)
    y_ref = np.array([1] * 10 + [0] * 90)
    p_ref = np.full(100, 0.1)
    out = fs.bootstrap_auc_gap(y, p, y_ref, p_ref, samples=200, rng=2)
    assert (out["auc"], out["reference_auc"], out["gap"]) == (1.0, 0.5, 0.5)
    assert out["auc_ci"] == (1.0, 1.0)
    assert out["gap_ci"] == (0.5, 0.5)
    assert fs.judge(out["gap"], out["gap_ci"][0], out["gap_ci"][1], 0.05) == "exceeds"


def test_bootstrap_calibration_gap():
    # predicted 15% for all 200 rows, 6 bad (3%): gap exactly +0.12. In a replicate the
    # observed rate is ≥ 0, so the gap is ≤ 0.15; and 6 bads rarely become more than 15.
    y = np.array([1] * 6 + [0] * 194)
    p = np.full(200, 0.15)
    gap, lo, hi = fs.bootstrap_calibration_gap(y, p, samples=500, rng=3)
    assert gap == pytest.approx(0.12)
    assert 0.08 < lo < gap < hi <= 0.15
    assert fs.judge(gap, lo, hi, 0.02) == "exceeds"
    # predicted 5% and observed 5% (1 bad in every 20 rows): gap 0, never flagged
    y0 = np.array(([1] + [0] * 19) * 10)
    gap0, lo0, hi0 = fs.bootstrap_calibration_gap(y0, np.full(200, 0.05), samples=500, rng=3)
    assert gap0 == pytest.approx(0.0, abs=1e-12)
    assert lo0 < 0 < hi0
    assert fs.judge(gap0, lo0, hi0, 0.02) == "within"


def test_bootstrap_is_reproducible():
    y = np.array([0, 1] * 30)
    p = np.linspace(0, 1, 60)
    assert fs.bootstrap_calibration_gap(y, p, rng=7) == fs.bootstrap_calibration_gap(y, p, rng=7)


def test_judge_rule():
    assert fs.judge(0.0, -0.01, 0.01, 0.10) == "within"  # no gap
    assert fs.judge(-0.10, -0.15, -0.05, 0.10) == "within"  # exactly the threshold
    assert fs.judge(-0.12, -0.20, -0.04, 0.10) == "exceeds"  # beyond, interval below 0
    assert fs.judge(0.12, 0.01, 0.25, 0.10) == "exceeds"  # either sign
    assert fs.judge(-0.12, -0.30, 0.05, 0.10) == "unclear"  # beyond, but 0 is possible
    # ratio: below 0.8 and the interval excludes 1
    assert fs.judge_ratio(0.5, 0.39, 0.65, 0.8) == "exceeds"
    assert fs.judge_ratio(0.7, 0.45, 1.1, 0.8) == "unclear"
    assert fs.judge_ratio(0.8, 0.7, 0.9, 0.8) == "within"


def test_a_bootstrap_replicate_is_the_auc_of_its_resample():
    """The weighted Mann–Whitney over distinct scores gives what ranking the drawn resample
    itself gives (ties included): the same draws, the AUC by brute force over every pair."""
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.4, 0.4, 0.4, 0.2, 0.6, 0.1, 0.4])
    replicate = fs._boot_auc(y, p, 1, np.random.default_rng(5))[0]
    gen = np.random.default_rng(5)
    bad, good = p[y == 1], p[y == 0]
    rb = bad[gen.integers(0, len(bad), size=len(bad))]
    rg = good[gen.integers(0, len(good), size=len(good))]
    pairs = [(1.0 if b > g else 0.5 if b == g else 0.0) for b in rb for g in rg]
    assert replicate == pytest.approx(sum(pairs) / len(pairs))
