"""The feature catalogue: one entry per model feature, reused by the UI and the explanations.

``monotone`` is the direction of the feature's effect on default risk where it is not in doubt
(+1 raises risk, -1 lowers it, 0 left to the data); it becomes a LightGBM monotone constraint, so
an explanation never says "more land lowered your grade": more land, income, deposits, machinery,
education, better housing, insurance, tax paid, pension months and clean repayments never raise
risk; more overdue days, debt, failed payments and bad records never lower it. Left to the data:
what can go either way (household size, age, livestock, land rented in, spending, loan counts).

``MODEL_EXCLUDED`` names catalogue features that are built (and monitored) but not fed to the
model, each with the reason; ``MODEL_FEATURES`` are the model's inputs.
Protected attributes (ethnicity, gender, religion, health) are never features: they live only in
``PROTECTED_ATTRIBUTES`` for fairness checks, and a test asserts none of them is in the list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "MODEL_EXCLUDED",
    "MODEL_EXCLUDED_ZH",
    "MODEL_FEATURES",
    "PROTECTED_ATTRIBUTES",
    "REDEFINED",
    "REDEFINED_ZH",
    "SOURCE_ZH",
    "FeatureSpec",
    "feature",
    "monotone_constraints",
]

Source = Literal["archive", "payments", "government", "loans", "village"]

# How the UI groups reasons by data source.
SOURCE_ZH: dict[str, str] = {
    "archive": "档案",
    "payments": "支付流水",
    "government": "政务",
    "loans": "贷款记录",
    "village": "村情",
}

# Never model inputs; used only to check that grades are fair across groups.
PROTECTED_ATTRIBUTES: tuple[str, ...] = ("ethnicity", "gender", "religion", "health")


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    zh: str
    source: Source
    unit: str
    meaning: str
    monotone: Literal[-1, 0, 1] = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _f(
    name: str, zh: str, source: Source, unit: str, meaning: str, monotone: int = 0
) -> FeatureSpec:
    return FeatureSpec(name, zh, source, unit, meaning, monotone)  # type: ignore[arg-type]


FEATURES: tuple[FeatureSpec, ...] = (
    # --- archive (农户信用档案 filed before the as-of date) -----------------------------------
    _f("household_size", "家庭人口", "archive", "人", "Members recorded in the archive."),
    _f("labor_count", "劳动力人数", "archive", "人", "Working-age members able to work.", -1),
    _f("head_age", "户主年龄", "archive", "岁", "Age of the household head on the as-of date."),
    _f(
        "head_education_level",
        "户主文化程度",
        "archive",
        "级",
        "0 none/unknown, 1 primary, 2 junior middle, 3 senior middle, 4 college or above.",
        -1,
    ),
    _f("land_area_mu", "承包地面积", "archive", "亩", "Contracted land in the archive.", -1),
    _f("transferred_in_mu", "流转土地面积", "archive", "亩", "Land rented in (流转)."),
    _f("livestock_units", "牲畜存栏", "archive", "头", "Livestock on hand."),
    _f("machinery_value", "农机具价值", "archive", "元", "Value of farm machinery.", -1),
    _f("annual_income", "家庭年收入", "archive", "元", "Household income per year.", -1),
    _f("annual_expense", "家庭年支出", "archive", "元", "Household spending per year."),
    _f("net_income", "家庭年净收入", "archive", "元", "Income less expense.", -1),
    _f("deposits", "存款余额", "archive", "元", "Deposits on record.", -1),
    _f("other_debt", "其他负债", "archive", "元", "Debts outside this bank.", 1),
    _f("debt_to_income", "负债收入比", "archive", "倍", "Other debt / annual income.", 1),
    _f(
        "village_evaluation_level",
        "村两委评议",
        "archive",
        "级",
        "Village committee's view: 3 好, 2 较好, 1 一般, 0 差.",
        -1,
    ),
    _f(
        "house_type_level",
        "住房结构",
        "archive",
        "级",
        "0 unknown, 1 earth/wood, 2 brick-wood, 3 brick-concrete, 4 frame/building.",
        -1,
    ),
    _f("industry_planting", "主营种植", "archive", "是/否", "Main industry is crop farming."),
    _f("industry_livestock", "主营养殖", "archive", "是/否", "Main industry is livestock."),
    _f("industry_migrant", "主营务工", "archive", "是/否", "Main income from migrant work."),
    _f(
        "industry_business",
        "主营个体经营",
        "archive",
        "是/否",
        "Main income from a small business.",
    ),
    _f("years_filed", "建档年限", "archive", "年", "Years since the archive was filed."),
    # --- payments (助农取款服务点 flows, 12 months before the as-of date) -----------------------
    _f(
        "pay_inflow_month_mean",
        "月均资金流入",
        "payments",
        "元",
        "Mean monthly money received at service points.",
        -1,
    ),
    _f(
        "pay_outflow_month_mean",
        "月均资金流出",
        "payments",
        "元",
        "Mean monthly money paid out or withdrawn.",
    ),
    _f(
        "pay_inflow_cv",
        "资金流入波动系数",
        "payments",
        "",
        "Coefficient of variation of monthly inflow (std / mean); higher is less steady.",
        1,
    ),
    _f(
        "pay_inflow_peak_share",
        "资金流入季节集中度",
        "payments",
        "",
        "Share of the year's inflow received in the busiest month (harvest seasonality).",
    ),
    _f(
        "pay_active_month_share",
        "活跃月份占比",
        "payments",
        "",
        "Share of the window's months with a successful transaction (months active).",
        -1,
    ),
    _f(
        "pay_days_since_last",
        "距最近一笔交易天数",
        "payments",
        "天",
        "Days from the last successful transaction to the as-of date.",
        1,
    ),
    _f("pay_txn_month_mean", "月均交易笔数", "payments", "笔", "Transactions per month."),
    _f(
        "pay_bill_month_share",
        "按月缴费月份占比",
        "payments",
        "",
        "Share of months with a bill payment (电费/水费/话费/新农合/养老保险…): regularity.",
        -1,
    ),
    _f("pay_bill_month_mean", "月均缴费金额", "payments", "元", "Bill payments per month."),
    _f(
        "pay_withdrawal_share",
        "取现占比",
        "payments",
        "",
        "Share of outflow taken as small cash withdrawals.",
    ),
    _f(
        "pay_failed_share",
        "失败交易占比",
        "payments",
        "",
        "Share of transactions that failed (e.g. insufficient balance).",
        1,
    ),
    # --- government (政务信息) ----------------------------------------------------------------
    _f(
        "gov_criminal_count",
        "违法犯罪记录数",
        "government",
        "条",
        "Criminal or administrative records of members before the as-of date.",
        1,
    ),
    _f(
        "gov_fraud_record",
        "涉诈骗赌博类记录",
        "government",
        "是/否",
        "A member has a fraud-type record (policy list of categories).",
        1,
    ),
    _f(
        "gov_business_active",
        "存续工商登记数",
        "government",
        "个",
        "Businesses, cooperatives or family farms registered and active.",
    ),
    _f(
        "gov_business_revoked",
        "吊销营业执照",
        "government",
        "是/否",
        "A member's business licence was revoked.",
        1,
    ),
    _f("gov_tax_paid", "上年纳税额", "government", "元", "Tax paid last year.", -1),
    _f("gov_tax_arrears", "欠税金额", "government", "元", "Tax arrears.", 1),
    _f(
        "gov_poverty",
        "建档立卡/监测户",
        "government",
        "是/否",
        "A member is registered as 建档立卡贫困户 or 监测户.",
    ),
    _f("gov_poverty_exited", "已脱贫户", "government", "是/否", "Registered poor, since exited."),
    _f(
        "gov_certified_land_mu",
        "确权承包地面积",
        "government",
        "亩",
        "Certified contracted land.",
        -1,
    ),
    _f(
        "gov_transferred_out_mu", "流转出土地面积", "government", "亩", "Certified land rented out."
    ),
    _f(
        "gov_migrant_members",
        "外出务工人数",
        "government",
        "人",
        "Members recorded as away for work.",
    ),
    _f("gov_months_away", "外出月数", "government", "月", "Months away, summed over members."),
    _f("gov_abroad_now", "家庭成员在境外", "government", "是/否", "A member is abroad now.", 1),
    _f("gov_trips_abroad", "上年出境次数", "government", "次", "Trips abroad last year."),
    _f(
        "gov_pension_months",
        "养老保险缴费月数",
        "government",
        "月",
        "Pension contribution months, summed over members.",
        -1,
    ),
    _f(
        "gov_medical_insured_share",
        "医疗参保比例",
        "government",
        "",
        "Share of members with medical insurance.",
        -1,
    ),
    _f(
        "gov_agri_insured",
        "参加农业保险",
        "government",
        "是/否",
        "Has agricultural insurance.",
        -1,
    ),
    _f(
        "gov_blacklisted",
        "逃废债黑名单",
        "government",
        "是/否",
        "A member is on the 逃废债 blacklist.",
        1,
    ),
    # --- loans (贷款台账, loans issued before the as-of date) ----------------------------------
    _f(
        "loan_count",
        "历史贷款笔数",
        "loans",
        "笔",
        "Loans issued to members before the as-of date.",
    ),
    _f(
        "loan_max_overdue_days",
        "历史最长逾期天数",
        "loans",
        "天",
        "Longest overdue spell known by the as-of date.",
        1,
    ),
    _f("loan_overdue_count", "历史逾期笔数", "loans", "笔", "Loans overdue by the as-of date.", 1),
    _f(
        "loan_npl_count",
        "历史不良贷款笔数",
        "loans",
        "笔",
        "Loans 90+ days overdue (次级或更差) by the as-of date.",
        1,
    ),
    _f(
        "loan_clean_settled_count",
        "按时结清笔数",
        "loans",
        "笔",
        "Loans repaid without overdue before the as-of date.",
        -1,
    ),
    _f("loan_outstanding", "贷款余额", "loans", "元", "Principal outstanding on the as-of date."),
    _f(
        "loan_utilisation",
        "授信使用率",
        "loans",
        "",
        "Outstanding principal / principal of loans issued in the last 3 years.",
        1,
    ),
    _f(
        "loan_months_since_first",
        "首次贷款距今月数",
        "loans",
        "月",
        "Months since the first loan, counted up to 24 (0 for thin files): every "
        "observation date's loan book reaches back at least that far.",
    ),
    # --- village context (村情) --------------------------------------------------------------
    _f(
        "village_npl_vs_county",
        "本村不良贷款率高出全县",
        "village",
        "",
        "Village loans 90+ days overdue / village loans outstanding (by principal), less the "
        "same ratio for the whole county on the as-of date.",
        1,
    ),
    _f(
        "village_filed_share",
        "本村建档率",
        "village",
        "",
        "Share of the village's 户籍 households filed before the as-of date.",
    ),
    _f(
        "village_overdue_vs_county",
        "本村逾期借款户占比高出全县",
        "village",
        "",
        "Share of the village's borrowing households with a loan overdue now, less the same "
        "share for the whole county on the as-of date.",
        1,
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)

# Built and monitored, never a model input. The village filing rate rises with the county's
# filing campaign (训练时 45–60%, 评分时 75%+): its drift is structural, not a change in risk
# (PSI 3–4.9 on the sample county), and it says nothing about the household itself.
MODEL_EXCLUDED: dict[str, str] = {
    "village_filed_share": (
        "structural drift: the filing campaign raises every village's filing rate over time, "
        "so training and scoring see different ranges; it is context, not household risk"
    ),
    "years_filed": (
        "structural drift: it grows by one every year for every household (PSI 0.4 a year "
        "apart) and tells when the campaign reached the village, not how the household repays"
    ),
    "village_npl_vs_county": (
        "unstable even against the county: a village's figure rests on its 10-40 borrowing "
        "households and re-ranks from year to year (PSI 2.1 a year apart), noise more than "
        "risk; on the sample county out-of-time AUC is 0.873 without both village loan "
        "figures and 0.876 with them. The village's NPL ratio stays on the 信用村 page"
    ),
    "village_overdue_vs_county": (
        "unstable even against the county (PSI 2.9 a year apart), for the reason given for "
        "village_npl_vs_county"
    ),
}
MODEL_EXCLUDED_ZH: dict[str, str] = {
    "village_filed_share": "结构性漂移：随建档工作推进逐年上升，是村情而非本户风险",
    "years_filed": "结构性漂移：每户每年加一，反映建档工作何时到村，而非本户还款表现",
    "village_npl_vs_county": (
        "即使减去全县水平仍不稳定：一个村只有十几到几十户借款户，逐年排序变动大，"
        "更多是噪声而非风险；本村不良贷款率仍见信用村评定页"
    ),
    "village_overdue_vs_county": "同上：逐年排序变动大（一年间 PSI 2.9）",
}
# Features redefined so that their drift is no longer structural: what changed and why (the
# model card lists them beside the PSI figures).
REDEFINED: dict[str, str] = {
    "village_npl_vs_county": (
        "was the village's NPL ratio (PSI 2.4 training against scoring); the county-wide level "
        "moves with the credit cycle and the book's growth, so it is now the village's ratio "
        "less the county's on the same date"
    ),
    "village_overdue_vs_county": (
        "was the village's share of overdue borrowers (PSI 4.2; the county share doubled in "
        "two years); now the village's share less the county's on the same date"
    ),
    "loan_months_since_first": (
        "was uncapped (PSI 0.95): a loan book exported on one date reaches back a fixed span, so "
        "older observation dates could not see long histories; now counted up to 24 months, "
        "a span every observation date sees"
    ),
}
REDEFINED_ZH: dict[str, str] = {
    "village_npl_vs_county": (
        "原为本村不良贷款率；全县水平随信贷周期和贷款规模变化，现改为本村减去同日全县"
    ),
    "village_overdue_vs_county": "原为本村逾期借款户占比（两年间全县翻倍）；现改为本村减去同日全县",
    "loan_months_since_first": (
        "原不设上限；台账只回溯固定年限，早期观察日看不到长历史，现最多计 24 个月"
    ),
}
MODEL_FEATURES: tuple[str, ...] = tuple(n for n in FEATURE_NAMES if n not in MODEL_EXCLUDED)
_BY_NAME = {f.name: f for f in FEATURES}


def feature(name: str) -> FeatureSpec:
    """The catalogue entry of ``name`` (KeyError when unknown)."""
    return _BY_NAME[name]


def monotone_constraints(names: list[str] | tuple[str, ...]) -> list[int]:
    """LightGBM ``monotone_constraints`` for ``names``; 0 for names not in the catalogue."""
    return [int(_BY_NAME[n].monotone) if n in _BY_NAME else 0 for n in names]
