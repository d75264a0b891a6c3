"""Interval statistics for the fairness gaps, on plain counts and arrays.

- **Rates** (pre-credit rate of a group): Wilson score interval.
- **Rate differences** (a group's rate − the reference group's): Newcombe's hybrid score
  interval (Newcombe 1998, method 10), built from the two Wilson intervals; it stays inside
  [−1, 1] and behaves at rates near 0 or 1, where the Wald interval does not.
- **Rate ratios** (the four-fifths rule: the lower rate over the higher): Katz's log interval,
  ln(r) ± z·sqrt(1/k₁ − 1/n₁ + 1/k₂ − 1/n₂), with 0.5 added to a zero count (Haldane) so a
  rate of 0 still gets an interval.
- **AUC** of a group and its gap to the reference group: bootstrap, resampling bad and good
  cases separately within each group (stratified: every replicate keeps the group's bad count,
  so an AUC is always defined), percentile interval.
- **Calibration gap** of a group, mean predicted − observed default rate: bootstrap, resampling
  the group's rows (not stratified: the observed rate must vary), percentile interval.

``judge`` turns a gap, its interval and a threshold into a verdict; the rule and why it was
chosen are in its docstring.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
from scipy.stats import rankdata

__all__ = [
    "Verdict",
    "auc",
    "bootstrap_auc_gap",
    "bootstrap_calibration_gap",
    "judge",
    "judge_ratio",
    "newcombe_difference",
    "rate_ratio",
    "wilson",
    "z_value",
]

Verdict = Literal["within", "unclear", "exceeds"]


def z_value(confidence: float) -> float:
    """The two-sided normal quantile: 0.95 → 1.95996…"""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _counts(k: int, n: int) -> None:
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")


def wilson(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the rate k/n."""
    _counts(k, n)
    z = z_value(confidence)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # at k = 0 (k = n) the bound is exactly 0 (1); the formula leaves rounding noise there
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def newcombe_difference(
    k1: int, n1: int, k2: int, n2: int, *, confidence: float = 0.95
) -> tuple[float, float, float]:
    """k1/n1 − k2/n2 and Newcombe's hybrid score interval (method 10):
    lower = d − sqrt((p₁ − l₁)² + (u₂ − p₂)²), upper = d + sqrt((u₁ − p₁)² + (p₂ − l₂)²),
    with (l, u) each rate's Wilson interval."""
    _counts(k1, n1)
    _counts(k2, n2)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, confidence=confidence)
    l2, u2 = wilson(k2, n2, confidence=confidence)
    d = p1 - p2
    return (
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def rate_ratio(
    k1: int, n1: int, k2: int, n2: int, *, confidence: float = 0.95
) -> tuple[float, float, float] | None:
    """The lower of the two rates over the higher (≤ 1, the four-fifths rule's impact ratio)
    and Katz's log interval; ``None`` when both rates are 0 (no ratio)."""
    _counts(k1, n1)
    _counts(k2, n2)
    if k1 == 0 and k2 == 0:
        return None
    if k1 / n1 > k2 / n2:  # orient: lower rate first
        k1, n1, k2, n2 = k2, n2, k1, n1
    ratio = (k1 / n1) / (k2 / n2)
    # Haldane: a zero count gets 0.5 in the variance (the ratio itself stays 0).
    a, b = (k1 or 0.5), (k2 or 0.5)
    se = math.sqrt(max(1 / a - 1 / n1 + 1 / b - 1 / n2, 0.0))
    centre = math.log(a / n1) - math.log(b / n2)
    z = z_value(confidence)
    return ratio, math.exp(centre - z * se), math.exp(centre + z * se)


def _labels(y: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("labels and scores must be 1-dimensional and of equal length")
    return y, p


def _auc_rows(bad: np.ndarray, good: np.ndarray) -> np.ndarray:
    """AUC of each row of (bad scores, good scores): the Mann–Whitney statistic with midranks,
    P(bad scored above good) + ½·P(tie)."""
    nb, ng = bad.shape[1], good.shape[1]
    ranks = rankdata(np.concatenate([bad, good], axis=1), axis=1)
    return (ranks[:, :nb].sum(axis=1) - nb * (nb + 1) / 2) / (nb * ng)


def auc(y: Any, p: Any) -> float:
    """AUC (bad = 1 scored higher is better ranking); ties count one half."""
    y, p = _labels(y, p)
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("both good (0) and bad (1) cases are needed")
    return float(_auc_rows(p[y == 1][None, :], p[y == 0][None, :])[0])


def _percentile(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def _boot_auc(y: np.ndarray, p: np.ndarray, samples: int, rng: np.random.Generator) -> np.ndarray:
    """AUC of ``samples`` stratified resamples. A resample is a count per case, so its AUC is
    the weighted Mann–Whitney statistic over the distinct scores, sorted once: O(n) a replicate,
    no (samples × n) matrix and no re-ranking (a county's 35,000 out-of-time rows of a group
    took 24 s and 300 MB that way, 1 s this way)."""
    bad, good = p[y == 1], p[y == 0]
    values, where = np.unique(np.concatenate([bad, good]), return_inverse=True)
    at_bad, at_good = where[: len(bad)], where[len(bad) :]
    size = len(values)
    out = np.empty(samples)
    for k in range(samples):
        b = np.bincount(at_bad[rng.integers(0, len(bad), size=len(bad))], minlength=size)
        g = np.bincount(at_good[rng.integers(0, len(good), size=len(good))], minlength=size)
        below = np.cumsum(g) - g  # good cases scored strictly lower than each distinct score
        out[k] = float(b @ (below + g / 2.0)) / (len(bad) * len(good))
    return out


def bootstrap_auc_gap(
    y: Any,
    p: Any,
    y_ref: Any,
    p_ref: Any,
    *,
    samples: int = 1000,
    confidence: float = 0.95,
    rng: np.random.Generator | int = 0,
) -> dict[str, Any]:
    """A group's AUC, the reference group's, and the gap (group − reference), each with a
    stratified bootstrap percentile interval (the two groups resampled independently)."""
    y, p = _labels(y, p)
    y_ref, p_ref = _labels(y_ref, p_ref)
    for labels in (y, y_ref):
        if labels.sum() == 0 or labels.sum() == len(labels):
            raise ValueError("both good (0) and bad (1) cases are needed in each group")
    gen = np.random.default_rng(rng)
    boot = _boot_auc(y, p, samples, gen)
    boot_ref = _boot_auc(y_ref, p_ref, samples, gen)
    value, reference = auc(y, p), auc(y_ref, p_ref)
    return {
        "auc": value,
        "auc_ci": _percentile(boot, confidence),
        "reference_auc": reference,
        "gap": value - reference,
        "gap_ci": _percentile(boot - boot_ref, confidence),
    }


def bootstrap_calibration_gap(
    y: Any,
    p: Any,
    *,
    samples: int = 1000,
    confidence: float = 0.95,
    rng: np.random.Generator | int = 0,
) -> tuple[float, float, float]:
    """Mean predicted − observed default rate of a group, and its bootstrap percentile interval
    (rows resampled with replacement)."""
    y, p = _labels(y, p)
    if len(y) == 0:
        raise ValueError("no rows")
    gen = np.random.default_rng(rng)
    diff = p - y
    # One replicate at a time: a (samples × n) index matrix is 280 MB for 35,000 rows.
    boot = np.array([diff[gen.integers(0, len(y), size=len(y))].mean() for _ in range(samples)])
    lo, hi = _percentile(boot, confidence)
    return float(p.mean() - y.mean()), lo, hi


def judge(gap: float, lo: float, hi: float, threshold: float) -> Verdict:
    """The flag rule for a gap (either sign) against a threshold on its size:

    - ``exceeds`` (flagged): |gap| > threshold **and** the interval excludes 0;
    - ``unclear``: |gap| > threshold but the interval includes 0 (the data cannot tell the gap
      from noise; shown, not flagged);
    - ``within``: |gap| ≤ threshold (a gap of exactly the threshold, or 0, is not flagged).

    Why not "the whole interval beyond the threshold": a county's minority groups hold tens of
    households and a handful of bad loans, so such intervals span far more than any threshold
    and that rule would never flag, putting the burden of proof on the smaller group. Why not
    the point estimate alone: in groups that small it passes the threshold by chance. The rule
    asks for a gap both large enough to matter and unlikely to be noise; a flag asks for human
    review, it does not establish discrimination."""
    if abs(gap) <= threshold:
        return "within"
    return "exceeds" if lo > 0 or hi < 0 else "unclear"


def judge_ratio(ratio: float, lo: float, hi: float, minimum: float) -> Verdict:
    """The same rule for an impact ratio (lower rate / higher rate, ≤ 1): flagged when the
    ratio is below ``minimum`` (0.8, the four-fifths rule) and its interval excludes 1."""
    if ratio >= minimum:
        return "within"
    return "exceeds" if hi < 1 else "unclear"
