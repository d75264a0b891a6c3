"""The input contract (shared/spec/data-sources.md) as data: sources, columns, aliases, types.

Readers, the ingest step, the sample generator and the docs all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["GOVERNMENT_SOURCES", "SOURCES", "Column", "ColumnType", "Source", "source"]

ColumnType = Literal["id", "text", "amount", "number", "int", "date", "datetime", "code"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "text"
    aliases: tuple[str, ...] = ()
    required: bool = False
    # Personal financial information: masked in UI, logs and exports (id, phone, card).
    pii: Literal["id", "phone", "card", "name", ""] = ""


@dataclass(frozen=True)
class Source:
    name: str
    title: str  # the Chinese title used in file names (户籍, 农户信用档案, …)
    columns: tuple[Column, ...]
    # Natural key: a newer export of the same source updates the record with the same key.
    key: tuple[str, ...]
    kind: Literal["reference", "person", "government", "bank"] = "bank"
    titles: tuple[str, ...] = ()  # further titles that place a file
    # Either/or requirements: at least one column of each group must be present.
    one_of: tuple[tuple[str, ...], ...] = ()
    optional: bool = False
    extra_fields: dict[str, str] = field(default_factory=dict)

    @property
    def all_titles(self) -> tuple[str, ...]:
        return (self.name, self.title, *self.titles)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _c(
    name: str, type_: ColumnType = "text", *aliases: str, req: bool = False, pii: str = ""
) -> Column:
    return Column(name, type_, tuple(aliases), req, pii)  # type: ignore[arg-type]


_ID = _c(
    "id_number", "id", "身份证号", "公民身份号码", "身份证号码", "证件号码", req=True, pii="id"
)
_VILLAGE = _c("village_code", "code", "村代码", "区划代码", "村级区划代码", "行政村代码")
_TOWN_NAME = _c("town_name", "text", "乡镇", "镇/街道", "乡镇名称", "镇")
_VILLAGE_NAME = _c("village_name", "text", "村名", "行政村", "村", "村名称")

_SOURCES: list[Source] = [
    Source(
        "regions",
        "行政区划",
        (
            _c("village_code", "code", "村代码", "区划代码", "统计用区划代码", req=True),
            _c("village_name", "text", "村名", "行政村", req=True),
            _c("town_code", "code", "乡镇代码"),
            _c("town_name", "text", "乡镇", "镇/街道", req=True),
            _c("county_code", "code", "县代码", "县区代码"),
            _c("county_name", "text", "县/区", "县", "区县"),
        ),
        key=("village_code",),
        kind="reference",
        titles=("区划",),
    ),
    Source(
        "hukou",
        "户籍",
        (
            _ID,
            _c("name", "text", "姓名", req=True, pii="name"),
            _c("household_no", "code", "户号", req=True),
            _c("relation_to_head", "text", "与户主关系", req=True),
            _VILLAGE,
            _TOWN_NAME,
            _VILLAGE_NAME,
            _c("gender", "text", "性别"),
            _c("birth_date", "date", "出生日期"),
            _c("ethnicity", "text", "民族"),
        ),
        key=("id_number",),
        kind="person",
        titles=("户籍人口",),
        one_of=(("village_code", "village_name"),),
    ),
    Source(
        "archive",
        "农户信用档案",
        (
            _c("archive_id", "code", "档案编号"),
            _c("head_id_number", "id", "户主身份证号", "身份证号", req=True, pii="id"),
            _c("head_name", "text", "户主姓名", "姓名", req=True, pii="name"),
            _c("filed_date", "date", "建档日期", req=True),
            _VILLAGE,
            _TOWN_NAME,
            _VILLAGE_NAME,
            _c("phone", "code", "联系电话", "手机号", "电话", pii="phone"),
            _c("household_size", "int", "家庭人口", "家庭人数"),
            _c("labor_count", "int", "劳动力", "劳动力人数"),
            _c("head_education", "text", "文化程度"),
            _c("main_industry", "text", "主营产业"),
            _c("main_crops", "text", "主要作物"),
            _c("land_area_mu", "number", "承包地面积", "耕地面积"),
            _c("transferred_in_mu", "number", "流转土地", "流转面积"),
            _c("livestock_units", "number", "牲畜存栏"),
            _c("house_type", "text", "住房结构"),
            _c("machinery_value", "amount", "农机具价值"),
            _c("annual_income", "amount", "家庭年收入"),
            _c("annual_expense", "amount", "家庭年支出"),
            _c("deposits", "amount", "存款余额"),
            _c("other_debt", "amount", "其他负债"),
            _c("village_evaluation", "text", "村两委评议"),
            _c("collector", "text", "采集人"),
        ),
        key=("head_id_number",),
        titles=("信用档案", "农户档案"),
    ),
    Source(
        "payments",
        "助农取款服务点交易流水",
        (
            _c("txn_id", "code", "交易流水号", "流水号", req=True),
            _c("point_id", "code", "服务点编号", req=True),
            _c("txn_time", "datetime", "交易时间", req=True),
            _c("txn_type", "text", "交易类型", req=True),
            _c("amount", "amount", "交易金额", "金额", req=True),
            _c("status", "text", "交易状态"),
            _c("id_number", "id", "持卡人身份证号", "身份证号", pii="id"),
            _c("card_no", "code", "卡号", "银行卡号", pii="card"),
            _c("point_village_code", "code", "服务点所在村", "服务点村代码"),
            _c("bill_category", "text", "缴费项目"),
            _c("direction", "text", "收付方向", "收/付", "方向"),
        ),
        key=("txn_id",),
        titles=("交易流水", "支付流水", "助农取款"),
        one_of=(("id_number", "card_no"),),
    ),
    Source(
        "cards",
        "卡户对照",
        (
            _c("card_no", "code", "卡号", "银行卡号", req=True, pii="card"),
            _c("id_number", "id", "身份证号", req=True, pii="id"),
        ),
        key=("card_no",),
        titles=("卡号对照",),
    ),
    Source(
        "points",
        "助农取款服务点",
        (
            _c("point_id", "code", "服务点编号", req=True),
            _c("village_code", "code", "村代码", "所在村代码", "区划代码", req=True),
            _c("opened_date", "date", "开办日期", "设立日期"),
            _c("operator", "text", "经营者", pii="name"),
            _c("status", "text", "状态"),
        ),
        key=("point_id",),
        titles=("服务点",),
    ),
    Source(
        "criminal",
        "违法犯罪记录",
        (
            _ID,
            _c("record_type", "text", "记录类型", "类型"),
            _c("category", "text", "类别", "案由"),
            _c("record_date", "date", "记录日期", "日期"),
        ),
        key=("id_number", "record_type", "category", "record_date"),
        kind="government",
        titles=("违法犯罪",),
    ),
    Source(
        "business",
        "工商登记",
        (
            _ID,
            _c("entity_type", "text", "主体类型"),
            _c("reg_date", "date", "登记日期", "成立日期"),
            _c("status", "text", "登记状态", "状态"),
            _c("registered_capital", "amount", "注册资本"),
        ),
        key=("id_number", "entity_type", "reg_date"),
        kind="government",
    ),
    Source(
        "tax",
        "税收登记",
        (
            _ID,
            _c("tax_status", "text", "纳税状态", "税务状态"),
            _c("tax_paid_last_year", "amount", "上年纳税额", "上年纳税"),
            _c("arrears", "amount", "欠税金额", "欠税"),
        ),
        key=("id_number",),
        kind="government",
    ),
    Source(
        "exit_entry",
        "出入境",
        (
            _ID,
            _c("trips_last_year", "int", "上年出境次数", "出境次数"),
            _c("abroad_now", "text", "是否在境外", "在境外"),
        ),
        key=("id_number",),
        kind="government",
        titles=("出入境记录",),
    ),
    Source(
        "poverty",
        "扶贫人口",
        (
            _ID,
            _c("status", "text", "贫困状态", "状态", "类别"),
            _c("since_year", "int", "认定年份", "年份"),
        ),
        key=("id_number",),
        kind="government",
        titles=("建档立卡", "扶贫"),
    ),
    Source(
        "land",
        "农业土地确权",
        (
            _ID,
            _c("contract_area_mu", "number", "承包面积", "确权面积"),
            _c("certificate_no", "code", "证书编号", "确权证号"),
            _c("transferred_out_mu", "number", "流转出面积", "转出面积"),
        ),
        key=("id_number", "certificate_no"),
        kind="government",
        titles=("农业土地", "土地确权"),
    ),
    Source(
        "residence",
        "居住状况",
        (_ID, _c("status", "text", "居住状态", "状态"), _c("months_away", "int", "外出月数")),
        key=("id_number",),
        kind="government",
    ),
    Source(
        "social_insurance",
        "社保",
        (
            _ID,
            _c("pension_months", "int", "养老缴费月数"),
            _c("medical_insured", "text", "医疗参保"),
        ),
        key=("id_number",),
        kind="government",
        titles=("社会保险",),
        optional=True,
    ),
    Source(
        "agri_insurance",
        "农业保险",
        (
            _ID,
            _c("policy_type", "text", "险种"),
            _c("insured_area_mu", "number", "投保面积"),
            _c("premium", "amount", "保费"),
            _c("claims", "amount", "赔款", "理赔金额"),
        ),
        key=("id_number", "policy_type"),
        kind="government",
        titles=("农险",),
        optional=True,
    ),
    Source(
        "loans",
        "贷款台账",
        (
            _c("loan_id", "code", "贷款编号", "借据号", req=True),
            _ID,
            _c("product", "text", "贷款品种"),
            _c("issue_date", "date", "发放日期", req=True),
            _c("maturity_date", "date", "到期日期"),
            _c("amount", "amount", "贷款金额", "发放金额", req=True),
            _c("balance", "amount", "贷款余额", "余额"),
            _c("max_days_overdue", "int", "最长逾期天数"),
            _c("classification", "text", "五级分类"),
            _c("status", "text", "贷款状态", "状态"),
        ),
        key=("loan_id",),
        titles=("贷款", "借据台账"),
    ),
    Source(
        "blacklist",
        "逃废债黑名单",
        (_ID, _c("listed_date", "date", "列入日期"), _c("reason", "text", "原因", "列入原因")),
        key=("id_number",),
        titles=("黑名单",),
        optional=True,
    ),
]

SOURCES: dict[str, Source] = {s.name: s for s in _SOURCES}
GOVERNMENT_SOURCES: tuple[str, ...] = tuple(s.name for s in _SOURCES if s.kind == "government")

# Non-performing classifications (五级分类: 次级 + 可疑 + 损失).
NON_PERFORMING = ("次级", "可疑", "损失")


def source(name: str) -> Source:
    return SOURCES[name]
