"""The policy file (grade bands, vetoes, limit formula, targets, credit-village criteria), typed."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

__all__ = ["Policy", "load_policy"]


class ScoreScale(BaseModel):
    offset: float
    factor: float = Field(gt=0)


class GradeBand(BaseModel):
    grade: str
    min_score: float


class CreditHousehold(BaseModel):
    min_grade: str


class Vetoes(BaseModel):
    blacklist: bool = True
    current_non_performing: bool = True
    current_overdue_days: int = 90
    fraud_record_years: int = 5
    fraud_categories: list[str] = []
    tax_arrears_yuan: float = 10000
    business_revoked: bool = True
    abroad_now: bool = True
    min_age: int = 18
    max_age: int = 70


class ThinFile(BaseModel):
    cap: float


class LimitRule(BaseModel):
    base: dict[str, float]
    asset_share: float = Field(ge=0)
    income_share: float = Field(ge=0)
    cap: float = Field(gt=0)
    round_to: float = Field(gt=0)
    min_limit: float = Field(ge=0)
    thin_file: ThinFile
    term_years: int = Field(default=3, gt=0)  # 授信期限 of a pre-credit line


class PovertyProduct(BaseModel):
    statuses: list[str]
    min_age: int
    max_age: int
    cap: float
    min_limit: float
    term_years: int
    excluded_grades: list[str] = []


class Target(BaseModel):
    year: int
    filing_rate: float = Field(ge=0, le=1)
    pre_credit_rate: float = Field(ge=0, le=1)


class Indicators(BaseModel):
    agri_insurance_coverage: float
    service_point_coverage: float


class IndexWeights(BaseModel):
    """Dimension weights of the inclusive-finance index and how many months its trend shows."""

    usage: float = Field(gt=0)
    access: float = Field(gt=0)
    quality: float = Field(gt=0)
    months: int = Field(ge=2)

    def weight(self, dimension: str) -> float:
        return float(getattr(self, dimension))


class CreditVillage(BaseModel):
    min_credit_household_share: float
    min_borrowers_without_arrears: float
    max_non_performing_ratio: float
    min_filing_rate: float


class CreditTown(BaseModel):
    min_credit_village_share: float


class Review(BaseModel):
    borderline_points: float


class Fairness(BaseModel):
    """Thresholds of the fairness gaps (model card, model page); shares are in [0, 1]."""

    max_approval_gap: float = Field(gt=0, lt=1)
    min_approval_ratio: float = Field(gt=0, lt=1)
    max_auc_gap: float = Field(gt=0, lt=1)
    max_calibration_gap: float = Field(gt=0, lt=1)
    min_households: int = Field(ge=2)
    min_bads: int = Field(ge=1)
    confidence: float = Field(gt=0.5, lt=1)
    bootstrap_samples: int = Field(ge=100)


class Policy(BaseModel):
    version: str
    score: ScoreScale
    grades: list[GradeBand]
    credit_household: CreditHousehold
    vetoes: Vetoes
    limit: LimitRule
    poverty_product: PovertyProduct
    targets: list[Target]
    indicators: Indicators
    index: IndexWeights
    credit_village: CreditVillage
    credit_town: CreditTown
    review: Review
    fairness: Fairness
    # role name → the line (yuan) a person of that role may set alone (maker-checker)
    authority: dict[str, float] = Field(default_factory=dict)
    sha256: str = ""  # of the file it was read from

    @field_validator("grades")
    @classmethod
    def _bands_descending(cls, bands: list[GradeBand]) -> list[GradeBand]:
        scores = [b.min_score for b in bands]
        if scores != sorted(scores, reverse=True) or len(set(scores)) != len(scores):
            raise ValueError("grade bands must be listed best first with distinct min_score")
        return bands

    @property
    def grade_order(self) -> list[str]:
        """Grades best first."""
        return [b.grade for b in self.grades]

    def authority_limit(self, role: str, own: float | None = None) -> float:
        """The line a person may set alone: their account's own limit when set, else their
        role's in ``[authority]``, else 0 (no authority: every adjustment needs approval)."""
        if own is not None:
            return float(own)
        return float(self.authority.get(str(role), 0.0))

    def target(self, year: int) -> Target:
        """The target in force for ``year`` (the latest one at or before it, else the first)."""
        eligible = [t for t in self.targets if t.year <= year]
        return max(eligible, key=lambda t: t.year) if eligible else self.targets[0]


def load_policy(path: Path) -> Policy:
    raw = Path(path).read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    data["sha256"] = hashlib.sha256(raw).hexdigest()
    return Policy.model_validate(data)
