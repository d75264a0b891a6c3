"""Contributions in score points, the unit the grade is made of.

The policy's score is ``offset − factor · ln(odds)`` and the calibrated log-odds are
``a · raw + b`` (``raw`` = the booster's output, which TreeSHAP splits into a base value and one
contribution per feature). So

    score = offset − factor · (a · base + b)  −  Σ factor · a · c_j
          = base score                        +  Σ points_j

and a contribution ``c`` (log-odds of default) is worth ``−factor · a · c`` points: positive
points raise the score, negative points lower it. The sum is exact; only the policy's clip of
the score to [0, 100] can make the stored score differ from base score + points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PointsScale", "scale_for"]


@dataclass(frozen=True)
class PointsScale:
    offset: float  # policy.score.offset
    factor: float  # policy.score.factor (> 0)
    slope: float = 1.0  # calibration a (> 0)
    intercept: float = 0.0  # calibration b

    def points(self, contribution: float) -> float:
        """Score points of one log-odds contribution (positive = raises the score)."""
        return -self.factor * self.slope * float(contribution)

    def base_score(self, base: float) -> float:
        """The score of a household whose every contribution is zero (the model's average)."""
        return self.offset - self.factor * (self.slope * float(base) + self.intercept)

    def as_dict(self) -> dict[str, float]:
        return {
            "offset": self.offset,
            "factor": self.factor,
            "slope": self.slope,
            "intercept": self.intercept,
        }


def scale_for(model: Any, policy: Any = None) -> PointsScale:
    """The scale of ``model`` (its ``calibration_`` a and b, when it has them) under ``policy``
    (default: the packaged policy file)."""
    if policy is None:
        from creditfarm.policy.config import load_policy
        from creditfarm.settings import DEFAULT_POLICY_FILE

        policy = load_policy(DEFAULT_POLICY_FILE)
    calibration = getattr(model, "calibration_", None) or {}
    return PointsScale(
        offset=float(policy.score.offset),
        factor=float(policy.score.factor),
        slope=float(calibration.get("a", 1.0)),
        intercept=float(calibration.get("b", 0.0)),
    )
