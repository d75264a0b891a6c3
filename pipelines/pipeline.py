"""The pipelines, wired in one place: which named step runs after which."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from creditfarm.settings import Settings, get_settings
from creditfarm.workspace import Workspace, open_workspace
from pipelines import nodes

__all__ = ["DemoResult", "run_demo", "run_import", "run_train_and_score"]


@dataclass
class DemoResult:
    workspace: Workspace
    sample_dir: Path
    import_runs: list[Any]
    train: Any
    score: Any


def run_import(ws: Workspace, folder: Path, *, progress: Any = None) -> list[Any]:
    runs = nodes.import_folder(ws, folder, progress=progress)
    nodes.snapshot_rates(ws)
    return runs


def run_train_and_score(ws: Workspace, *, progress: Any = None) -> tuple[Any, Any]:
    trained = nodes.train_model(ws, progress=progress)
    scored = nodes.score_households(ws, model_version=trained.version, progress=progress)
    nodes.snapshot_rates(ws)
    return trained, scored


def run_demo(
    settings: Settings | None = None,
    *,
    sample_dir: Path | None = None,
    households: int | None = None,
    seed: int = 2021,
    log: Callable[[str], None] = print,
) -> DemoResult:
    """Sample county → import → train → score. With ``households`` a fresh county of that size is
    generated into data_dir/sample; otherwise the committed ``sample_data/`` is imported."""
    settings = settings or get_settings()
    ws = open_workspace(settings)
    if households is not None:
        sample_dir = nodes.generate_sample(
            settings.data_dir / f"sample-{households}-{seed}", households=households, seed=seed
        )
    sample_dir = sample_dir or Path("sample_data")
    log(f"importing {sample_dir} …")
    runs = run_import(ws, sample_dir)
    log("training …")
    trained, scored = run_train_and_score(ws)
    return DemoResult(ws, sample_dir, runs, trained, scored)
