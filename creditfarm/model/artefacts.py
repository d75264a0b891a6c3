"""Model artefacts in ``models/<version>/`` — text and JSON only, no pickles.

Files: ``model.txt`` (LightGBM text model), ``features.json`` (feature list + catalogue entries),
``calibration.json``, ``params.json``, ``policy.toml`` (snapshot), ``fingerprint.json`` (data
fingerprint), ``metrics.json``, ``model_card.md`` (English) and ``model_card.zh.md``
(中文). Versions are immutable and content-addressed,
so several workspaces may share one registry; ``models/LATEST`` names the version saved last
into the registry, whichever workspace saved it. The model a workspace scores with is its own
current version, recorded in its database (``Workspace.current_model``, ``current_bundle``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from creditfarm.features.catalogue import feature
from creditfarm.model.estimator import CreditModel
from creditfarm.workspace import Workspace

__all__ = [
    "ModelBundle",
    "current_bundle",
    "latest_version",
    "load_bundle",
    "load_model",
    "make_version",
    "model_path",
    "read_card_zh",
    "read_report",
    "save_model",
    "saved_versions",
]


@dataclass
class ModelBundle:
    """A saved model and what was saved with it."""

    version: str
    path: Path
    model: CreditModel
    metrics: dict[str, Any]
    fingerprint: dict[str, Any]


def make_version(as_of: date, model: CreditModel, fingerprint: dict[str, Any]) -> str:
    """``<as_of>-<8 hex>``: the hash covers the model text and the data fingerprint."""
    digest = hashlib.sha256()
    digest.update(model.booster_.model_to_string().encode())
    digest.update(json.dumps(fingerprint, sort_keys=True, default=str).encode())
    return f"{as_of.isoformat()}-{digest.hexdigest()[:8]}"


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def save_model(
    model_dir: Path,
    *,
    version: str,
    model: CreditModel,
    policy_file: Path,
    fingerprint: dict[str, Any],
    metrics: dict[str, Any],
    card: str,
    card_zh: str | None = None,
) -> Path:
    """Write every artefact, then point ``LATEST`` at ``version``."""
    path = Path(model_dir) / version
    path.mkdir(parents=True, exist_ok=True)
    model.booster_.save_model(str(path / "model.txt"))
    entries = []
    for name in model.feature_names_:
        try:
            entries.append(feature(name).to_dict())
        except KeyError:  # a bank's own table (evaluate): no catalogue entry
            entries.append({"name": name})
    _write_json(path / "features.json", {"features": model.feature_names_, "catalogue": entries})
    _write_json(path / "calibration.json", model.calibration_)
    _write_json(path / "params.json", model.get_params())
    shutil.copyfile(policy_file, path / "policy.toml")
    _write_json(path / "fingerprint.json", fingerprint)
    _write_json(path / "metrics.json", metrics)
    (path / "model_card.md").write_text(card, encoding="utf-8")
    if card_zh is not None:
        (path / "model_card.zh.md").write_text(card_zh, encoding="utf-8")
    (Path(model_dir) / "LATEST").write_text(version + "\n", encoding="utf-8")
    return path


def load_model(path: Path) -> CreditModel:
    """The fitted model saved in ``path`` (a version directory)."""
    path = Path(path)
    calibration = json.loads((path / "calibration.json").read_text(encoding="utf-8"))
    params = json.loads((path / "params.json").read_text(encoding="utf-8"))
    model_str = (path / "model.txt").read_text(encoding="utf-8")
    return CreditModel.from_parts(model_str=model_str, calibration=calibration, params=params)


def latest_version(model_dir: Path) -> str | None:
    pointer = Path(model_dir) / "LATEST"
    return pointer.read_text(encoding="utf-8").strip() or None if pointer.exists() else None


def saved_versions(model_dir: Path, *, current: str | None = None) -> list[str]:
    """Every version saved in ``model_dir`` (a folder with ``model.txt``): ``current`` (a
    workspace's current model; default: the one ``LATEST`` names) first, then the others newest
    first (versions start with their as-of date)."""
    root = Path(model_dir)
    found = sorted({p.parent.name for p in root.glob("*/model.txt")}, reverse=True)
    latest = current or latest_version(root)
    return ([latest] if latest in found else []) + [v for v in found if v != latest]


def read_report(model_dir: Path, version: str) -> tuple[dict[str, Any], str]:
    """The training run's figures (``metrics.json``) and model card of ``version``; ``{}`` and
    ``""`` for a file the version does not have."""
    path = Path(model_dir) / version
    metrics_file, card_file = path / "metrics.json", path / "model_card.md"
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.exists() else {}
    card = card_file.read_text(encoding="utf-8") if card_file.exists() else ""
    return metrics, card


def read_card_zh(model_dir: Path, version: str) -> str:
    """The Chinese model card of ``version``: the saved ``model_card.zh.md``, else rendered from
    its metrics (a version saved before the Chinese card existed); ``""`` without metrics."""
    from creditfarm.model.card_zh import render_card_zh

    path = Path(model_dir) / version
    saved = path / "model_card.zh.md"
    if saved.exists():
        return saved.read_text(encoding="utf-8")
    metrics, _ = read_report(model_dir, version)
    if not metrics:
        return ""
    fp = path / "fingerprint.json"
    fingerprint = json.loads(fp.read_text(encoding="utf-8")) if fp.exists() else {}
    return render_card_zh(version=version, metrics=metrics, fingerprint=fingerprint)


def model_path(model_dir: Path, version: str | None = None) -> Path:
    """The directory of ``version`` (default: ``LATEST``); a clear error when there is none."""
    version = version or latest_version(model_dir)
    if not version:
        raise FileNotFoundError(f"no trained model in {model_dir}: run `creditfarm train` first")
    path = Path(model_dir) / version
    if not (path / "model.txt").exists():
        raise FileNotFoundError(f"model version {version} not found in {model_dir}")
    return path


def load_bundle(model_dir: Path, version: str | None = None) -> ModelBundle:
    path = model_path(model_dir, version)

    def read(name: str) -> dict[str, Any]:
        file = path / name
        return json.loads(file.read_text(encoding="utf-8")) if file.exists() else {}

    return ModelBundle(
        path.name, path, load_model(path), read("metrics.json"), read("fingerprint.json")
    )


def current_bundle(ws: Workspace, version: str | None = None) -> ModelBundle:
    """``version``, or else the workspace's current model, from its registry. Never the
    registry's LATEST: in a shared registry that may be another workspace's model."""
    version = version or ws.current_model
    if not version:
        raise FileNotFoundError(
            f"no trained model in workspace {ws.id} ({ws.database}): run `creditfarm train` first"
        )
    return load_bundle(ws.model_dir, version)
