"""The pipelines, wired in one place: which named step runs after which, over which datasets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import nodes
from .nodes import Node

if TYPE_CHECKING:
    from creditfarm.model.training import TrainResult
    from creditfarm.scoring.run import ScoreRun
    from creditfarm.settings import Settings
    from creditfarm.storage.models import ImportRun
    from creditfarm.workspace import Workspace

__all__ = [
    "IMPORT",
    "TRAIN_AND_SCORE",
    "DemoResult",
    "run",
    "run_demo",
    "run_import",
    "run_train_and_score",
]

IMPORT: tuple[Node, ...] = (
    Node("import", nodes.import_folder, ("workspace", "export_folder"), ("import_runs",)),
    Node("snapshot_after_import", nodes.snapshot_rates, ("workspace",), ("rate_snapshot",)),
)
"""An export folder into the workspace, then a rate snapshot."""
TRAIN_AND_SCORE: tuple[Node, ...] = (
    Node("train", nodes.train_model, ("workspace",), ("model",)),
    Node("score", nodes.score_households, ("workspace", "model"), ("assessments",)),
    Node("snapshot_after_scoring", nodes.snapshot_rates, ("workspace",), ("rate_snapshot",)),
)
"""Train on the imported county, score every filed household with that model, snapshot."""


def run(pipeline: Sequence[Node], catalogue: dict[str, Any]) -> dict[str, Any]:
    """Run the nodes in order over ``catalogue`` (updated in place and returned)."""
    for node in pipeline:
        node.run(catalogue)
    return catalogue


@dataclass
class DemoResult:
    workspace: Workspace
    sample_dir: Path
    import_runs: list[ImportRun]
    train: TrainResult
    score: ScoreRun


def run_import(
    ws: Workspace, folder: Path, *, progress: Callable[[int, int, str], None] | None = None
) -> list[ImportRun]:
    """``IMPORT`` on one folder; ``progress(done, total, label)`` follows the import step."""
    steps = [
        replace(node, params={"progress": progress}) if node.name == "import" else node
        for node in IMPORT
    ]
    runs: list[ImportRun] = run(steps, {"workspace": ws, "export_folder": folder})["import_runs"]
    return runs


def run_train_and_score(ws: Workspace) -> tuple[TrainResult, ScoreRun]:
    out = run(TRAIN_AND_SCORE, {"workspace": ws})
    return out["model"], out["assessments"]


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
    from creditfarm.settings import get_settings
    from creditfarm.workspace import open_workspace

    settings = settings or get_settings()
    ws = open_workspace(settings)
    if households is not None:
        sample_dir = nodes.generate_sample(
            out_dir=settings.data_dir / f"sample-{households}-{seed}",
            households=households,
            seed=seed,
        )
    sample_dir = sample_dir or Path("sample_data")
    log(f"importing {sample_dir} …")
    runs = run_import(ws, sample_dir)
    if settings.demo_mode:
        from creditfarm.accounts.demo import ensure_demo_accounts

        made = ensure_demo_accounts(ws)
        if made:
            log(f"demo accounts: {', '.join(made)} (passwords: <user>-demo; see README)")
    log("training …")
    trained, scored = run_train_and_score(ws)
    return DemoResult(ws, sample_dir, runs, trained, scored)
