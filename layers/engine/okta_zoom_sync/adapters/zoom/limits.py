"""Zoom's rate limits: every endpoint has a label (Light, Medium, Heavy), and each label's quota per second depends on
the account's plan (Free, Pro, Business+) and is shared by every endpoint of that label and every app of the account
(fact sheet §5). `ZoomRateLimiter` gives each label one sliding window for the whole run: at most the label's
quota of requests start in any second (plus a margin), the strictest reading of "N per second", which holds
whichever way Zoom counts its seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from enum import StrEnum

import requests

from okta_zoom_sync.adapters.http.limiter import SlidingWindow


class ZoomPlan(StrEnum):
    FREE = "free"
    PRO = "pro"
    BUSINESS = "business"  # Business, Education, Enterprise, Partners: "Business+"


LIGHT, MEDIUM, HEAVY = "Light", "Medium", "Heavy"

# Requests per second per label and plan (fact sheet §5; Zoom's rate-limits page).
PLAN_LIMITS: dict[ZoomPlan, dict[str, int]] = {
    ZoomPlan.FREE: {LIGHT: 4, MEDIUM: 2, HEAVY: 1},
    ZoomPlan.PRO: {LIGHT: 30, MEDIUM: 20, HEAVY: 10},
    ZoomPlan.BUSINESS: {LIGHT: 80, MEDIUM: 60, HEAVY: 40},
}
DEFAULT_PLAN = ZoomPlan.PRO  # the lower of the two plans that can run this (ssoCreate needs a paid account)

# The labels of the endpoints the client calls (method, path with `{}` for an id), from Zoom's API reference.
LABELS: dict[tuple[str, str], str] = {
    ("GET", "/users"): MEDIUM,
    ("POST", "/users"): LIGHT,
    ("GET", "/users/{}"): LIGHT,
    ("PATCH", "/users/{}"): LIGHT,
    ("DELETE", "/users/{}"): LIGHT,
    ("PUT", "/users/{}/status"): LIGHT,
    ("PUT", "/users/{}/email"): LIGHT,
    ("GET", "/groups"): MEDIUM,
    ("GET", "/groups/{}/members"): MEDIUM,
    ("POST", "/groups/{}/members"): MEDIUM,
    ("DELETE", "/groups/{}/members/{}"): LIGHT,
    ("GET", "/roles"): MEDIUM,
    ("GET", "/roles/{}"): LIGHT,
    ("GET", "/roles/{}/members"): MEDIUM,
    ("POST", "/roles/{}/members"): MEDIUM,
    ("DELETE", "/roles/{}/members/{}"): LIGHT,
}
_COLLECTIONS = frozenset({"users", "groups", "roles", "members", "status", "email"})


def label_of(method: str, path: str) -> str:
    """The rate-limit label of a request; an endpoint not in the table counts as Medium (the stricter of the two
    labels provisioning uses)."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["v2"]:
        parts = parts[1:]
    shape = "/" + "/".join(p if p in _COLLECTIONS else "{}" for p in parts)
    return LABELS.get((method.upper(), shape), MEDIUM)


# Zoom counts a request when it arrives; two requests sent a second apart can arrive closer than that when the
# first is slower on the way (a new connection's handshake, network jitter). The window is a second plus this.
ARRIVAL_MARGIN_S = 0.05
WINDOW_S = 1.0 + ARRIVAL_MARGIN_S


# A Zoom write takes about this long from here (the round trip of a typical request): the requests to keep in
# flight so that the Light label's rate, not the latency, sets the pace.
TYPICAL_LATENCY_S = 0.3
MAX_WORKERS = 32


def plan_limits(plan: ZoomPlan | str, raised: Mapping[str, int] | None = None) -> dict[str, int]:
    """Requests per second of each label: the plan's, except the labels (any case) Zoom raised for the account."""
    by_label = {label.lower(): rate for label, rate in (raised or {}).items()}
    return {label: by_label.get(label.lower(), rate) for label, rate in PLAN_LIMITS[ZoomPlan(plan)].items()}


def workers_for(light_per_second: int) -> int:
    """Users to apply at once on an account whose Light label allows `light_per_second`: Pro (30/s) 9, Business+
    (80/s) 24, Free (4/s) 2; at most 32."""
    return max(1, min(MAX_WORKERS, math.ceil(light_per_second * TYPICAL_LATENCY_S)))


class ZoomRateLimiter:
    """One sliding window per label, at the plan's rates; a 429 pauses the label's window for every thread."""

    def __init__(
        self,
        plan: ZoomPlan | str = DEFAULT_PLAN,
        *,
        limits: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.plan = ZoomPlan(plan)
        self.limits = plan_limits(self.plan, limits)
        self.buckets = {
            label: SlidingWindow(limit, WINDOW_S, name=label, clock=clock, sleep=sleep)
            for label, limit in self.limits.items()
        }

    def bucket(self, method: str, path: str) -> SlidingWindow | None:
        return self.buckets[label_of(method, path)]

    def observe(self, method: str, path: str, response: requests.Response) -> None:
        return None  # the plan sets the rates; a 429 is answered by the transport (penalise)
