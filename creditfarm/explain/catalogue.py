"""What explanations need to know about a feature, read from ``creditfarm.features.catalogue``.

The catalogue (FeatureSpec: name, zh, source, unit, meaning, monotone) belongs to the scoring
work; a feature it does not list still gets a usable description, so an explanation never fails
because a model carries a feature the catalogue has not caught up with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SOURCE_ORDER", "SOURCE_ZH", "FeatureInfo", "feature_infos"]

SOURCE_ZH = {
    "archive": "档案",
    "payments": "支付流水",
    "government": "政务",
    "loans": "贷款记录",
    "village": "村情",
    "other": "其他",
}
SOURCE_ORDER = list(SOURCE_ZH)

_PREFIX_SOURCE = (
    ("pay_", "payments"),
    ("gov_", "government"),
    ("loan_", "loans"),
    ("vil_", "village"),
    ("village_", "village"),
    ("arc_", "archive"),
    ("archive_", "archive"),
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


def _specs_from_catalogue() -> dict[str, Any]:
    try:
        from creditfarm.features import catalogue as cat
    except ImportError:
        return {}
    for attr in ("CATALOGUE", "FEATURES", "SPECS", "FEATURE_SPECS"):
        specs = getattr(cat, attr, None)
        if specs is not None:
            break
    else:
        getter = getattr(cat, "catalogue", None) or getattr(cat, "feature_specs", None)
        specs = getter() if callable(getter) else None
    if specs is None:
        return {}
    if isinstance(specs, dict):
        return dict(specs)
    return {spec.name: spec for spec in specs}


def _guess(name: str) -> FeatureInfo:
    for prefix, source in _PREFIX_SOURCE:
        if name.startswith(prefix):
            return FeatureInfo(name=name, zh=name, source=source)
    return FeatureInfo(name=name, zh=name, source="other")


def _to_info(spec: Any) -> FeatureInfo:
    source = str(getattr(spec, "source", "other") or "other")
    return FeatureInfo(
        name=spec.name,
        zh=str(getattr(spec, "zh", "") or spec.name),
        source=source if source in SOURCE_ZH else "other",
        unit=str(getattr(spec, "unit", "") or ""),
        meaning=str(getattr(spec, "meaning", "") or ""),
        monotone=int(getattr(spec, "monotone", 0) or 0),
    )


def feature_infos(
    names: list[str], overrides: dict[str, FeatureInfo] | None = None
) -> dict[str, FeatureInfo]:
    """A FeatureInfo for each name: ``overrides`` first, then the catalogue, then a guess."""
    specs = _specs_from_catalogue()
    out: dict[str, FeatureInfo] = {}
    for name in names:
        if overrides and name in overrides:
            out[name] = overrides[name]
        elif name in specs:
            out[name] = _to_info(specs[name])
        else:
            out[name] = _guess(name)
    return out
