"""What every page shares: the cached workspace, cached library results keyed by the data stamp
(``creditfarm.reports.freshness``: a new import, scoring run or decision shows at once), Chinese
column labels and display formatting.

Pages render what library functions return; nothing here queries a table or computes a business
figure (``tests/test_ui_boundaries.py`` checks).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from creditfarm.access import Principal
from creditfarm.display.formatting import fmt_date, fmt_pct, fmt_prob, fmt_score, fmt_yuan
from creditfarm.officer import households, review
from creditfarm.reports import credit_village, indicators, trend
from creditfarm.reports.freshness import data_stamp
from creditfarm.reports.rates import Level, rates
from ui.state import audit, current_principal, origin, page_principal, workspace

__all__ = [
    "LABELS",
    "audit",
    "cached_credit_villages",
    "cached_households",
    "cached_indicators",
    "cached_members",
    "cached_queue",
    "cached_rates",
    "cached_trend",
    "current_principal",
    "data_stamp",
    "display",
    "fmt_points",
    "local_time",
    "numeric_table",
    "origin",
    "page_principal",
    "sortable",
    "workspace",
]

# Chinese column headers for every table a page shows.
LABELS: dict[str, str] = {
    "household_no": "户号",
    "village_code": "村代码",
    "village_name": "村",
    "town_name": "乡镇",
    "head_name": "户主",
    "head_id_masked": "户主身份证号",
    "members": "人口",
    "filed": "已建档",
    "grade": "等级",
    "previous_grade": "上次等级",
    "score": "评分",
    "probability": "违约概率",
    "pre_credit_limit": "预授信额度",
    "credit_household": "信用户",
    "thin_file": "薄档案",
    "vetoed": "有否决项",
    "reason_text": "复核原因",
    "code": "代码",
    "name": "名称",
    "households": "户籍户数",
    "pre_credited": "已预授信户数",
    "filing_rate": "建档率",
    "pre_credit_rate": "预授信率",
    "villages": "行政村数",
    "villages_with_point": "有服务点村数",
    "service_coverage": "村村有服务覆盖率",
    "txns": "服务点交易笔数",
    "txns_per_household": "户均交易笔数",
    "using_households": "使用服务点户数",
    "use_share": "使用服务点户占比",
    "insured_households": "参加农业保险户数",
    "insurance_coverage": "农业保险覆盖率",
    "credit_households": "信用户数",
    "credit_household_share": "信用户占比",
    "borrowers": "借款户数",
    "borrowers_without_arrears": "借款户无欠息占比",
    "non_performing_ratio": "不良贷款率",
    "credit_village": "信用村",
    "credit_villages": "信用村数",
    "credit_village_share": "信用村占比",
    "credit_town": "信用乡(镇)",
    "borrower": "借款户",
    "in_arrears": "有欠息",
    "loan_balance": "贷款余额",
    "npl_balance": "不良贷款余额",
    "as_of": "评估日",
    "label": "指标",
    "value": "数值",
    "threshold": "标准",
    "comparison": "比较",
    "passed": "达标",
    "model_version": "模型版本",
    "created_at": "评估时间",
    "action_label": "处理",
    "decided_limit": "决定额度",
    "reason": "理由",
    "decided_by": "经办人",
    "decided_at": "时间",
    "month_end": "月份",
    "filing_mom": "建档率比上月(百分点)",
    "filing_yoy": "建档率同比(百分点)",
    "pre_credit_mom": "预授信率比上月(百分点)",
    "pre_credit_yoy": "预授信率同比(百分点)",
    "filing_gap": "建档率与目标差距(百分点)",
    "pre_credit_gap": "预授信率与目标差距(百分点)",
    "year": "评定年度",
    "status": "评定情况",
    "result": "评定结果",
    "line_source": "额度来源",
    "model_limit": "模型额度",
    "status_label": "状态",
    "approval_text": "需审批原因",
    "reviewed_by": "审批人",
    "reviewed_at": "审批时间",
    "review_note": "审批意见",
    "reason_label": "原因",
    "households_count": "户数",
}

_PCT = {
    "filing_rate",
    "pre_credit_rate",
    "service_coverage",
    "use_share",
    "insurance_coverage",
    "credit_household_share",
    "borrowers_without_arrears",
    "non_performing_ratio",
    "credit_village_share",
}
_YUAN = {"pre_credit_limit", "loan_balance", "npl_balance", "decided_limit"}
_BOOL = {
    "filed",
    "credit_household",
    "thin_file",
    "vetoed",
    "credit_village",
    "credit_town",
    "borrower",
    "in_arrears",
    "passed",
    "pre_credited_flag",
}


@st.cache_data(show_spinner=False, max_entries=4)
def cached_households(stamp: tuple[Any, ...]) -> pd.DataFrame:
    return households.household_frame(workspace())


@st.cache_data(show_spinner=False, max_entries=4)
def cached_members(stamp: tuple[Any, ...]) -> pd.DataFrame:
    return households.members_frame(workspace())


@st.cache_data(show_spinner=False, max_entries=8)
def cached_queue(
    stamp: tuple[Any, ...],
    principal: Principal,
    village_code: str | None = None,
    officer: str | None = None,
) -> pd.DataFrame:
    ws = workspace()
    return review.review_queue(
        ws,
        principal=principal,
        village_code=village_code,
        officer=officer,
        frame=cached_households(stamp),
    )


@st.cache_data(show_spinner=False, max_entries=8)
def cached_rates(stamp: tuple[Any, ...], level: Level) -> pd.DataFrame:
    return rates(workspace(), level=level)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_indicators(stamp: tuple[Any, ...], level: str) -> pd.DataFrame:
    return indicators.indicators(workspace(), level=level)


@st.cache_data(show_spinner=False, max_entries=4)
def cached_trend(stamp: tuple[Any, ...]) -> pd.DataFrame:
    """The county's trend by month (as of each month's end of the data)."""
    return trend.rate_trend(workspace())


@st.cache_data(show_spinner=False, max_entries=4)
def cached_credit_villages(
    stamp: tuple[Any, ...], principal: Principal
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(per-household facts, villages, towns) of the villages ``principal`` covers."""
    ws = workspace()
    facts = credit_village.village_households(
        ws, principal=principal, frame=cached_households(stamp)
    )
    villages = credit_village.assess_villages(ws, households=facts)
    return facts, villages, credit_village.assess_towns(ws, villages=villages)


