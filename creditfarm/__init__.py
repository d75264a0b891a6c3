"""creditfarm: rural household credit archive (农户建档), pre-credit scoring (预授信) and
credit-village assessment (信用村评定).

The public API is small and named here; each name is imported on first use, so
``import creditfarm`` (and ``creditfarm --help``) stays fast. The stages, bottom up:

- ``settings`` · ``identity`` · ``policy`` · ``display``: configuration, resident IDs and masks,
  the policy file and its pure rules, number formatting;
- ``storage`` · ``workspace``: the SQL database and the payment store, bound in one workspace;
- ``ingest``: the input contract, readers, validation, linkage, quarantine;
- ``features``: one definition per feature, built as of a date;
- ``model``: estimator, scorecard, labels, training, metrics, artefacts, model card;
- ``explain``: TreeSHAP contributions and reasons in Chinese;
- ``scoring``: the scoring run and the 整村授信 list;
- ``officer`` · ``reports``: what users read (households, review; rates, credit villages).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "Settings",
    "Workspace",
    "current_assessments",
    "explain_household",
    "household_card",
    "ingest_folder",
    "load_policy",
    "open_workspace",
    "rates",
    "record_decision",
    "review_queue",
    "score_households",
    "train_model",
]

_API = {
    "Settings": "creditfarm.settings",
    "Workspace": "creditfarm.workspace",
    "open_workspace": "creditfarm.workspace",
    "load_policy": "creditfarm.policy.config",
    "current_assessments": "creditfarm.storage.assessments",
    "ingest_folder": "creditfarm.ingest.orchestrate",
    "train_model": "creditfarm.model.training",
    "score_households": "creditfarm.scoring.run",
    "explain_household": "creditfarm.explain.household",
    "household_card": "creditfarm.officer.households",
    "review_queue": "creditfarm.officer.review",
    "record_decision": "creditfarm.officer.review",
    "rates": "creditfarm.reports.rates",
}

if TYPE_CHECKING:
    from creditfarm.explain.household import explain_household
    from creditfarm.ingest.orchestrate import ingest_folder
    from creditfarm.model.training import train_model
    from creditfarm.officer.households import household_card
    from creditfarm.officer.review import record_decision, review_queue
    from creditfarm.policy.config import load_policy
    from creditfarm.reports.rates import rates
    from creditfarm.scoring.run import score_households
    from creditfarm.settings import Settings
    from creditfarm.storage.assessments import current_assessments
    from creditfarm.workspace import Workspace, open_workspace


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'creditfarm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
