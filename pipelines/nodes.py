"""Named pipeline steps. Each is a small function with declared inputs and outputs that calls the
library; `pipeline.py` wires them. No step computes a figure of its own."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from creditfarm.workspace import Workspace

__all__ = ["generate_sample", "import_folder", "score_households", "snapshot_rates", "train_model"]


def generate_sample(out_dir: Path, *, households: int, seed: int) -> Path:
    """inputs: size, seed → outputs: a county export folder."""
    from creditfarm.sample import generate_county

    generate_county(out_dir, households=households, seed=seed)
    return out_dir


def import_folder(ws: Workspace, folder: Path, *, progress: Any = None) -> list[Any]:
    """inputs: export folder → outputs: import runs (SQL tables, Parquet payments, quarantine)."""
    from creditfarm.ingest import ingest_folder

    return ingest_folder(ws, folder, progress=progress)


def train_model(ws: Workspace, *, as_of: date | None = None, progress: Any = None) -> Any:
    """inputs: imported county → outputs: models/<version>/ artefacts and model card."""
    from creditfarm.model.training import train_model as _train

    return _train(ws, as_of=as_of, progress=progress)


def score_households(
    ws: Workspace,
    *,
    as_of: date | None = None,
    model_version: str | None = None,
    progress: Any = None,
) -> Any:
    """inputs: imported county + model → outputs: one assessment per filed household."""
    from creditfarm.scoring.run import score_households as _score

    return _score(ws, as_of=as_of, model_version=model_version, progress=progress)


def snapshot_rates(ws: Workspace) -> None:
    """inputs: households, archives, assessments → outputs: a rate snapshot for trends."""
    from creditfarm.reports.rates import take_snapshot

    take_snapshot(ws)
