"""Named pipeline steps (nodes). Each node is a pure step over named datasets: it declares the
datasets it reads (``inputs``) and the ones it produces (``outputs``), and calls the library to do
the work; ``pipeline.py`` wires them and runs them in order. No node computes a figure of its own.

Datasets are named values in a catalogue (a dict): ``workspace`` (the bound database, payment
store and model registry), ``export_folder`` (a county's files), ``import_runs``, ``model``
(the trained version), ``assessments`` (the scoring run) and ``rate_snapshot``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the library is imported when a node runs, so `--help` stays fast
    from creditfarm.model.training import TrainResult
    from creditfarm.scoring.run import ScoreRun
    from creditfarm.storage.models import ImportRun
    from creditfarm.workspace import Workspace

__all__ = [
    "Node",
    "generate_sample",
    "import_folder",
    "score_households",
    "snapshot_rates",
    "train_model",
]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Node:
    """A named step: ``func`` is called with the ``inputs`` datasets as keyword arguments (plus
    fixed ``params``) and returns one value per name in ``outputs`` (a tuple if several)."""

    name: str
    func: Callable[..., Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: Mapping[str, Any] | None = None

    def run(self, catalogue: dict[str, Any]) -> None:
        missing = [name for name in self.inputs if name not in catalogue]
        if missing:
            raise KeyError(f"node {self.name!r} needs {', '.join(missing)}")
        result = self.func(**{n: catalogue[n] for n in self.inputs}, **(self.params or {}))
        values = result if len(self.outputs) > 1 else (result,)
        catalogue.update(zip(self.outputs, values, strict=True))


def generate_sample(*, out_dir: Path, households: int, seed: int) -> Path:
    """inputs: size, seed → outputs: export_folder (a generated county export)."""
    from creditfarm.sample import generate_county

    generate_county(out_dir, households=households, seed=seed)
    return out_dir


def import_folder(
    *, workspace: Workspace, export_folder: Path, progress: Progress | None = None
) -> list[ImportRun]:
    """inputs: workspace, export_folder → outputs: import_runs (SQL tables, Parquet payments,
    quarantine)."""
    from creditfarm.ingest import ingest_folder

    return ingest_folder(workspace, export_folder, progress=progress)


def train_model(
    *, workspace: Workspace, as_of: date | None = None, progress: Progress | None = None
) -> TrainResult:
    """inputs: workspace (imported county) → outputs: model (a version in the registry, with its
    artefacts and model card)."""
    from creditfarm.model.training import train_model as _train

    return _train(workspace, as_of=as_of, progress=progress)


def score_households(
    *,
    workspace: Workspace,
    model: TrainResult,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> ScoreRun:
    """inputs: workspace, model → outputs: assessments (one per filed household)."""
    from creditfarm.scoring.run import score_households as _score

    return _score(workspace, as_of=as_of, model_version=model.version, progress=progress)


def snapshot_rates(*, workspace: Workspace) -> int:
    """inputs: workspace (households, archives, assessments) → outputs: rate_snapshot (rows
    stored for the trend)."""
    from creditfarm.reports.rates import take_snapshot

    return take_snapshot(workspace)
