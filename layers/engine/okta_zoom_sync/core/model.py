"""Plain frozen data shared by the planner, the applier and the adapters.

Pydantic models live at the boundaries (the event, the settings, the policy, the secret); the adapters turn API
payloads into these records too. Inside the engine every value is one of these small immutable records, so the
planner stays a pure function. The records a run holds one of per user (Okta and Zoom users, desired users, links,
operations) use slots: no per-instance dict, about half the memory at 100,000 users.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MEMBER_ROLE = "Member"
OWNER_ROLE = "Owner"
ADMIN_ROLE = "Admin"


class OktaStatus(StrEnum):
    STAGED = "STAGED"
    PROVISIONED = "PROVISIONED"
    ACTIVE = "ACTIVE"
    RECOVERY = "RECOVERY"
    PASSWORD_EXPIRED = "PASSWORD_EXPIRED"
    LOCKED_OUT = "LOCKED_OUT"
    SUSPENDED = "SUSPENDED"
    DEPROVISIONED = "DEPROVISIONED"


class ZoomStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    PENDING = "pending"


# Zoom user `type` by policy license name: 1 Basic, 2 Licensed, 4 Unassigned (no Meetings Basic).
LICENSE_TYPES: dict[str, int] = {"basic": 1, "licensed": 2, "unassigned": 4}
# How much a Zoom user type gives, to tell a downgrade (max_license_downgrades) from an upgrade:
# Licensed > Basic > Unassigned (no Meetings at all) > None (99, ssoCreate only). Unknown types rank with Basic.
LICENSE_RANK: dict[int, int] = {2: 3, 1: 2, 4: 1, 99: 0}


def license_rank(user_type: int) -> int:
    return LICENSE_RANK.get(user_type, LICENSE_RANK[1])


def fold(text: str) -> str:
    """How emails, role names and group names compare: trimmed, case-insensitive. A text already folded (the usual
    email) comes back as the same string, so the planner's many lookups by folded email allocate nothing."""
    folded = text.strip().casefold()
    return text if folded == text else folded


def same_role(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and fold(a) == fold(b)


@dataclass(frozen=True, slots=True)
class OktaGroupRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class OktaUser:
    """An Okta user as read from Okta: an app user (assigned directly or through a group; `status` is then the
    user's status as the assignment sees it) or a user looked up by id, login or email, assigned or not."""

    okta_id: str
    login: str
    email: str
    first_name: str
    last_name: str
    status: str
    groups: frozenset[OktaGroupRef] = frozenset()
    picture_url: str = ""  # the policy's picture_attribute as read from the profile ("" when unset or absent)
    # The profile attributes the policy's templates name (only those: a run never holds whole profiles), as text.
    profile: tuple[tuple[str, str], ...] = ()


class DesiredState(StrEnum):
    ACTIVE = "active"  # the Zoom user exists and is active
    INACTIVE = "inactive"  # the Zoom user, if any, is deactivated (Okta SUSPENDED)
    HOLD = "hold"  # leave the Zoom user as it is; create nothing (STAGED, PROVISIONED, SUSPENDED+keep)
    ABSENT = "absent"  # deprovision (not assigned any more, or DEPROVISIONED)


@dataclass(frozen=True, slots=True)
class DesiredUser:
    """What Zoom should hold for one assigned Okta user, after the policy is applied."""

    okta_id: str
    email: str
    first_name: str
    last_name: str
    state: DesiredState
    license_type: int
    role: str | None  # a managed role name, MEMBER_ROLE to drop a managed role, None = leave roles alone
    zoom_groups: frozenset[str]  # the managed Zoom group names this user belongs in
    picture_url: str = ""  # the picture the Zoom user should show ("" = leave Zoom's picture as it is)
    # Zoom profile values from the policy's attributes, aligned with core/attributes.AttributeMap.layout (None: left
    # as it is in Zoom); () when there are none.
    profile: tuple[str | None, ...] = ()
    # Values Zoom would refuse, one message each naming the field: reported as errors, never sent.
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ZoomUser:
    """A Zoom user as read from Zoom, with role and group ids already resolved to names."""

    zoom_id: str | None  # Zoom does not return an id for pending users in lists
    email: str
    first_name: str
    last_name: str
    type: int
    status: str
    # Role name (Owner, Admin, Member or a custom role). None: Zoom did not say (a list row without role_id that
    # could not be resolved); such a user might be the Owner, so the sync never changes it.
    role: str | None
    groups: frozenset[str]  # Zoom group names
    invitation_expired: bool = False  # a pending user whose invitation expired (Zoom code 1120)
    # The mapped profile fields the row carried (a list row carries only some), aligned with
    # core/attributes.AttributeMap.layout (None: not in the row); () when it carried none.
    profile: tuple[str | None, ...] = ()


@dataclass(frozen=True, slots=True)
class PictureMark:
    """The picture the sync last put on (or was refused for) a Zoom user, kept in its link: the image is fetched
    again only when the URL changes or the mark is older than the re-check period."""

    url: str
    sha256: str  # of the image uploaded; "" when the picture at `url` was refused (too big, not an image, ...)
    checked_at: str  # ISO-8601 UTC of the last fetch


@dataclass(frozen=True, slots=True)
class Link:
    """The state table's record that this Okta user owns this Zoom user."""

    okta_id: str
    zoom_id: str
    email: str
    deactivated_at: str | None = None  # ISO-8601 UTC, set when the sync deactivated the user
    # The role the sync took away so that Zoom would let it deactivate the user (Admin, a custom role):
    # given back on reactivation when no role rule decides the user's role.
    restore_role: str | None = None
    # ISO-8601 UTC of the last invitation the sync sent (or tried to send again) to this pending user: an expired
    # invitation is sent again at most once per `invitations.RESEND_PERIOD`.
    invited_at: str | None = None
    picture: PictureMark | None = None
    # Digests of the profile values the sync last sent that Zoom's user list does not show (core/attributes.py).
    sent: str = ""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the incremental sync is in Okta's System Log."""

    position: str  # the `next` link to follow
    saved_at: str  # ISO-8601 UTC
    recent_uuids: tuple[str, ...] = ()  # events already handled at the edge, to drop duplicates
    # Ids of the Okta groups the policy's rules named when the cursor was saved (None: not recorded). A rule's group
    # deleted and made again under its name is another group: its old members' change left no event to follow.
    rule_groups: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class LogRead:
    events: tuple[Mapping[str, Any], ...]
    position: str  # the `next` link to follow on the next run


@dataclass(frozen=True, init=False)
class Listing[T]:
    """A collection as read from an API: the items, and whether the read was whole.

    A read that failed part way is still a value: `complete` is False and `reason` says why; nothing may be
    deprovisioned on its strength (someone missing from a partial list has not left). `skipped` notes items
    that could not be read at all (e.g. an Okta app user with neither a username nor an email). The items and
    the skipped notes may be given as any iterable; they are kept as tuples."""

    items: tuple[T, ...]
    complete: bool
    reason: str | None
    skipped: tuple[str, ...]

    def __init__(
        self, items: Iterable[T] = (), *, complete: bool = True, reason: str | None = None, skipped: Iterable[str] = ()
    ) -> None:
        object.__setattr__(self, "items", tuple(items))
        object.__setattr__(self, "complete", complete)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "skipped", tuple(skipped))


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """Operations of one user held by a brake (max_deprovisions, max_license_downgrades), kept until they go through."""

    key: str  # user_key()
    email: str
    ops: tuple[str, ...]  # operation kinds held, e.g. ("deactivate",) or ("license",)
    reason: str
    since: str  # ISO-8601 UTC of the first run that held them


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """A user whose operations keep failing for good: retried later, with a growing delay."""

    key: str  # the Okta id, or the email of a Zoom user with no Okta user
    email: str
    op: str
    code: str
    message: str
    attempts: int
    first_failed_at: str
    next_attempt_at: str


