"""A tiny LightGBM model whose only driver is known by construction, for the explain tests."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import lightgbm as lgb
import numpy as np
import pandas as pd

# Catalogue names, so the reasons use the catalogue's Chinese wording and units.
INFLOW = "pay_inflow_month_mean"  # 月均资金流入, 元, monotone -1
NOISE = ["land_area_mu", "gov_poverty"]  # 承包地面积 (亩), 建档立卡/监测户 (是/否)
FEATURES = [INFLOW, *NOISE]


def training_frame(n: int = 600, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Default depends on monthly inflow only: bad when inflow < 3,000 (10% label noise);
    a missing inflow is mostly bad. Land and poverty status are pure noise."""
    rng = np.random.default_rng(seed)
    inflow = rng.uniform(0, 10_000, n)
    X = pd.DataFrame(
        {
            INFLOW: inflow,
            "land_area_mu": rng.uniform(0, 20, n).round(1),
            "gov_poverty": rng.integers(0, 2, n).astype(float),
        }
    )
    y = (inflow < 3_000).astype(int)
    flip = rng.uniform(size=n) < 0.10
    y[flip] = 1 - y[flip]
    gaps = rng.uniform(size=n) < 0.08
    X.loc[gaps, INFLOW] = np.nan
    y[gaps] = (rng.uniform(size=int(gaps.sum())) < 0.9).astype(int)
    return X, y


def train_tiny(seed: int = 7) -> lgb.Booster:
    X, y = training_frame(seed=seed)
    params = {
        "objective": "binary",
        "num_leaves": 7,
        "min_data_in_leaf": 20,
        "learning_rate": 0.2,
        "monotone_constraints": [-1, 0, 0],
        "num_threads": 1,
        "deterministic": True,
        "seed": seed,
        "verbosity": -1,
    }
    return lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=40)


def hand_village() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six households of village V9 with known inflows, plus one of V8 whose inflow is missing."""
    X = pd.DataFrame(
        {
            INFLOW: [500.0, 1_500.0, 2_500.0, 4_000.0, 6_000.0, 8_000.0, np.nan],
            "land_area_mu": [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0],
            "gov_poverty": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    households = pd.DataFrame(
        {
            "household_no": ["H1", "H2", "H3", "H4", "H5", "H6", "H7"],
            "village_code": ["V9"] * 6 + ["V8"],
        }
    )
    return X, households
