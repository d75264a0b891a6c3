"""One household's explanation, shared by ``creditfarm explain`` and the UI.

Stored contributions and reasons are read from the latest assessment; when they are missing they
are computed on demand from the assessment's stored features and the model that made it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import lightgbm as lgb
import pandas as pd
from sqlmodel import Session

from creditfarm.access import Permission, Principal, can, require
from creditfarm.explain.batch import explain_batch
from creditfarm.explain.points import PointsScale
from creditfarm.explain.policy_reasons import policy_reasons
from creditfarm.explain.views import latest_assessments
from creditfarm.identity import check_id, hash_key, mask_id, show_name
from creditfarm.model.artefacts import model_path
from creditfarm.storage.assessments import current_assessment_id
from creditfarm.storage.models import Assessment, Household, Person, Region
from creditfarm.workspace import Workspace

__all__ = ["explain_household", "find_household", "load_booster"]


def find_household(ws: Workspace, *, query: str) -> str:
    """The household number for a 户号 or for a member's resident ID (matched by its keyed
    hash). Raises LookupError with a message in Chinese when nothing matches."""
    text = query.strip()
    with Session(ws.engine) as session:
        if session.get(Household, text) is not None:
            return text
        checked = check_id(text)
        if checked.ok:
            assert checked.normalized is not None
            person = session.get(Person, hash_key(checked.normalized, ws.secret))
            if person is None or person.household_no is None:
                raise LookupError(f"未找到身份证号 {mask_id(checked.normalized)} 对应的农户")
            return person.household_no
    if len(text) in (15, 18) and text[:-1].isdigit():
        raise LookupError(f"身份证号 {mask_id(text)} 校验未通过（{checked.error}），也不是已知户号")
    raise LookupError(f"未找到户号 {text}")


def load_booster(ws: Workspace, version: str) -> lgb.Booster:
    """The LightGBM text model saved under ``models/<version>/model.txt``."""
    try:
        path = model_path(Path(ws.model_dir), version)
    except FileNotFoundError as exc:
        raise LookupError(f"模型 {version} 不存在，无法即时解释：{exc}") from exc
    return lgb.Booster(model_file=str(path / "model.txt"))


def _scale(ws: Workspace, version: str) -> PointsScale:
    """Score points of ``version`` under the workspace's policy: its calibration's slope and
    intercept (``calibration.json``; none saved: the raw score is the log-odds)."""
    file = model_path(Path(ws.model_dir), version) / "calibration.json"
    calibration = json.loads(file.read_text(encoding="utf-8")) if file.exists() else {}
    return PointsScale(
        offset=float(ws.policy.score.offset),
        factor=float(ws.policy.score.factor),
        slope=float(calibration.get("a", 1.0)),
        intercept=float(calibration.get("b", 0.0)),
    )


def _latest(ws: Workspace, session: Session, household_no: str) -> Assessment | None:
    """The current assessment (``creditfarm.storage.assessments``) of one household."""
    current = current_assessment_id(ws.engine, household_no=household_no)
    return None if current is None else session.get(Assessment, current)


def _on_demand(ws: Workspace, assessment: Assessment) -> tuple[dict[str, float], dict[str, Any]]:
    if not assessment.features:
        raise LookupError(f"户号 {assessment.household_no} 的评估未保存特征值，无法即时解释")
    booster = load_booster(ws, assessment.model_version)
    names = booster.feature_name()
    X = (
        pd.DataFrame([assessment.features])
        .reindex(columns=names)
        .apply(pd.to_numeric, errors="coerce")
    )
    peers_rows = [
        {"household_no": a.household_no, "village_code": a.village_code, **a.features}
        for a in latest_assessments(
            ws, village_code=assessment.village_code, as_of=assessment.as_of
        )
        if a.features and a.model_version == assessment.model_version
    ]
    peers = pd.DataFrame(peers_rows) if peers_rows else None
    households = pd.DataFrame(
        {"household_no": [assessment.household_no], "village_code": [assessment.village_code]}
    )
    (explained,) = explain_batch(
        booster, X, households=households, peers=peers, scale=_scale(ws, assessment.model_version)
    )
    return explained.contributions, explained.reasons


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def explain_household(ws: Workspace, *, household_no: str, principal: Principal) -> dict[str, Any]:
    """Household (ID masked; the head's name as ``principal`` may see it, as on the card),
    latest grade, score, probability, limit, policy rules (vetoes and caps, apart) and model
    reasons, as a JSON-serialisable dict."""
    require(principal, Permission.view_households)
    with Session(ws.engine) as session:
        household = session.get(Household, household_no)
        if household is None:
            raise LookupError(f"未找到户号 {household_no}")
        require(principal, Permission.view_households, village_code=household.village_code)
        assessment = _latest(ws, session, household_no)
        if assessment is None:
            raise LookupError(f"户号 {household_no} 尚无评估结果，请先运行 creditfarm score")
        head = session.get(Person, household.head_person_key) if household.head_person_key else None
        region = session.get(Region, household.village_code) if household.village_code else None
        session.expunge(assessment)
    on_demand = not assessment.contributions or not assessment.reasons
    if on_demand:
        contributions, reasons = _on_demand(ws, assessment)
    else:
        contributions, reasons = dict(assessment.contributions), dict(assessment.reasons)
        if "waterfall" not in reasons and assessment.features:
            # Stored before reasons came in score points: made again by the same model when
            # its registry still has it, else the stored ones are shown as they are.
            try:
                contributions, reasons = _on_demand(ws, assessment)
                on_demand = True
            except LookupError:
                pass
    return {
        "household_no": household_no,
        "village_code": household.village_code,
        "village_name": region.village_name if region else None,
        "town_name": region.town_name if region else None,
        "head_name": show_name(head.name, can(principal, Permission.see_names)) if head else None,
        "head_id": head.id_masked if head else None,
        "assessment": {
            "id": assessment.id,
            "as_of": _iso(assessment.as_of),
            "model_version": assessment.model_version,
            "policy_version": assessment.policy_version,
            "grade": assessment.grade,
            "score": assessment.score,
            "probability": assessment.probability,
            "pre_credit_limit": assessment.pre_credit_limit,
            "credit_household": assessment.credit_household,
            "pre_credited": assessment.pre_credited,
            "thin_file": assessment.thin_file,
        },
        "policy_rules": policy_reasons(assessment.vetoes, assessment.caps, policy=ws.policy),
        "reasons": reasons,
        "contributions": contributions,
        "computed_on_demand": on_demand,
    }
