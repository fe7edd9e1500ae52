"""How long to wait before trying a request again: the retry policy and the headers that say when.

`RetryPolicy` holds the limits (attempts, backoff, the run's deadline, the longest wait worth sleeping
through) and the injectable clocks; the functions read a server's timing headers: `Retry-After` (delta
seconds, an HTTP-date or an ISO-8601 time) and a rate-limit reset header (epoch seconds, e.g. Okta's
`X-Rate-Limit-Reset`), each measured against the server's own `Date`. Nothing here sends or sleeps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to try one request. Immutable; `within()` gives a copy with a deadline.

    `deadline` is a `clock()` value (monotonic seconds) after which no retry starts: the run's time
    budget. `max_wait` is the longest server-requested wait (429 reset, Retry-After) worth sleeping
    through; a longer one (Zoom's daily limit) raises `RateLimitedError` at once with `retry_after` set.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    deadline: float | None = None
    max_wait: float = 120.0
    # Added to waits until a rate-limit reset: Date and the reset are whole seconds (Okta's SDK adds 1 s).
    reset_margin: float = 1.0
    # Sleep until the reset once an API's remaining-requests header drops to this value (Okta's buckets).
    throttle_remaining: int = 1
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic  # for the deadline and sleeps
    wall_clock: Callable[[], float] = time.time  # epoch seconds, when a response has no Date header
    random: Callable[[], float] = random.random  # jitter source in [0, 1)

    def within(self, seconds: float) -> RetryPolicy:
        """A copy whose deadline is `seconds` from now."""
        return replace(self, deadline=self.clock() + seconds)

    def backoff(self, retry: int) -> float:
        """Capped exponential backoff with full jitter; `retry` counts from 1."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return float(self.random()) * cap

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()


@dataclass(frozen=True)
class RateLimitHeaders:
    """An API's rate-limit headers: requests left in the window, and the window's reset in epoch seconds."""

    remaining: str
    reset: str


def parse_http_time(value: str) -> float | None:
    """Epoch seconds of an HTTP-date or an ISO-8601 time; None if it is neither."""
    value = value.strip()
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_retry_after(value: str, now: float) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds, an HTTP-date or an ISO-8601 time."""
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        at = parse_http_time(value)
        return None if at is None else max(0.0, at - now)
    return max(0.0, seconds) if seconds == seconds else None  # NaN guard


def header_numbers(response: requests.Response, name: str) -> list[float]:
    """All numbers in a header that may repeat (requests folds repeats into one comma-joined value)."""
    raw = response.headers.get(name)
    out: list[float] = []
    for part in (raw or "").split(","):
        try:
            out.append(float(part.strip()))
        except ValueError:
            continue
    return out


def server_now(response: requests.Response, policy: RetryPolicy) -> float:
    """The server's clock when it sent the response (Date header), else ours, in epoch seconds."""
    date = response.headers.get("Date")
    parsed = parse_http_time(date) if date else None
    return parsed if parsed is not None else policy.wall_clock()


def until_reset(response: requests.Response, reset_header: str, policy: RetryPolicy) -> float | None:
    """Seconds until the rate-limit reset (the minimum of repeated headers), plus margin and jitter."""
    resets = header_numbers(response, reset_header)
    if not resets:
        return None
    # The margin, plus up to a second of jitter so that parallel clients do not return at the same instant.
    return max(0.0, min(resets) - server_now(response, policy)) + policy.reset_margin + policy.random()


def retry_after(response: requests.Response, policy: RetryPolicy, rate_limit: RateLimitHeaders | None) -> float | None:
    """The wait the server asked for: Retry-After (plus jitter), else on a 429 the time to the rate-limit reset."""
    value = response.headers.get("Retry-After")
    if value:
        seconds = parse_retry_after(value, server_now(response, policy))
        if seconds is not None:
            return seconds + policy.random()
    if response.status_code == 429 and rate_limit is not None:
        return until_reset(response, rate_limit.reset, policy)
    return None
