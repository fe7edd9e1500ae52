"""What one vendor's API does differently on the wire, handed to the shared `ApiTransport`.

An `ApiDialect` is the vendor's error parser (it is called like one: status, decoded body, retry_after ->
the typed `ApiError`) together with the vendor's optional headers: which one carries the request id,
which ones mark a retry, and which ones report a rate-limit bucket. The transport knows no vendor:
`adapters/okta/errors.py` and `adapters/zoom/errors.py` build the two dialects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from okta_zoom_sync.adapters.http.retry import RateLimitHeaders
from okta_zoom_sync.errors import ApiError

# (status, decoded JSON body or the raw text, retry_after) -> the typed error.
ErrorParser = Callable[[int, Any, float | None], ApiError]


@dataclass(frozen=True)
class ApiDialect:
    """A vendor's error parser plus the headers only that vendor sends or expects.

    `request_id_header`: the answer's request id, logged with each call. `retry_headers(request_id, attempt)`:
    headers that tell the server a request retries an earlier one (Okta's `X-Okta-Retry-For`).
    `rate_limit`: the remaining/reset headers that let the transport wait for a bucket's reset on a 429 and
    pause before the bucket runs dry.
    """

    parse: ErrorParser
    request_id_header: str | None = None
    retry_headers: Callable[[str, int], Mapping[str, str]] | None = None
    rate_limit: RateLimitHeaders | None = None

    def __call__(self, status: int, body: Any, retry_after: float | None) -> ApiError:
        return self.parse(status, body, retry_after)


def short(text: str, limit: int = 300) -> str:
    """An error text on one line, cut at `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def reason(status: int) -> str:
    """The HTTP reason phrase of `status` ("error" for an unknown one): the message of an empty error body."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"
