"""What became of each planned operation: applied, failed, skipped, held, deferred or planned (dry run)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from okta_zoom_sync.core.model import Operation


class Outcome(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"  # an earlier operation of the same user failed
    HELD = "held"  # held by a brake (max_deprovisions, max_license_downgrades)
    DEFERRED = "deferred"  # the run's time ran out before this user: the next run carries on
    PLANNED = "planned"  # dry run
    # license_fallback basic: Zoom had no seat of the license, so the user keeps the one it has (Basic); a later run
    # tries again. Not a failure: the user is provisioned and can sign in.
    NO_SEAT = "no_seat"


@dataclass(frozen=True)
class OperationResult:
    operation: Operation
    outcome: Outcome
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False  # the failure was transient (retries ran out); not held against the user
    fatal: bool = False  # the failure stops the run (a credential refused, the state table unreachable)
    credential_refused: bool = False
    # Zoom had no seat of the license asked for: the user was created on Basic (applied), kept on it (no_seat), or
    # not created (failed, license_fallback none). What the LicenseShortage metric counts.
    license_shortage: bool = False


def never() -> bool:
    return False
