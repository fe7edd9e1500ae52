"""Every error the engine raises, classified once.

`classify_okta` and `classify_zoom` map an API's (HTTP status, error code) to one of these types, so
the retry policy, the applier and the result never look at raw status codes again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SyncError(Exception):
    """Base of all engine errors. `code` is short and stable; the message never holds a secret."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.status = status

    @property
    def message(self) -> str:
        return str(self)


class ConfigurationError(SyncError):
    """Bad environment, event, policy or secret. Raised before anything is read or written."""

    code = "configuration"


class InvalidEventError(ConfigurationError):
    code = "invalid_event"


class InvalidPolicyError(ConfigurationError):
    code = "invalid_policy"


class InvalidSecretError(ConfigurationError):
    code = "invalid_secret"


class StateError(SyncError):
    """The state table could not be read or written."""

    code = "state_table"


class ApiError(SyncError):
    """An API answered with an error. `api` is "okta" or "zoom"."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        api: str,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status)
        self.api = api
        self.retry_after = retry_after


class CursorRefusedError(SyncError):
    """The saved System Log cursor cannot be followed (another org URL, other event types, refused by Okta):
    the incremental sync starts again with a full reconcile and a new cursor."""

    code = "cursor_refused"


class RetryableError(ApiError):
    """429, 5xx, a dropped connection: worth trying again after `retry_after` seconds (or backoff)."""

    retryable = True


class RateLimitedError(RetryableError):
    pass


class TokenUnavailableError(RetryableError):
    """The token endpoint failed for a passing reason (5xx, 429, no connection) after the retries. Nothing can be
    read or written with that API until it answers: the run stops rather than blame each user in turn."""


class TokenRateLimitedError(TokenUnavailableError, RateLimitedError):
    """The token endpoint answered 429 after the retries."""


class AuthError(ApiError):
    """The credential was refused (bad token, revoked app, wrong client id or secret)."""


class PermissionDeniedError(ApiError):
    """The credential works but lacks a scope or an admin role for this call."""


class NotFoundError(ApiError):
    pass


class ConflictError(ApiError):
    """Zoom 409, e.g. code 1005: the email is already used."""


class LicenseLimitError(ApiError):
    """Zoom has no free seat of the requested license type."""


class PermanentError(ApiError):
    """Anything else: the same request would fail the same way again."""


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    moment = now or datetime.now(UTC)
    midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
    return (midnight - moment).total_seconds()


# Zoom error codes, from the Zoom API fact sheet.
ZOOM_LICENSE_CODES = frozenset({2033, 2034, 2038, 3412})
ZOOM_MISSING_SCOPE_CODES = frozenset({4700, 4711})
ZOOM_INVALID_TOKEN_CODE = 124
ZOOM_USER_NOT_FOUND = 1001
ZOOM_USER_NOT_IN_ACCOUNT = 1010  # "User not found on this account" (also "group not in this account")
ZOOM_EMAIL_USED = 1005
ZOOM_GROUP_NOT_FOUND = 4130
ZOOM_MEMBER_NOT_IN_GROUP = 4131
ZOOM_INVITATION_EXPIRED = 1120
ZOOM_MANAGED_DOMAIN_USER = 1107  # a managed-domain user cannot be disassociated: delete it


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


def classify_okta(status: int, code: str | None, summary: str, retry_after: float | None = None) -> ApiError:
    text = f"Okta API {status}" + (f" {code}" if code else "") + f": {summary}"
    code_s = code or str(status)
    if status == 429 or code == "E0000047":
        return RateLimitedError(text, api="okta", code=code_s, status=status, retry_after=retry_after)
    if status >= 500:
        return RetryableError(text, api="okta", code=code_s, status=status, retry_after=retry_after)
    if code == "E0000015":
        # "Feature not enabled / no permission": the credential is fine; the org or the token lacks a feature.
        return PermissionDeniedError(text, api="okta", code=code_s, status=status)
    if status == 401 or code == "E0000011":
        return AuthError(text, api="okta", code=code_s, status=status)
    if status == 403:
        return PermissionDeniedError(text, api="okta", code=code_s, status=status)
    if status == 404:
        return NotFoundError(text, api="okta", code=code_s, status=status)
    return PermanentError(text, api="okta", code=code_s, status=status)
