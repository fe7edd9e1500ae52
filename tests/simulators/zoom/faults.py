"""Zoom's rate limits and failure answers: per-second buckets shared by every endpoint of a category (Light/Medium,
like Zoom's per-label quotas), the standard headers of every answer, and the API's shape of injected faults and of
429s.

Every answer carries ``X-RateLimit-Category``, ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``; a 429 carries
``Retry-After`` as an absolute ISO-8601 UTC time and ``X-RateLimit-Type: QPS``.

Per-label rates (off by default: then the headers report the nominal Business+ figures and nothing is enforced
unless ``rate_limit()`` says so): ``enforce_label_rates({"Light": 80, "Medium": 60})`` (or a plan's rates,
``enforce_label_rates(PLAN_RATES["pro"])``) enforces that many requests per second per label, shared by every
endpoint of the label, in 1-second windows of the real clock; over it: 429 with ``Retry-After`` at the window's end.
Rejected requests use no quota. Paths with a ``rate_limit()`` and the token endpoint keep the base behaviour.
``enforce_label_rates(None)`` turns it off. ``category_counts()`` counts the request log's requests per label.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Mapping

from ..http import Headers, RateInfo, Request, Response
from .formats import QPS_MESSAGE, iso_s, zoom_error

__all__ = ["PLAN_RATES", "ZoomFaultsMixin"]

_LIMITS = {"Light": 80, "Medium": 60}
# Requests per second per label and plan (developers.zoom.us/docs/api/rate-limits; Business+ is Business,
# Education, Enterprise and Partners). Free also has daily caps (Light 6,000, Medium 2,000), not modelled.
PLAN_RATES: dict[str, dict[str, int]] = {
    "free": {"Light": 4, "Medium": 2, "Heavy": 1},
    "pro": {"Light": 30, "Medium": 20, "Heavy": 10},
    "business": {"Light": 80, "Medium": 60, "Heavy": 40},
}


class ZoomFaultsMixin:
    """Rate limits and failure answers of the :class:`~tests.simulators.zoom.ZoomSimulator`; overrides the base's
    ``_bucket``, ``_rate``, ``_decorate``, ``_too_many_requests`` and ``_fault_response`` hooks."""

    _lock: threading.RLock
    _label_rates: dict[str, int] | None = None  # enforce_label_rates(): label -> requests per second
    _label_windows: dict[str, list[float]]  # label -> [window start, count]

    def enforce_label_rates(self, rates: Mapping[str, int] | None) -> None:
        """Enforce ``rates`` (label -> requests per second, e.g. ``PLAN_RATES["business"]``); ``None`` turns it off.
        See the module docstring."""
        with self._lock:
            self._label_rates = None if rates is None else {label: int(n) for label, n in rates.items()}
            self._label_windows = {}

    def category_counts(self) -> dict[str, int]:
        """Requests in the request log per rate-limit label (``oauth`` for the token endpoint; ``clear_log()``
        resets)."""
        counts: dict[str, int] = {}
        for entry in self.requests:
            segments = entry.path.strip("/").split("/") if entry.path.strip("/") else []
            probe = Request(entry.method, entry.path, entry.path, segments, "", {}, {}, Headers())
            key = self._bucket(probe)[0]
            counts[key] = counts.get(key, 0) + 1
        return counts

    def _rate(self, request: Request, *, count: bool) -> RateInfo:
        rates = self._label_rates
        if (
            rates is None
            or self._is_token_path(request.path)
            or any(request.path.startswith(prefix) for prefix in self._limits)
        ):
            return super()._rate(request, count=count)
        _, nominal, category = self._bucket(request)
        limit = rates.get(category or "", nominal)
        now = time.time()
        window = self._label_windows.get(category or "")
        if window is None or now >= window[0] + 1.0:
            window = self._label_windows[category or ""] = [now, 0]
        blocked = window[1] >= limit
        if count and not blocked:
            window[1] += 1
        return RateInfo(
            limit=limit,
            remaining=max(0, limit - int(window[1])),
            reset_at=window[0] + 1.0,
            category=category,
            exceeded=count and blocked,
        )

    def _bucket(self, request: Request) -> tuple[str, int, str | None]:
        if self._is_token_path(request.path):
            return "oauth", 100, None
        route, _, _ = self._match_route(request)
        category = route.meta["category"] if route is not None else "Light"
        return category, _LIMITS[category], category

    def _decorate(self, request: Request, response: Response, rate: RateInfo) -> None:
        defaults = [("X-Zm-Trackingid", "v=2.0;clid=us06;rid=WEB_" + secrets.token_hex(16))]
        if rate.category is not None:
            defaults += [
                ("X-RateLimit-Category", rate.category),
                ("X-RateLimit-Limit", str(rate.limit)),
                ("X-RateLimit-Remaining", str(rate.remaining)),
            ]
        for key, value in defaults:
            if not response.has_header(key):
                response.header(key, value)
        if response.content_type == "application/json":
            response.content_type = "application/json;charset=UTF-8"

    def _too_many_requests(self, request: Request, rate: RateInfo) -> Response:
        response = zoom_error(429, 429, QPS_MESSAGE)
        response.header("Retry-After", iso_s(math.ceil(rate.reset_at)))
        response.header("X-RateLimit-Type", "QPS")
        response.header("X-RateLimit-Remaining", "0")
        return response

    def _fault_response(self, request: Request, status: int) -> Response:
        if self._is_token_path(request.path):
            reason = "Invalid client_id or client_secret" if status in (400, 401) else "Internal error"
            return Response(status, {"reason": reason, "error": "invalid_client" if status < 500 else "server_error"})
        if status == 429:
            response = zoom_error(429, 429, QPS_MESSAGE)
            response.header("Retry-After", iso_s(math.ceil(time.time() + 1)))
            response.header("X-RateLimit-Type", "QPS")
            response.header("X-RateLimit-Remaining", "0")
            return response
        code, message = {
            400: (300, "Bad Request"),
            401: (124, "Invalid access token."),
            403: (403, "Forbidden"),
            404: (404, "Not Found"),
            500: (500, "Internal Server Error"),
            502: (502, "Bad Gateway"),
            503: (503, "Service Unavailable"),
            504: (504, "Gateway Timeout"),
        }.get(status, (status, "Simulated failure"))
        return zoom_error(status, code, message)
