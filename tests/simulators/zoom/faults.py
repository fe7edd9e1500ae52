"""Zoom's rate limits and failure answers: per-second buckets shared by every endpoint of a category (Light/Medium,
like Zoom's per-label quotas), the standard headers of every answer, and the API's shape of injected faults and of
429s.

Every answer carries ``X-RateLimit-Category``, ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``; a 429 carries
``Retry-After`` as an absolute ISO-8601 UTC time and ``X-RateLimit-Type: QPS``.
"""

from __future__ import annotations

import math
import secrets
import time

from ..http import RateInfo, Request, Response
from .formats import QPS_MESSAGE, iso_s, zoom_error

__all__ = ["ZoomFaultsMixin"]

_LIMITS = {"Light": 80, "Medium": 60}


class ZoomFaultsMixin:
    """Rate limits and failure answers of the :class:`~tests.simulators.zoom.ZoomSimulator`; overrides the base's
    ``_bucket``, ``_decorate``, ``_too_many_requests`` and ``_fault_response`` hooks."""

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
