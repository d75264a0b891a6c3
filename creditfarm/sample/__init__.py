"""Seeded sample county: the files a county's bank, card network and government departments
hand over, messy as real exports are (see ``creditfarm.sample.county.generate_county``)."""

from __future__ import annotations

from creditfarm.sample.county import generate_county
from creditfarm.sample.people import EXPORT_DATE
from creditfarm.sample.summary import QUARANTINE_KINDS, CountySummary

__all__ = ["EXPORT_DATE", "QUARANTINE_KINDS", "CountySummary", "generate_county"]
