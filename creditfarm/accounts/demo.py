"""The demo's accounts, one per role (demo mode only; named in the README).

| user | password | role | villages |
| --- | --- | --- | --- |
| officer1 | officer1-demo | 信贷员 (loan officer) | every village of the first town |
| supervisor1 | supervisor1-demo | 信贷主管 (credit supervisor) | all |
| pboc1 | pboc1-demo | 人民银行分析员 (PBoC analyst) | all (aggregates only) |
| village1 | village1-demo | 村两委 (village committee) | the first village |
| admin1 | admin1-demo | 系统管理员 (administrator) | — |
"""

from __future__ import annotations

from sqlalchemy import select

from creditfarm.accounts.store import add_user, get_principal
from creditfarm.storage.models import Region
from creditfarm.workspace import Workspace

__all__ = ["DEMO_ACCOUNTS", "ensure_demo_accounts"]

# username → (role, display name, password)
DEMO_ACCOUNTS: dict[str, tuple[str, str, str]] = {
    "officer1": ("loan_officer", "演示信贷员", "officer1-demo"),
    "supervisor1": ("credit_supervisor", "演示信贷主管", "supervisor1-demo"),
    "pboc1": ("pboc_analyst", "演示人民银行分析员", "pboc1-demo"),
    "village1": ("village_committee", "演示村两委", "village1-demo"),
    "admin1": ("admin", "演示系统管理员", "admin1-demo"),
}


def ensure_demo_accounts(ws: Workspace) -> list[str]:
    """Create the demo accounts that are missing (refused outside demo mode); returns those
    created. Run after the 行政区划 import: officers and committees get villages from it."""
    if not ws.settings.demo_mode:
        raise PermissionError("demo accounts exist only in demo mode (CREDITFARM_DEMO_MODE)")
    with ws.engine.connect() as conn:
        regions = conn.execute(
            select(Region.village_code, Region.town_code).order_by(Region.village_code)  # type: ignore[call-overload]
        ).all()
    first_town = regions[0].town_code if regions else None
    villages = {
        "loan_officer": [r.village_code for r in regions if r.town_code == first_town],
        "village_committee": [regions[0].village_code] if regions else [],
    }
    made = []
    for username, (role, name, password) in DEMO_ACCOUNTS.items():
        if get_principal(ws, username=username) is not None:
            continue
        add_user(
            ws,
            username=username,
            role=role,
            password=password,
            display_name=name,
            villages=villages.get(role, []),
        )
        made.append(username)
    return made