# The change, on a role strip, a deactivation, a reactivation or a role restore, that names the role to give back
# when the user is reactivated (kept in the user's link).
RESTORE_ROLE = "restore_role"
# The change, on a delete, that names who receives the user's meetings, webinars and recordings ("manager" or an
# email; absent: nothing is transferred).
TRANSFER_TO = "transfer_to"
# The change, on a profile update, that gives the link's new digests of the values sent (Link.sent).
SENT = "sent"


class OpKind(StrEnum):
    CREATE = "create"
    ADOPT = "adopt"
    EMAIL = "email"
    REACTIVATE = "reactivate"
    UPDATE = "update"
    LICENSE = "license"
    ROLE = "role"
    GROUP_ADD = "group_add"
    GROUP_REMOVE = "group_remove"
    DEACTIVATE = "deactivate"
    DELETE = "delete"
    # An expired invitation sent again: the pending user is removed (disassociate) and invited again.
    REINVITE = "reinvite"
    PICTURE = "picture"


OP_KINDS: tuple[OpKind, ...] = tuple(OpKind)


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True, slots=True)
class Operation:
    op: OpKind
    email: str
    okta_id: str | None
    zoom_id: str | None
    changes: tuple[Change, ...] = ()
    # The operation was held by a brake (max_deprovisions, max_license_downgrades).
    held: bool = False

    def new_value(self, name: str) -> object:
        for change in self.changes:
            if change.field == name:
                return change.new
        raise KeyError(name)

    def old_value(self, name: str) -> object:
        for change in self.changes:
            if change.field == name:
                return change.old
        raise KeyError(name)

    @property
    def is_license_downgrade(self) -> bool:
        """A license change of an existing Zoom user to a lower tier (what max_license_downgrades counts)."""
        if self.op is not OpKind.LICENSE:
            return False
        old, new = self.old_value("type"), self.new_value("type")
        return isinstance(old, int) and isinstance(new, int) and license_rank(new) < license_rank(old)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "op": self.op.value,
            "email": self.email,
            "okta_id": self.okta_id,
            "zoom_id": self.zoom_id,
            "changes": {c.field: {"from": _jsonable(c.old), "to": _jsonable(c.new)} for c in self.changes},
        }
        if self.held:
            out["held"] = True
        return out


def _jsonable(value: object) -> object:
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    return value


@dataclass(frozen=True, slots=True)
class UserPlan:
    """The ordered operations for one user; the applier stops a user's list at its first failure."""

    email: str
    okta_id: str | None
    zoom_id: str | None
    operations: tuple[Operation, ...]
    # True when the operations take access away (deactivate/delete): what max_deprovisions counts.
    deprovision: bool = False
    # The picture mark of the user's link (when the link holds this Zoom user): kept when the link is rewritten.
    picture: PictureMark | None = None
    sent: str = ""  # the link's Link.sent before these operations (links written on the way keep it)


def user_key(okta_id: str | None, email: str) -> str:
    """How the state table names a user in failure records and carried-over work."""
    return okta_id or fold(email)


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """A value of one user the planner will not send (Zoom would refuse it): one reported error."""

    email: str
    okta_id: str | None
    zoom_id: str | None
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Plan:
    users: tuple[UserPlan, ...]
    unmanaged: int
    managed: int  # Zoom users the sync manages (the guardrail's percent base)
    notes: tuple[str, ...] = field(default=())
    problems: tuple[PlanProblem, ...] = ()  # values the plan refused to send (reported as errors)

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(op for user in self.users for op in user.operations)
