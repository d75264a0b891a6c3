"""Households for the loan officer: one frame of every 户籍 household with its latest assessment,
search over it, and the household card (members, archive facts, sources, grade history).

Everything that leaves this module is masked: IDs 前6后4, phones 前3后4; names are shown in
full only to the loan-officer role (they work with the farmers by name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import text

from creditfarm.access import Permission, Principal, can, require
from creditfarm.identity import age_on, check_id, hash_key, mask_phone, normalize_text, show_name
from creditfarm.ingest.contract import GOVERNMENT_SOURCES, SOURCES
from creditfarm.storage import paystore
from creditfarm.storage.assessments import as_list
from creditfarm.storage.current_line import SOURCE_ZH, current_lines
from creditfarm.workspace import Workspace

__all__ = [
    "STATUSES",
    "HouseholdCard",
    "household_card",
    "household_frame",
    "latest_assessments",
    "members_frame",
    "search_households",
    "show_name",
    "village_options",
]

# Search filters on status (code → label shown in the UI).
STATUSES: dict[str, str] = {
    "filed": "已建档",
    "unfiled": "未建档",
    "scored": "已评级",
    "credit_household": "信用户",
    "pre_credited": "已预授信",
    "vetoed": "有否决项",
    "thin_file": "无借贷记录(薄档案)",
}


_ASSESSMENT_COLUMNS = [
    "assessment_id",
    "as_of",
    "model_version",
    "probability",
    "score",
    "grade",
    "credit_household",
    "pre_credit_limit",
    "pre_credited",
    "thin_file",
    "vetoes",
]


def _read(ws: Workspace, sql: str, **params: Any) -> pd.DataFrame:
    with ws.engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params or None)


_LINE_COLUMNS = [
    "model_limit",
    "model_credit_household",
    "line_source",
    "decided_by",
    "decision_id",
    "pending_decision_id",
    "decision_version",
]


def latest_assessments(ws: Workspace) -> pd.DataFrame:
    """The current assessment of each household (``creditfarm.storage.assessments``), one row
    per household, columns ``_ASSESSMENT_COLUMNS`` plus household_no, with the **current
    line** (``creditfarm.storage.current_line``) in ``pre_credit_limit``, ``credit_household``
    and ``pre_credited``; the model's own beside it (``model_limit``,
    ``model_credit_household``), ``line_source`` (人工决定 / 模型), ``decided_by``, the
    effective and pending decision ids and the assessment's ``decision_version``."""
    extra = ["as_of", "model_version", "probability", "score", "grade", "thin_file", "vetoes"]
    lines = current_lines(ws.engine, extra=extra)
    frame = lines.assign(
        pre_credit_limit=lines["line"],
        line_source=lines["source"].map(SOURCE_ZH),
    )[["household_no", *_ASSESSMENT_COLUMNS, *_LINE_COLUMNS]].copy()
    for col in ("decision_id", "pending_decision_id", "decision_version"):
        frame[col] = frame[col].astype("Int64")
    return frame


def members_frame(ws: Workspace) -> pd.DataFrame:
    """Every person with a household: household_no, person_key, name, relation, id_masked
    (the ID itself is sealed at rest and never leaves the database here)."""
    return _read(
        ws,
        "SELECT household_no, person_key, name, relation_to_head, id_masked, birth_date "
        "FROM person WHERE household_no IS NOT NULL",
    )


def household_frame(ws: Workspace) -> pd.DataFrame:
    """One row per 户籍 household: village, town, head, member count, filed (has an archive),
    the archive's own village, household size and head name beside the 户籍 name of the person
    it was filed under (for conflict checks), and the latest
    assessment (NaN where not scored). Holds unmasked head names: mask before display."""
    households = _read(
        ws,
        """
        SELECT h.household_no, h.village_code, h.head_person_key,
               r.village_name, r.town_code, r.town_name, r.county_code, r.county_name,
               p.name AS head_name
        FROM household h
        LEFT JOIN region r ON r.village_code = h.village_code
        LEFT JOIN person p ON p.person_key = h.head_person_key
        """,
    )
    counts = _read(
        ws,
        "SELECT household_no, COUNT(*) AS members FROM person "
        "WHERE household_no IS NOT NULL GROUP BY household_no",
    )
    # One archive per household is the norm; where two members each filed one, keep the newest.
    archives = _read(
        ws,
        "SELECT a.household_no, a.village_code AS archive_village_code, "
        "a.household_size AS archive_household_size, a.head_name AS archive_head_name, "
        "p.name AS archive_person_name, a.filed_date "
        "FROM archive a LEFT JOIN person p ON p.person_key = a.head_person_key "
        "WHERE a.household_no IS NOT NULL ORDER BY a.filed_date",
    ).drop_duplicates("household_no", keep="last")
    frame = households.merge(counts, on="household_no", how="left")
    frame["members"] = frame["members"].fillna(0).astype(int)
    frame = frame.merge(archives, on="household_no", how="left")
    frame["filed"] = frame["filed_date"].notna()
    frame["head_name"] = frame["head_name"].fillna(frame["archive_head_name"]).fillna("")
    latest = latest_assessments(ws)
    frame = frame.merge(latest, on="household_no", how="left")
    frame["scored"] = frame["assessment_id"].notna()
    for col in ("credit_household", "pre_credited", "thin_file"):
        frame[col] = frame[col].astype("boolean").fillna(False).astype(bool)
    frame["vetoes"] = frame["vetoes"].map(lambda v: v if isinstance(v, list) else [])
    frame["vetoed"] = frame["vetoes"].map(bool)
    return frame.sort_values("household_no", kind="stable").reset_index(drop=True)


