"""The planner, one situation per test, plus the property: apply the plan, plan again, nothing is left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from okta_zoom_sync.core.attributes import digest, encode_sent, profile_layout
from okta_zoom_sync.core.model import (
    ADMIN_ROLE,
    MEMBER_ROLE,
    OWNER_ROLE,
    DesiredState,
    DesiredUser,
    Link,
    OpKind,
    PictureMark,
    ZoomUser,
)
from okta_zoom_sync.core.planner import may_take_over, plan
from okta_zoom_sync.core.policy import Policy

from .plan_model import apply_plan, links_naming_another_users_address

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def want(okta_id: str = "00u1", email: str = "ann@acme.com", **kw: object) -> DesiredUser:
    base: dict[str, object] = dict(
        okta_id=okta_id,
        email=email,
        first_name="Ann",
        last_name="Lee",
        state=DesiredState.ACTIVE,
        license_type=1,
        role=None,
        zoom_groups=frozenset(),
    )
    base.update(kw)
    return DesiredUser(**base)  # type: ignore[arg-type]


def have(zoom_id: str | None = "z1", email: str = "ann@acme.com", **kw: object) -> ZoomUser:
    base: dict[str, object] = dict(
        zoom_id=zoom_id,
        email=email,
        first_name="Ann",
        last_name="Lee",
        type=1,
        status="active",
        role=MEMBER_ROLE,
        groups=frozenset(),
    )
    base.update(kw)
    return ZoomUser(**base)  # type: ignore[arg-type]


def kinds(p) -> list[str]:  # type: ignore[no-untyped-def]
    return [op.op.value for op in p.operations]


def test_new_assigned_user_is_created_with_policy_action_license_role_and_groups() -> None:
    policy = Policy(create_action="create", role_rules=[{"group": "a", "role": "Admin"}])  # type: ignore[arg-type]
    p = plan([want(license_type=2, role="Admin", zoom_groups=frozenset({"Eng"}))], [], {}, policy, NOW)
    assert kinds(p) == ["create", "role", "group_add"]
    create = p.operations[0]
    assert create.new_value("action") == "create" and create.new_value("type") == 2
    assert create.okta_id == "00u1" and create.zoom_id is None


def test_existing_zoom_user_with_same_email_in_other_case_is_adopted_not_created() -> None:
    p = plan([want(email="ann@acme.com")], [have(email="Ann@ACME.com")], {}, Policy(), NOW)
    assert kinds(p) == ["adopt"]
    assert p.operations[0].zoom_id == "z1"


def test_in_sync_user_yields_nothing() -> None:
    p = plan([want()], [have()], {"00u1": Link("00u1", "z1", "ann@acme.com")}, Policy(), NOW)
    assert p.operations == ()
    assert p.managed == 1 and p.unmanaged == 0


def test_email_change_follows_the_link_and_changes_the_same_user() -> None:
    links = {"00u1": Link("00u1", "z1", "ann@acme.com")}
    p = plan([want(email="ann.lee@acme.com")], [have(email="ann@acme.com")], links, Policy(), NOW)
    assert kinds(p) == ["email"]
    assert p.operations[0].zoom_id == "z1"
    assert p.operations[0].new_value("email") == "ann.lee@acme.com"


def test_rename_and_license_change() -> None:
    links = {"00u1": Link("00u1", "z1", "ann@acme.com")}
    p = plan([want(first_name="Anne", license_type=2)], [have()], links, Policy(), NOW)
    assert kinds(p) == ["update", "license"]
    assert p.operations[0].new_value("first_name") == "Anne"


def test_unassigned_linked_user_is_deactivated_and_admin_loses_role_first() -> None:
    links = {"00u1": Link("00u1", "z1", "ann@acme.com")}
    p = plan([], [have(role=ADMIN_ROLE)], links, Policy(), NOW)
    assert kinds(p) == ["role", "deactivate"]
    assert p.users[0].deprovision
    assert p.operations[0].new_value("role") == MEMBER_ROLE


def test_suspended_okta_user_is_deactivated_and_reactivated_on_unsuspend() -> None:
    links = {"00u1": Link("00u1", "z1", "ann@acme.com")}
    assert kinds(plan([want(state=DesiredState.INACTIVE)], [have()], links, Policy(), NOW)) == ["deactivate"]
    back = plan([want()], [have(status="inactive")], links, Policy(), NOW)
    assert kinds(back) == ["reactivate"]


def test_hold_state_creates_nothing_and_changes_nothing() -> None:
    links = {"00u1": Link("00u1", "z1", "ann@acme.com")}
    assert plan([want(state=DesiredState.HOLD)], [], {}, Policy(), NOW).operations == ()
    assert plan([want(state=DesiredState.HOLD, first_name="X")], [have()], links, Policy(), NOW).operations == ()


def test_unmanaged_protected_and_owner_are_never_changed() -> None:
    policy = Policy(protected_users=["breakglass@acme.com"])  # type: ignore[arg-type]
    actual = [
        have("z1", "owner@acme.com", role=OWNER_ROLE),
        have("z2", "breakglass@acme.com", role=ADMIN_ROLE),
        have("z3", "someone@other.com"),
    ]
    desired = [want("00u9", "owner@acme.com", first_name="Changed"), want("00u8", "breakglass@acme.com")]
    p = plan(desired, actual, {}, policy, NOW)
    assert p.operations == ()
    assert p.unmanaged == 3


def test_managed_domain_user_without_assignment_is_deprovisioned() -> None:
    policy = Policy(managed_domains=["acme.com"])  # type: ignore[arg-type]
    p = plan([], [have("z1", "old@acme.com"), have("z2", "x@other.com")], {}, policy, NOW)
    assert kinds(p) == ["deactivate"]
    assert p.operations[0].okta_id is None
    assert p.unmanaged == 1


def test_pending_managed_user_has_its_invitation_withdrawn() -> None:
    # Given an invitation in a managed domain with no Okta assignment
    policy = Policy(managed_domains=["acme.com"])  # type: ignore[arg-type]
    # When planning
    p = plan([], [have(None, "inv@acme.com", status="pending")], {}, policy, NOW)
    # Then it is deleted: Zoom refuses to disassociate a managed-domain user (code 1107)
    assert kinds(p) == ["delete"]
    assert p.operations[0].new_value("action") == "delete"


def test_pending_user_listed_without_id_is_found_by_its_link_email_and_withdrawn_when_unassigned() -> None:
    # Given a pending invitation the sync made (linked), which Zoom lists without an id, and no assignment
    links = {"00u1": Link("00u1", "zpend", "Ann@Acme.com ")}
    actual = [have(None, "ann@acme.com", status="pending")]
    # When a full plan runs
    p = plan([], actual, links, Policy(), NOW)
    # Then the invitation is withdrawn (disassociated: the domain is not managed), by email
    assert kinds(p) == ["delete"]
    assert p.operations[0].new_value("action") == "disassociate"
    assert p.operations[0].okta_id == "00u1" and p.unmanaged == 0


def test_an_assigned_users_pending_invitation_is_linked_by_email() -> None:
    # Given an invitation (no id in Zoom's list) whose email is an assigned Okta user's, not yet linked
    p = plan([want()], [have(None, "ann@acme.com", status="pending")], {}, Policy(), NOW)
    # Then it is adopted: linked by its email, so that withdrawing it later is possible
    assert kinds(p) == ["adopt"]
    assert p.operations[0].new_value("link") == "ann@acme.com"
    # and once linked, nothing more is planned
    linked = {"00u1": Link("00u1", "ann@acme.com", "ann@acme.com")}
    assert plan([want()], [have(None, "ann@acme.com", status="pending")], linked, Policy(), NOW).operations == ()


def test_pending_linked_user_still_assigned_is_left_alone() -> None:
    links = {"00u1": Link("00u1", "zpend", "ann@acme.com")}
    p = plan([want()], [have(None, "ann@acme.com", status="pending")], links, Policy(), NOW)
    assert p.operations == ()


LINKED = {"00u1": Link("00u1", "z1", "ann@acme.com")}


def test_role_names_compare_case_insensitively_when_deactivating() -> None:
    # Given Zoom names the Member role in lower case
    p = plan([want(state=DesiredState.INACTIVE)], [have(role="member")], LINKED, Policy(), NOW)
    # Then deactivating needs no role change (a "member" -> "Member" removal would fail with code 300)
    assert kinds(p) == ["deactivate"]


def test_a_rule_naming_member_in_lower_case_is_the_member_role() -> None:
    policy = Policy(role_rules=[{"group": "g", "role": "member"}])  # type: ignore[arg-type]
    p = plan([want(role="member")], [have(role="Member")], LINKED, policy, NOW)
    assert p.operations == ()
    created = plan([want(role="member")], [], {}, policy, NOW)
    assert kinds(created) == ["create"]


def test_a_user_whose_role_zoom_did_not_give_is_never_changed() -> None:
    # Given a Zoom user listed without a role (it might be the Owner), in a managed domain, not assigned
    policy = Policy(managed_domains=["acme.com"])  # type: ignore[arg-type]
    p = plan([], [have("z9", "who@acme.com", role=None)], {}, policy, NOW)
    # Then it is left alone and the plan says why
    assert p.operations == () and p.unmanaged == 1
    assert any("did not give" in note for note in p.notes)
    # and an assigned user with that email is not updated either
    q = plan([want(email="who@acme.com", first_name="New")], [have("z9", "who@acme.com", role=None)], {}, policy, NOW)
    assert q.operations == ()


def test_emails_are_trimmed_before_they_are_compared() -> None:
    p = plan([want(email="ann@acme.com")], [have(email=" Ann@Acme.com ")], {}, Policy(), NOW)
    assert "create" not in kinds(p) and "email" not in kinds(p)


def test_the_admin_role_taken_away_to_deactivate_is_remembered_and_given_back_on_reactivation() -> None:
    # Given an Admin who is suspended in Okta
    p = plan([want(state=DesiredState.INACTIVE)], [have(role=ADMIN_ROLE)], LINKED, Policy(), NOW)
    # Then the role is stripped first and remembered on both operations
    assert kinds(p) == ["role", "deactivate"]
    assert all(op.new_value("restore_role") == ADMIN_ROLE for op in p.operations)
    # When they are unsuspended, with no role rule deciding their role
    links = {"00u1": Link("00u1", "z1", "ann@acme.com", NOW.isoformat(), restore_role=ADMIN_ROLE)}
    back = plan([want()], [have(status="inactive", role=MEMBER_ROLE)], links, Policy(), NOW)
    # Then they are reactivated and get the Admin role back (and the link forgets it)
    assert kinds(back) == ["reactivate", "role"]
    role = back.operations[1]
    assert role.new_value("role") == ADMIN_ROLE and role.new_value("restore_role") is None


def test_a_role_rule_decides_the_role_after_reactivation_instead_of_the_remembered_one() -> None:
    policy = Policy(role_rules=[{"group": "g", "role": "Admin"}])  # type: ignore[arg-type]
    links = {"00u1": Link("00u1", "z1", "ann@acme.com", NOW.isoformat(), restore_role="Auditor")}
    p = plan([want(role=MEMBER_ROLE)], [have(status="inactive")], links, policy, NOW)
    # "Auditor" is not a role the rules manage, and the user matches no rule: it is given back
    assert kinds(p) == ["reactivate", "role"]
    q = plan([want(role="Admin")], [have(status="inactive")], links, policy, NOW)
    assert [op.new_value("role") for op in q.operations if op.op.value == "role"] == ["Admin"]


def test_delete_policy_deletes_only_after_delete_after_days() -> None:
    policy = Policy(deprovision="delete", delete_after_days=30)  # type: ignore[arg-type]
    recent = {"00u1": Link("00u1", "z1", "ann@acme.com", (NOW - timedelta(days=3)).isoformat())}
    old = {"00u1": Link("00u1", "z1", "ann@acme.com", (NOW - timedelta(days=31)).isoformat())}
    assert plan([], [have(status="inactive")], recent, policy, NOW).operations == ()
    assert kinds(plan([], [have(status="inactive")], old, policy, NOW)) == ["delete"]


def test_managed_roles_and_groups_only() -> None:
    policy = Policy(
        role_rules=[{"group": "admins", "role": "Admin"}],  # type: ignore[list-item]
        group_rules=[{"group": "eng", "zoom_group": "Eng"}],  # type: ignore[list-item]
    )
    links = {"00u1": Link("00u1", "z1", "ann@acme.com"), "00u2": Link("00u2", "z2", "bo@acme.com")}
    actual = [
        have("z1", role=ADMIN_ROLE, groups=frozenset({"Eng", "Unmanaged"})),
        have("z2", "bo@acme.com", role="Billing"),
    ]
    desired = [want(role=MEMBER_ROLE), want("00u2", "bo@acme.com", role=MEMBER_ROLE)]
    p = plan(desired, actual, links, policy, NOW)
    # Ann loses the managed Admin role and the managed group; Bo keeps the unmanaged custom role.
    assert [(o.email, o.op.value) for o in p.operations] == [("ann@acme.com", "role"), ("ann@acme.com", "group_remove")]


def test_group_membership_is_reconciled_both_ways_for_managed_users_only() -> None:
    policy = Policy(
        group_rules=[{"group": "eng", "zoom_group": "Eng"}, {"group": "sales", "zoom_group": "Sales"}],  # type: ignore[list-item]
    )
    links = {"00u1": Link("00u1", "z1", "ann@acme.com")}
    actual = [
        have("z1", groups=frozenset({"eng", "Book Club"})),  # managed: in Eng (another case) and an unmanaged group
        have("z9", "partner@other.com", groups=frozenset({"Sales"})),  # not managed: no link, no managed domain
    ]
    desired = [want(zoom_groups=frozenset({"Sales"}))]
    p = plan(desired, actual, links, policy, NOW)
    # Ann joins Sales and leaves the managed Eng group, keeps Book Club; the partner stays in Sales.
    assert [(o.email, o.op.value, o.changes[0].old, o.changes[0].new) for o in p.operations] == [
        ("ann@acme.com", "group_add", None, "Sales"),
        ("ann@acme.com", "group_remove", "eng", None),
    ]
    assert p.unmanaged == 1


def test_user_linked_to_another_okta_user_is_not_stolen() -> None:
    links = {"00u1": Link("00u1", "z1", "ann@acme.com")}
    p = plan([want("00u1"), want("00u2", "ann@acme.com")], [have()], links, Policy(), NOW)
    assert kinds(p) == []
    assert any("more than one Okta user" in n for n in p.notes)


# --- property: applying a plan and planning again yields nothing -------------------------------------------

EMAILS = [f"u{i}@acme.com" for i in range(6)] + ["x@other.com"]
GROUPS = ["Eng", "Sales", "Other"]
ROLES = [MEMBER_ROLE, ADMIN_ROLE, "Billing"]
PICTURE_URLS = ["", "https://pics.example/a.png", "https://pics.example/b.png"]
PICTURE_MARKS = [
    None,
    PictureMark("https://pics.example/a.png", "ab" * 32, (NOW - timedelta(days=1)).isoformat()),
    PictureMark("https://pics.example/a.png", "", (NOW - timedelta(days=1)).isoformat()),  # refused
    PictureMark("https://pics.example/b.png", "cd" * 32, (NOW - timedelta(days=30)).isoformat()),  # re-check due
]
# Profile values, aligned with the policy's layout (custom_attributes.Badge, dept, job_title): dept and Badge are
# fields Zoom's list shows, job_title one it does not (compared with the link's digests).
WANTED_PROFILES = [(), (None, "Eng", None), (None, "Eng", "T1"), ("B", None, "T2")]
LISTED_PROFILES = [(), ("", "Eng", None), ("B", "Old", None)]


@st.composite
def worlds(draw):  # type: ignore[no-untyped-def]
    desired = []
    used = set()
    for i, email in enumerate(draw(st.lists(st.sampled_from(EMAILS), max_size=6, unique=True))):
        used.add(email)
        desired.append(
            DesiredUser(
                okta_id=f"00u{i}",
                email=draw(st.sampled_from([email, email.upper(), email.replace("@", ".new@")])),
                first_name=draw(st.sampled_from(["A", "B"])),
                last_name="L",
                state=draw(st.sampled_from(list(DesiredState))),
                license_type=draw(st.sampled_from([1, 2, 4])),
                role=draw(st.sampled_from([None, MEMBER_ROLE, ADMIN_ROLE])),
                zoom_groups=frozenset(draw(st.lists(st.sampled_from(GROUPS[:2]), max_size=2))),
                picture_url=draw(st.sampled_from(PICTURE_URLS)),
                profile=draw(st.sampled_from(WANTED_PROFILES)),
            )
        )
    actual = []
    for j, email in enumerate(draw(st.lists(st.sampled_from(EMAILS), max_size=7, unique=True))):
        status = draw(st.sampled_from(["active", "inactive", "pending"]))
        actual.append(
            ZoomUser(
                zoom_id=None if status == "pending" else f"a{j}",
                email=email,
                first_name=draw(st.sampled_from(["A", "B"])),
                last_name="L",
                type=draw(st.sampled_from([1, 2, 4])),
                status=status,
                role=draw(st.sampled_from([*ROLES, OWNER_ROLE] if j == 0 else ROLES)),
                groups=frozenset(draw(st.lists(st.sampled_from(GROUPS), max_size=3))),
                # an invitation that expired is sent again (removed, then created): planning again yields nothing
                invitation_expired=status == "pending" and draw(st.booleans()),
                profile=draw(st.sampled_from(LISTED_PROFILES)),
            )
        )
    links = {}
    for d in desired:
        candidates = [a for a in actual if a.zoom_id and a.zoom_id not in {link.zoom_id for link in links.values()}]
        if candidates and draw(st.booleans()):
            target = draw(st.sampled_from(candidates))
            deactivated = draw(st.sampled_from([None, (NOW - timedelta(days=40)).isoformat()]))
            picture = draw(st.sampled_from(PICTURE_MARKS))
            sent = draw(st.sampled_from(["", encode_sent({"job_title": digest("T1")})]))
            links[d.okta_id] = Link(
                d.okta_id, str(target.zoom_id), target.email, deactivated, picture=picture, sent=sent
            )
    deprovision = draw(st.sampled_from(["deactivate", "delete"]))
    policy = Policy(
        create_action=draw(st.sampled_from(["ssoCreate", "create"])),
        role_rules=[{"group": "g", "role": ADMIN_ROLE}],
        group_rules=[{"group": "g1", "zoom_group": "Eng"}, {"group": "g2", "zoom_group": "Sales"}],
        managed_domains=draw(st.sampled_from([[], ["acme.com"]])),
        protected_users=draw(st.sampled_from([[], ["u1@acme.com"]])),
        deprovision=deprovision,
        transfer_to=draw(st.sampled_from(["", "manager", "heir@acme.com"])) if deprovision == "delete" else "",
        suspended_users=draw(st.sampled_from(["deactivate", "keep"])),
        picture_attribute=draw(st.sampled_from(["", "pictureUrl"])),
        attributes={"dept": "{department}", "job_title": "{title}"},
        custom_attributes={"Badge": "{badge}"},
    )  # type: ignore[arg-type]
    assert profile_layout(policy) == ("custom_attributes.Badge", "dept", "job_title")
    return desired, actual, links, policy


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_plan_apply_plan_again_yields_nothing(world) -> None:  # type: ignore[no-untyped-def]
    desired, actual, links, policy = world
    first = plan(desired, actual, links, policy, NOW)
    actual2, links2 = apply_plan(first, actual, links, NOW, profile_layout(policy))
    # A link records the address its Zoom user has, never one another Zoom user holds.
    assert not links_naming_another_users_address(actual2, links2), links2
    second = plan(desired, actual2, links2, policy, NOW)
    # Deleting a deactivated user is time-based; nothing else may remain.
    assert second.operations == (), [o.to_dict() for o in second.operations]


def test_a_link_keeps_the_address_its_zoom_user_has_while_an_email_move_waits() -> None:
    # Given a deactivated Zoom user linked to an Okta user whose email changed to an address someone else's
    # pending invitation holds (so the email move waits)
    links = {"00u1": Link("00u1", "z1", "old@acme.com")}
    actual = [have("z1", "old@acme.com", status="inactive"), have(None, "new@acme.com", status="pending")]
    desired = [want(email="new@acme.com")]
    # When the plan (a reactivation) is applied by the real applier
    first = plan(desired, actual, links, Policy(), NOW)
    assert kinds(first) == ["reactivate"]
    actual2, links2 = apply_plan(first, actual, links, NOW)
    # Then the link still names the address the Zoom user has, and the next plan leaves the invitation alone
    assert not links_naming_another_users_address(actual2, links2), links2
    assert "delete" not in kinds(plan(desired, actual2, links2, Policy(), NOW))


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_owner_and_protected_users_are_never_in_a_plan(world) -> None:  # type: ignore[no-untyped-def]
    desired, actual, links, policy = world
    protected = set(policy.protected_users)
    untouchable = {a.zoom_id for a in actual if a.role == OWNER_ROLE or a.email.casefold() in protected}
    p = plan(desired, actual, links, policy, NOW)
    assert not [o for o in p.operations if o.zoom_id is not None and o.zoom_id in untouchable]
    # Nothing is created for, or moved onto, a protected email.
    moved = [o for o in p.operations if o.op in (OpKind.CREATE, OpKind.EMAIL)]
    assert not [o for o in moved if str(o.new_value("email")).casefold() in protected]


# What each desired state plans for a linked, deactivated Zoom user (a new state must be added here).
PLANNED_FOR_AN_INACTIVE_USER = {
    DesiredState.ACTIVE: ["reactivate"],
    DesiredState.INACTIVE: [],
    DesiredState.HOLD: [],
    DesiredState.ABSENT: [],  # already deactivated; deleting waits for delete_after_days
}


@pytest.mark.parametrize("state", list(DesiredState))
def test_every_desired_state_is_planned_without_error(state: DesiredState) -> None:
    p = plan(
        [want(state=state)], [have(status="inactive")], {"00u1": Link("00u1", "z1", "ann@acme.com")}, Policy(), NOW
    )
    assert kinds(p) == PLANNED_FOR_AN_INACTIVE_USER[state]
    assert all(op.okta_id == "00u1" for op in p.operations)


def test_a_user_whose_okta_address_becomes_a_protected_one_keeps_its_zoom_user_in_step() -> None:
    # Given Ann's Zoom user, linked to her, and her Okta address changed to a protected one
    policy = Policy(protected_users=("breakglass@acme.com",))
    links = {"00u1": Link("00u1", "z1", "ann@acme.com")}
    actual = [have("z1", "ann@acme.com"), have("z9", "breakglass@acme.com")]
    # When she is suspended in Okta
    suspended = plan([want(email="breakglass@acme.com", state=DesiredState.INACTIVE)], actual, links, policy, NOW)
    # Then her own Zoom user is deactivated, and the protected user is not touched
    assert [(op.op.value, op.zoom_id) for op in suspended.operations] == [("deactivate", "z1")]
    # and while she is active, her name follows Okta but her Zoom user never moves onto the protected address
    renamed = plan([want(email="breakglass@acme.com", last_name="Roy")], actual, links, policy, NOW)
    assert [(op.op.value, op.zoom_id) for op in renamed.operations] == [("update", "z1")]
    assert any("protected address" in note for note in renamed.notes)


def test_a_create_that_finds_its_address_taken_takes_over_only_a_free_member() -> None:
    # A Member nobody else links is taken over; the Owner, a user whose role Zoom hides, or another's user is not.
    assert may_take_over(have(), None, "00u1") and may_take_over(have(), "00u1", "00u1")
    assert not may_take_over(have(role=OWNER_ROLE), None, "00u1")
    assert not may_take_over(have(role=None), None, "00u1")
    assert not may_take_over(have(), "00u2", "00u1")


def test_a_mapped_manager_must_be_a_zoom_user_when_every_zoom_user_was_read() -> None:
    # Layout (dept, manager): Ann's manager is Bo; Cy's manager is Di, created by this plan
    policy = Policy(attributes={"dept": "{department}", "manager": "{managerId}"})  # type: ignore[arg-type]
    links = {"00u1": Link("00u1", "z1", "ann@acme.com"), "00u3": Link("00u3", "z3", "cy@acme.com")}
    desired = [
        want(profile=("Eng", "bo@acme.com")),
        want("00u3", "cy@acme.com", first_name="Cy", profile=("Eng", "di@acme.com")),
        want("00u4", "di@acme.com", first_name="Di"),
    ]
    actual = [have(profile=("Eng", None)), have("z3", "cy@acme.com", first_name="Cy", profile=("Eng", None))]

    whole = plan(desired, actual, links, policy, NOW, zoom_complete=True)
    # Bo is no Zoom user: one problem, nothing sent for the manager; Di is created now: set next run, with a note
    assert [(p.email, p.message.split(":")[0]) for p in whole.problems] == [("ann@acme.com", "manager")]
    assert [op.op.value for op in whole.operations] == ["create"]
    assert any("di@acme.com is created this run" in note for note in whole.notes)
    # A partial read cannot tell: the manager is sent (Zoom has the last word)
    partial = plan(desired, actual, links, policy, NOW)
    assert partial.problems == ()
    assert sorted(op.op.value for op in partial.operations) == ["create", "update", "update"]
