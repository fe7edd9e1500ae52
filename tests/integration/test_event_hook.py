"""The near-real-time path: Okta's event hook -> the hook function -> the SQS queue -> the sync function -> Zoom.

The hook handler runs against moto (its secret and queue) with Okta's delivery shape (the documented envelope
around recorded and simulated System Log events); the sync handler consumes what the hook queued, as Lambda's
event source mapping would hand it over (an SQS batch), against the Okta and Zoom simulators.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from okta_zoom_sync.adapters.dynamodb.store import DynamoStateStore

from tests.support.hook import (
    HOOK_SECRET,
    Hook,
    delivery,
    function_url_event,
    hook_stack,
    recorded_envelope,
    recorded_event,
)
from tests.support.stack import OKTA_APP_ID, TABLE, integration_stack

from .conftest import Stack, add_person

BATCHING_WINDOW_S = 5  # template.yaml: the sync function's SQS event source, MaximumBatchingWindowInSeconds


@pytest.fixture
def hook() -> Iterator[Hook]:
    with integration_stack(fast_retries=True) as stack, hook_stack(stack) as built:
        yield built


def okta_events_since(stack: Stack, count_before: int) -> list[dict[str, Any]]:
    """The System Log events the simulator logged since `count_before` events: what Okta's hook delivers."""
    return stack.okta.log_events[count_before:]


def our_app_assignment(stack: Stack, user_id: str) -> dict[str, Any]:
    """An application.user_membership.add event for our app, as the simulator logs it."""
    before = len(stack.okta.log_events)
    stack.okta.assign_user(user_id)
    [event] = [e for e in okta_events_since(stack, before) if e["eventType"] == "application.user_membership.add"]
    return event


# ----------------------------------------------------------------------------------------- the hook alone


def test_the_verification_challenge_is_answered_and_nothing_is_queued(hook: Hook) -> None:
    # Given Okta's one-time verification request
    # When the hook answers it
    answer = hook.verify("Y3ZtVGxaaXRITWE3ZXhkV1hMdTJpWXBZYmdKaWhHN2E=")
    # Then it echoes the challenge as Okta expects, and queues nothing
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"verification": "Y3ZtVGxaaXRITWE3ZXhkV1hMdTJpWXBZYmdKaWhHN2E="}
    assert answer["headers"]["Content-Type"] == "application/json"
    assert hook.receive() == []


def test_a_get_without_the_challenge_and_other_methods_are_refused(hook: Hook) -> None:
    # Given requests that are neither a verification nor a delivery
    # When the hook gets them, Then it refuses them and queues nothing
    assert hook.call(function_url_event("GET", {}))["statusCode"] == 400
    assert hook.call(function_url_event("PUT", {"authorization": HOOK_SECRET}, "{}"))["statusCode"] == 405
    assert hook.call({"not": "a function url event"})["statusCode"] == 400
    assert hook.receive() == []


@pytest.mark.parametrize(
    "authorization",
    [None, "", "wrong", HOOK_SECRET + "x", HOOK_SECRET[:-1], f"Bearer {HOOK_SECRET}"],
    ids=["missing", "empty", "wrong", "longer", "shorter", "bearer"],
)
def test_a_wrong_or_missing_authorization_gets_401_and_nothing_is_queued(hook: Hook, authorization: str | None) -> None:
    # Given a delivery of a relevant event
    user_id = add_person(hook.stack, "someone@acme.example", assign=False)
    body = delivery([our_app_assignment(hook.stack, user_id)])
    # When it arrives without the shared value
    answer = hook.post(body, authorization=authorization)
    # Then it is refused, without saying what the value is, and nothing is queued
    assert answer["statusCode"] == 401
    assert HOOK_SECRET not in answer["body"]
    assert hook.receive() == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"eventType": "com.okta.event_hook"}),
        json.dumps({"data": {"events": {}}}),
        json.dumps({"data": {"events": ["user.lifecycle.suspend"]}}),
        json.dumps({"data": {"events": [{"eventType": "user.lifecycle.suspend"}]}}),  # no uuid
        json.dumps({"data": {"events": [{"uuid": "u1", "eventType": "user.lifecycle.suspend", "target": "00u1"}]}}),
    ],
    ids=["not-json", "a-list", "no-data", "events-not-a-list", "event-not-an-object", "no-uuid", "target-not-a-list"],
)
def test_a_body_that_is_not_oktas_shape_gets_400_and_nothing_is_queued(hook: Hook, body: str) -> None:
    # Given a request with the right Authorization and a body that is not an event-hook delivery
    # When it arrives
    answer = hook.post(body)
    # Then it is refused and nothing is queued
    assert answer["statusCode"] == 400
    assert hook.receive() == []


