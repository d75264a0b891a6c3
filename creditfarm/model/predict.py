"""The model and the policy applied to a feature set: what a scoring run stores and what the
model card reports of the policy's outcomes on the scoring population."""

from __future__ import annotations

from typing import Any

import pandas as pd

from creditfarm.features.build import FeatureSet
from creditfarm.policy.config import Policy
from creditfarm.policy.rules import apply_policy

__all__ = ["score_features"]


def score_features(
    features: FeatureSet, *, model: Any, policy: Policy
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Policy outcomes and the model's features of the filed households of ``features``."""
    filed = features.meta.index[features.meta["filed"]]
    X = features.X.loc[filed, model.feature_names_]
    proba = pd.Series(model.predict_proba(X)[:, 1] if len(X) else [], index=filed, dtype=float)
    outcomes = apply_policy(proba, features.meta.loc[filed], policy)
    return outcomes, X
