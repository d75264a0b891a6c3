"""The wheel installs and runs on its own: one top-level package carrying the app and the
pipelines, the policy file and the migrations; nothing found through the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("creditfarm-*.whl")
    return built


def test_wheel_holds_one_package_with_the_app(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names if not n.startswith("creditfarm-")}
    assert tops == {"creditfarm"}
    for needed in (
        "creditfarm/_app/app.py",
        "creditfarm/_app/ui/page_officer.py",
        "creditfarm/_app/pipelines/pipeline.py",
        "creditfarm/policy/policy.toml",
        "creditfarm/policy/indicators.toml",
        "creditfarm/storage/migrations/env.py",
    ):
        assert needed in names, needed


def test_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    # A pure-Python wheel installs by unpacking; its dependencies come from this environment.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "ingest" in run("-m", "creditfarm", "--help")
    located = run("-c", "from creditfarm.cli.serve import app_path; print(app_path())").strip()
    assert Path(located) == target / "creditfarm" / "_app" / "app.py"
    assert "demo" in run("-m", "creditfarm._app.pipelines", "--help")
    # the package found is the installed one, not the checkout
    origin = run("-c", "import creditfarm; print(creditfarm.__file__)").strip()
    assert Path(origin).is_relative_to(target)
