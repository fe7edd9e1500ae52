"""Client-side rate limiting, shared by every thread of a run: gates (token buckets, sliding windows) and the
limiter that picks one per request.

Both gates are thread-safe: `acquire()` lets a request go (blocking until it may), `penalise(seconds)` stops every
caller of the gate for that long (a 429 slows the gate for everyone, not just the thread that got it).
`TokenBucket` paces a rate learnt over a long window (Okta's per-minute limits); `SlidingWindow` lets at most N
requests start in any window of a second (Zoom's "N requests per second"), so a burst uses the whole second's
quota at once instead of trickling at a rate below it.
A `RateLimiter` names the bucket of each request and learns from each answer; the vendors' limiters live with
their clients (`adapters/zoom/limits.py`, `adapters/okta/limits.py`). Nothing here sends a request.
"""

from __future__ import annotations

import threading
import time
from collections import deque
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


class SlidingWindow:
    """At most `limit` requests start in any `window` seconds. Each caller reserves the earliest start that keeps
    the starts within that, in turn (reservations never go back in time), and sleeps until it.

    A per-second limit counted by the server in any way (fixed seconds, or windows opened by a first request) is
    kept by this, the strictest reading, as long as requests reach the server as spaced as they left: `window`
    carries a margin for that (see adapters/zoom/limits.py).

    A 429 means the quota is smaller than we thought (the account's other apps share it): `penalise` pauses every
    caller and halves the requests allowed per window (each 429: a burst of them brings it down fast); quiet windows
    after the last one give it back (`allowed`). Callers already waiting take a new turn under the
    new rule when they wake; the turn they gave up still counts, which errs on the slow side."""

    def __init__(
        self,
        limit: int,
        window: float = 1.0,
        *,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a sliding window needs a limit of at least one request and a positive length")
        self.name = name
        self.clock = clock
        self.sleep = sleep
        self.limit = int(limit)
        self.window = float(window)
        self._lock = threading.Lock()
        self._starts: deque[float] = deque(maxlen=self.limit)  # the last `limit` reserved starts, in order
        self._turns = 0  # turns reserved so far (the deque holds the last `limit` of them)
        self._blocked_until = 0.0
        self._penalties = 0  # how many penalties so far: a waiting caller sees whether one came while it slept
        self._cut_to = self.limit  # requests allowed per window since the last cut
        self._cut_at: float | None = None  # when the last cut was (None: never)
        self._ceiling = self.limit  # the allowance the last 429 came at

    @property
    def rate(self) -> float:
        return self.limit / self.window

    def allowed(self, now: float | None = None) -> int:
        """Requests allowed per window now: the limit, or less for a while after a 429. Each quiet window gives back
        a quarter of the limit up to the allowance the last 429 came at, then a twentieth: a stray 429 costs two
        windows, a quota far below the plan's (the account's other apps use it) is approached slowly."""
        if self._cut_at is None:
            return self.limit
        now = self.clock() if now is None else now
        quiet_windows = int(max(0.0, now - self._cut_at) / self.window)
        fast, slow = max(1, self.limit // 4), max(1, self.limit // 20)
        quick = self._cut_to + quiet_windows * fast
        if quick <= self._ceiling:
            return quick
        to_ceiling = -(-(self._ceiling - self._cut_to) // fast)  # windows the quick part took (ceiling division)
        return min(self.limit, self._ceiling + (quiet_windows - to_ceiling) * slow)

    def acquire(self, max_wait: float | None = None) -> float:
        """Reserve a start and sleep until it; the seconds slept. A wait longer than `max_wait` (the run's time
        left) is neither reserved nor slept: the request goes ahead and a 429 ends it as the retry policy decides."""
        slept = 0.0
        while True:
            with self._lock:
                now = self.clock()
                start = max(now, self._blocked_until)
                allowed = self.allowed(now)
                if len(self._starts) >= allowed:
                    start = max(start, self._starts[-allowed] + self.window)
                wait = start - now
                if max_wait is not None and slept + wait > max(0.0, max_wait):
                    return slept
                self._starts.append(start)
                turn = self._turns
                self._turns += 1
                penalties = self._penalties
            if wait <= 0:
                return slept
            self.sleep(wait)
            slept += wait
            with self._lock:
                if self._penalties == penalties:
                    self._started_at(turn, self.clock())
                    return slept
            # A 429 came while we slept: take a new turn under the new rule.

    def _started_at(self, turn: int, now: float) -> None:
        """A caller woke later than its turn (a busy CPU, a late thread): its start counts from when it woke, so the
        turns reserved after it keep a window's distance from when it really went. Called with the lock held."""
        position = turn - (self._turns - len(self._starts))  # the deque drops its oldest turns
        if 0 <= position < len(self._starts) and now > self._starts[position]:
            self._starts[position] = now

    def penalise(self, seconds: float) -> None:
        """Nobody starts for `seconds`; the requests allowed per window are halved."""
        if seconds <= 0:
            return
        with self._lock:
            now = self.clock()
            self._blocked_until = max(self._blocked_until, now + seconds)
            self._penalties += 1
            self._ceiling = self.allowed(now)
            self._cut_to = max(1, self._ceiling // 2)
            self._cut_at = now

    def __repr__(self) -> str:
        return f"SlidingWindow({self.name!r}, {self.limit} per {self.window:g} s)"


class Gate(Protocol):
    """What the transport needs of a bucket or a window."""

    name: str

    def acquire(self, max_wait: float | None = None) -> float: ...

    def penalise(self, seconds: float) -> None: ...


class RateLimiter(Protocol):
    """Which gate a request goes through, and what its answer teaches (an API's limiter; see the vendors')."""

    def bucket(self, method: str, path: str) -> Gate | None:
        """The bucket of a `method` request to `path` (None: not limited)."""
        ...

    def observe(self, method: str, path: str, response: requests.Response) -> None:
        """An answer arrived (any status): learn the limit from its headers, pause a bucket that ran dry."""
        ...
