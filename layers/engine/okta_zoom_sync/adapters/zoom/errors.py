"""Zoom's error answers, classified: `classify_zoom` maps (HTTP status, Zoom code) to the typed errors of
`okta_zoom_sync.errors`, and `zoom_error` is Zoom's `ApiDialect`: it reads the API's error body
`{"code","message","errors":[{"field","message"}]}` and names Zoom's request-id header. Zoom's numeric
codes live here (from the Zoom API fact sheet) and are read nowhere outside `adapters/zoom/`.

Two codes mean something the engine acts on, so the client's writes raise them as their own types
(`typed_error`): 1005 "email already used" as `EmailTakenError`, 1107 "managed-domain user" as
`ManagedDomainUserError`. `zoom_error` itself keeps them a plain ConflictError / PermanentError.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from okta_zoom_sync.adapters.http.dialect import ApiDialect, ErrorParser, reason, short
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    BasicSeatLimitError,
    ConflictError,
    EmailTakenError,
    LicenseLimitError,
    ManagedDomainUserError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    RateLimitedError,
    RetryableError,
)

ZOOM_LICENSE_CODES = frozenset({2033, 2034, 2038, 3412})
ZOOM_BASIC_SEAT_CODE = 2033  # the Basic-user cap: no lower license to fall back to
ZOOM_MISSING_SCOPE_CODES = frozenset({4700, 4711})
ZOOM_INVALID_TOKEN_CODE = 124
ZOOM_USER_NOT_FOUND = 1001
ZOOM_USER_NOT_IN_ACCOUNT = 1010  # "User not found on this account" (also "group not in this account")
ZOOM_EMAIL_USED = 1005
ZOOM_GROUP_NOT_FOUND = 4130
ZOOM_MEMBER_NOT_IN_GROUP = 4131
ZOOM_GROUP_NAME_TAKEN = 4132  # POST /groups: a group of that name exists (409)
ZOOM_INVITATION_EXPIRED = 1120
ZOOM_MANAGED_DOMAIN_USER = 1107  # a managed-domain user cannot be disassociated: delete it
ZOOM_VALIDATION_FAILED = 300  # "Validation Failed." (a field refused; on a delete with transfer: the target)
ZOOM_PICTURE_REFUSED = 120  # a profile picture that is empty, too big or not a jpg/png
ZOOM_REQUEST_ID_HEADER = "x-zm-trackingid"


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    moment = now or datetime.now(UTC)
    midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
    return (midnight - moment).total_seconds()


def classify_zoom(status: int, code: int | None, message: str, retry_after: float | None = None) -> ApiError:
    text = f"Zoom API {status}" + (f" code {code}" if code is not None else "") + f": {message}"
    code_s = str(code) if code is not None else str(status)
    if status == 429 and retry_after is None and "daily" in message.casefold():
        # A daily quota is spent: it comes back at 00:00 UTC ("You may resume these requests at GMT 00:00:00"),
        # so waiting a second and trying again only spends more of it.
        retry_after = seconds_to_utc_midnight()
    if status == 429:
        return RateLimitedError(text, api="zoom", code=code_s, status=status, retry_after=retry_after)
    if status >= 500:
        return RetryableError(text, api="zoom", code=code_s, status=status, retry_after=retry_after)
    if code == ZOOM_BASIC_SEAT_CODE:
        return BasicSeatLimitError(text, api="zoom", code=code_s, status=status)
    if code in ZOOM_LICENSE_CODES:
        return LicenseLimitError(text, api="zoom", code=code_s, status=status)
    if code in ZOOM_MISSING_SCOPE_CODES:
        return PermissionDeniedError(text, api="zoom", code=code_s, status=status)
    if status == 401:
        return AuthError(text, api="zoom", code=code_s, status=status)
    if status == 403:
        return PermissionDeniedError(text, api="zoom", code=code_s, status=status)
    if status == 404:
        return NotFoundError(text, api="zoom", code=code_s, status=status)
    if status == 409:
        return ConflictError(text, api="zoom", code=code_s, status=status)
    return PermanentError(text, api="zoom", code=code_s, status=status)


def parse_zoom_error(status: int, body: Any, retry_after: float | None) -> ApiError:
    """Zoom API errors: `{"code","message","errors":[{"field","message"}]}`."""
    code: int | None = None
    message = ""
    if isinstance(body, Mapping):
        code = int_code(body.get("code"))
        message = str(body.get("message") or "")
        fields = [f"{e.get('field')}: {e.get('message')}" for e in body.get("errors") or [] if isinstance(e, Mapping)]
        if fields:
            message += " (" + "; ".join(fields) + ")"
    elif isinstance(body, str):
        message = short(body)
    return classify_zoom(status, code, message or reason(status), retry_after)


def int_code(raw: object) -> int | None:
    """A Zoom `code` given as a number or a string of digits; None otherwise."""
    if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()):
        return int(raw)
    return None


def zoom_dialect(parse: ErrorParser = parse_zoom_error) -> ApiDialect:
    """Zoom's wire conventions around `parse` (the REST API's error parser, or the token endpoint's)."""
    return ApiDialect(parse, request_id_header=ZOOM_REQUEST_ID_HEADER)


zoom_error = zoom_dialect()


def is_zoom_code(error: ApiError, zoom_code: int) -> bool:
    return error.code == str(zoom_code)


def typed_error(error: ApiError) -> ApiError | None:
    """The engine's own type for the two Zoom answers it acts on, or None: `EmailTakenError` for a 409 code
    1005 (the address is used already), `ManagedDomainUserError` for code 1107 (a managed-domain user cannot
    be disassociated). Same message, code and status as `error`."""
    kind: type[ApiError] | None = None
    if isinstance(error, ConflictError) and is_zoom_code(error, ZOOM_EMAIL_USED):
        kind = EmailTakenError
    elif isinstance(error, PermanentError) and is_zoom_code(error, ZOOM_MANAGED_DOMAIN_USER):
        kind = ManagedDomainUserError
    if kind is None or isinstance(error, kind):
        return None
    return kind(error.message, api=error.api, code=error.code, status=error.status)
