"""Users whose operations keep failing for good are retried with a growing delay, not on every run. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from okta_zoom_sync.core.model import FailureRecord, OpKind, Plan, UserPlan, user_key
from okta_zoom_sync.core.outcome import OperationResult, Outcome

FIRST_DELAY = timedelta(minutes=10)
LONGEST_DELAY = timedelta(hours=24)
# Outcomes that leave nothing to retry for now (a license kept for lack of seats is tried by every run anyway).
SETTLED = frozenset({Outcome.APPLIED, Outcome.HELD, Outcome.NO_SEAT})


def retry_delay(attempts: int) -> timedelta:
    """10 min after the first failure, doubling each time, at most a day."""
    delay: timedelta = FIRST_DELAY * (2 ** max(0, attempts - 1))
    return min(delay, LONGEST_DELAY)


def failure_record(
    key: str, email: str, op: str, code: str, message: str, previous: FailureRecord | None, now: datetime
) -> FailureRecord:
    """The record of one more failure of this user: its delay grows with the failures in a row."""
    attempts = (previous.attempts if previous else 0) + 1
    return FailureRecord(
        key=key,
        email=email,
        op=op,
        code=code,
        message=message,
        attempts=attempts,
        first_failed_at=previous.first_failed_at if previous else now.isoformat(),
        next_attempt_at=(now + retry_delay(attempts)).isoformat(),
    )


def due_for_retry(failures: Mapping[str, FailureRecord], now: datetime) -> list[str]:
    """Quarantined users whose next attempt is due."""
    return [key for key, record in failures.items() if datetime.fromisoformat(record.next_attempt_at) <= now]


def hold_quarantined(
    plan: Plan, failures: Mapping[str, FailureRecord], now: datetime
) -> tuple[Plan, list[FailureRecord]]:
    """Take out of the plan the users whose next attempt is not due yet."""
    due: list[UserPlan] = []
    quarantined: list[FailureRecord] = []
    for user in plan.users:
        record = failures.get(user_key(user.okta_id, user.email))
        if record is not None and datetime.fromisoformat(record.next_attempt_at) > now:
            quarantined.append(record)
        else:
            due.append(user)
    return replace(plan, users=tuple(due)), quarantined


def settle_failures(
    results: Sequence[OperationResult],
    failures: Mapping[str, FailureRecord],
    now: datetime,
    *,
    in_sync: Iterable[str],
) -> tuple[list[FailureRecord], list[str]]:
    """Failure records to write (a new or repeated permanent failure) and to clear (the user succeeded, or is
    in sync now). `in_sync`: keys of users the run read and found nothing to do for."""
    by_user: dict[str, list[OperationResult]] = {}
    for result in results:
        op = result.operation
        by_user.setdefault(user_key(op.okta_id, op.email), []).append(result)
    to_put: list[FailureRecord] = []
    to_clear = [key for key in in_sync if key in failures]
    for key, user_results in by_user.items():
        # A picture that fails holds nothing else back: its link mark (or the next run) deals with it.
        user_results = [r for r in user_results if r.operation.op is not OpKind.PICTURE]
        failed = [r for r in user_results if r.outcome is Outcome.FAILED and not r.retryable and not r.fatal]
        if failed:
            first = failed[0]
            to_put.append(
                failure_record(
                    key,
                    first.operation.email,
                    first.operation.op.value,
                    first.error_code or "error",
                    first.error_message or "",
                    failures.get(key),
                    now,
                )
            )
        elif key in failures and all(r.outcome in SETTLED for r in user_results):
            to_clear.append(key)
    return to_put, to_clear
