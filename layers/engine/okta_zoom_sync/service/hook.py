"""The event hook (near-real-time path): Okta's verification, then deliveries turned into queued work.

GET with `x-okta-verification-challenge` answers Okta's one-time verification. A POST must carry the shared value
(the hook secret's string) in `Authorization`, compared in constant time; its events that can change a Zoom user
of this app (core/system_log.py decides) go to the queue, cut down to what the sync reads, one message each.
Nothing is enqueued for a request refused with 401 or 400. A queue or secret failure answers 500, which Okta
retries once; the scheduled incremental run stays the backstop for anything a delivery misses. The hook holds no
Okta or Zoom credential and calls nothing but Secrets Manager and SQS.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from okta_zoom_sync.adapters.sqs.queue import SqsQueue
from okta_zoom_sync.boundary.hook_request import (
    VERIFICATION_HEADER,
    HookRequest,
    parse_delivery,
    parse_function_url_event,
)
from okta_zoom_sync.boundary.secrets import read_shared_secret
from okta_zoom_sync.boundary.settings import HOOK_SETTINGS_VARIABLES, HookSettings, once_per_cold_start
from okta_zoom_sync.core.ports import MessageQueue
from okta_zoom_sync.core.system_log import concerns, trimmed
from okta_zoom_sync.errors import ConfigurationError, InvalidEventError, SyncError
from okta_zoom_sync.observability import logger, metrics


@dataclass(frozen=True)
class HookResponse:
    status: int
    body: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The Function URL response (payload format 2.0)."""
        if self.body is None:
            return {"statusCode": self.status}
        return {
            "statusCode": self.status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(self.body),
        }


def parse_request(event: object) -> HookRequest | InvalidEventError:
    """The Function URL request; a bad shape is returned as the error, for `run` to answer 400."""
    try:
        return parse_function_url_event(event)
    except InvalidEventError as exc:
        return exc


def load_settings() -> HookSettings | ConfigurationError:
    """The hook's settings, once per cold start (keyed on the variables' values, so a test may change them)."""
    return once_per_cold_start(HookSettings.from_environ, HOOK_SETTINGS_VARIABLES)


def run(
    request: HookRequest | InvalidEventError,
    settings: HookSettings | ConfigurationError,
    *,
    queue: MessageQueue | None = None,
) -> HookResponse:
    if isinstance(request, InvalidEventError):
        return _refused(400, request.message)
    if request.method == "GET":
        challenge = request.header(VERIFICATION_HEADER)
        if challenge is None:
            return _refused(400, f"a GET must carry the {VERIFICATION_HEADER} header")
        logger.info("event hook verification answered")
        return HookResponse(200, {"verification": challenge})
    if request.method != "POST":
        return _refused(405, f"method {request.method} is not allowed")
    if isinstance(settings, ConfigurationError):
        return _failed("configuration error", settings)
    try:
        expected = read_shared_secret(settings.hook_secret_id)
    except SyncError as exc:
        return _failed("cannot read the hook secret", exc)
    given = request.header("authorization") or ""
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return _refused(401, "the Authorization header is missing or wrong")
    try:
        delivery = parse_delivery(request.body)
    except InvalidEventError as exc:
        return _refused(400, exc.message)
    relevant = [trimmed(event) for event in delivery.events if concerns(event, settings.okta_app_id)]
    if relevant:
        try:
            (queue or SqsQueue(settings.hook_queue_url)).send([json.dumps(event) for event in relevant])
        except SyncError as exc:
            return _failed("cannot queue the delivery's events", exc)
    metrics.add_metric(name="HookEventsQueued", unit=MetricUnit.Count, value=len(relevant))
    logger.info(
        "event hook delivery queued",
        extra={
            "delivery": delivery.event_id,
            "events": len(delivery.events),
            "queued": len(relevant),
            "event_types": sorted({str(e["eventType"]) for e in relevant}),
        },
    )
    return HookResponse(200)


def _refused(status: int, reason: str) -> HookResponse:
    logger.warning("event hook request refused", extra={"status": status, "reason": reason})
    metrics.add_metric(name="HookRequestsRefused", unit=MetricUnit.Count, value=1)
    return HookResponse(status, {"error": reason})


def _failed(what: str, exc: SyncError) -> HookResponse:
    # 500: Okta delivers once more. The error names the setting, the secret or the queue, never a value.
    logger.error(what, extra={"error_code": exc.code, "error": exc.message})
    metrics.add_metric(name="HookDeliveriesFailed", unit=MetricUnit.Count, value=1)
    return HookResponse(500, {"error": "the delivery could not be accepted; Okta may deliver it again"})
