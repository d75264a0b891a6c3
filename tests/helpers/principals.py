"""The acting people tests use (``creditfarm.access.Principal``)."""

from __future__ import annotations

from creditfarm.access import Principal, Role

# A credit supervisor: every village, names in full, decides and approves.
BANK = Principal(username="supervisor1", role=Role.credit_supervisor)
PBOC = Principal(username="pboc1", role=Role.pboc_analyst)
ADMIN = Principal(username="admin1", role=Role.admin)


def officer(*villages: str, username: str = "officer1") -> Principal:
    """A loan officer assigned ``villages``."""
    return Principal(username=username, role=Role.loan_officer, villages=frozenset(villages))


def committee(village: str) -> Principal:
    return Principal(
        username="village1", role=Role.village_committee, villages=frozenset({village})
    )
