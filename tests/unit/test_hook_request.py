"""The event hook's input: a Function URL request and Okta's delivery body, parsed and checked. Pure."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from okta_zoom_sync.boundary.hook_request import parse_delivery, parse_function_url_event
from okta_zoom_sync.errors import InvalidEventError


def url_event(**fields: Any) -> dict[str, Any]:
    return {"requestContext": {"http": {"method": "post"}}, "headers": {}, "body": "", **fields}


def test_method_upper_cased_and_header_names_folded() -> None:
    request = parse_function_url_event(url_event(headers={"Authorization": "v", "X-Okta-Verification-Challenge": "c"}))
    assert request.method == "POST"
    assert request.header("authorization") == "v" == request.header("AUTHORIZATION")
    assert request.header("x-okta-verification-challenge") == "c"
    assert request.header("missing") is None


def test_a_base64_body_is_decoded() -> None:
    body = json.dumps({"data": {"events": []}})
    request = parse_function_url_event(url_event(body=base64.b64encode(body.encode()).decode(), isBase64Encoded=True))
    assert request.body == body


@pytest.mark.parametrize(
    ("event", "names"),
    [
        ("text", "JSON object"),
        ({"headers": {}}, "method"),
        (url_event(requestContext={"http": "GET"}), "method"),
        (url_event(headers=["authorization"]), "headers"),
        (url_event(body=7), "body"),
        (url_event(body="%%%", isBase64Encoded=True), "base64"),
    ],
    ids=["not-an-object", "no-context", "http-not-an-object", "headers-a-list", "body-a-number", "bad-base64"],
)
def test_a_request_of_another_shape_is_refused_naming_what(event: Any, names: str) -> None:
    with pytest.raises(InvalidEventError, match=names):
        parse_function_url_event(event)


def test_a_delivery_keeps_its_id_and_its_events_as_sent() -> None:
    event = {"uuid": "e1", "eventType": "user.lifecycle.suspend", "target": [{"id": "00u1", "type": "User"}]}
    delivery = parse_delivery(json.dumps({"eventId": "d1", "data": {"events": [event]}}))
    assert delivery.event_id == "d1"
    assert delivery.events == (event,)


def test_a_delivery_with_an_event_of_another_shape_names_the_event() -> None:
    body = json.dumps({"data": {"events": [{"uuid": "e1", "eventType": "x"}, {"uuid": "", "eventType": "x"}]}})
    with pytest.raises(InvalidEventError, match=r"data\.events\[1\] uuid"):
        parse_delivery(body)