def village_options(ws: Workspace) -> pd.DataFrame:
    """Villages for pickers: village_code, village_name, town_name, label (镇 · 村)."""
    frame = _read(
        ws,
        "SELECT village_code, village_name, town_name FROM region ORDER BY town_name, village_code",
    )
    frame["label"] = frame["town_name"].fillna("") + " · " + frame["village_name"].fillna("")
    return frame


def _id_matcher(query: str, secret: str) -> Any:
    """A predicate on a member row (person_key, id_masked) for what an officer may type: a full
    ID (matched through its keyed hash: IDs are sealed at rest), a masked ID (前6后4 with
    stars), or a fragment of at most the first 6 or the last 4 characters (what the mask
    keeps; a longer fragment would need every ID opened)."""
    value = normalize_text(query).upper()
    checked = check_id(value)
    if checked.ok:
        assert checked.normalized is not None
        key = hash_key(checked.normalized, secret)
        return lambda person_key, masked: person_key == key
    if "*" in value:
        head, _, tail = value.partition("*")
        tail = tail.strip("*")
        return lambda person_key, masked: masked.startswith(head[:6]) and masked.endswith(tail[-4:])
    return lambda person_key, masked: (
        (len(value) <= 6 and masked.startswith(value))
        or (len(value) <= 4 and masked.endswith(value))
    )


