"""Roles and permissions (one table), and the acting person.

| role | 中文 | may |
| --- | --- | --- |
| loan_officer | 信贷员 | households and decisions in their assigned villages, up to a limit |
| credit_supervisor | 信贷主管 | every household; approves overrides (maker-checker) |
| pboc_analyst | 人民银行分析员 | aggregates and rates only: no personal data |
| village_committee | 村两委 | its own village's aggregates and credit-village assessment |
| admin | 系统管理员 | users, imports, model runs, the audit trail; personal data only masked |

Personal data (names in full, household cards, lists of households) is for the two bank roles;
resident ID, phone and card numbers are shown masked to every role (ID 前6后4, phone 前3后4,
card 前6后4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "PERMISSIONS",
    "ROLE_ZH",
    "AccessDenied",
    "Permission",
    "Principal",
    "Role",
    "can",
    "require",
    "system_principal",
]


class Role(StrEnum):
    loan_officer = "loan_officer"
    credit_supervisor = "credit_supervisor"
    pboc_analyst = "pboc_analyst"
    village_committee = "village_committee"
    admin = "admin"


ROLE_ZH: dict[Role, str] = {
    Role.loan_officer: "信贷员",
    Role.credit_supervisor: "信贷主管",
    Role.pboc_analyst: "人民银行分析员",
    Role.village_committee: "村两委",
    Role.admin: "系统管理员",
}


class Permission(StrEnum):
    view_households = "view_households"  # household lists, cards, explanations (personal data)
    see_names = "see_names"  # names in full (else 张**)
    decide = "decide"  # confirm / adjust / decline an assessment
    approve = "approve"  # approve another person's override (maker-checker)
    export_lists = "export_lists"  # 整村授信 lists with households
    view_rates = "view_rates"  # filing / pre-credit rates, indicators (aggregates)
    view_credit_village = "view_credit_village"  # credit-village assessment (aggregates)
    view_model = "view_model"  # model card, drift, fairness (aggregates)
    import_data = "import_data"
    run_models = "run_models"  # train, score
    manage_users = "manage_users"
    read_audit = "read_audit"
    maintain = "maintain"  # backup, restore, re-key the personal data


_P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.loan_officer: frozenset(
        {
            _P.view_households,
            _P.see_names,
            _P.decide,
            _P.export_lists,
            _P.view_rates,
            _P.view_credit_village,
            _P.view_model,
        }
    ),
    Role.credit_supervisor: frozenset(
        {
            _P.view_households,
            _P.see_names,
            _P.decide,
            _P.approve,
            _P.export_lists,
            _P.view_rates,
            _P.view_credit_village,
            _P.view_model,
        }
    ),
    Role.pboc_analyst: frozenset({_P.view_rates, _P.view_credit_village, _P.view_model}),
    Role.village_committee: frozenset({_P.view_rates, _P.view_credit_village}),
    Role.admin: frozenset(
        {
            _P.view_rates,
            _P.view_credit_village,
            _P.view_model,
            _P.import_data,
            _P.run_models,
            _P.manage_users,
            _P.read_audit,
            _P.maintain,
        }
    ),
}

# Roles whose view is confined to their assigned villages.
_VILLAGE_BOUND = frozenset({Role.loan_officer, Role.village_committee})


class AccessDenied(PermissionError):
    """The acting person may not do this; the message is for them (Chinese)."""


@dataclass(frozen=True)
class Principal:
    """The person acting: who, in which role, over which villages (``None``: all)."""

    username: str
    role: Role
    villages: frozenset[str] | None = None
    display_name: str = ""
    authority_limit: float | None = None  # an officer's own limit; None: the policy's default
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        role = Role(self.role)
        object.__setattr__(self, "role", role)
        object.__setattr__(self, "permissions", PERMISSIONS[role])
        if role in _VILLAGE_BOUND and self.villages is None:
            # Fail closed: a village-bound role with no assignment sees no village.
            object.__setattr__(self, "villages", frozenset())

    def covers(self, village_code: str | None) -> bool:
        """Whether this person's view reaches ``village_code``."""
        return self.villages is None or (village_code is not None and village_code in self.villages)


def can(principal: Principal, permission: Permission, *, village_code: str | None = None) -> bool:
    """``permission`` held, and (when a village is named) the village within reach."""
    if permission not in principal.permissions:
        return False
    return village_code is None or principal.covers(village_code)


_DENIED: dict[Permission, str] = {
    _P.view_households: "无权查看农户个人信息",
    _P.see_names: "无权查看姓名",
    _P.decide: "无权作出授信决定",
    _P.approve: "无权审批（需信贷主管）",
    _P.export_lists: "无权导出农户名单",
    _P.view_rates: "无权查看统计数据",
    _P.view_credit_village: "无权查看信用村评定",
    _P.view_model: "无权查看模型信息",
    _P.import_data: "无权导入数据",
    _P.run_models: "无权训练或评分",
    _P.manage_users: "无权管理用户",
    _P.read_audit: "无权查看审计日志",
}


def require(
    principal: Principal, permission: Permission, *, village_code: str | None = None
) -> None:
    """Raise ``AccessDenied`` unless ``can(principal, permission, village_code=...)``."""
    if permission not in principal.permissions:
        raise AccessDenied(f"{ROLE_ZH[principal.role]} {principal.username}：{_DENIED[permission]}")
    if village_code is not None and not principal.covers(village_code):
        raise AccessDenied(f"{principal.username}：村 {village_code} 不在您负责的范围内")


def system_principal(role: Role = Role.admin, username: str = "system") -> Principal:
    """The pipelines' own identity (imports and model runs of the main job)."""
    return Principal(username=username, role=role)
