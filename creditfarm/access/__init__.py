"""Who may do what: roles, their permissions, the acting person (``Principal``) and password
hashing. The one user model that sign-in, masking, the review workflow and the audit trail share.

The library checks permissions itself (``require``), so a page or a command that forgets to check
cannot show or change more than its user may.
"""

from creditfarm.access.passwords import hash_password, needs_rehash, verify_password
from creditfarm.access.roles import (
    PERMISSIONS,
    ROLE_ZH,
    AccessDenied,
    Permission,
    Principal,
    Role,
    can,
    require,
    system_principal,
)

__all__ = [
    "PERMISSIONS",
    "ROLE_ZH",
    "AccessDenied",
    "Permission",
    "Principal",
    "Role",
    "can",
    "hash_password",
    "needs_rehash",
    "require",
    "system_principal",
    "verify_password",
]
