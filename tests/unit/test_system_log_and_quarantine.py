"""System Log events -> affected users, and the quarantine's delays. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from okta_zoom_sync.core.model import FailureRecord, Operation, OpKind, Plan, UserPlan
from okta_zoom_sync.core.outcome import OperationResult, Outcome
from okta_zoom_sync.core.quarantine import hold_quarantined, retry_delay, settle_failures
from okta_zoom_sync.core.system_log import RELEVANT_EVENTS, affected_by, concerns, named_users, trimmed

APP = "0oaZOOM"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def event(kind: str, *targets: tuple[str, str], uuid: str = "", result: str = "SUCCESS") -> dict[str, object]:
    return {
        "uuid": uuid or f"{kind}-{len(targets)}-{targets}",
        "eventType": kind,
        "outcome": {"result": result},
        "target": [{"type": t, "id": i} for t, i in targets],
    }


def test_app_membership_events_count_only_for_this_app() -> None:
    events = [
        event("application.user_membership.add", ("AppInstance", APP), ("User", "00uA")),
        event("application.user_membership.add", ("AppInstance", "0oaOTHER"), ("User", "00uB")),
        event("application.user_membership.remove", ("AppInstance", APP), ("User", "00uC"), ("AppUser", "0uaX")),
    ]
    assert affected_by(events, APP).users == {"00uA", "00uC"}


def test_lifecycle_profile_and_group_membership_events_name_the_user() -> None:
    events = [
        event("user.lifecycle.suspend", ("User", "00u1")),
        event("user.account.update_profile", ("User", "00u2")),
        event("group.user_membership.add", ("User", "00u3"), ("UserGroup", "00g1")),
        event("group.user_membership.remove", ("User", "00u5"), ("UserGroup", "00g1")),
        event("user.session.start", ("User", "00u4")),  # not relevant
    ]
    affected = affected_by(events, APP)
    assert affected.users == {"00u1", "00u2"}
    # Membership changes are kept by group: they matter only for groups assigned to the app or named by a rule.
    assert affected.memberships == {"00g1": {"00u3", "00u5"}}


def test_a_restored_app_membership_counts_like_an_added_one() -> None:
    events = [event("application.user_membership.restore", ("AppInstance", APP), ("User", "00uR"))]
    assert affected_by(events, APP).users == {"00uR"}
    assert "application.user_membership.restore" in RELEVANT_EVENTS


def test_group_assignment_events_say_which_groups_the_app_gained_and_lost() -> None:
    events = [
        event("group.application_assignment.add", ("UserGroup", "00gA"), ("AppInstance", APP)),
        event("group.application_assignment.remove", ("UserGroup", "00gB"), ("AppInstance", APP)),
        event("group.application_assignment.add", ("UserGroup", "00gC"), ("AppInstance", "0oaOther")),
    ]
    affected = affected_by(events, APP)
    assert affected.groups_assigned == {"00gA"} and affected.groups_unassigned == {"00gB"}


def test_group_assignment_to_the_app_affects_its_members_and_app_changes_mean_everything() -> None:
    assigned = affected_by(
        [event("group.application_assignment.add", ("UserGroup", "00gG"), ("AppInstance", APP))], APP
    )
    assert assigned.groups == {"00gG"} and not assigned.everything
    changed = affected_by([event("application.lifecycle.deactivate", ("AppInstance", APP))], APP)
    assert changed.everything


def test_duplicates_and_failed_events_are_dropped() -> None:
    same = event("user.lifecycle.suspend", ("User", "00u1"), uuid="u-1")
    failed = event("user.lifecycle.suspend", ("User", "00u9"), uuid="u-2", result="FAILURE")
    affected = affected_by([same, same, failed], APP, already_seen=["u-0"])
    assert affected.users == {"00u1"} and affected.handled == ("u-1", "u-2")
    assert affected_by([same], APP, already_seen=["u-1"]).users == frozenset()


def test_retry_delay_grows_and_is_capped() -> None:
    delays = [retry_delay(n) for n in range(1, 12)]
    assert delays[0] == timedelta(minutes=10) and delays[1] == timedelta(minutes=20)
    assert all(a <= b for a, b in pairwise(delays))
    assert delays[-1] == timedelta(hours=24)


def record(key: str, due: datetime, attempts: int = 1) -> FailureRecord:
    return FailureRecord(
        key, f"{key}@acme.com", "create", "2034", "no seat", attempts, NOW.isoformat(), due.isoformat()
    )


def user(key: str) -> UserPlan:
    op = Operation(OpKind.CREATE, f"{key}@acme.com", key, None)
    return UserPlan(f"{key}@acme.com", key, None, (op,))


def test_only_users_not_yet_due_are_held_back() -> None:
    plan = Plan((user("a"), user("b"), user("c")), unmanaged=0, managed=3)
    failures = {"a": record("a", NOW + timedelta(minutes=5)), "b": record("b", NOW - timedelta(seconds=1))}
    kept, quarantined = hold_quarantined(plan, failures, NOW)
    assert [u.okta_id for u in kept.users] == ["b", "c"]
    assert [q.key for q in quarantined] == ["a"]


def test_settling_counts_attempts_clears_successes_and_ignores_transient_failures() -> None:
    ops = {k: user(k).operations[0] for k in "abcd"}
    results = [
        OperationResult(ops["a"], Outcome.FAILED, "2034", "no seat"),  # permanent, seen before
        OperationResult(ops["b"], Outcome.APPLIED),  # recovered
        OperationResult(ops["c"], Outcome.FAILED, "503", "busy", retryable=True),  # transient: not held against it
        OperationResult(ops["d"], Outcome.FAILED, "2034", "no seat"),  # new
    ]
    failures = {"a": record("a", NOW, attempts=2), "b": record("b", NOW), "z": record("z", NOW)}
    to_put, to_clear = settle_failures(results, failures, NOW, in_sync=["z"])
    assert {(r.key, r.attempts) for r in to_put} == {("a", 3), ("d", 1)}
    assert sorted(to_clear) == ["b", "z"]
    a = next(r for r in to_put if r.key == "a")
    assert a.first_failed_at == NOW.isoformat() and a.next_attempt_at == (NOW + retry_delay(3)).isoformat()


# ------------------------------------------------------------------ the event hook's filter and trim (same rules)


def test_the_hook_keeps_exactly_the_events_the_sync_would_act_on() -> None:
    # Given events of every kind, for this app and another, succeeded and failed
    kept = [
        event("application.user_membership.add", ("AppInstance", APP), ("User", "00uA")),
        event("group.application_assignment.add", ("AppInstance", APP), ("UserGroup", "00gA")),
        event("application.lifecycle.deactivate", ("AppInstance", APP)),
        event("group.user_membership.add", ("User", "00uB"), ("UserGroup", "00gAny")),
        event("user.lifecycle.suspend", ("User", "00uC")),
        event("user.account.update_profile", ("User", "00uD"), result="ALLOW"),
    ]
    dropped = [
        event("application.user_membership.add", ("AppInstance", "0oaOTHER"), ("User", "00uX")),
        event("group.application_assignment.remove", ("AppInstance", "0oaOTHER"), ("UserGroup", "00gX")),
        event("application.lifecycle.delete", ("AppInstance", "0oaOTHER")),
        event("user.lifecycle.suspend", ("User", "00uY"), result="FAILURE"),
        event("user.session.start", ("User", "00uZ")),
        {"uuid": "u", "eventType": "user.lifecycle.suspend", "outcome": {"result": None}, "target": None},
    ]
    # Then the hook's filter keeps the first ones only
    assert [e for e in kept + dropped if concerns(e, APP)] == kept
    # And the sync finds in the kept ones everything it finds in all of them
    assert affected_by(kept, APP).users == affected_by(kept + dropped, APP).users
    assert affected_by(kept, APP).everything and not affected_by(dropped, APP).everything


def test_a_trimmed_event_affects_the_same_users_and_carries_nothing_else() -> None:
    # Given a full System Log event (actor, client, IP address, display names)
    full = {
        **event("group.user_membership.add", ("User", "00u1"), ("UserGroup", "00g1"), uuid="e-1"),
        "published": "2026-11-28T12:00:00.000Z",
        "actor": {"id": "00uADMIN", "alternateId": "admin@acme.example"},
        "client": {"ipAddress": "203.0.113.9"},
        "displayMessage": "Add user to group membership",
    }
    full["target"][0]["alternateId"] = "someone@acme.example"
    # When it is trimmed for the queue
    small = trimmed(full)
    # Then it reads the same, and holds only what the sync reads
    assert affected_by([small], APP) == affected_by([full], APP)
    assert set(small) == {"uuid", "published", "eventType", "outcome", "target"}
    assert "admin@acme.example" not in str(small) and "203.0.113.9" not in str(small)
    assert named_users(small) == {"00u1"}
