"""Fairness check: grades, limits and pre-credit rates by ethnicity, gender and poverty status.

None of these attributes is a model input (see ``features.catalogue.PROTECTED_ATTRIBUTES``); they
are read here, from the 户籍 person table (the household head) and the poverty register, only to
show whether outcomes differ between groups.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from creditfarm.features.build import CountyData

__all__ = ["GROUPINGS", "fairness_tables", "household_groups"]

GROUPINGS: dict[str, str] = {"ethnicity": "民族", "gender": "性别", "poverty": "扶贫状态"}
_UNKNOWN = "未知"


def household_groups(data: CountyData, meta: pd.DataFrame) -> pd.DataFrame:
    """Per household (index of ``meta``): the head's ethnicity and gender, and poverty status."""
    persons = data.persons.set_index("person_key")
    head = meta["head_person_key"]
    out = pd.DataFrame(index=meta.index)
    for col in ("ethnicity", "gender"):
        values = head.map(persons[col]) if len(persons) else pd.Series(None, index=head.index)
        out[col] = values.fillna(_UNKNOWN).replace("", _UNKNOWN).astype(str)
    column = "poverty_group" if "poverty_group" in meta else "poverty_status"
    poverty = meta.get(column, pd.Series("", index=meta.index)).fillna("")
    out["poverty"] = poverty.replace("", "非扶贫户").astype(str)
    return out


def fairness_tables(
    outcomes: pd.DataFrame, groups: pd.DataFrame
) -> dict[str, list[dict[str, Any]]]:
    """For each grouping: per group the household count, share of each grade, mean limit,
    pre-credit rate and credit-household rate. ``outcomes`` has grade, limit, pre_credited,
    credit_household; both frames are indexed by household_no."""
    joined = outcomes.join(groups, how="inner")
    grades = sorted(joined["grade"].unique()) if len(joined) else []
    tables: dict[str, list[dict[str, Any]]] = {}
    for grouping in GROUPINGS:
        rows = []
        for value, part in joined.groupby(grouping, sort=True):
            row: dict[str, Any] = {
                "group": str(value),
                "households": len(part),
                "mean_limit": float(part["limit"].mean()),
                "pre_credit_rate": float(part["pre_credited"].mean()),
                "credit_household_rate": float(part["credit_household"].mean()),
            }
            for grade in grades:
                row[f"grade_{grade}"] = float((part["grade"] == grade).mean())
            rows.append(row)
        tables[grouping] = rows
    return tables
