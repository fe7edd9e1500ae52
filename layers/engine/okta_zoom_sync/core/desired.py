"""Desired Zoom state from Okta assignments and the policy. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from okta_zoom_sync.core.attributes import AttributeMap, WantedProfile
from okta_zoom_sync.core.model import MEMBER_ROLE, DesiredState, DesiredUser, OktaGroupRef, OktaStatus, OktaUser
from okta_zoom_sync.core.policy import Policy, SuspendedUsers

ACTIVE_STATUSES = frozenset(
    {OktaStatus.ACTIVE, OktaStatus.PASSWORD_EXPIRED, OktaStatus.LOCKED_OUT, OktaStatus.RECOVERY}
)
NOT_YET_STATUSES = frozenset({OktaStatus.STAGED, OktaStatus.PROVISIONED})


def zoom_email(assignment: OktaUser) -> str:
    """The Okta login when it is an email address (the usual case), else the profile email."""
    return assignment.login if "@" in assignment.login else assignment.email


def desired_state(status: str, policy: Policy) -> DesiredState:
    if status in ACTIVE_STATUSES:
        return DesiredState.ACTIVE
    if status == OktaStatus.SUSPENDED:
        return DesiredState.INACTIVE if policy.suspended_users is SuspendedUsers.DEACTIVATE else DesiredState.HOLD
    if status == OktaStatus.DEPROVISIONED:
        return DesiredState.ABSENT
    # STAGED, PROVISIONED and any status Okta adds later: create nothing, change nothing.
    return DesiredState.HOLD


def in_group(reference: str, groups: frozenset[OktaGroupRef]) -> bool:
    """A rule names an Okta group by id or by name (names compare case-insensitively, as Okta does)."""
    folded = reference.casefold()
    return any(group.id == reference or group.name.casefold() == folded for group in groups)


def okta_profile(assignment: OktaUser) -> dict[str, object]:
    """The Okta attributes templates render from: those the record keeps in its own fields, and the rest it kept."""
    return {
        "firstName": assignment.first_name,
        "lastName": assignment.last_name,
        "email": assignment.email,
        "login": assignment.login,
        **dict(assignment.profile),
    }


def desired_user(
    assignment: OktaUser,
    policy: Policy,
    managers: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
    attribute_map: AttributeMap | None = None,
) -> DesiredUser:
    """`managers`: Okta id -> email of the managers `{managerId}` may name. `notes` learns what was left as it is.
    `attribute_map`: AttributeMap.of(policy), made once for many users."""
    attribute_map = attribute_map or AttributeMap.of(policy)
    if attribute_map.names_only:  # the defaults, at no cost per user: what the record holds
        wanted = WantedProfile(assignment.first_name, assignment.last_name, (), ())
    else:
        wanted = attribute_map.wanted(okta_profile(assignment), managers or {})
    if notes is not None and wanted.notes:
        notes.extend(f"{zoom_email(assignment)}: {note}" for note in wanted.notes)
    groups = assignment.groups
    license_type = policy.default_license.zoom_type
    for license_rule in policy.license_rules:
        if in_group(license_rule.group, groups):
            license_type = license_rule.license.zoom_type
            break
    role: str | None = MEMBER_ROLE if policy.role_rules else None
    for role_rule in policy.role_rules:
        if in_group(role_rule.group, groups):
            role = role_rule.role
            break
    zoom_groups = frozenset(rule.zoom_group for rule in policy.group_rules if in_group(rule.group, groups))
    return DesiredUser(
        okta_id=assignment.okta_id,
        email=zoom_email(assignment),
        first_name=wanted.first_name,  # "" leaves Zoom's as it is
        last_name=wanted.last_name,
        state=desired_state(assignment.status, policy),
        license_type=license_type,
        role=role,
        zoom_groups=zoom_groups,
        picture_url=assignment.picture_url if policy.picture_attribute else "",
        profile=wanted.values,
        problems=wanted.problems,
    )


def desired_users(
    assignments: Iterable[OktaUser],
    policy: Policy,
    managers: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> list[DesiredUser]:
    attribute_map = AttributeMap.of(policy)
    return [desired_user(a, policy, managers, notes, attribute_map) for a in assignments]
