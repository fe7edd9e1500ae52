"""Client-side rate limiting, shared by every thread of a run: token buckets and the limiter that picks one per request.

`TokenBucket` is thread-safe: `acquire()` takes a token (blocking until one is there), `penalise(seconds)` stops
every caller of the bucket for that long (a 429 slows the bucket for everyone, not just the thread that got it).
A `RateLimiter` names the bucket of each request and learns from each answer; the vendors' limiters live with
their clients (`adapters/zoom/limits.py`, `adapters/okta/limits.py`). Nothing here sends a request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import requests


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up. Callers reserve a token in turn (the count may go below
    zero: the reservation says how long to wait), so waiting threads are served in order and never spin."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least one token")
        self.name = name
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._rate = float(rate)
        self._burst = float(burst)
        self._tokens = float(burst)
        self._stamp = clock()
        self._blocked_until = 0.0  # a clock() value: nobody goes before it (set by penalise)

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> float:
        return self._burst

    def configure(self, rate: float, burst: float) -> None:
        """Change the rate and the burst (a limit learnt from the server's headers); saved tokens are capped."""
        if rate <= 0 or burst < 1:
            return
        with self._lock:
            self._refill(self.clock())
            self._rate, self._burst = float(rate), float(burst)
            self._tokens = min(self._tokens, self._burst)

    def acquire(self, max_wait: float | None = None) -> float:
        """Take a token, sleeping until it is there (and past any penalty); the seconds slept.

        `max_wait`: the longest worth waiting (the run's time left): a longer wait is not slept, the request goes
        ahead (a 429 then ends it cleanly, as the retry policy decides)."""
        with self._lock:
            now = self.clock()
            self._refill(now)
            self._tokens -= 1.0
            # Refill starts again when a penalty ends (the stamp is then in the future).
            wait = max(0.0, self._stamp - now) + max(0.0, -self._tokens / self._rate)
            until = now + wait
        if max_wait is not None and wait > max(0.0, max_wait):
            return 0.0
        slept = 0.0
        while wait > 0:
            self.sleep(wait)
            slept += wait
            with self._lock:  # a penalty that arrived while we slept holds us too
                wait = max(0.0, self._blocked_until - until)
                until = max(until, self._blocked_until)
            if max_wait is not None and slept + wait > max_wait:
                break
        return slept

    def penalise(self, seconds: float) -> None:
        """Nobody takes a token for `seconds` (a 429's Retry-After, a bucket that ran dry until its reset); the
        tokens saved up are gone, so the callers come back at the bucket's rate, not all at once."""
        if seconds <= 0:
            return
        with self._lock:
            now = self.clock()
            self._refill(now)
            self._blocked_until = max(self._blocked_until, now + seconds)
            self._tokens = min(self._tokens, 1.0)
            self._stamp = max(self._stamp, self._blocked_until)  # nothing saved up while paused

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now

    def __repr__(self) -> str:
        return f"TokenBucket({self.name!r}, rate={self._rate:g}/s, burst={self._burst:g})"


class RateLimiter(Protocol):
    """Which bucket a request goes through, and what its answer teaches (an API's limiter; see the vendors')."""

    def bucket(self, method: str, path: str) -> TokenBucket | None:
        """The bucket of a `method` request to `path` (None: not limited)."""
        ...

    def observe(self, method: str, path: str, response: requests.Response) -> None:
        """An answer arrived (any status): learn the limit from its headers, pause a bucket that ran dry."""
        ...
