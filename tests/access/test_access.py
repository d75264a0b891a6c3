"""Roles and permissions, by hand: the table in creditfarm/access/roles.py's docstring."""

from __future__ import annotations

import pytest

from creditfarm.access import (
    AccessDenied,
    Permission,
    Principal,
    Role,
    can,
    hash_password,
    needs_rehash,
    require,
    verify_password,
)

P = Permission
OFFICER = Principal(username="li", role=Role.loan_officer, villages=frozenset({"V1"}))
SUPERVISOR = Principal(username="wang", role=Role.credit_supervisor)
ANALYST = Principal(username="zhao", role=Role.pboc_analyst)
COMMITTEE = Principal(username="cun", role=Role.village_committee, villages=frozenset({"V2"}))
ADMIN = Principal(username="root", role=Role.admin)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (
            OFFICER,
            {
                P.view_households,
                P.see_names,
                P.decide,
                P.export_lists,
                P.view_rates,
                P.view_credit_village,
                P.view_model,
            },
        ),
        (
            SUPERVISOR,
            {
                P.view_households,
                P.see_names,
                P.decide,
                P.approve,
                P.export_lists,
                P.view_rates,
                P.view_credit_village,
                P.view_model,
            },
        ),
        (ANALYST, {P.view_rates, P.view_credit_village, P.view_model}),
        (COMMITTEE, {P.view_rates, P.view_credit_village}),
        (
            ADMIN,
            {
                P.view_rates,
                P.view_credit_village,
                P.view_model,
                P.import_data,
                P.run_models,
                P.manage_users,
                P.read_audit,
                P.maintain,
            },
        ),
    ],
)
def test_each_role_holds_exactly_its_permissions(who: Principal, allowed: set[Permission]) -> None:
    assert {p for p in Permission if can(who, p)} == allowed


def test_village_bound_roles_reach_only_their_villages() -> None:
    assert can(OFFICER, P.decide, village_code="V1")
    assert not can(OFFICER, P.decide, village_code="V2")
    assert can(SUPERVISOR, P.decide, village_code="V2")  # supervisors: every village
    assert can(COMMITTEE, P.view_credit_village, village_code="V2")
    assert not can(COMMITTEE, P.view_credit_village, village_code="V1")
    # no assignment: fail closed
    bare = Principal(username="new", role=Role.loan_officer)
    assert bare.villages == frozenset()
    assert not can(bare, P.view_households, village_code="V1")


def test_require_says_why_in_chinese() -> None:
    with pytest.raises(AccessDenied, match="无权审批"):
        require(OFFICER, P.approve)
    with pytest.raises(AccessDenied, match="V2 不在您负责的范围内"):
        require(OFFICER, P.decide, village_code="V2")
    require(OFFICER, P.decide, village_code="V1")  # no error


def test_password_hashes() -> None:
    stored = hash_password("田间地头2021")
    assert stored.startswith("scrypt$15$8$1$")
    assert verify_password("田间地头2021", stored)
    assert not verify_password("田间地头2022", stored)
    assert hash_password("田间地头2021") != stored  # salted
    assert not verify_password("x", "not-a-hash")
    assert needs_rehash("scrypt$14$8$1$AAAA$AAAA") and not needs_rehash(stored)
    with pytest.raises(ValueError):
        hash_password("")