def search_households(
    ws: Workspace,
    *,
    name: str | None = None,
    id_query: str | None = None,
    village_code: str | None = None,
    grade: str | None = None,
    status: str | None = None,
    principal: Principal,
    limit: int | None = 500,
    frame: pd.DataFrame | None = None,
    members: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Households matching every given filter, masked for display.

    ``name`` matches any member's name (substring); ``id_query`` any member's ID (full, masked
    前6后4 or a leading/trailing fragment); ``status`` is a key of ``STATUSES``. ``frame`` and
    ``members`` let a caller pass cached ``household_frame`` / ``members_frame`` results.
    """
    require(principal, Permission.view_households, village_code=village_code)
    full = can(principal, Permission.see_names)
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    hh = household_frame(ws) if frame is None else frame
    mask = pd.Series(True, index=hh.index)
    if name or id_query:
        people = members_frame(ws) if members is None else members
        hit = pd.Series(True, index=people.index)
        if name:
            hit &= people["name"].fillna("").str.contains(normalize_text(name), regex=False)
        if id_query:
            match = _id_matcher(id_query, ws.secret)
            hit &= pd.Series(
                [
                    bool(match(k, m or ""))
                    for k, m in zip(people["person_key"], people["id_masked"], strict=True)
                ],
                index=people.index,
                dtype=bool,
            )
        mask &= hh["household_no"].isin(people.loc[hit, "household_no"])
    if village_code:
        mask &= hh["village_code"] == village_code
    if principal.villages is not None:  # an officer searches their own villages only
        mask &= hh["village_code"].isin(principal.villages)
    if grade:
        mask &= hh["grade"] == grade
    if status == "unfiled":
        mask &= ~hh["filed"]
    elif status is not None:
        mask &= hh[status].astype(bool)
    found = hh[mask] if limit is None else hh[mask].head(limit)
    heads = (members_frame(ws) if members is None else members).set_index("person_key")["id_masked"]
    head_ids = found["head_person_key"].map(heads)
    return pd.DataFrame(
        {
            "household_no": found["household_no"],
            "village_code": found["village_code"],
            "village_name": found["village_name"],
            "town_name": found["town_name"],
            "head_name": found["head_name"].map(lambda n: show_name(n, full)),
            "head_id_masked": head_ids.map(lambda v: v if isinstance(v, str) else ""),
            "members": found["members"],
            "filed": found["filed"],
            "grade": found["grade"],
            "score": found["score"],
            "probability": found["probability"],
            "pre_credit_limit": found["pre_credit_limit"],
            "line_source": found["line_source"],
            "credit_household": found["credit_household"],
            "thin_file": found["thin_file"],
            "vetoed": found["vetoed"],
        }
    ).reset_index(drop=True)


@dataclass
class HouseholdCard:
    """What the loan officer sees of one household (masked)."""

    household_no: str
    village_code: str | None
    village_name: str | None
    town_name: str | None
    head_name: str
    members: list[dict[str, Any]]
    archive: dict[str, Any] | None  # archive facts, phone masked; None when not filed
    sources: list[dict[str, Any]]  # {source, title, present, rows}
    payments: dict[str, Any]  # {transactions, first, last}
    assessment: dict[str, Any] | None  # the latest assessment, with contributions and reasons
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # every assessment, newest first
    # The current line (``storage.current_line``): line, credit_household, pre_credited,
    # source (decision | model), source_zh, decided_by, decision ids, decision_version (the
    # version a decision on this card names), model_limit. None when not scored.
    line: dict[str, Any] | None = None


_ARCHIVE_FIELDS = [
    "archive_id",
    "filed_date",
    "village_code",
    "phone",
    "household_size",
    "labor_count",
    "head_education",
    "main_industry",
    "main_crops",
    "land_area_mu",
    "transferred_in_mu",
    "livestock_units",
    "house_type",
    "machinery_value",
    "annual_income",
    "annual_expense",
    "deposits",
    "other_debt",
    "village_evaluation",
    "collector",
]


def _age(born: Any, on: date) -> int | None:
    if born is None or (isinstance(born, float) and pd.isna(born)):
        return None
    return age_on(pd.Timestamp(born).date(), on)


def household_card(ws: Workspace, *, household_no: str, principal: Principal) -> HouseholdCard:
    """The card of one household; raises KeyError when the 户号 is unknown and
    ``AccessDenied`` when the acting person may not see it."""
    require(principal, Permission.view_households)
    full = can(principal, Permission.see_names)
    head = _read(
        ws,
        "SELECT h.household_no, h.village_code, h.head_person_key, r.village_name, r.town_name "
        "FROM household h LEFT JOIN region r ON r.village_code = h.village_code "
        "WHERE h.household_no = :hh",
        hh=household_no,
    )
    if head.empty:
        raise KeyError(f"户号 {household_no} 不存在")
    row = head.iloc[0]
    require(principal, Permission.view_households, village_code=row["village_code"])
    people = _read(
        ws,
        "SELECT person_key, name, relation_to_head, id_masked, birth_date FROM person "
        "WHERE household_no = :hh ORDER BY CASE WHEN relation_to_head = '户主' THEN 0 ELSE 1 END, "
        "birth_date",
        hh=household_no,
    )
    history = _read(
        ws,
        "SELECT id AS assessment_id, as_of, model_version, policy_version, probability, score, "
        "grade, credit_household, pre_credit_limit, pre_credited, thin_file, created_at "
        "FROM assessment WHERE household_no = :hh ORDER BY as_of DESC, id DESC",
        hh=household_no,
    )
    history["as_of"] = pd.to_datetime(history["as_of"]).dt.date
    history["created_at"] = pd.to_datetime(history["created_at"], utc=True, format="ISO8601")
    for col in ("credit_household", "pre_credited", "thin_file"):
        history[col] = history[col].astype(bool)
    as_of = pd.Timestamp(history["as_of"].iloc[0]).date() if not history.empty else date.today()
    members = [
        {
            "name": show_name(p.name, full),
            "relation": p.relation_to_head or "",
            "id_masked": p.id_masked if isinstance(p.id_masked, str) else "",
            "age": _age(p.birth_date, as_of),
        }
        for p in people.itertuples()
    ]
    keys = list(people["person_key"])
    head_name = next(
        (m["name"] for m, k in zip(members, keys, strict=True) if k == row["head_person_key"]),
        members[0]["name"] if members else "",
    )
    archive = _archive(ws, household_no)
    sources = _sources(ws, keys, filed=archive is not None)
    payments = _payments(ws, keys)
    sources.insert(
        2,
        {
            "source": "payments",
            "title": SOURCES["payments"].title,
            "present": payments["transactions"] > 0,
            "rows": payments["transactions"],
        },
    )
    assessment = None
    if not history.empty:
        assessment = _assessment(ws, int(history["assessment_id"].iloc[0]))
    return HouseholdCard(
        household_no=household_no,
        village_code=row["village_code"],
        village_name=row["village_name"],
        town_name=row["town_name"],
        head_name=str(head_name),
        members=members,
        archive=archive,
        sources=sources,
        payments=payments,
        assessment=assessment,
        history=history,
        line=_line(ws, household_no),
    )


def _line(ws: Workspace, household_no: str) -> dict[str, Any] | None:
    lines = current_lines(ws.engine, household_no=household_no)
    if lines.empty:
        return None
    record = lines.iloc[0].to_dict()
    record["source_zh"] = SOURCE_ZH[record["source"]]
    for col in ("decision_id", "pending_decision_id"):
        record[col] = None if pd.isna(record[col]) else int(record[col])
    record["decision_version"] = int(record["decision_version"])
    return record


def _archive(ws: Workspace, household_no: str) -> dict[str, Any] | None:
    frame = _read(
        ws,
        "SELECT * FROM archive WHERE household_no = :hh ORDER BY filed_date DESC",
        hh=household_no,
    )
    if frame.empty:
        return None
    record = frame.iloc[0].to_dict()
    facts = {k: record.get(k) for k in _ARCHIVE_FIELDS}
    # Sealed at rest: opened here only to be masked (前3后4) for the card.
    facts["phone"] = mask_phone(ws.sealer.open(facts["phone"])) if facts["phone"] else None
    return {k: (None if _isna(v) else v) for k, v in facts.items()}


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _in_clause(keys: list[str]) -> tuple[str, dict[str, str]]:
    names = {f"k{i}": k for i, k in enumerate(keys)}
    return ", ".join(f":{n}" for n in names) or "NULL", names


def _sources(ws: Workspace, keys: list[str], *, filed: bool) -> list[dict[str, Any]]:
    """Which sources hold rows for these persons (户籍 always does)."""
    clause, params = _in_clause(keys)
    gov = _read(
        ws,
        f"SELECT source, COUNT(*) AS n FROM govrecord WHERE person_key IN ({clause}) "
        "GROUP BY source",
        **params,
    )
    gov_counts = dict(zip(gov["source"], gov["n"], strict=True))
    loans = _read(ws, f"SELECT COUNT(*) AS n FROM loan WHERE person_key IN ({clause})", **params)
    cards = _read(ws, f"SELECT COUNT(*) AS n FROM card WHERE person_key IN ({clause})", **params)
    out = [
        {"source": "hukou", "title": SOURCES["hukou"].title, "present": True, "rows": len(keys)},
        {
            "source": "archive",
            "title": SOURCES["archive"].title,
            "present": filed,
            "rows": int(filed),
        },
        {
            "source": "cards",
            "title": SOURCES["cards"].title,
            "present": int(cards["n"].iloc[0]) > 0,
            "rows": int(cards["n"].iloc[0]),
        },
        {
            "source": "loans",
            "title": SOURCES["loans"].title,
            "present": int(loans["n"].iloc[0]) > 0,
            "rows": int(loans["n"].iloc[0]),
        },
    ]
    for name in GOVERNMENT_SOURCES:
        n = int(gov_counts.get(name, 0))
        out.append({"source": name, "title": SOURCES[name].title, "present": n > 0, "rows": n})
    return out


def _payments(ws: Workspace, keys: list[str]) -> dict[str, Any]:
    """Service-point transactions of these persons: count and first/last date (from the
    store's per-person summaries, ``paystore.person_activity``)."""
    n, first, last = paystore.person_activity(ws.payments_root, keys)
    if not n or first is None or last is None:
        return {"transactions": 0, "first": None, "last": None}
    return {"transactions": n, "first": first.date(), "last": last.date()}


def _assessment(ws: Workspace, assessment_id: int) -> dict[str, Any]:
    frame = _read(ws, "SELECT * FROM assessment WHERE id = :id", id=assessment_id)
    record = frame.iloc[0].to_dict()
    for col in ("vetoes", "caps"):
        record[col] = as_list(record.get(col))
    for col in ("features", "contributions", "reasons"):
        value = record.get(col)
        if isinstance(value, str):
            value = json.loads(value)
        record[col] = value or {}
    for col in ("credit_household", "pre_credited", "thin_file"):
        record[col] = bool(record[col])
    record["as_of"] = pd.Timestamp(record["as_of"]).date()
    return record
