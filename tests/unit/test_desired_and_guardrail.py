"""From Okta assignments to desired Zoom users, and the deprovision guardrail."""

from __future__ import annotations

import pytest
from okta_zoom_sync.core.desired import desired_user
from okta_zoom_sync.core.guardrail import apply_guardrail, deprovision_limit
from okta_zoom_sync.core.model import (
    MEMBER_ROLE,
    Change,
    DesiredState,
    OktaGroupRef,
    OktaUser,
    Operation,
    OpKind,
    Plan,
    UserPlan,
)
from okta_zoom_sync.core.policy import MaxDeprovisions, Policy

ENG = OktaGroupRef("00gENG", "Engineering")
ADMINS = OktaGroupRef("00gADM", "Zoom Admins")


def assignment(status: str = "ACTIVE", groups: frozenset[OktaGroupRef] = frozenset(), **kw: str) -> OktaUser:
    base = dict(okta_id="00u1", login="ann@acme.com", email="ann@acme.com", first_name="Ann", last_name="Lee")
    base.update(kw)
    return OktaUser(status=status, groups=groups, **base)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("ACTIVE", DesiredState.ACTIVE),
        ("PASSWORD_EXPIRED", DesiredState.ACTIVE),
        ("LOCKED_OUT", DesiredState.ACTIVE),
        ("RECOVERY", DesiredState.ACTIVE),
        ("SUSPENDED", DesiredState.INACTIVE),
        ("STAGED", DesiredState.HOLD),
        ("PROVISIONED", DesiredState.HOLD),
        ("DEPROVISIONED", DesiredState.ABSENT),
    ],
)
def test_okta_status_to_desired_state(status: str, state: DesiredState) -> None:
    assert desired_user(assignment(status), Policy()).state is state


def test_suspended_keep() -> None:
    policy = Policy(suspended_users="keep")  # type: ignore[arg-type]
    assert desired_user(assignment("SUSPENDED"), policy).state is DesiredState.HOLD


def test_rules_first_match_by_name_or_id() -> None:
    policy = Policy.model_validate(
        {
            "default_license": "basic",
            "license_rules": [
                {"group": "engineering", "license": "licensed"},
                {"group": "00gADM", "license": "unassigned"},
            ],
            "role_rules": [{"group": "00gADM", "role": "Admin"}],
            "group_rules": [
                {"group": "Engineering", "zoom_group": "Eng"},
                {"group": "Zoom Admins", "zoom_group": "Ops"},
            ],
        }
    )
    both = desired_user(assignment(groups=frozenset({ENG, ADMINS})), policy)
    assert (both.license_type, both.role, both.zoom_groups) == (2, "Admin", frozenset({"Eng", "Ops"}))
    neither = desired_user(assignment(), policy)
    assert (neither.license_type, neither.role, neither.zoom_groups) == (1, MEMBER_ROLE, frozenset())
    assert desired_user(assignment(), Policy()).role is None  # no role rules: roles are left alone


def test_login_is_the_zoom_email_unless_it_is_not_an_email() -> None:
    assert desired_user(assignment(login="ann.lee@acme.com"), Policy()).email == "ann.lee@acme.com"
    assert desired_user(assignment(login="ann"), Policy()).email == "ann@acme.com"


def deprovisions(n: int) -> Plan:
    users = tuple(
        UserPlan(
            f"u{i}@acme.com",
            f"00u{i}",
            f"z{i}",
            (Operation(OpKind.DEACTIVATE, f"u{i}@acme.com", f"00u{i}", f"z{i}"),),
            True,
        )
        for i in range(n)
    )
    keep = UserPlan("k@acme.com", "00uk", "zk", (Operation(OpKind.UPDATE, "k@acme.com", "00uk", "zk"),))
    return Plan(users=(*users, keep), unmanaged=0, managed=100)


@pytest.mark.parametrize(
    ("managed", "count", "percent", "limit"),
    [(100, 25, 10, 10), (1000, 25, 10, 25), (5, 25, 10, 1), (0, 25, 10, 1), (100, 0, 10, 0)],
)
def test_limit_is_the_smaller_of_count_and_percent(managed: int, count: int, percent: int, limit: int) -> None:
    assert deprovision_limit(MaxDeprovisions(count=count, percent=percent), managed) == limit


def test_guardrail_holds_only_deprovisions_and_force_releases() -> None:
    limits = MaxDeprovisions(count=3, percent=100)
    within, decision = apply_guardrail(deprovisions(3), limits, force=False, managed_base=100)
    assert not decision.held and not any(op.held for op in within.operations)
    held, decision = apply_guardrail(deprovisions(4), limits, force=False, managed_base=100)
    assert decision.held and decision.reason and "4 deprovisions" in decision.reason
    assert [op.held for op in held.operations] == [True] * 4 + [False]
    forced, decision = apply_guardrail(deprovisions(4), limits, force=True, managed_base=100)
    assert not decision.held and not any(op.held for op in forced.operations)


def _license_change(okta_id: str, old: int, new: int) -> UserPlan:
    op = Operation(OpKind.LICENSE, f"{okta_id}@acme.com", okta_id, f"z{okta_id}", (Change("type", old, new),))
    return UserPlan(op.email, okta_id, op.zoom_id, (op,))


def test_license_downgrades_above_the_brake_are_held_and_force_lets_them_through() -> None:
    # Given 4 licensed users about to be downgraded to Basic and 1 upgrade, with at most 3 downgrades a run
    users = (*(_license_change(f"00u{i}", 2, 1) for i in range(4)), _license_change("00u9", 1, 2))
    plan = Plan(users=users, unmanaged=0, managed=100)
    brake = MaxDeprovisions(count=3, percent=100)
    # When the guardrail runs
    held, decision = apply_guardrail(plan, brake, force=False, managed_base=100, downgrade_limits=brake)
    # Then every downgrade is held, the upgrade is not, and the reason names the key
    assert decision.downgrades_held and decision.any_held and not decision.held
    assert [op.held for op in held.operations] == [True, True, True, True, False]
    assert "max_license_downgrades" in (decision.downgrade_reason or "")
    # And with force nothing is held
    forced, forced_decision = apply_guardrail(plan, brake, force=True, managed_base=100, downgrade_limits=brake)
    assert not any(op.held for op in forced.operations) and not forced_decision.any_held


def test_a_downgrade_is_a_change_to_a_lower_tier() -> None:
    ranks = {(2, 1): True, (2, 4): True, (1, 4): True, (1, 2): False, (4, 1): False, (1, 1): False}
    for (old, new), downgrade in ranks.items():
        assert _license_change("00u1", old, new).operations[0].is_license_downgrade is downgrade, (old, new)
