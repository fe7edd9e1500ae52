"""Okta's rate limits: one token bucket per endpoint family (`okta_bucket`), learning the family's limit from the
`X-Rate-Limit-Limit`/`-Remaining`/`-Reset` headers of its answers, and using only a share of it: the org's limits
are shared with every other integration (fact sheet §5, §5c).

A family's bucket lets `share * limit` requests through per window (Okta's windows are about a minute; the window is
learnt from the reset times seen, never assumed shorter than what Okta shows), at most that many in a burst. A family
whose `Remaining` runs down to `reserve`, or whose requests this run reached the share of the window, is paused until
the window's reset, for every thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests

from okta_zoom_sync.adapters.http.limiter import TokenBucket
from okta_zoom_sync.adapters.http.retry import RetryPolicy, header_numbers, until_reset

DEFAULT_SHARE = 0.5
LIMIT, REMAINING, RESET = "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"
UNLEARNT_RATE = 1000.0  # until a family's first answer says its limit
MAX_WINDOW = 60.0


@dataclass
class _Family:
    bucket: TokenBucket
    window: float = 1.0  # the longest reset seen, in seconds
    reset: float | None = None  # the current window's reset (epoch seconds), as Okta sent it
    mine: int = 0  # answers this run got in that window


class OktaRateLimiter:
    """Per endpoint family: a token bucket at `share` of the limit Okta reports; pauses before a family runs dry."""

    def __init__(
        self,
        bucket_of: Callable[[str, str], str],
        *,
        share: float = DEFAULT_SHARE,
        reserve: int = 1,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("the Okta rate-limit share must be in (0, 1]")
        self.bucket_of = bucket_of
        self.share = share
        self.reserve = reserve
        self.retry = retry or RetryPolicy()
        self._families: dict[str, _Family] = {}
        self._lock = threading.Lock()

    def _family(self, name: str) -> _Family:
        with self._lock:
            family = self._families.get(name)
            if family is None:
                bucket = TokenBucket(
                    UNLEARNT_RATE, UNLEARNT_RATE, name=name, clock=self.retry.clock, sleep=self.retry.sleep
                )
                family = self._families[name] = _Family(bucket)
            return family

    def bucket(self, method: str, path: str) -> TokenBucket | None:
        return self._family(self.bucket_of(method, path)).bucket

    def observe(self, method: str, path: str, response: requests.Response) -> None:
        limits, remaining, resets = (header_numbers(response, h) for h in (LIMIT, REMAINING, RESET))
        if not limits or not resets or min(limits) <= 0:
            return  # no headers, or a concurrency 429 (limit 0): the transport's retry handles it
        family = self._family(self.bucket_of(method, path))
        limit, reset = min(limits), min(resets)
        wait = until_reset(response, RESET, self.retry)
        allowance = max(1.0, self.share * limit)
        with self._lock:
            if wait is not None:
                seconds = wait - self.retry.reset_margin  # the margin and jitter are not part of the window
                family.window = min(MAX_WINDOW, max(family.window, seconds))
            if family.reset != reset:
                family.reset, family.mine = reset, 0
            family.mine += 1
            spent = family.mine >= allowance
        family.bucket.configure(allowance / family.window, allowance)
        dry = bool(remaining) and min(remaining) <= self.reserve and response.status_code != 429
        if (spent or dry) and wait is not None and wait <= self.retry.max_wait:
            family.bucket.penalise(wait)
