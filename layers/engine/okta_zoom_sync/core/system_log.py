"""Okta System Log events -> the users whose Zoom account may need a change. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Event types that can change what Zoom should hold for a user (fact sheet §4a).
USER_EVENTS = frozenset(
    {
        "application.user_membership.add",
        "application.user_membership.restore",  # an assignment brought back: like .add
        "application.user_membership.remove",
        "application.user_membership.change_username",
        "application.user_membership.update",
        "group.user_membership.add",
        "group.user_membership.remove",
        "user.lifecycle.activate",
        "user.lifecycle.reactivate",
        "user.lifecycle.deactivate",
        "user.lifecycle.suspend",
        "user.lifecycle.unsuspend",
        "user.lifecycle.delete.initiated",
        "user.account.update_profile",
    }
)
GROUP_ASSIGNMENT_EVENTS = frozenset(
    {"group.application_assignment.add", "group.application_assignment.remove", "group.application_assignment.update"}
)
APP_EVENTS = frozenset(
    {"application.lifecycle.update", "application.lifecycle.deactivate", "application.lifecycle.delete"}
)
RELEVANT_EVENTS = USER_EVENTS | GROUP_ASSIGNMENT_EVENTS | APP_EVENTS


GROUP_MEMBERSHIP_EVENTS = frozenset({"group.user_membership.add", "group.user_membership.remove"})


@dataclass(frozen=True)
class Affected:
    users: frozenset[str]  # Okta user ids to reconcile
    groups: frozenset[str]  # groups assigned to or removed from the app: reconcile every member
    everything: bool  # the app itself changed: a full reconcile
    handled: tuple[str, ...]  # uuids of the events read (for de-duplication at the edge)
    # Group membership changes, group id -> user ids: they matter only for groups assigned to the app or named
    # by the policy's rules, which the caller knows (a membership change in any other group costs nothing).
    memberships: dict[str, frozenset[str]] = field(default_factory=dict)
    groups_assigned: frozenset[str] = frozenset()  # groups newly assigned to the app
    groups_unassigned: frozenset[str] = frozenset()  # groups no longer assigned to the app


def _targets(event: Mapping[str, Any], kind: str) -> list[str]:
    return [
        str(t["id"])
        for t in event.get("target") or ()
        if isinstance(t, Mapping) and t.get("type") == kind and t.get("id")
    ]


def _app_scoped(kind: str) -> bool:
    """Event types that matter only when their target is the app itself."""
    return kind in APP_EVENTS or kind in GROUP_ASSIGNMENT_EVENTS or kind.startswith("application.user_membership.")


def concerns(event: Mapping[str, Any], app_id: str) -> bool:
    """Whether the event can change a Zoom user of this app: a relevant type, a success, and (for app membership,
    group assignment and app lifecycle events) this app as a target. Group membership events pass: whether the
    group matters is known only to the sync (the groups assigned to the app or named by the policy)."""
    kind = str(event.get("eventType") or "")
    outcome = event.get("outcome")
    result = outcome.get("result", "SUCCESS") if isinstance(outcome, Mapping) else "SUCCESS"
    if kind not in RELEVANT_EVENTS or result not in ("SUCCESS", "ALLOW"):
        return False
    return not _app_scoped(kind) or app_id in _targets(event, "AppInstance")


def shape_problem(event: object) -> str | None:
    """What keeps `event` from being read as a System Log event (None when it can be): an object with a uuid and
    an eventType, and a list of targets if any."""
    if not isinstance(event, Mapping):
        return "is not an object"
    for key in ("uuid", "eventType"):
        if not isinstance(event.get(key), str) or not event[key]:
            return f"{key} must be a non-empty string"
    if not isinstance(event.get("target") or [], list):
        return "target must be a list"
    return None


def trimmed(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event cut down to what `affected_by` reads (and `published`, for the logs): small enough to queue."""
    outcome = event.get("outcome")
    return {
        "uuid": str(event.get("uuid") or ""),
        "published": str(event.get("published") or ""),
        "eventType": str(event.get("eventType") or ""),
        "outcome": {"result": str(outcome.get("result") or "SUCCESS") if isinstance(outcome, Mapping) else "SUCCESS"},
        "target": [
            {"id": str(t["id"]), "type": str(t.get("type") or "")}
            for t in event.get("target") or ()
            if isinstance(t, Mapping) and t.get("id")
        ],
    }


def named_users(event: Mapping[str, Any]) -> frozenset[str]:
    """The Okta user ids the event names as targets."""
    return frozenset(_targets(event, "User"))


def affected_by(events: Iterable[Mapping[str, Any]], app_id: str, already_seen: Iterable[str] = ()) -> Affected:
    seen = set(already_seen)
    users: set[str] = set()
    groups: set[str] = set()
    memberships: dict[str, set[str]] = {}
    assigned: set[str] = set()
    unassigned: set[str] = set()
    everything = False
    handled: list[str] = []
    for event in events:
        uuid = str(event.get("uuid") or "")
        if uuid and uuid in seen:
            continue
        if uuid:
            seen.add(uuid)
            handled.append(uuid)
        if not concerns(event, app_id):
            continue
        kind = str(event.get("eventType") or "")
        if kind in APP_EVENTS:
            everything = True
        elif kind in GROUP_ASSIGNMENT_EVENTS:
            touched = _targets(event, "UserGroup")
            groups.update(touched)
            if kind.endswith(".add"):
                assigned.update(touched)
                unassigned.difference_update(touched)
            elif kind.endswith(".remove"):
                unassigned.update(touched)
                assigned.difference_update(touched)
        elif kind in GROUP_MEMBERSHIP_EVENTS:
            for group_id in _targets(event, "UserGroup"):
                memberships.setdefault(group_id, set()).update(_targets(event, "User"))
        else:
            users.update(_targets(event, "User"))
    return Affected(
        frozenset(users),
        frozenset(groups),
        everything,
        tuple(handled),
        {group_id: frozenset(ids) for group_id, ids in memberships.items()},
        frozenset(assigned),
        frozenset(unassigned),
    )
