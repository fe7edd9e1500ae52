"""Okta's error answers, classified: `classify_okta` maps (HTTP status, Okta E-code) to the typed errors of
`okta_zoom_sync.errors`, and `okta_error` is Okta's `ApiDialect`: it reads the management API's error body
`{"errorCode","errorSummary","errorCauses"}` and names Okta's request-id, retry and rate-limit headers.
`scope_hint` adds to a refused call the scope (or Okta feature) it needs. Okta's E-codes are read here and
nowhere else."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from okta_zoom_sync.adapters.http.dialect import ApiDialect, ErrorParser, reason, short
from okta_zoom_sync.adapters.http.retry import RateLimitHeaders
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    RateLimitedError,
    RetryableError,
)

OKTA_RATE_LIMITED = "E0000047"  # "API call exceeded rate limit due to too many requests"
OKTA_INVALID_TOKEN = "E0000011"  # "Invalid token provided"
OKTA_FEATURE_NOT_ENABLED = "E0000015"  # "You do not have permission to access the feature you are requesting"
# Okta's per-bucket headers (fact sheet §5b): requests left in the window, and its reset in epoch seconds.
OKTA_RATE_LIMIT = RateLimitHeaders(remaining="X-Rate-Limit-Remaining", reset="X-Rate-Limit-Reset")
# The scope each endpoint family needs (fact sheet §1b), to say what to grant when Okta refuses a call.
_SCOPES = {"apps": "okta.apps.read", "groups": "okta.groups.read", "users": "okta.users.read", "logs": "okta.logs.read"}


def classify_okta(status: int, code: str | None, summary: str, retry_after: float | None = None) -> ApiError:
    text = f"Okta API {status}" + (f" {code}" if code else "") + f": {summary}"
    code_s = code or str(status)
    if status == 429 or code == OKTA_RATE_LIMITED:
        return RateLimitedError(text, api="okta", code=code_s, status=status, retry_after=retry_after)
    if status >= 500:
        return RetryableError(text, api="okta", code=code_s, status=status, retry_after=retry_after)
    if code == OKTA_FEATURE_NOT_ENABLED:
        # "Feature not enabled / no permission": the credential is fine; the org or the token lacks a feature.
        return PermissionDeniedError(text, api="okta", code=code_s, status=status)
    if status == 401 or code == OKTA_INVALID_TOKEN:
        return AuthError(text, api="okta", code=code_s, status=status)
    if status == 403:
        return PermissionDeniedError(text, api="okta", code=code_s, status=status)
    if status == 404:
        return NotFoundError(text, api="okta", code=code_s, status=status)
    return PermanentError(text, api="okta", code=code_s, status=status)


def parse_okta_error(status: int, body: Any, retry_after: float | None) -> ApiError:
    """Okta management API errors: `{"errorCode","errorSummary","errorCauses"}`."""
    code: str | None = None
    summary = ""
    if isinstance(body, Mapping):
        code = _str_or_none(body.get("errorCode"))
        summary = str(body.get("errorSummary") or "")
        causes = [c.get("errorSummary") for c in body.get("errorCauses") or [] if isinstance(c, Mapping)]
        if causes:
            summary += " (" + "; ".join(str(c) for c in causes if c) + ")"
    elif isinstance(body, str):
        summary = short(body)
    return classify_okta(status, code, summary or reason(status), retry_after)


def okta_retry_headers(request_id: str, attempt: int) -> Mapping[str, str]:
    """Okta's SDK marks retries so Okta can correlate them with the first attempt."""
    return {"X-Okta-Retry-For": request_id, "X-Okta-Retry-Count": str(attempt)}


def okta_dialect(parse: ErrorParser = parse_okta_error) -> ApiDialect:
    """Okta's wire conventions around `parse` (the management API's error parser, or the token endpoint's)."""
    return ApiDialect(
        parse,
        request_id_header="X-Okta-Request-Id",
        retry_headers=okta_retry_headers,
        rate_limit=OKTA_RATE_LIMIT,
    )


okta_error = okta_dialect()


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


@contextmanager
def scope_hint(path: str) -> Iterator[None]:
    """Say which scope (or Okta feature) a refused call needs, instead of a bare 403 or E0000015."""
    try:
        yield
    except PermissionDeniedError as exc:
        parts = [p for p in urlsplit(path).path.split("/") if p]
        family = parts[2] if parts[:2] == ["api", "v1"] and len(parts) > 2 else ""
        scope = _SCOPES.get(family)
        if scope is None or "grant the scope" in exc.message:
            raise
        if exc.code == OKTA_FEATURE_NOT_ENABLED:
            advice = (
                f"Okta says the feature behind /api/v1/{family} is not enabled for this org, or the credential may "
                f"not use it: check the org's features, and grant the scope {scope} and an admin role that covers it"
            )
        else:
            advice = f"grant the scope {scope} to the service app (or use an admin whose role covers it)"
        raise PermissionDeniedError(f"{exc.message}. {advice}", api="okta", code=exc.code, status=exc.status) from exc
