"""The planner: desired users (from Okta) and actual users (from Zoom) in, typed operations out. Pure.

Matching is by link (Okta id -> Zoom id) first, then by email, case-insensitively (adoption), so an
email change in Okta changes the email of the same Zoom user and never creates a second one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from okta_zoom_sync.core.attributes import mapped_manager, profile_changes, profile_layout, without_manager
from okta_zoom_sync.core.invitations import invitation_due
from okta_zoom_sync.core.model import (
    MEMBER_ROLE,
    OWNER_ROLE,
    RESTORE_ROLE,
    SENT,
    TRANSFER_TO,
    Change,
    DesiredState,
    DesiredUser,
    Link,
    Operation,
    OpKind,
    Plan,
    PlanProblem,
    UserPlan,
    ZoomStatus,
    ZoomUser,
    fold,
    same_role,
)
from okta_zoom_sync.core.pictures import link_mark, with_picture
from okta_zoom_sync.core.policy import Deprovision, Policy


def email_domain(email: str) -> str:
    return fold(email).rpartition("@")[2]


def untouchable(user: ZoomUser, protected: frozenset[str]) -> bool:
    """The Owner, a protected email, or a user whose role Zoom did not tell (it might be the Owner)."""
    if user.role is None:
        return user.status != ZoomStatus.PENDING  # the Owner is never a pending invitation
    return same_role(user.role, OWNER_ROLE) or fold(user.email) in protected


def may_take_over(existing: ZoomUser, owner: str | None, okta_id: str | None) -> bool:
    """Whether a create that found its address taken (a lost answer, an invitation sent meanwhile) may link the Zoom
    user holding it instead: never the Owner, nor a user whose role Zoom does not say (it might be the Owner), nor a
    Zoom user linked to another Okta user (`owner`), since two Okta users never share one."""
    if existing.role is None or same_role(existing.role, OWNER_ROLE):
        return False
    return owner is None or owner == okta_id


def plan(
    desired: Sequence[DesiredUser],
    actual: Sequence[ZoomUser],
    links: Mapping[str, Link],
    policy: Policy,
    now: datetime,
    *,
    zoom_complete: bool = False,
) -> Plan:
    """`zoom_complete`: `actual` is every Zoom user (a full read), so a mapped manager who is none of them (nor
    created now) is known to be one Zoom refuses."""
    protected = frozenset(fold(email) for email in policy.protected_users)
    managed_domains = frozenset(policy.managed_domains)
    notes: list[str] = []
    problems: list[PlanProblem] = []
    unmanaged = 0
    managed = 0

    wanted = _unique_emails(desired, notes)
    matches, claimed = _match(wanted, actual, links)
    # Who owns a Zoom user no desired user claimed, by its id or (pending users have none in Zoom's list) its
    # email: made only when there is such a user (none in a run where everyone is in sync).
    owners: tuple[dict[str, str], dict[str, str]] | None = None

    rules = _Rules(
        managed_roles=frozenset(fold(role) for role in policy.managed_roles),
        managed_groups=frozenset(fold(group) for group in policy.managed_zoom_groups),
        profile_layout=profile_layout(policy),
    )
    # Who may be a manager: the Zoom users (made only when a manager is mapped and every Zoom user was read).
    zoom_emails = {fold(u.email) for u in actual} if zoom_complete and "manager" in rules.profile_layout else None
    users: list[UserPlan] = []
    for want in wanted:
        have, previous_owner = matches[want.okta_id]
        if zoom_emails is not None:
            want = _known_manager(want, rules.profile_layout, zoom_emails, wanted, notes)
        if have is not None and untouchable(have, protected):
            unmanaged += 1  # the Owner or a protected user: never changed
            continue
        if fold(want.email) in protected:
            if have is None:
                continue  # never created on a protected address
            # The Okta user's address is now a protected one: its own Zoom user is still kept in step (deactivated
            # when the person is suspended, say), but never moved onto the protected address.
            notes.append(f"{have.email}: Okta gives it the protected address {want.email}; its address is kept")
            want = replace(want, email=have.email)
        if have is not None:
            managed += 1
        if want.problems and want.state is DesiredState.ACTIVE:
            zoom_id = have.zoom_id if have else None
            code = "invalid_attribute"
            problems.extend(PlanProblem(want.email, want.okta_id, zoom_id, code, problem) for problem in want.problems)
        link = links.get(want.okta_id)
        user_plan = _plan_user(want, have, previous_owner, link, policy, rules, now)
        user_plan = with_picture(user_plan, want, have, link if previous_owner is None else None, policy, now)
        if user_plan is not None:
            users.append(user_plan)

    for user in actual:
        if fold(user.email) in claimed:
            continue
        if untouchable(user, protected):
            unmanaged += 1
            if user.role is None and fold(user.email) not in protected:
                notes.append(f"{user.email}: Zoom did not give this user's role; left alone")
            continue
        if owners is None:
            owners = (
                {link.zoom_id: okta_id for okta_id, link in links.items()},
                {fold(link.email): okta_id for okta_id, link in links.items()},
            )
        linked, linked_by_email = owners
        owner = linked.get(user.zoom_id) if user.zoom_id else linked_by_email.get(fold(user.email))
        if owner is None and email_domain(user.email) not in managed_domains:
            unmanaged += 1
            continue
        managed += 1
        owner_link = links.get(owner) if owner else None
        user_plan = _deprovision(user, owner, owner_link, policy, now)
        mark = link_mark(owner_link, user.zoom_id)
        if user_plan is not None and mark is not None:
            user_plan = replace(user_plan, picture=mark)  # a deactivation rewrites the link: keep the mark
        if user_plan is not None:
            users.append(user_plan)

    ordered = _order_email_moves(users, actual, notes)
    return Plan(
        users=tuple(ordered), unmanaged=unmanaged, managed=managed, notes=tuple(notes), problems=tuple(problems)
    )


_NOT_LINKED = "-"


def _known_manager(
    want: DesiredUser, layout: tuple[str, ...], zoom_emails: set[str], wanted: Sequence[DesiredUser], notes: list[str]
) -> DesiredUser:
    """Zoom takes as `manager` the email of a user of the account. A manager this plan creates is set by the next
    run (this run's update might go first); one who is no Zoom user at all is a problem, and the field is left."""
    manager = mapped_manager(layout, want.profile)
    if manager is None or fold(manager) in zoom_emails:
        return want
    profile = without_manager(layout, want.profile)
    if any(fold(w.email) == fold(manager) and w.state is DesiredState.ACTIVE for w in wanted):
        notes.append(f"{want.email}: manager {manager} is created this run; set by the next run")
        return replace(want, profile=profile)
    problem = f"manager: {manager} is not a user of the Zoom account (Zoom wants the email of one)"
    return replace(want, profile=profile, problems=(*want.problems, problem))


@dataclass(frozen=True, slots=True)
class _Rules:
    """What every user's plan asks of the policy, folded once per plan rather than once per user."""

    managed_roles: frozenset[str]  # folded role names the role rules give
    managed_groups: frozenset[str]  # folded Zoom group names the group rules manage
    profile_layout: tuple[str, ...]  # the profile fields beyond the names (core/attributes.py)


def _unique_emails(desired: Sequence[DesiredUser], notes: list[str]) -> list[DesiredUser]:
    """The desired users that should have a Zoom user, one per email."""
    seen: set[str] = set()
    out = []
    for want in sorted(desired, key=lambda d: d.okta_id):
        if want.state is DesiredState.ABSENT:
            continue  # treated like an unassigned user: its linked Zoom user, if any, is deprovisioned below
        if fold(want.email) in seen:
            notes.append(f"{want.email}: more than one Okta user has this email; only the first is synced")
            continue
        seen.add(fold(want.email))
        out.append(want)
    return out


def _match(
    wanted: Sequence[DesiredUser], actual: Sequence[ZoomUser], links: Mapping[str, Link]
) -> tuple[dict[str, tuple[ZoomUser | None, str | None]], set[str]]:
    """Each desired user's Zoom user: by link first (for everyone), then by email (adoption); and the folded
    emails of the Zoom users matched.

    The second element is None for a link match, the previous owner's Okta id (or _NOT_LINKED) for an
    adoption. A Zoom user linked to an Okta user that is no longer wanted may be adopted by another
    Okta user with its email (a person who got a new Okta account). The maps adoption needs are made only when
    a desired user is left without its linked Zoom user (none in a run where everyone is in sync)."""
    by_id = {u.zoom_id: u for u in actual if u.zoom_id}
    pending_by_email = {fold(u.email): u for u in actual if not u.zoom_id}
    claimed: set[str] = set()
    matches: dict[str, tuple[ZoomUser | None, str | None]] = {}
    for want in wanted:
        link = links.get(want.okta_id)
        user = (by_id.get(link.zoom_id) or pending_by_email.get(fold(link.email))) if link else None
        if user is not None and fold(user.email) not in claimed:
            claimed.add(fold(user.email))
            matches[want.okta_id] = (user, None)
    del by_id, pending_by_email
    unmatched = [want for want in wanted if want.okta_id not in matches]
    if not unmatched:
        return matches, claimed
    by_email: dict[str, ZoomUser] = {}
    for zoom_user in actual:
        by_email.setdefault(fold(zoom_user.email), zoom_user)
    wanted_ids = {w.okta_id for w in wanted}
    linked = {link.zoom_id: okta_id for okta_id, link in links.items() if okta_id in wanted_ids}
    stale = {link.zoom_id: okta_id for okta_id, link in links.items() if okta_id not in wanted_ids}
    for want in unmatched:
        if want.okta_id in matches:
            continue
        candidate = by_email.get(fold(want.email))
        if candidate is None or fold(candidate.email) in claimed or (candidate.zoom_id or "") in linked:
            matches[want.okta_id] = (None, None)
            continue
        claimed.add(fold(candidate.email))
        matches[want.okta_id] = (candidate, stale.get(candidate.zoom_id or "", _NOT_LINKED))
    return matches, claimed


def _order_email_moves(users: list[UserPlan], actual: Sequence[ZoomUser], notes: list[str]) -> list[UserPlan]:
    """Run email changes and creates only once their email is free, in an order that frees it first.

    A user whose new email stays taken (by a Zoom user the sync leaves alone, or in a swap of two
    emails) is not moved: the note says why, and the rest of that user's plan still runs."""
    deleting = [u for u in users if any(op.op is OpKind.DELETE for op in u.operations)]
    deleting_ids = {id(u) for u in deleting}
    held = {fold(u.email) for u in actual} - {fold(u.email) for u in deleting}
    ordered = deleting + [u for u in users if _email_target(u) is None and id(u) not in deleting_ids]
    waiting = [u for u in users if _email_target(u) is not None]
    progress = True
    while waiting and progress:
        # One pass in order: a user whose email is free goes now; the others wait for the next pass.
        progress = False
        still: list[UserPlan] = []
        for user in waiting:
            target, source = _email_target(user)  # type: ignore[misc]
            if fold(target) in held:
                still.append(user)
                continue
            held.discard(fold(source) if source else "")
            held.add(fold(target))
            ordered.append(user)
            progress = True
        waiting = still
    for user in waiting:
        target, _ = _email_target(user)  # type: ignore[misc]
        notes.append(f"{user.email}: the email {target} is used by another Zoom user; not moved this run")
        rest = tuple(op for op in user.operations if op.op not in (OpKind.CREATE, OpKind.EMAIL))
        if user.zoom_id is not None and rest:
            ordered.append(replace(user, operations=rest))
    return ordered


def _email_target(user: UserPlan) -> tuple[str, str | None] | None:
    for op in user.operations:
        if op.op is OpKind.CREATE:
            return str(op.new_value("email")), None
        if op.op is OpKind.EMAIL:
            return str(op.new_value("email")), str(op.changes[0].old)
    return None


def _plan_user(
    want: DesiredUser,
    have: ZoomUser | None,
    previous_owner: str | None,
    link: Link | None,
    policy: Policy,
    rules: _Rules,
    now: datetime,
) -> UserPlan | None:
    ops: list[Operation] = []
    # What the link remembers having sent holds for the Zoom user it links, not for one adopted now.
    sent = link.sent if link is not None and have is not None and previous_owner is None else ""

    def op(kind: OpKind, *changes: Change, zoom_id: str | None = None) -> None:
        target_id = zoom_id if zoom_id is not None else (have.zoom_id if have else None)
        ops.append(Operation(kind, want.email, want.okta_id, target_id, tuple(changes)))

    if have is None:
        if want.state is not DesiredState.ACTIVE:
            return None
        op(
            OpKind.CREATE,
            Change("email", None, want.email),
            Change("first_name", None, want.first_name),
            Change("last_name", None, want.last_name),
            Change("type", None, want.license_type),
            Change("action", None, policy.create_action.value),
        )
        ops.extend(_new_user_settings(want, None))
        ops.extend(_new_user_profile(want, None, policy, rules))
        return UserPlan(want.email, want.okta_id, None, tuple(ops))

    if previous_owner is not None:
        # A pending user has no id in Zoom's list: it is linked by its email (Zoom takes an email as the user id),
        # and the link is moved to the real id once the invitation is accepted.
        changes = [Change("link", None, have.zoom_id or have.email)]
        if previous_owner != _NOT_LINKED:
            changes.append(Change("previous_okta_id", previous_owner, None))
        op(OpKind.ADOPT, *changes)

    if _reinvite_due(want, have, link, now):
        ops.append(_reinvite(want, have, policy))
        ops.extend(_new_user_settings(want, have.zoom_id))
        ops.extend(_new_user_profile(want, have.zoom_id, policy, rules))
        return _user_plan(have, want.okta_id, ops)
    # Zoom ignores changes to pending (invited, not yet accepted) users; they are synced once active.
    if have.status == ZoomStatus.PENDING or want.state is DesiredState.HOLD:
        return _user_plan(have, want.okta_id, ops, sent=sent)

    if want.state is DesiredState.INACTIVE:
        if have.status == ZoomStatus.ACTIVE:
            ops.extend(_strip_role_and_deactivate(have, want.okta_id))
            return _user_plan(have, want.okta_id, ops, deprovision=True, sent=sent)
        return _user_plan(have, want.okta_id, ops, sent=sent)

    # Desired ACTIVE.
    managed_roles = rules.managed_roles
    restore = link.restore_role if link is not None else None
    decided = want.role is not None and (not same_role(want.role, MEMBER_ROLE) or fold(restore or "") in managed_roles)
    if restore is not None and decided:
        restore = None  # a role rule decides this user's role
    if fold(have.email) != fold(want.email):
        op(OpKind.EMAIL, Change("email", have.email, want.email))
    if have.status == ZoomStatus.INACTIVE:
        keep = (Change(RESTORE_ROLE, restore, restore),) if restore else ()
        op(OpKind.REACTIVATE, Change("status", have.status, ZoomStatus.ACTIVE.value), *keep)
    # A name whose template rendered "" is left as it is.
    name_changes = [
        Change(name, old, new)
        for name, old, new in (
            ("first_name", have.first_name, want.first_name),
            ("last_name", have.last_name, want.last_name),
        )
        if new and old != new
    ]
    if want.profile:
        profile = profile_changes(rules.profile_layout, want.profile, have.profile, sent)
        name_changes += [Change(field, old, new) for field, old, new in profile.changes]
        if profile.sent is not None:
            name_changes.append(Change(SENT, sent, profile.sent))
            if restore:  # the link written with the digests keeps the role to give back
                name_changes.append(Change(RESTORE_ROLE, restore, restore))
    if name_changes:
        op(OpKind.UPDATE, *name_changes)
    if have.type != want.license_type:
        op(OpKind.LICENSE, Change("type", have.type, want.license_type))
    current_role = have.role or MEMBER_ROLE
    if restore is not None:
        # The sync took this role away to deactivate the user; no rule decides the role: give it back.
        if same_role(current_role, MEMBER_ROLE) and not same_role(restore, MEMBER_ROLE):
            op(OpKind.ROLE, Change("role", current_role, restore), Change(RESTORE_ROLE, restore, None))
    elif (
        want.role is not None
        and not same_role(current_role, want.role)
        # MEMBER_ROLE means "no managed role": only take away roles the policy manages.
        and (not same_role(want.role, MEMBER_ROLE) or fold(current_role) in managed_roles)
    ):
        op(OpKind.ROLE, Change("role", current_role, want.role))
    if have.groups or want.zoom_groups:
        have_groups = {fold(g): g for g in have.groups}
        want_groups = {fold(g): g for g in want.zoom_groups}
        for key in sorted(want_groups.keys() - have_groups.keys()):
            op(OpKind.GROUP_ADD, Change("group", None, want_groups[key]))
        for key in sorted((have_groups.keys() & rules.managed_groups) - want_groups.keys()):
            op(OpKind.GROUP_REMOVE, Change("group", have_groups[key], None))
    return _user_plan(have, want.okta_id, ops, sent=sent)


def _new_user_settings(want: DesiredUser, zoom_id: str | None) -> list[Operation]:
    """What a user just created (or invited again) is given after its create: its managed role and groups."""
    ops = []
    if want.role is not None and not same_role(want.role, MEMBER_ROLE):
        ops.append(Operation(OpKind.ROLE, want.email, want.okta_id, zoom_id, (Change("role", MEMBER_ROLE, want.role),)))
    for group in sorted(want.zoom_groups):
        ops.append(Operation(OpKind.GROUP_ADD, want.email, want.okta_id, zoom_id, (Change("group", None, group),)))
    return ops


def _new_user_profile(want: DesiredUser, zoom_id: str | None, policy: Policy, rules: _Rules) -> list[Operation]:
    """The rest of the profile of a user just created (or invited again). An invitation (create) is pending until
    accepted, and Zoom ignores changes to it: its profile follows once it is active. Other creates are active at
    once: the profile follows the create."""
    if not want.profile or policy.create_action.value == "create":
        return []
    profile = profile_changes(rules.profile_layout, want.profile, (), "", created=True)
    changes = [Change(field, old, new) for field, old, new in profile.changes]
    remember = (Change(SENT, "", profile.sent),) if profile.sent is not None else ()
    if not changes and not remember:
        return []
    return [Operation(OpKind.UPDATE, want.email, want.okta_id, zoom_id, (*changes, *remember))]


def _reinvite_due(want: DesiredUser, have: ZoomUser, link: Link | None, now: datetime) -> bool:
    """An expired invitation of a user who should be active, not sent again within the period (core/invitations)."""
    expired = have.status == ZoomStatus.PENDING and have.invitation_expired
    return expired and want.state is DesiredState.ACTIVE and invitation_due(link, now)


def _reinvite(want: DesiredUser, have: ZoomUser, policy: Policy) -> Operation:
    """Remove the expired invitation and invite the user again at the same address, as a create would (a new Okta
    address waits, as for any pending user, until the invitation is accepted)."""
    changes = (
        Change("invitation", "expired", "sent"),
        Change("first_name", None, want.first_name),
        Change("last_name", None, want.last_name),
        Change("type", None, want.license_type),
        Change("action", None, policy.create_action.value),
    )
    return Operation(OpKind.REINVITE, have.email, want.okta_id, have.zoom_id, changes)


def _user_plan(
    have: ZoomUser, okta_id: str | None, ops: list[Operation], deprovision: bool = False, sent: str = ""
) -> UserPlan | None:
    if not ops:
        return None
    return UserPlan(have.email, okta_id, have.zoom_id, tuple(ops), deprovision=deprovision, sent=sent)


def _strip_role_and_deactivate(have: ZoomUser, okta_id: str | None) -> list[Operation]:
    """Zoom refuses to deactivate an Admin (code 200): take the role away first, and remember it."""
    ops = []
    remember: tuple[Change, ...] = ()
    if have.role is not None and not same_role(have.role, MEMBER_ROLE):
        remember = (Change(RESTORE_ROLE, None, have.role),)
        ops.append(
            Operation(
                OpKind.ROLE, have.email, okta_id, have.zoom_id, (Change("role", have.role, MEMBER_ROLE), *remember)
            )
        )
    ops.append(
        Operation(
            OpKind.DEACTIVATE,
            have.email,
            okta_id,
            have.zoom_id,
            (Change("status", have.status, ZoomStatus.INACTIVE.value), *remember),
        )
    )
    return ops


def _deprovision(
    have: ZoomUser, okta_id: str | None, link: Link | None, policy: Policy, now: datetime
) -> UserPlan | None:
    if have.status == ZoomStatus.PENDING:
        # An invitation not yet accepted cannot be deactivated: withdraw it. Zoom refuses to disassociate a user
        # of a managed (associated) domain (code 1107): such an invitation is deleted; it holds no data.
        managed = email_domain(have.email) in frozenset(policy.managed_domains)
        return _delete(have, okta_id, "delete" if managed else "disassociate")
    if have.status == ZoomStatus.ACTIVE:
        ops = _strip_role_and_deactivate(have, okta_id)
        sent = link.sent if link is not None else ""
        return UserPlan(have.email, okta_id, have.zoom_id, tuple(ops), deprovision=True, sent=sent)
    if policy.deprovision is Deprovision.DELETE and link is not None and link.deactivated_at:
        deactivated_at = datetime.fromisoformat(link.deactivated_at)
        if now - deactivated_at >= timedelta(days=policy.delete_after_days):
            return _delete(have, okta_id, "delete", transfer_to=policy.transfer_to)
    return None


def _delete(have: ZoomUser, okta_id: str | None, action: str, *, transfer_to: str = "") -> UserPlan:
    """`transfer_to`: "manager" or an email to move the user's meetings, webinars and recordings to first (the
    applier resolves "manager" and checks the target); "" deletes them with the user."""
    changes: tuple[Change, ...] = (Change("status", have.status, None), Change("action", None, action))
    if transfer_to:
        changes += (Change(TRANSFER_TO, None, transfer_to),)
    op = Operation(OpKind.DELETE, have.email, okta_id, have.zoom_id, changes)
    return UserPlan(have.email, okta_id, have.zoom_id, (op,), deprovision=True)