def test_oktas_documented_delivery_is_accepted_and_its_login_event_dropped(hook: Hook) -> None:
    # Given Okta's documented sample delivery (one user.session.start), with the right Authorization
    # When it arrives
    answer = hook.post(recorded_envelope())
    # Then it is accepted, and a sign-in (which changes no Zoom user) is not queued
    assert answer == {"statusCode": 200}
    assert hook.receive() == []


def test_relevant_events_are_queued_trimmed_one_message_each_and_the_rest_dropped(hook: Hook) -> None:
    # Given a delivery mixing events: an assignment to our app, a suspension, a membership change (recorded), an
    # assignment to another app (recorded), a failed suspension and a sign-in (Okta's documented sample)
    stack = hook.stack
    joiner = add_person(stack, "joiner@acme.example", assign=False)
    ours = our_app_assignment(stack, joiner)
    before = len(stack.okta.log_events)
    stack.okta.set_status(joiner, "SUSPENDED")
    [suspension] = okta_events_since(stack, before)
    membership = recorded_event("event_group_user_membership_add.demisto.json")
    other_app = recorded_event("event_application_user_membership_add.demisto.json")
    assert OKTA_APP_ID not in json.dumps(other_app)
    failed = {**suspension, "uuid": "failed-1", "outcome": {"result": "FAILURE", "reason": "denied"}}
    sign_in = recorded_envelope()["data"]["events"][0]
    body = delivery([ours, sign_in, suspension, other_app, membership, failed])

    # When it arrives (base64-encoded, with the header name capitalised as a proxy might send it)
    event = function_url_event(
        "POST", {"Authorization": HOOK_SECRET, "Content-Type": "application/json"}, json.dumps(body), base64_body=True
    )
    answer = hook.call(event)

    # Then it is accepted, and the three relevant events are queued, one message each, cut down to what the
    # sync reads (no actor, client or IP address travels)
    assert answer == {"statusCode": 200}
    queued = [json.loads(m["Body"]) for m in hook.receive()]
    assert sorted(e["uuid"] for e in queued) == sorted([ours["uuid"], suspension["uuid"], membership["uuid"]])
    for event_body in queued:
        assert set(event_body) == {"uuid", "published", "eventType", "outcome", "target"}
        assert all(set(t) == {"id", "type"} for t in event_body["target"])
    by_uuid = {e["uuid"]: e for e in queued}
    assert {"id": joiner, "type": "User"} in by_uuid[ours["uuid"]]["target"]
    assert {"id": OKTA_APP_ID, "type": "AppInstance"} in by_uuid[ours["uuid"]]["target"]


