"""What explanations need to know about a feature, read from ``creditfarm.features.catalogue``.

A model may carry a feature the current catalogue no longer lists (an older model version): it
still gets a usable description, guessed from its name prefix, so an explanation never fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from creditfarm.features.catalogue import FEATURES, FeatureSpec
from creditfarm.features.catalogue import SOURCE_ZH as _CATALOGUE_SOURCES

__all__ = ["SOURCE_ORDER", "SOURCE_ZH", "FeatureInfo", "feature_infos"]

# The catalogue's sources in its order, plus a bucket for features it does not know.
SOURCE_ZH: dict[str, str] = {**_CATALOGUE_SOURCES, "other": "其他"}
SOURCE_ORDER = list(SOURCE_ZH)

_PREFIX_SOURCE = (
    ("pay_", "payments"),
    ("gov_", "government"),
    ("loan_", "loans"),
    ("village_", "village"),
)


@dataclass(frozen=True)
class FeatureInfo:
    name: str
    zh: str
    source: str  # archive / payments / government / loans / village / other
    unit: str = ""
    meaning: str = ""
    monotone: int = 0  # +1: more of it raises default risk; -1: lowers it; 0: not constrained

    @property
    def source_zh(self) -> str:
        return SOURCE_ZH.get(self.source, SOURCE_ZH["other"])


def _guess(name: str) -> FeatureInfo:
    for prefix, source in _PREFIX_SOURCE:
        if name.startswith(prefix):
            return FeatureInfo(name=name, zh=name, source=source)
    return FeatureInfo(name=name, zh=name, source="other")


def _to_info(spec: FeatureSpec) -> FeatureInfo:
    return FeatureInfo(
        name=spec.name,
        zh=spec.zh,
        source=spec.source,
        unit=spec.unit,
        meaning=spec.meaning,
        monotone=spec.monotone,
    )


_INFOS: dict[str, FeatureInfo] = {spec.name: _to_info(spec) for spec in FEATURES}


def feature_infos(
    names: list[str], overrides: dict[str, FeatureInfo] | None = None
) -> dict[str, FeatureInfo]:
    """A FeatureInfo for each name: ``overrides`` first, then the catalogue, then a guess."""
    overrides = overrides or {}
    return {n: overrides.get(n) or _INFOS.get(n) or _guess(n) for n in names}
