"""The indicator catalogue of the inclusive-finance index (``indicators.toml``), typed.

The catalogue says what each indicator is (code, 中文名, dimension, formula, unit, direction,
source tables, Sarma's fixed bounds, weight, where its target lives in the policy file) and which
indicators the data cannot give. ``creditfarm.reports.inclusion`` computes them; the dimension
weights are in the policy file (``[index]``).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from creditfarm.policy.config import Policy

__all__ = [
    "DEFAULT_CATALOGUE_FILE",
    "DIMENSIONS",
    "Catalogue",
    "CatalogueError",
    "Dimension",
    "Indicator",
    "Unavailable",
    "default_catalogue",
    "load_catalogue",
]

DEFAULT_CATALOGUE_FILE = Path(__file__).with_name("indicators.toml")
Dimension = Literal["usage", "access", "quality"]
DIMENSIONS: tuple[Dimension, ...] = ("usage", "access", "quality")


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message names the file and the entry."""


class Indicator(BaseModel):
    key: str
    code: str
    name_zh: str
    dimension: Dimension
    formula: str
    unit: str
    direction: Literal["+", "-"]
    sources: list[str] = Field(min_length=1)
    lower: float
    upper: float
    weight: float = Field(default=1.0, gt=0)
    target: str | None = None

    @model_validator(mode="after")
    def _bounds_ordered(self) -> Indicator:
        if not self.upper > self.lower:
            raise ValueError(f"upper ({self.upper}) must be above lower ({self.lower})")
        return self

    @property
    def is_share(self) -> bool:
        return self.unit == "%"

    def normalise(self, value: float) -> float:
        """Sarma's normalised value in [0, 1] (1 = the good bound), NaN for a missing value."""
        if value != value:  # NaN
            return float("nan")
        span = self.upper - self.lower
        x = (value - self.lower) / span if self.direction == "+" else (self.upper - value) / span
        return min(max(x, 0.0), 1.0)

    def target_value(self, policy: Policy, *, year: int) -> float | None:
        """The plan's target for this indicator in ``year`` (None where the plans set none)."""
        if self.target is None:
            return None
        section, _, field = self.target.partition(".")
        if section == "targets":
            return float(getattr(policy.target(year), field))
        return float(getattr(getattr(policy, section), field))


class Unavailable(BaseModel):
    code: str
    name_zh: str
    dimension: Dimension
    why: str


class Catalogue(BaseModel):
    version: str
    dimensions: dict[Dimension, str]
    credit_loan_products: list[str]
    indicator: list[Indicator] = Field(min_length=1)
    unavailable: list[Unavailable] = []

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        for attr in ("key", "code"):
            seen = [getattr(i, attr) for i in self.indicator] + (
                [u.code for u in self.unavailable] if attr == "code" else []
            )
            dupes = sorted({s for s in seen if seen.count(s) > 1})
            if dupes:
                raise ValueError(f"indicator {attr}s listed twice: {', '.join(dupes)}")
        if set(self.dimensions) != set(DIMENSIONS):
            raise ValueError(f"[dimensions] must name exactly {', '.join(DIMENSIONS)}")
        empty = [d for d in DIMENSIONS if not any(i.dimension == d for i in self.indicator)]
        if empty:
            raise ValueError(f"dimensions without an indicator: {', '.join(empty)}")
        return self

    @property
    def indicators(self) -> list[Indicator]:
        return list(self.indicator)

    def by_key(self, key: str) -> Indicator:
        for ind in self.indicator:
            if ind.key == key:
                return ind
        raise KeyError(key)

    def dimension_zh(self, dimension: object) -> str:
        """The Chinese name of a dimension ("—" for none)."""
        return self.dimensions.get(dimension, "—") if isinstance(dimension, str) else "—"  # type: ignore[call-overload]

    def in_dimension(self, dimension: Dimension) -> list[Indicator]:
        return [i for i in self.indicator if i.dimension == dimension]


def load_catalogue(path: Path = DEFAULT_CATALOGUE_FILE) -> Catalogue:
    """Read and check the catalogue; a bad file raises ``CatalogueError`` naming the file and
    the entry (``indicator[2].upper`` …)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: {exc}") from exc
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise CatalogueError(f"{path}: {problems}") from exc


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The packaged catalogue, read once per process."""
    return load_catalogue(DEFAULT_CATALOGUE_FILE)
