"""The event-hook queue's SQS batches: parsed into messages and events, and mapped back to the records SQS must
deliver again (batchItemFailures). Pure: no AWS, no engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from okta_zoom_sync.boundary.request import Mode, QueueBatch, SyncEvent, parse_event
from okta_zoom_sync.core.report import RunReport, RunStatus
from okta_zoom_sync.errors import InvalidEventError
from okta_zoom_sync.service.invocation import unhandled_messages


def suspension(user_id: str, uuid: str) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "published": "2026-12-02T08:00:00.000Z",
        "eventType": "user.lifecycle.suspend",
        "outcome": {"result": "SUCCESS"},
        "target": [{"id": user_id, "type": "User"}],
    }


def record(message_id: str, body: Any) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:okta-zoom-sync-HookQueue-abc",
        "awsRegion": "us-east-1",
    }


def batch() -> QueueBatch:
    parsed = parse_event(
        {
            "Records": [
                record("m1", suspension("00uA", "e1")),
                record("m2", suspension("00uB", "e2")),
                record("m3", "not json"),
                record("m4", [suspension("00uA", "e3"), suspension("00uC", "e4")]),
            ]
        }
    )
    assert isinstance(parsed, QueueBatch)
    return parsed


def report(status: RunStatus = RunStatus.SUCCEEDED, **fields: Any) -> RunReport:
    built = RunReport(run_id="r", mode="queue", dry_run=False, force=False, status=status)
    for name, value in fields.items():
        setattr(built, name, value)
    return built


def test_an_sqs_batch_becomes_messages_and_one_queue_request() -> None:
    # Given an SQS batch of hook messages, one of which is not an event
    parsed = batch()
    # Then each record keeps its id and its events; the unreadable one says why
    assert [m.message_id for m in parsed.messages] == ["m1", "m2", "m3", "m4"]
    assert [len(m.events) for m in parsed.messages] == [1, 1, 0, 2]
    assert parsed.messages[2].problem and "not an object" in parsed.messages[2].problem
    # And the engine gets the readable events only, with no message id, no dry run and no force
    request = parsed.request
    assert isinstance(request, SyncEvent) and request.mode is Mode.QUEUE
    assert [e["uuid"] for e in request.events or ()] == ["e1", "e2", "e3", "e4"]
    assert (request.dry_run, request.force) == (False, False)


@pytest.mark.parametrize(
    ("event", "names"),
    [
        ({"Records": [record("m1", {})], "dry_run": True}, "dry_run"),
        ({"Records": [record("m1", {})], "force": True}, "force"),
        ({"Records": []}, "non-empty"),
        ({"Records": [{**record("m1", {}), "eventSource": "aws:s3"}]}, "SQS record"),
        ({"Records": [{**record("m1", {}), "messageId": ""}]}, "messageId"),
        ({"mode": "queue"}, "queue"),
        ({"mode": "full", "events": []}, "events"),
    ],
    ids=["dry_run", "force", "empty", "not-sqs", "no-message-id", "queue-mode-by-hand", "events-by-hand"],
)
def test_a_batch_the_queue_never_sends_fails_the_invocation(event: dict[str, Any], names: str) -> None:
    with pytest.raises(InvalidEventError, match=names):
        parse_event(event)


def test_a_run_that_went_through_acknowledges_all_but_unreadable_records() -> None:
    assert unhandled_messages(batch(), report()) == ["m3"]


def test_a_user_whose_read_failed_sends_back_the_records_naming_them() -> None:
    # Given a run that could not read 00uA (set aside, partial)
    done = report(RunStatus.PARTIAL, unread=["00uA"])
    # Then the records naming 00uA go back with the unreadable one; 00uB's is acknowledged
    assert unhandled_messages(batch(), done) == ["m1", "m3", "m4"]


@pytest.mark.parametrize(
    "done",
    [report(RunStatus.SKIPPED), report(RunStatus.FAILED), report(RunStatus.PARTIAL, incomplete=True)],
    ids=["lease-held", "failed", "incomplete-read"],
)
def test_a_run_that_did_not_happen_or_failed_sends_back_every_record(done: RunReport) -> None:
    assert unhandled_messages(batch(), done) == ["m1", "m2", "m3", "m4"]


def test_the_result_carries_batch_item_failures_only_for_queue_runs() -> None:
    assert "batchItemFailures" not in report().to_dict()
    assert report(item_failures=[]).to_dict()["batchItemFailures"] == []
    assert report(item_failures=["m1"]).to_dict()["batchItemFailures"] == [{"itemIdentifier": "m1"}]
