"""The event hook in the integration stack: its secret and queue in moto, its environment, its handler, and the
Okta side of a delivery (a Function URL request carrying Okta's event-hook body).

`hook_stack(stack)` adds to a running `integration_stack` (whose moto account it shares) the hook's secret and
queue (with its dead-letter queue) and sets HOOK_SECRET_ID, HOOK_QUEUE_URL and OKTA_APP_ID. The hook's handler is
functions/hook/app.py, loaded by path as the module `hook_app` (functions/sync/app.py is the `app` on sys.path).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from tests.support.stack import OKTA_APP_ID, FakeContext, Stack, _environ

REPO = Path(__file__).resolve().parents[2]
HOOK_HANDLER = REPO / "functions" / "hook" / "app.py"
RECORDED = REPO / "tests" / "contract" / "recorded" / "okta"
HOOK_SECRET_ID = "okta-zoom-sync/hook"
HOOK_SECRET = "hook-shared-value-0123456789abcdef"
ENVELOPE_FILE = RECORDED / "event_hook_delivery_session_start.okta-docs.json"


def hook_handler() -> ModuleType:
    """functions/hook/app.py as the module `hook_app` (loaded once)."""
    module = sys.modules.get("hook_app")
    if module is None:
        spec = importlib.util.spec_from_file_location("hook_app", HOOK_HANDLER)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["hook_app"] = module
        spec.loader.exec_module(module)
    return module


def recorded_envelope() -> dict[str, Any]:
    """Okta's documented event-hook delivery (its envelope and its one user.session.start event)."""
    body: dict[str, Any] = json.loads(ENVELOPE_FILE.read_text(encoding="utf-8"))["body"]
    return body


def recorded_event(name: str) -> dict[str, Any]:
    """A recorded System Log event (tests/contract/recorded/okta/<name>)."""
    event: dict[str, Any] = json.loads((RECORDED / name).read_text(encoding="utf-8"))["body"]
    return event


def delivery(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Okta's event-hook body around these System Log events: the documented envelope, a fresh eventId."""
    envelope = recorded_envelope()
    envelope["eventId"] = str(uuid.uuid4())
    envelope["eventTime"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    envelope["data"] = {"events": [dict(e) for e in events]}
    return envelope


def function_url_event(
    method: str, headers: Mapping[str, str], body: str = "", *, base64_body: bool = False
) -> dict[str, Any]:
    """A Function URL request, payload format 2.0."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {"host": "abc123.lambda-url.us-east-1.on.aws", "user-agent": "Okta Event Hooks", **headers},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc123",
            "domainName": "abc123.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": "/",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Okta Event Hooks",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "02/Dec/2026:08:00:00 +0000",
            "timeEpoch": 1796198400000,
        },
        "body": base64.b64encode(body.encode()).decode() if base64_body else body,
        "isBase64Encoded": base64_body,
    }


@dataclass
class Hook:
    """The hook's side of the stack: call the handler as Okta would, read what it queued."""

    stack: Stack
    sqs: Any
    queue_url: str
    queue_arn: str

    def call(self, event: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = hook_handler().handler(dict(event), FakeContext(function_name="okta-zoom-sync-hook"))
        json.dumps(result)
        return result

    def verify(self, challenge: str) -> dict[str, Any]:
        return self.call(function_url_event("GET", {"x-okta-verification-challenge": challenge}))

    def post(
        self, body: Mapping[str, Any] | str, authorization: str | None = HOOK_SECRET, **options: Any
    ) -> dict[str, Any]:
        headers = {"content-type": "application/json", "accept": "application/json"}
        if authorization is not None:
            headers["authorization"] = authorization
        text = body if isinstance(body, str) else json.dumps(body)
        return self.call(function_url_event("POST", headers, text, **options))

    def post_events(self, events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return self.post(delivery(events))

    def receive(self) -> list[dict[str, Any]]:
        """Every message waiting in the queue (received, so in flight until deleted or its visibility ends)."""
        messages: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                return messages
            messages.extend(got)

    def sqs_event(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The SQS batch event Lambda's event source mapping would invoke the sync function with."""
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
        }

    def acknowledge(self, messages: Sequence[Mapping[str, Any]], result: Mapping[str, Any]) -> None:
        """What the event source mapping does with the sync's answer: delete every record not listed in
        batchItemFailures (the listed ones come back after the visibility timeout)."""
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


@contextmanager
def hook_stack(stack: Stack, *, secret: str = HOOK_SECRET) -> Iterator[Hook]:
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name=HOOK_SECRET_ID, SecretString=secret)
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="okta-zoom-sync-hook-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName="okta-zoom-sync-hook",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})},
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with _environ({"HOOK_SECRET_ID": HOOK_SECRET_ID, "HOOK_QUEUE_URL": queue_url, "OKTA_APP_ID": OKTA_APP_ID}):
        yield Hook(stack, sqs, queue_url, queue_arn)
