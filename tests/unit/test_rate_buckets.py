"""The token buckets, the sliding windows and the vendors' limiters, on a fake clock: no real waiting."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from okta_zoom_sync.adapters.http.limiter import SlidingWindow, TokenBucket
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.okta.client import okta_bucket
from okta_zoom_sync.adapters.okta.limits import OktaRateLimiter
from okta_zoom_sync.adapters.zoom.limits import (
    HEAVY,
    LIGHT,
    MEDIUM,
    PLAN_LIMITS,
    WINDOW_S,
    ZoomPlan,
    ZoomRateLimiter,
    label_of,
    workers_for,
)
from okta_zoom_sync.boundary.settings import Settings
from okta_zoom_sync.errors import ConfigurationError
from okta_zoom_sync.wiring import apply_workers


class FakeClock:
    """A clock that only moves when someone sleeps (thread-safe: every sleep adds to it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


def bucket(rate: float, burst: float, clock: FakeClock) -> TokenBucket:
    return TokenBucket(rate, burst, clock=clock, sleep=clock.sleep)


def test_burst_goes_at_once_then_the_rate() -> None:
    clock = FakeClock()
    limiter = bucket(rate=10, burst=3, clock=clock)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() == pytest.approx(0.1)
    assert limiter.acquire() == pytest.approx(0.1)
    # Time passing refills, never beyond the burst.
    clock.now += 100
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() == pytest.approx(0.1)


def test_the_rate_holds_over_many_requests() -> None:
    clock = FakeClock()
    limiter = bucket(rate=20, burst=2, clock=clock)
    start = clock()
    for _ in range(202):
        limiter.acquire()
    assert clock() - start == pytest.approx(10.0)  # 200 after the burst, at 20 a second


def test_penalise_stops_every_caller_and_empties_the_burst() -> None:
    clock = FakeClock()
    limiter = bucket(rate=10, burst=5, clock=clock)
    limiter.penalise(2.0)
    assert limiter.acquire() == pytest.approx(2.0)
    # After the penalty the saved-up burst is gone: the next callers come at the rate.
    assert limiter.acquire() == pytest.approx(0.1)
    limiter.penalise(0)  # nothing
    limiter.penalise(-1)
    assert limiter.acquire() == pytest.approx(0.1)


def test_a_wait_longer_than_the_time_left_is_not_slept() -> None:
    clock = FakeClock()
    limiter = bucket(rate=1, burst=1, clock=clock)
    limiter.penalise(30)
    assert limiter.acquire(max_wait=5) == 0.0
    assert clock.slept == []


def test_configure_changes_the_rate_and_caps_the_saved_tokens() -> None:
    clock = FakeClock()
    limiter = bucket(rate=1000, burst=1000, clock=clock)
    limiter.configure(2, 1)
    assert (limiter.rate, limiter.burst) == (2, 1)
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == pytest.approx(0.5)
    limiter.configure(0, 0)  # refused: unchanged
    assert (limiter.rate, limiter.burst) == (2, 1)
    with pytest.raises(ValueError):
        TokenBucket(0, 1)


def test_threads_share_one_bucket() -> None:
    """Real threads, a real clock, a fast bucket: 40 tokens at 2,000 a second after a burst of 10 take at least
    15 ms in all, whatever the threads' interleaving (a lower bound only: no timing is asserted from above)."""
    limiter = TokenBucket(2000, 10)
    start = time.monotonic()
    threads = [threading.Thread(target=lambda: [limiter.acquire() for _ in range(5)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - start >= 0.015 - 0.002


def test_a_penalty_reaches_threads_already_waiting() -> None:
    clock = FakeClock()
    limiter = bucket(rate=1, burst=1, clock=clock)
    limiter.acquire()
    # The next caller reserved a token for one second from now; a 429 meanwhile holds it longer.
    original_sleep = clock.sleep

    def sleep_then_penalty(seconds: float) -> None:
        original_sleep(seconds)
        if len(clock.slept) == 1:
            limiter.penalise(3.0)

    limiter.sleep = sleep_then_penalty
    assert limiter.acquire() == pytest.approx(4.0)


# -- Zoom ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "label"),
    [
        ("GET", "/users", MEDIUM),
        ("GET", "/v2/users", MEDIUM),
        ("POST", "/users", LIGHT),
        ("GET", "/users/abc@x.com", LIGHT),
        ("PATCH", "/users/u1", LIGHT),
        ("PUT", "/users/u1/status", LIGHT),
        ("PUT", "/users/u1/email", LIGHT),
        ("DELETE", "/users/u1", LIGHT),
        ("GET", "/groups", MEDIUM),
        ("POST", "/groups/g1/members", MEDIUM),
        ("DELETE", "/groups/g1/members/u1", LIGHT),
        ("GET", "/roles", MEDIUM),
        ("POST", "/roles/2/members", MEDIUM),
        ("DELETE", "/roles/1/members/u1", LIGHT),
        ("GET", "/something/new", MEDIUM),
    ],
)
def test_zoom_labels(method: str, path: str, label: str) -> None:
    assert label_of(method, path) == label


def starts_in_any_window(starts: list[float], window: float) -> int:
    """The most starts within any half-open interval of `window` seconds (one that opens at a start)."""
    return max(sum(1 for t in starts if first <= t < first + window) for first in starts)


def test_a_sliding_window_lets_the_whole_quota_go_at_once_then_waits_for_the_window() -> None:
    clock = FakeClock()
    window = SlidingWindow(3, 1.0, clock=clock, sleep=clock.sleep)
    assert [window.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert window.acquire() == pytest.approx(1.0)  # the first start has left the window
    assert [window.acquire() for _ in range(2)] == [0.0, 0.0]
    assert window.acquire() == pytest.approx(1.0)


@given(
    limit=st.integers(1, 20),
    gaps=st.lists(st.floats(0, 0.6, allow_nan=False), min_size=1, max_size=120),
    penalties=st.dictionaries(st.integers(0, 119), st.floats(0.01, 2.0, allow_nan=False), max_size=4),
)
def test_a_sliding_window_never_lets_more_than_its_limit_start_in_any_window(
    limit: int, gaps: list[float], penalties: dict[int, float]
) -> None:
    # Given callers arriving at any times, and 429 penalties at any of them
    clock = FakeClock()
    window = SlidingWindow(limit, 1.0, clock=clock, sleep=clock.sleep)
    starts = []
    for i, gap in enumerate(gaps):
        clock.now += gap
        if i in penalties:
            window.penalise(penalties[i])
        # When each takes its turn (the fake clock moves by what it sleeps: its start is the clock after acquire)
        window.acquire()
        starts.append(clock())
    # Then no one-second interval holds more than `limit` starts
    assert starts_in_any_window(starts, 1.0) <= limit


def test_a_penalty_moves_reserved_starts_and_reaches_waiting_callers() -> None:
    clock = FakeClock()
    window = SlidingWindow(2, 1.0, clock=clock, sleep=clock.sleep)
    window.acquire(), window.acquire()
    original_sleep = clock.sleep

    def sleep_then_penalty(seconds: float) -> None:
        original_sleep(seconds)
        if len(clock.slept) == 1:
            window.penalise(3.0)  # a 429 while the third caller waits for its turn

    window.sleep = sleep_then_penalty
    assert window.acquire() == pytest.approx(4.0)  # its second, then the three-second pause
    assert window.acquire(max_wait=0.5) == 0.0  # a turn further away than the time left is not slept
    with pytest.raises(ValueError):
        SlidingWindow(0)


def test_after_a_burst_of_429s_the_quota_comes_back_fast_to_where_they_came_then_slowly() -> None:
    # Given a window of 20 cut twice at once (two 429s of one burst): down to 5, the last 429 at 10
    clock = FakeClock()
    window = SlidingWindow(20, 1.0, clock=clock, sleep=clock.sleep)
    window.penalise(0.1), window.penalise(0.1)
    assert window.allowed() == 5
    # Then quiet windows give back a quarter of the limit (5) up to 10, then a twentieth (1) a window
    quiet = []
    for _ in range(4):
        clock.now += 1.0
        quiet.append(window.allowed())
    assert quiet == [10, 11, 12, 13]


def test_a_caller_that_wakes_late_counts_from_when_it_went() -> None:
    # Given a window of 2 a second, and a caller whose sleep overshoots its turn by 0.3 s (a busy CPU)
    clock = FakeClock()
    window = SlidingWindow(2, 1.0, clock=clock, sleep=clock.sleep)
    window.acquire(), window.acquire()  # at 1000.0

    def oversleep(seconds: float) -> None:
        clock.sleep(seconds + 0.3)

    window.sleep = oversleep
    window.acquire()  # its turn was 1001.0; it went at 1001.3
    window.sleep = clock.sleep
    window.acquire()  # 1001.3: the second turn of that window
    # When the next caller takes its turn
    window.acquire()
    # Then it keeps a window's distance from when the late caller really went, not from its turn
    assert clock() == pytest.approx(1002.3)


def test_a_429_halves_the_window_and_quiet_windows_give_it_back() -> None:
    # Given a window of 20 a second that got a 429 (the account's other apps use part of the quota)
    clock = FakeClock()
    window = SlidingWindow(20, 1.0, clock=clock, sleep=clock.sleep)
    window.penalise(0.5)
    assert window.allowed() == 10
    # When the callers come back after the pause
    starts = []
    for _ in range(30):
        window.acquire()
        starts.append(clock())
    # Then at most 10 start in any second at first, and each quiet second gives back a quarter of the limit (5)
    assert starts[0] == pytest.approx(1000.5)
    assert starts_in_any_window(starts[:10], 1.0) == 10 and starts[10] == pytest.approx(1001.5)
    assert window.allowed() == 20  # two quiet seconds since the cut: 10 + 2 x 5
    clock.now += 100
    assert window.allowed() == 20  # never above the limit
    # and a burst of 429s brings it down fast, never below one
    for _ in range(6):
        window.penalise(0.1)
    assert window.allowed() == 1


@pytest.mark.parametrize("plan", list(ZoomPlan))
def test_zoom_windows_hold_each_labels_quota_per_second(plan: ZoomPlan) -> None:
    limiter = ZoomRateLimiter(plan)
    for label, per_second in PLAN_LIMITS[plan].items():
        window = limiter.buckets[label]
        # The label's whole quota in a window a little longer than a second (the margin for arrival jitter)
        assert (window.limit, window.window) == (per_second, WINDOW_S)
        assert 1.0 < WINDOW_S <= 1.1
    assert limiter.bucket("POST", "/users") is limiter.buckets[LIGHT]
    assert limiter.bucket("GET", "/users") is limiter.buckets[MEDIUM]
    assert set(limiter.buckets) == {LIGHT, MEDIUM, HEAVY}


def test_zoom_plan_setting() -> None:
    base = {"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_APP_ID": "0oa1", "CREDENTIALS_SECRET_ID": "s"}
    settings = Settings.from_environ({**base, "STATE_TABLE_NAME": "t"})
    assert (settings.zoom_plan, settings.okta_rate_share, settings.apply_workers) == ("pro", 0.5, 0)
    tuned = Settings.from_environ(
        {**base, "STATE_TABLE_NAME": "t", "ZOOM_PLAN": " Business ", "OKTA_RATE_SHARE": "0.25", "APPLY_WORKERS": "1"}
    )
    assert (tuned.zoom_plan, tuned.okta_rate_share, tuned.apply_workers) == ("business", 0.25, 1)
    empty = Settings.from_environ({**base, "STATE_TABLE_NAME": "t", "ZOOM_PLAN": "", "APPLY_WORKERS": " "})
    assert (empty.zoom_plan, empty.apply_workers) == ("pro", 0)
    for name, bad in (("ZOOM_PLAN", "enterprise"), ("OKTA_RATE_SHARE", "0"), ("APPLY_WORKERS", "-1")):
        with pytest.raises(ConfigurationError, match=name):
            Settings.from_environ({**base, "STATE_TABLE_NAME": "t", name: bad})


def test_raised_zoom_limits_override_the_plans_rates_for_the_labels_named() -> None:
    # Given an account whose Light and Medium limits Zoom raised above the plan's
    base = {"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_APP_ID": "0oa1", "CREDENTIALS_SECRET_ID": "s"}
    settings = Settings.from_environ({**base, "STATE_TABLE_NAME": "t", "ZOOM_RATE_LIMITS": "Light=400, medium=200"})
    assert settings.zoom_rate_limits == {"light": 400, "medium": 200}
    # When the limiter is built with them
    limiter = ZoomRateLimiter("business", limits=settings.zoom_rate_limits)
    # Then those labels run at the raised rates, and Heavy keeps the plan's
    assert limiter.limits == {LIGHT: 400, MEDIUM: 200, HEAVY: PLAN_LIMITS[ZoomPlan.BUSINESS][HEAVY]}
    assert limiter.buckets[LIGHT].limit == 400
    # and a value that is not label=number names the variable
    for bad in ("light", "huge=3", "light=0", "light=fast"):
        with pytest.raises(ConfigurationError, match="ZOOM_RATE_LIMITS"):
            Settings.from_environ({**base, "STATE_TABLE_NAME": "t", "ZOOM_RATE_LIMITS": bad})


def test_users_applied_at_once_follow_the_plans_light_rate_unless_set() -> None:
    # Given the default setting (0), the workers keep the Light label busy at a typical latency
    base = {"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_APP_ID": "0oa1", "CREDENTIALS_SECRET_ID": "s"}

    def workers(**env: str) -> int:
        return apply_workers(Settings.from_environ({**base, "STATE_TABLE_NAME": "t", **env}))

    assert (workers(ZOOM_PLAN="free"), workers(), workers(ZOOM_PLAN="business")) == (2, 9, 24)
    assert workers(ZOOM_PLAN="business", ZOOM_RATE_LIMITS="light=400") == 32  # raised limits: at most 32
    # and a value set by the operator wins
    assert workers(ZOOM_PLAN="business", APPLY_WORKERS="1") == 1
    assert workers_for(30) == 9 and workers_for(1) == 1


# -- Okta ------------------------------------------------------------------------------------------------------


def okta_answer(limit: int, remaining: int, reset_in: int, now: float, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers["Date"] = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))
    response.headers["X-Rate-Limit-Limit"] = str(limit)
    response.headers["X-Rate-Limit-Remaining"] = str(remaining)
    response.headers["X-Rate-Limit-Reset"] = str(int(now) + reset_in)
    return response


def okta_limiter(clock: FakeClock, share: float = 0.5) -> OktaRateLimiter:
    policy = RetryPolicy(sleep=clock.sleep, clock=clock, wall_clock=lambda: 0.0, random=lambda: 0.0)
    return OktaRateLimiter(okta_bucket, share=share, retry=policy)


def test_okta_learns_each_family_and_uses_its_share() -> None:
    clock = FakeClock()
    limiter = okta_limiter(clock, share=0.5)
    apps = "/api/v1/apps/0oa1/users"
    before = limiter.bucket("GET", apps)
    assert before is not None and before.rate >= 100  # not learnt yet: no wait
    limiter.observe("GET", apps, okta_answer(100, 99, 60, 1_700_000_000))
    learnt = limiter.bucket("GET", apps)
    assert learnt is before
    assert learnt.burst == 50  # half of the 100 a minute
    assert learnt.rate == pytest.approx(50 / 60)  # over the window the reset showed
    logs = limiter.bucket("GET", "/api/v1/logs")
    assert logs is not None and logs is not learnt  # another family, its own bucket


def test_okta_pauses_a_family_at_its_reset_when_remaining_runs_out() -> None:
    clock = FakeClock()
    limiter = okta_limiter(clock)
    path = "/api/v1/groups/00g1/users"
    limiter.observe("GET", path, okta_answer(600, 1, 20, 1_700_000_000))
    family = limiter.bucket("GET", path)
    assert family is not None
    assert family.acquire() == pytest.approx(21.0)  # until the reset, plus the one-second margin
    other = limiter.bucket("GET", "/api/v1/logs")
    assert other is not None and other.acquire() == 0.0  # other families are not held


def test_okta_pauses_once_this_run_used_its_share_of_the_window() -> None:
    clock = FakeClock()
    limiter = okta_limiter(clock, share=0.5)
    path = "/api/v1/apps/0oa1/users"
    for remaining in range(9, 5, -1):  # limit 10: a share of 5 a window; 4 answers so far, 6 left org-wide
        limiter.observe("GET", path, okta_answer(10, remaining, 30, 1_700_000_000))
    family = limiter.bucket("GET", path)
    assert family is not None
    assert clock.slept == []
    limiter.observe("GET", path, okta_answer(10, 5, 30, 1_700_000_000))  # the fifth: the share is spent
    family.acquire()
    assert sum(clock.slept) >= 30


def test_okta_concurrency_429_and_missing_headers_teach_nothing() -> None:
    clock = FakeClock()
    limiter = okta_limiter(clock)
    path = "/api/v1/users/00u1"
    limiter.observe("GET", path, okta_answer(0, 0, 10, 1_700_000_000, status=429))
    limiter.observe("GET", path, requests.Response())
    family = limiter.bucket("GET", path)
    assert family is not None and family.rate >= 100
    with pytest.raises(ValueError):
        OktaRateLimiter(okta_bucket, share=0)
