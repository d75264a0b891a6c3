"""Paths into the checkout, so a test reads the same files wherever its folder sits."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ui"
SAMPLE_DATA = ROOT / "sample_data"
# The hand-written county of tests/fixtures/county (户籍, 行政区划 and one archive file).
COUNTY = ROOT / "tests" / "fixtures" / "county"
