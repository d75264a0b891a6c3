"""Accounts, sign-in and the audit trail: who is acting, and what they did.

``store`` keeps the local accounts (scrypt hashes, roles, villages, authority limits);
``signin`` checks a password, slows a guesser down (lock-out after repeated failures) and says
when a session has been idle too long; ``audit`` is the append-only, hash-chained record of
sign-ins, views, decisions, exports, imports, model runs and account changes. Everything here
returns or takes an ``access.Principal``: the one user model of the app, the CLI and the
library's own permission checks.
"""

from creditfarm.accounts.audit import AuditProblem, audit_events, record_event, verify_audit
from creditfarm.accounts.signin import (
    SignInRefused,
    authenticate,
    principal_for_identity,
    session_expired,
)
from creditfarm.accounts.store import (
    AccountError,
    add_user,
    assign_villages,
    get_principal,
    list_users,
    set_disabled,
    set_password,
)

__all__ = [
    "AccountError",
    "AuditProblem",
    "SignInRefused",
    "add_user",
    "assign_villages",
    "audit_events",
    "authenticate",
    "get_principal",
    "list_users",
    "principal_for_identity",
    "record_event",
    "session_expired",
    "set_disabled",
    "set_password",
    "verify_audit",
]