def test_a_queue_that_refuses_gets_500_so_okta_delivers_again(hook: Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a queue that does not exist (deleted, or the wrong URL)
    monkeypatch.setenv("HOOK_QUEUE_URL", hook.queue_url + "-gone")
    user_id = add_person(hook.stack, "someone@acme.example", assign=False)
    # When a relevant delivery arrives
    answer = hook.post(delivery([our_app_assignment(hook.stack, user_id)]))
    # Then Okta is told to deliver again (it retries a 5xx once), and nothing is queued
    assert answer["statusCode"] == 500
    assert hook.receive() == []


def test_a_missing_hook_secret_gets_500_and_accepts_nothing(hook: Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a hook whose secret cannot be read
    monkeypatch.setenv("HOOK_SECRET_ID", "no-such-secret")
    # When a delivery arrives, Then nothing is accepted (not even with an empty Authorization)
    assert hook.post(recorded_envelope(), authorization="")["statusCode"] == 500
    assert hook.receive() == []


# --------------------------------------------------------------------------------------- end to end


def deliver_and_consume(hook: Hook, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Okta POSTs the events to the hook; SQS hands what it queued to the sync function; SQS drops what it handled."""
    started = time.monotonic()
    assert hook.post_events(events) == {"statusCode": 200}
    answered = time.monotonic() - started
    print(f"\nthe hook answered Okta in {answered * 1000:.0f} ms ({len(events)} events; Okta waits 3 s)")
    assert answered < 1.0
    messages = hook.receive()
    assert messages, "the hook queued nothing"
    result = hook.stack.invoke(hook.sqs_event(messages))
    hook.acknowledge(messages, result)
    return result


def test_okta_changes_reach_zoom_through_the_hook_within_seconds(hook: Hook) -> None:
    # Given a synced user, and a group assigned to the app
    stack = hook.stack
    stack.set_policy("max_deprovisions: {count: 10, percent: 100}\n")
    leaver = add_person(stack, "leaver@acme.example")
    team = stack.okta.add_group("Team")
    stack.okta.assign_group(team)
    sales = stack.okta.add_group("Sales")
    seller = add_person(stack, "seller@acme.example", assign=False)
    stack.okta.add_member(sales, seller)
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    assert stack.zoom_user("seller@acme.example") is None
    assert stack.zoom_user("leaver@acme.example")["status"] == "active"

    # When Okta changes: a joiner assigned directly, a member added to the assigned group, a group assigned to
    # the app, a suspension
    started = time.monotonic()
    before = len(stack.okta.log_events)
    add_person(stack, "joiner@acme.example")
    member = add_person(stack, "member@acme.example", assign=False)
    stack.okta.add_member(team, member)
    stack.okta.assign_group(sales)
    stack.okta.set_status(leaver, "SUSPENDED")
    # and Okta's hook delivers those System Log events, the hook queues them, and SQS hands them to the sync
    result = deliver_and_consume(hook, okta_events_since(stack, before))
    elapsed = time.monotonic() - started

    # Then Zoom follows, every record is acknowledged, and the queue is empty
    assert result["mode"] == "queue" and result["status"] == "succeeded", result
    assert result["batchItemFailures"] == []
    assert stack.zoom_user("joiner@acme.example")["status"] == "active"
    assert stack.zoom_user("member@acme.example")["status"] == "active"
    assert stack.zoom_user("seller@acme.example")["status"] == "active"
    assert stack.zoom_user("leaver@acme.example")["status"] == "inactive"
    assert not any("full reconcile" in note for note in result["notes"])
    assert hook.receive() == []
    print(
        f"\nOkta change -> Zoom change through the event hook: {elapsed:.2f} s on the simulators "
        f"(+ up to {BATCHING_WINDOW_S} s of SQS batching window when deployed: {elapsed + BATCHING_WINDOW_S:.1f} s)"
    )
    assert elapsed + BATCHING_WINDOW_S < 60


def test_a_held_lease_leaves_every_record_for_sqs_to_deliver_again(hook: Hook) -> None:
    # Given a synced user, and another run holding the lease
    stack = hook.stack
    user_id = add_person(stack, "busy@acme.example")
    stack.invoke({"mode": "full"})
    before = len(stack.okta.log_events)
    stack.okta.set_status(user_id, "SUSPENDED")
    stack.okta.update_profile(user_id, lastName="Renamed")
    assert hook.post_events(okta_events_since(stack, before)) == {"statusCode": 200}
    messages = hook.receive()
    assert len(messages) == 2
    store = DynamoStateStore(TABLE)
    assert store.acquire_lease("another-run", 600)

    # When SQS hands the batch to the sync
    result = stack.invoke(hook.sqs_event(messages))

    # Then the run is skipped and every record is reported back, so SQS delivers it again
    assert result["status"] == "skipped"
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(m["MessageId"] for m in messages)
    assert stack.zoom_user("busy@acme.example")["status"] == "active"
    # And once the lease is free, the same records go through
    store.release_lease("another-run")
    again = stack.invoke(hook.sqs_event(messages))
    assert again["status"] == "succeeded" and again["batchItemFailures"] == []
    assert stack.zoom_user("busy@acme.example")["status"] == "inactive"


def test_only_the_records_naming_a_user_whose_read_failed_go_back(hook: Hook) -> None:
    # Given two synced users, one of whom Okta cannot answer for (500 on every read of their assignment)
    stack = hook.stack
    fine = add_person(stack, "fine@acme.example")
    broken = add_person(stack, "broken@acme.example")
    stack.invoke({"mode": "full"})
    before = len(stack.okta.log_events)
    stack.okta.set_status(fine, "SUSPENDED")
    stack.okta.set_status(broken, "SUSPENDED")
    assert hook.post_events(okta_events_since(stack, before)) == {"statusCode": 200}
    messages = hook.receive()
    by_user = {json.loads(m["Body"])["target"][0]["id"]: m["MessageId"] for m in messages}
    assert set(by_user) == {fine, broken}
    stack.okta.inject("GET", f"/api/v1/apps/{OKTA_APP_ID}/users/{broken}", status=500, times=None)

    # When SQS hands the batch to the sync
    result = stack.invoke(hook.sqs_event(messages))

    # Then the readable user is reconciled and acknowledged; the record naming the other one goes back
    assert result["status"] == "partial"
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [by_user[broken]]
    assert stack.zoom_user("fine@acme.example")["status"] == "inactive"
    assert stack.zoom_user("broken@acme.example")["status"] == "active"


def test_a_record_whose_body_cannot_be_read_goes_back_alone(hook: Hook) -> None:
    # Given a batch with one good record and one whose body is not a System Log event
    stack = hook.stack
    user_id = add_person(stack, "good@acme.example")
    stack.invoke({"mode": "full"})
    before = len(stack.okta.log_events)
    stack.okta.set_status(user_id, "SUSPENDED")
    assert hook.post_events(okta_events_since(stack, before)) == {"statusCode": 200}
    hook.sqs.send_message(QueueUrl=hook.queue_url, MessageBody="not an event")
    messages = hook.receive()
    bad = next(m["MessageId"] for m in messages if m["Body"] == "not an event")

    # When SQS hands the batch to the sync
    result = stack.invoke(hook.sqs_event(messages))

    # Then the good record is applied and acknowledged, and only the bad one goes back (to the dead-letter queue
    # in the end, where the alarm sees it)
    assert result["status"] == "succeeded"
    assert result["batchItemFailures"] == [{"itemIdentifier": bad}]
    assert any(bad in note and "not a System Log event" in note for note in result["notes"])
    assert stack.zoom_user("good@acme.example")["status"] == "inactive"


@pytest.mark.parametrize(
    "extra", [{"dry_run": True}, {"force": True}, {"mode": "queue"}], ids=["dry_run", "force", "mode"]
)
def test_a_queue_batch_takes_no_dry_run_or_force(hook: Hook, extra: dict[str, Any]) -> None:
    # Given an SQS batch with an operator's key added
    event = {**hook.sqs_event([]), "Records": [{"messageId": "m1", "body": "{}", "eventSource": "aws:sqs"}], **extra}
    # When the sync is invoked with it, Then it raises before reading anything, naming the key
    with pytest.raises(Exception, match=next(iter(extra))):
        hook.stack.invoke(event)
