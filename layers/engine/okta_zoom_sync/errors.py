"""The sync's error types, vendor-neutral: what went wrong, not which vendor code said so.

The adapters classify each API answer once (`adapters/okta/errors.py`, `adapters/zoom/errors.py` and the
token providers) into one of these types; the engine applies, retries and quarantines by type alone.
`code` keeps the vendor's code and `status` the HTTP status, for the report, the logs and the
connection check's advice.
"""

from __future__ import annotations


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
    """The request conflicts with what the API holds (HTTP 409)."""


class EmailTakenError(ConflictError):
    """The email address is used already by another user (Zoom 409 code 1005): a create finds the user
    there, an email move waits until the address is free."""


class LicenseLimitError(ApiError):
    """Zoom has no free seat of the requested license type."""


class BasicSeatLimitError(LicenseLimitError):
    """Zoom's cap on Basic users is reached (Zoom code 2033): there is no lower license to fall back to."""


class PermanentError(ApiError):
    """Anything else: the same request would fail the same way again."""


class ManagedDomainUserError(PermanentError):
    """A user of a managed (associated) domain cannot be disassociated, only deleted (Zoom code 1107)."""


class TransferTargetError(PermanentError):
    """A user to delete whose meetings, webinars and recordings cannot go where the policy's transfer_to says (no
    manager, the target missing, inactive or without a license): the user is not deleted; a later run tries again."""

    code = "transfer_target"


class PictureRefusedError(PermanentError):
    """A profile picture that will not be put on a Zoom user: its URL is not https or names a private address,
    the image is too big or not a jpg/png, or Zoom refused it. Fetched again only when the URL changes (or at the
    periodic re-check)."""

    code = "picture_refused"


class QueueError(SyncError):
    """The event-hook queue could not take the messages (SQS refused or did not answer)."""

    code = "queue"
