"""Feature catalogue and as-of feature building."""

from creditfarm.features.build import (
    CountyData,
    FeatureSet,
    build_features,
    features_as_of,
    load_county,
)
from creditfarm.features.catalogue import (
    FEATURE_NAMES,
    FEATURES,
    PROTECTED_ATTRIBUTES,
    SOURCE_ZH,
    FeatureSpec,
    feature,
    monotone_constraints,
)

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "PROTECTED_ATTRIBUTES",
    "SOURCE_ZH",
    "CountyData",
    "FeatureSet",
    "FeatureSpec",
    "build_features",
    "feature",
    "features_as_of",
    "load_county",
    "monotone_constraints",
]