def display(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """A copy for st.dataframe: chosen columns, numbers formatted the Chinese way, Chinese
    headers."""
    frame = frame[columns] if columns else frame
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        values = frame[col]
        if col in _PCT:
            out[col] = values.map(fmt_pct)
        elif col in _YUAN:
            out[col] = values.map(fmt_yuan)
        elif col == "probability":
            out[col] = values.map(fmt_prob)
        elif col == "score":
            out[col] = values.map(fmt_score)
        elif col in _BOOL and _is_flag(values):
            out[col] = values.map(lambda v: "是" if bool(v) and not pd.isna(v) else "否")
        elif col in ("created_at", "decided_at", "taken_at"):
            out[col] = values.map(_local_time)
        elif col == "grade":
            out[col] = values.fillna("未评级")
        else:
            out[col] = values
    labels = dict(LABELS)
    if "filed" in frame.columns and not _is_flag(frame["filed"]):
        labels["filed"] = "已建档户数"  # rates: a count, not a flag
    return out.rename(columns=labels).reset_index(drop=True)


_POINTS = {
    "filing_mom",
    "filing_yoy",
    "pre_credit_mom",
    "pre_credit_yoy",
    "filing_gap",
    "pre_credit_gap",
}
_COUNTS = {"households", "filed", "pre_credited", "credit_households", "borrowers", "villages"}


def sortable(
    frame: pd.DataFrame, columns: list[str] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A copy for st.dataframe that keeps numbers as numbers, so a column sorts by value (9万元
    below 13.1万元, 9.5% below 61.4%): shares as percentages (61.4, shown 61.4%), changes in
    percentage points, amounts in 元, dates as dates (2022年6月30日); with the column_config
    that shows them. Flags read 是 / 否; headers in Chinese."""
    frame = frame[columns] if columns else frame
    out = pd.DataFrame(index=frame.index)
    labels = dict(LABELS)
    if "filed" in frame.columns and not _is_flag(frame["filed"]):
        labels["filed"] = "已建档户数"  # rates: a count, not a flag
    config: dict[str, Any] = {}
    for col in frame.columns:
        values = frame[col]
        label = labels.get(col, col)
        if col in _PCT:
            out[col] = pd.to_numeric(values, errors="coerce") * 100
            config[label] = st.column_config.NumberColumn(label, format="%.1f%%")
        elif col in _POINTS:
            out[col] = pd.to_numeric(values, errors="coerce")
            config[label] = st.column_config.NumberColumn(label, format="%+.1f")
        elif col in _YUAN:
            out[col] = pd.to_numeric(values, errors="coerce")
            label = f"{label}(元)"
            config[label] = st.column_config.NumberColumn(label, format="localized")
        elif col in _COUNTS and not _is_flag(values):
            out[col] = pd.to_numeric(values, errors="coerce")
            config[label] = st.column_config.NumberColumn(label, format="localized")
        elif col in _BOOL and _is_flag(values):
            out[col] = values.map(lambda v: "是" if bool(v) and not pd.isna(v) else "否")
        elif col == "month_end":
            out[col] = pd.to_datetime(values)
            config[label] = st.column_config.DateColumn(label, format="YYYY年M月")
        elif col == "as_of":
            out[col] = pd.to_datetime(values)
            config[label] = st.column_config.DateColumn(label, format="YYYY年M月D日")
        elif col == "grade":
            out[col] = values.fillna("未评级")
        else:
            out[col] = values
        labels[col] = label
    return out.rename(columns=labels).reset_index(drop=True), config


# How numbers are shown while they stay numbers: the table's display text comes from the
# display formatters through a pandas Styler (8.4万元, 75.8, 3.72%; a missing value as —),
# the values underneath stay numeric, so a column sorts as numbers (9万 below 13.1万).
_NUMBER_FORMATS: dict[str, Any] = {
    **dict.fromkeys(_YUAN | {"model_limit"}, fmt_yuan),
    "score": fmt_score,
    "probability": fmt_prob,
    "members": lambda v: f"{int(v):,}",
    "households_count": lambda v: f"{int(v):,}",
}
_MISSING_TEXT = "—"


def numeric_table(frame: pd.DataFrame, columns: list[str]) -> tuple[Any, dict[str, Any]]:
    """(a Styler for st.dataframe with Chinese headers, its column_config): amounts, scores and
    probabilities stay numbers shown the Chinese way (so they sort as numbers), yes/no columns
    stay booleans (checkboxes), times are shown in China Standard Time, a missing grade is
    未评级 and any other missing value —."""
    out = frame[columns].copy()
    config: dict[str, Any] = {}
    formats: dict[str, Any] = {}
    for col in columns:
        label = LABELS.get(col, col)
        if col in _NUMBER_FORMATS:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
            formats[label] = _NUMBER_FORMATS[col]
        elif col in _BOOL and _is_flag(out[col]):
            out[col] = out[col].astype("boolean").fillna(False).astype(bool)
            config[label] = st.column_config.CheckboxColumn(label)
        elif col in ("created_at", "decided_at", "taken_at", "reviewed_at"):
            out[col] = out[col].map(_local_time)
        elif col == "grade":
            out[col] = out[col].fillna("未评级")
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), _MISSING_TEXT)
    out = out.rename(columns=LABELS).reset_index(drop=True)
    return out.style.format(formats, na_rep=_MISSING_TEXT), config


def fmt_points(delta: float) -> str:
    """A difference of two shares in percentage points, signed: +2.5 个百分点."""
    return f"{delta * 100:+.1f} 个百分点"


def _local_time(value: Any) -> str:
    """A stored UTC time shown in China Standard Time (2022年7月1日 17:30)."""
    if value is None or pd.isna(value):
        return "—"
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return fmt_date(stamp.tz_convert("Asia/Shanghai").to_pydatetime())


def local_time(value: Any) -> str:
    """A stored UTC time in China Standard Time, the one date format (2022年7月1日 17:30)."""
    return _local_time(value)


def _is_flag(values: pd.Series) -> bool:
    """True for a column of yes/no values (bool dtype, or objects that are all bool)."""
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return len(present) > 0 and present.map(lambda v: isinstance(v, bool)).all()
