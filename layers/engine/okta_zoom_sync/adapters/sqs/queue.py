"""The event-hook queue (SQS): sends message bodies in batches of ten, all of them or a QueueError."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from okta_zoom_sync.errors import QueueError

BATCH = 10  # SendMessageBatch's limit


@functools.cache
def sqs_client() -> Any:
    """One client per process: warm invocations reuse it (creating one costs more than a call)."""
    return boto3.client("sqs")


class SqsQueue:
    def __init__(self, queue_url: str, *, client: Any = None) -> None:
        self.queue_url = queue_url
        self.client = client or sqs_client()

    def send(self, bodies: Sequence[str]) -> None:
        """Send every body as one message. Entries SQS refuses for a passing reason are sent once more; anything
        still refused raises QueueError (the caller answers 500 and Okta delivers again)."""
        for start in range(0, len(bodies), BATCH):
            entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + BATCH])]
            failed = self._send_batch(entries)
            if failed and not any(f.get("SenderFault") for f in failed):
                retry = {f["Id"] for f in failed}
                failed = self._send_batch([e for e in entries if e["Id"] in retry])
            if failed:
                codes = sorted({str(f.get("Code") or "error") for f in failed})
                raise QueueError(f"the queue refused {len(failed)} of {len(entries)} messages ({', '.join(codes)})")

    def _send_batch(self, entries: list[dict[str, str]]) -> list[dict[str, Any]]:
        try:
            answer = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code', 'error')}: {error.get('Message', '')}"
            raise QueueError(f"cannot send to the queue: {reason}") from exc
        except BotoCoreError as exc:
            raise QueueError(f"cannot send to the queue: {type(exc).__name__}") from exc
        return list(answer.get("Failed") or ())
