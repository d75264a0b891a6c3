"""Fixtures of the app tests (AppTest pages and the browser): the small county, built once per
test process (tests.helpers.app_county)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from creditfarm.settings import get_settings
from tests.helpers.app_county import AppCounty, build_app_county


@pytest.fixture(scope="session", name="app_county")
def app_county_fixture(tmp_path_factory: pytest.TempPathFactory) -> AppCounty:
    """The prepared county (built once per test process)."""
    return build_app_county(tmp_path_factory.getbasetemp() / "app-county")


@pytest.fixture(name="app_env")
def app_env_fixture(app_county: AppCounty, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppCounty]:
    """The county, with the environment pointing the app (and get_settings) at it for one test
    only, so no other test sees these settings."""
    for key, value in app_county.env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        yield app_county
    finally:
        get_settings.cache_clear()
