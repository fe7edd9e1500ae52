"""System Log events -> affected users, and the quarantine's delays. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from okta_zoom_sync.core.model import FailureRecord, Operation, OpKind, Plan, UserPlan
from okta_zoom_sync.core.outcome import OperationResult, Outcome
from okta_zoom_sync.core.quarantine import hold_quarantined, retry_delay, settle_failures
from okta_zoom_sync.core.system_log import RELEVANT_EVENTS, affected_by

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
