"""The small county the app tests run against: generated, imported, trained and scored once per
test process through the lead's pipeline (`pipelines.pipeline.run_demo`), then exposed to the
app through the environment (CREDITFARM_DATA_DIR / _DATABASE_URL / _MODEL_DIR / _SECRET_KEY)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from creditfarm.settings import Settings

# Training needs at least 20 bad outcomes in time and 10 out of time (creditfarm.model.training
# MIN_BADS_*): a generated county of 1,500 households is about the smallest that has them.
APP_COUNTY_HOUSEHOLDS = int(os.environ.get("CREDITFARM_TEST_APP_HOUSEHOLDS", "1500"))
APP_COUNTY_SEED = 7
SECRET = "test-secret"


@dataclass(frozen=True)
class AppCounty:
    settings: Settings
    env: dict[str, str]
    sample_dir: Path


_BUILT: dict[str, AppCounty] = {}


def build_app_county(root: Path) -> AppCounty:
    """Run sample → import → train → score into ``root`` (once per process)."""
    if "county" in _BUILT:
        return _BUILT["county"]
    from pipelines.pipeline import run_demo

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = Settings(
        data_dir=root / "data",
        model_dir=root / "models",
        secret_key=SECRET,
        demo_mode=True,
        _env_file=None,  # type: ignore[call-arg]
    )
    result = run_demo(
        settings, households=APP_COUNTY_HOUSEHOLDS, seed=APP_COUNTY_SEED, log=lambda _msg: None
    )
    result.workspace.engine.dispose()
    env = {
        "CREDITFARM_DATA_DIR": str(settings.data_dir),
        "CREDITFARM_DATABASE_URL": settings.database_url,
        "CREDITFARM_MODEL_DIR": str(settings.model_dir),
        "CREDITFARM_SECRET_KEY": SECRET,
        "OMP_NUM_THREADS": "1",
    }
    _BUILT["county"] = AppCounty(settings, env, result.sample_dir)
    return _BUILT["county"]
