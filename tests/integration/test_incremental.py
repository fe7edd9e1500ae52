"""Incremental runs from the Okta System Log: cursor, lease, late events, expired cursors, deadlines."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from .conftest import TABLE, Stack, add_person, total


def cursor_item(stack: Stack) -> dict[str, str] | None:
    item = stack.dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "CURSOR"}, "sk": {"S": "okta_logs"}}).get("Item")
    return {k: v["S"] for k, v in item.items() if "S" in v} if item else None


def in_sync(stack: Stack) -> None:
    """A first incremental run (full reconcile, sets the cursor) and one that drains the start-up events."""
    first = stack.invoke({"mode": "incremental"})
    assert first["status"] == "succeeded", first
    assert any("no System Log cursor" in n for n in first["notes"])
    stack.invoke({"mode": "incremental"})


def test_first_run_without_cursor_is_a_full_reconcile_that_sets_the_cursor(stack: Stack) -> None:
    # Given an assigned user and no System Log cursor yet
    add_person(stack, "first@acme.example")
    assert cursor_item(stack) is None
    # When an incremental run (an empty event) goes
    result = stack.invoke({})
    # Then it reconciles everything and saves a cursor
    assert result["mode"] == "incremental" and result["applied"]["create"] == 1
    assert cursor_item(stack) is not None
    assert "/api/v1/logs" in cursor_item(stack)["position"]  # type: ignore[index]


def test_no_change_run_costs_no_zoom_request_and_at_most_two_okta_requests(stack: Stack) -> None:
    # Given five synced users and nothing new in the System Log
    for i in range(5):
        add_person(stack, f"quiet{i}@acme.example")
    in_sync(stack)
    stack.okta.clear_log()
    stack.zoom.clear_log()
    tokens_before = stack.zoom.token_count

    # When an incremental run goes
    result = stack.invoke({"mode": "incremental"})

    # Then it asks Zoom nothing (no token either) and Okta at most twice
    assert result["status"] == "succeeded" and total(result["planned"]) == 0
    assert stack.zoom.request_count() == 0
    assert stack.zoom.token_count == tokens_before  # no Zoom token was minted
    assert stack.okta.request_count() <= 2


def test_each_kind_of_okta_change_reaches_zoom_in_one_incremental_run(stack: Stack) -> None:
    # Given synced users of every kind (a suspended one not created)
    stack.set_policy(
        "license_rules: [{group: Zoom Licensed, license: licensed}]\nmax_deprovisions: {count: 10, percent: 100}\n"
    )
    licensed = stack.okta.add_group("Zoom Licensed")
    team = stack.okta.add_group("Team")
    leaver = add_person(stack, "leaver@acme.example")
    gone = add_person(stack, "gone@acme.example")
    sus = add_person(stack, "sus@acme.example")
    back = add_person(stack, "back@acme.example")
    renamed = add_person(stack, "renamed@acme.example", "Old", "Name")
    mover = add_person(stack, "mover@acme.example")
    promoted = add_person(stack, "promoted@acme.example")
    stack.okta.set_status(back, "SUSPENDED")
    in_sync(stack)
    assert stack.zoom_user("back@acme.example") is None  # suspended users are not created

    # When every kind of Okta change happens (joiners, leavers, suspensions, renames, moves, promotions)
    add_person(stack, "joiner@acme.example")  # direct assignment
    member = add_person(stack, "member@acme.example", assign=False)
    stack.okta.add_member(team, member)
    stack.okta.assign_group(team)  # group assignment
    stack.okta.unassign_user(leaver)
    stack.okta.set_status(gone, "DEPROVISIONED")
    stack.okta.set_status(sus, "SUSPENDED")
    stack.okta.set_status(back, "ACTIVE")
    stack.okta.update_profile(renamed, firstName="New")
    stack.okta.update_profile(mover, login="moved@acme.example", email="moved@acme.example")
    stack.okta.add_member(licensed, promoted)

    # and an incremental run goes
    result = stack.invoke({"mode": "incremental"})

    # Then each change reaches Zoom, without a full reconcile
    assert result["status"] == "succeeded", result
    assert not any("full reconcile" in n for n in result["notes"])
    assert stack.zoom_user("joiner@acme.example")["status"] == "active"
    assert stack.zoom_user("member@acme.example")["status"] == "active"
    assert stack.zoom_user("leaver@acme.example")["status"] == "inactive"
    assert stack.zoom_user("gone@acme.example")["status"] == "inactive"
    assert stack.zoom_user("sus@acme.example")["status"] == "inactive"
    assert stack.zoom_user("back@acme.example")["status"] == "active"
    assert stack.zoom_user("renamed@acme.example")["first_name"] == "New"
    assert stack.zoom_user("moved@acme.example")["id"] == stack.links()[mover]["zoom_id"]
    assert stack.zoom_user("mover@acme.example") is None
    assert stack.zoom_user("promoted@acme.example")["type"] == 2
    # And the next run finds nothing more to do.
    again = stack.invoke({"mode": "incremental"})
    assert total(again["planned"]) == 0


def test_late_events_are_picked_up_by_a_later_run(stack: Stack) -> None:
    # Given a synced user whose change Okta logs only 30 s later
    uid = add_person(stack, "late@acme.example", "Late", "Event")
    in_sync(stack)
    with stack.okta.without_events():
        stack.okta.update_profile(uid, lastName="Arrived")
    # Okta persists the event only later; it is published "now".
    stack.okta.add_log_event("user.account.update_profile", [uid], delay_visibility=30)

    # When an incremental run goes before the event shows, Then nothing changes
    early = stack.invoke({"mode": "incremental"})
    assert total(early["planned"]) == 0
    assert stack.zoom_user("late@acme.example")["last_name"] == "Event"

    # When a run goes once it shows, Then the change is applied
    stack.okta.advance_clock(60)
    later = stack.invoke({"mode": "incremental"})
    assert later["applied"]["update"] == 1
    assert stack.zoom_user("late@acme.example")["last_name"] == "Arrived"


def test_duplicate_events_are_handled_once(stack: Stack) -> None:
    uid = add_person(stack, "dup@acme.example")
    in_sync(stack)
    stack.okta.update_profile(uid, firstName="Twice")
    stack.okta.add_log_event("user.account.update_profile", [uid])
    result = stack.invoke({"mode": "incremental"})
    assert result["applied"]["update"] == 1


def test_expired_cursor_falls_back_to_a_full_reconcile(stack: Stack) -> None:
    # Given a cursor older than Okta's log retention, and a change whose event is gone
    uid = add_person(stack, "exp@acme.example")
    in_sync(stack)
    old = (datetime.now(UTC) - timedelta(days=120)).isoformat()
    stack.dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "CURSOR"}, "sk": {"S": "okta_logs"}},
        UpdateExpression="SET saved_at = :old",
        ExpressionAttributeValues={":old": {"S": old}},
    )
    with stack.okta.without_events():  # a change whose event has left the log
        stack.okta.update_profile(uid, firstName="Expired")
    # When an incremental run goes
    result = stack.invoke({"mode": "incremental"})
    # Then it reconciles in full (applying the change) and saves a new cursor
    assert any("older than Okta's retention" in n for n in result["notes"])
    assert result["applied"]["update"] == 1
    assert cursor_item(stack)["saved_at"] > old  # type: ignore[index]


def test_a_cursor_okta_refuses_falls_back_to_a_full_reconcile(stack: Stack) -> None:
    # Given a saved cursor Okta refuses
    add_person(stack, "bad@acme.example")
    in_sync(stack)
    stack.dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "CURSOR"}, "sk": {"S": "okta_logs"}},
        UpdateExpression="SET #p = :p",
        ExpressionAttributeNames={"#p": "position"},
        ExpressionAttributeValues={":p": {"S": f"{stack.okta.url}/api/v1/logs?after=not-a-cursor"}},
    )
    # When an incremental run goes, Then it reconciles in full and says why
    result = stack.invoke({"mode": "incremental"})
    assert result["status"] == "succeeded", result
    assert any("refused the saved System Log cursor" in n for n in result["notes"])


def test_two_concurrent_invocations_one_is_skipped_and_nothing_is_duplicated(stack: Stack) -> None:
    # Given three users to create, and Okta slow to answer one run's first read
    for i in range(3):
        add_person(stack, f"c{i}@acme.example")
    slow = stack.okta.inject(method="GET", path_prefix="/api/v1/apps", status=None, delay=1.0, times=1)
    results: list[dict[str, object]] = []

    def invoke() -> None:
        results.append(stack.invoke({"mode": "full"}))

    # When two invocations run at once
    threads = [threading.Thread(target=invoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one is skipped (lease), nothing is duplicated, and the lease is released
    assert slow.hits == 1  # one run was slowed down while the other came
    assert sorted(r["status"] for r in results) == ["skipped", "succeeded"]  # type: ignore[type-var]
    emails = [u["email"] for u in stack.zoom.users.values()]
    assert len(emails) == len(set(emails)) == 4  # the Owner and three users, once each
    # The lease was released: the next run goes ahead.
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"


def test_a_crashed_runs_lease_expires_by_itself(stack: Stack) -> None:
    past = int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())
    stack.dynamodb.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "LEASE"}, "sk": {"S": "sync"}, "holder": {"S": "crashed"}, "expires_at": {"N": str(past)}},
    )
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"


def test_a_live_lease_also_holds_manual_users_runs(stack: Stack) -> None:
    # Given another run's live lease
    future = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    stack.dynamodb.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "LEASE"}, "sk": {"S": "sync"}, "holder": {"S": "other"}, "expires_at": {"N": str(future)}},
    )
    add_person(stack, "held@acme.example")
    # When a users run goes, Then it is skipped without a Zoom request
    result = stack.invoke({"mode": "users", "users": ["held@acme.example"]})
    assert result["status"] == "skipped"
    assert stack.zoom.request_count() == 0


@pytest.mark.slow
def test_a_run_cut_short_by_its_deadline_is_finished_by_the_next(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given 20 users to create, each create slow, applied one at a time (in parallel: test_concurrent_applier.py)
    monkeypatch.setenv("APPLY_WORKERS", "1")
    for i in range(20):
        add_person(stack, f"d{i:02}@acme.example")
    # Each create takes 0.25 s: 20 of them do not fit in a 4 s invocation (2 s kept back to checkpoint).
    slow = stack.zoom.inject(method="POST", path_prefix="/v2/users", status=None, delay=0.25, times=None)

    # When a run with a 4 s budget goes, Then it creates some and carries the rest over
    short = stack.invoke({"mode": "full"}, budget_s=4.0)

    assert short["status"] == "partial", short
    done, carried = short["applied"]["create"], short["deferred"]["create"]
    assert done >= 1 and carried >= 1 and done + carried == 20
    assert slow.hits >= done  # every create it made was slow
    assert any("carried over" in n for n in short["notes"])
    stack.zoom.clear_faults()

    # When the next incremental run goes, Then it creates the rest, each once
    rest = stack.invoke({"mode": "incremental"})

    assert rest["applied"]["create"] == carried, rest
    emails = [u["email"] for u in stack.zoom.users.values()]
    assert len(emails) == len(set(emails)) == 21
    assert all(stack.zoom_user(f"d{i:02}@acme.example")["status"] == "active" for i in range(20))
    assert len(stack.links()) == 20
    pending = stack.dynamodb.query(
        TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "PENDING"}}
    )["Items"]
    assert pending == []
