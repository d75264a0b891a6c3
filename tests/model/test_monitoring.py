"""Population stability: PSI worked by hand, per-feature PSI, and the verdict cut-offs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from creditfarm.model.monitoring import (
    PSI_DRIFT_FROM,
    PSI_STABLE_BELOW,
    PSI_VERDICTS,
    feature_psi,
    psi,
    psi_verdict,
)


def test_psi_worked_by_hand():
    expected = np.arange(100)  # decile bins hold 10 each
    assert psi(expected, expected) == pytest.approx(0.0)
    # all of `actual` in the first bin: shares 1 and 9 × 0.0001 (floor) against 0.1 each:
    # (1 − 0.1)·ln(10) + 9·(0.0001 − 0.1)·ln(0.001) = 2.07233 + 6.21076 = 8.28309
    assert psi(expected, np.zeros(50)) == pytest.approx(
        0.9 * math.log(10) + 9 * (0.0001 - 0.1) * math.log(0.0001 / 0.1)
    )
    with pytest.raises(ValueError):
        psi([np.nan], [1.0])


def test_feature_psi_skips_empty_features_and_sorts_largest_first():
    expected = pd.DataFrame({"same": np.arange(100.0), "moved": np.arange(100.0), "empty": np.nan})
    actual = pd.DataFrame({"same": np.arange(100.0), "moved": np.zeros(100), "empty": 1.0})
    found = feature_psi(expected, actual, features=["same", "moved", "empty"])
    assert list(found) == ["moved", "same"]  # "empty" has no training values
    assert found["moved"] == pytest.approx(8.28309, abs=1e-5)  # the hand-worked case above
    assert found["same"] == pytest.approx(0.0)
    assert list(feature_psi(expected, actual, features=["same", "moved"], top=1)) == ["moved"]


def test_psi_verdict_cut_offs():
    assert (PSI_STABLE_BELOW, PSI_DRIFT_FROM) == (0.10, 0.25)
    assert psi_verdict(0.0) == "stable"
    assert psi_verdict(0.0999) == "stable"
    assert psi_verdict(0.10) == "watch"  # the lower cut-off belongs to "watch"
    assert psi_verdict(0.2499) == "watch"
    assert psi_verdict(0.25) == "drift"
    assert psi_verdict(3.0) == "drift"
    assert PSI_VERDICTS == {"stable": "稳定", "watch": "需关注", "drift": "显著漂移"}
