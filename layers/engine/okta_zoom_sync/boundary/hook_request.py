"""The event hook's input: a Lambda Function URL request (payload format 2.0) and Okta's event-hook body.

Header names are compared case-insensitively (Function URLs lower-case them; a test or a proxy may not). A body
may come base64-encoded. Anything that is not the expected shape raises InvalidEventError, which the hook answers
with 400; the message names what was wrong and never echoes a header's value.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from okta_zoom_sync.core.system_log import shape_problem
from okta_zoom_sync.errors import InvalidEventError

VERIFICATION_HEADER = "x-okta-verification-challenge"


@dataclass(frozen=True)
class HookRequest:
    method: str  # upper case
    headers: Mapping[str, str]  # names lower-cased
    body: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class HookDelivery:
    """Okta's event-hook body: its delivery id and its System Log events (as Okta sent them)."""

    event_id: str
    events: tuple[Mapping[str, Any], ...]


def parse_function_url_event(event: object) -> HookRequest:
    """A Function URL event (payload format 2.0): method, headers and body."""
    if not isinstance(event, Mapping):
        raise InvalidEventError(f"invalid request: expected a JSON object, got {type(event).__name__}")
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    method = http.get("method") if isinstance(http, Mapping) else None
    if not isinstance(method, str) or not method:
        raise InvalidEventError("invalid request: requestContext.http.method is missing")
    raw_headers = event.get("headers") or {}
    if not isinstance(raw_headers, Mapping):
        raise InvalidEventError("invalid request: headers must be an object")
    headers = {str(name).lower(): str(value) for name, value in raw_headers.items() if value is not None}
    body = event.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise InvalidEventError("invalid request: body must be a string")
    if event.get("isBase64Encoded") is True:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidEventError("invalid request: the body is not base64-encoded UTF-8") from None
    return HookRequest(method.upper(), headers, body)


def parse_delivery(body: str) -> HookDelivery:
    """Okta's event-hook body: {"eventId": ..., "data": {"events": [<System Log event>, ...]}}."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        raise InvalidEventError("invalid delivery: the body is not JSON") from None
    if not isinstance(document, Mapping):
        raise InvalidEventError("invalid delivery: the body is not a JSON object")
    data = document.get("data")
    events = data.get("events") if isinstance(data, Mapping) else None
    if not isinstance(events, list):
        raise InvalidEventError("invalid delivery: data.events must be a list")
    for index, item in enumerate(events):
        problem = shape_problem(item)
        if problem:
            raise InvalidEventError(f"invalid delivery: data.events[{index}] {problem}")
    return HookDelivery(str(document.get("eventId") or ""), tuple(events))
