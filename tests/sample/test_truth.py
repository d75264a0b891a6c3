"""The oracle's side file: true default probabilities, written where the importer never looks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from creditfarm.ingest.orchestrate import _candidates
from creditfarm.sample import generate_county
from creditfarm.sample.truth import TRUTH_DIR, TRUTH_FILE, true_default_probability


def test_true_probability_against_an_independent_monte_carlo():
    # risk 0: σ(0) = 1/2 times E[σ(−3.15 + ε)]; risk 2: σ(1) times E[σ(−1.15 + ε)]. The
    # expectations estimated here by plain sampling (2 million draws, standard error < 2e-4).
    rng = np.random.default_rng(0)
    eps = rng.normal(size=2_000_000)
    expected = [
        0.5 * np.mean(1 / (1 + np.exp(-(-3.15 + eps)))),
        (1 / (1 + np.exp(-1.0))) * np.mean(1 / (1 + np.exp(-(-1.15 + eps)))),
    ]
    got = true_default_probability(np.array([0.0, 2.0]), intercept=-3.15)
    assert got == pytest.approx(expected, abs=1e-3)
    # more latent risk, a higher probability
    risks = np.linspace(-3, 3, 13)
    assert np.all(np.diff(true_default_probability(risks, intercept=-3.15)) > 0)


def test_sample_writes_the_truth_in_a_folder_the_importer_skips(tmp_path: Path):
    generate_county(tmp_path, households=120, seed=5, months=3)
    truth = pd.read_csv(tmp_path / TRUTH_DIR / TRUTH_FILE, dtype={"household_no": str})
    assert list(truth.columns) == ["household_no", "risk", "true_pd"]
    assert len(truth) == 120 and truth["household_no"].is_unique
    assert truth["true_pd"].between(0, 1).all()
    # the same 户号 as the 户籍 export (read whatever its encoding)
    raw = next(tmp_path.glob("*户籍*")).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    assert all(number in text for number in truth["household_no"])
    offered = {p.relative_to(tmp_path).parts[0] for p in _candidates(tmp_path)}
    assert TRUTH_DIR not in offered  # never offered to the import contract
    assert offered  # while the export files are
