"""Okta's rate limits and failure answers: the rate-limit buckets, the org-wide per-credential mode, the standard
headers of every answer, the API's shape of injected faults and of 429s, the 411 of a POST or PUT sent without
``Content-Length`` (nor chunked encoding), and features switched off. Control API: ``enforce_org_rate_limits``,
``disable_feature``; read access: ``bucket_counts``.

- Every answer carries ``X-Rate-Limit-Limit``/``-Remaining``/``-Reset`` (epoch seconds) and ``X-Okta-Request-Id``.
- ``disable_feature(path_prefix)``: every request under the prefix (after authentication, before the scope check)
  answers 401 ``E0000015`` "You do not have permission to access the feature you are requesting" (a feature not in
  the org's SKU, e.g. ``/api/v1/logs``).
- Org-wide rate limits (off by default; then every bucket reports its nominal limit and nothing is enforced unless
  ``rate_limit()`` says so): ``enforce_org_rate_limits(share=0.5, window_seconds=60.0)`` gives every bucket of
  ``_bucket`` its org-wide limit per window (``/api/v1/apps*`` 100, ``/api/v1/apps/{id}`` 500, ``/api/v1/groups*``
  500, ``/api/v1/groups/{id}`` 1000, GET ``/api/v1/users/{id}`` 2000, ``/api/v1/users`` and writes to
  ``/users/{id}`` 600, ``/api/v1/logs`` 120, others 1200) and lets each credential (the SSWS token; every bearer/DPoP
  token of the service app counts as that one OAuth client; unknown credentials share one "unauthenticated" slot)
  use at most ``floor(share * limit)`` of it. Headers report that per-credential ceiling: ``X-Rate-Limit-Limit``,
  ``-Remaining`` (also bounded by what is left org-wide) and ``-Reset`` (epoch seconds, end of the window, which
  starts at the first request: not aligned to minutes). Over the ceiling (or the org limit): 429 ``E0000047`` with
  ``X-Rate-Limit-Remaining: 0`` and ``X-Rate-Limit-Reset``; rejected requests use no quota. Paths with a
  ``rate_limit()`` and the token endpoint keep the base behaviour. ``enforce_org_rate_limits(None)`` turns it off.
  ``bucket_counts()`` counts the requests of the request log per bucket (``apps`` = ``/api/v1/apps*``).
  ``enforce_org_rate_limits(..., limits={"apps": 20, ...})`` replaces some buckets' org-wide limits (per window), to
  model another Okta edition (e.g. Integrator Free's 20/min for ``/api/v1/apps*``); the others keep theirs.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Mapping

from ..http import Headers, RateInfo, Request, Response
from .formats import oauth_error, okta_error, random_id

__all__ = ["OktaFaultsMixin"]

_BUCKETS = ("apps", "apps-id", "groups", "groups-id", "users", "users-id-get", "users-id", "logs", "oauth2", "other")


class OktaFaultsMixin:
    """Rate limits and failure answers of the :class:`~tests.simulators.okta.OktaSimulator` (state set up by
    ``_init_faults``); overrides the base's ``_preflight``, ``_bucket``, ``_rate``, ``_decorate``,
    ``_too_many_requests`` and ``_fault_response`` hooks."""

    _lock: threading.RLock
    oauth_client_id: str | None

    def _init_faults(self) -> None:
        self._disabled_features: set[str] = set()  # disable_feature(): path prefixes answering E0000015
        self._org_rate: tuple[float, float] | None = None  # enforce_org_rate_limits(): (share, window seconds)
        self._org_windows: dict[tuple[str, str], list[float]] = {}  # (bucket, credential or "*org*") -> [start, n]
        self._org_limits: dict[str, int] = {}  # enforce_org_rate_limits(limits=...): bucket -> org-wide limit

    # ================================================================== control API

    def disable_feature(self, path_prefix: str, disabled: bool = True) -> None:
        """Every authenticated request under ``path_prefix`` (e.g. ``/api/v1/logs``) answers 401 ``E0000015``.
        ``disabled=False`` enables the feature again."""
        with self._lock:
            if disabled:
                self._disabled_features.add(path_prefix)
            else:
                self._disabled_features.discard(path_prefix)

    def enforce_org_rate_limits(
        self, share: float | None = 0.5, window_seconds: float = 60.0, limits: Mapping[str, int] | None = None
    ) -> None:
        """Enforce Okta's org-wide per-minute buckets, each credential limited to ``share`` (0 < share <= 1) of each,
        in windows of ``window_seconds`` (real clock; keep it short in tests). ``share=None`` turns the mode off.
        ``limits`` replaces the org-wide limit of the buckets it names (keys as in ``bucket_counts()``). Every call
        starts fresh windows. See the module docstring."""
        if share is not None and not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1]: {share}")
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive: {window_seconds}")
        unknown = sorted(set(limits or {}) - set(_BUCKETS))
        if unknown:
            raise ValueError(f"unknown rate-limit buckets: {unknown}")
        with self._lock:
            self._org_rate = None if share is None else (float(share), float(window_seconds))
            self._org_limits = {key: int(value) for key, value in (limits or {}).items()}
            self._org_windows.clear()

    def bucket_counts(self) -> dict[str, int]:
        """Requests in the request log per rate-limit bucket (faulted and rejected ones included; ``clear_log()``
        resets): ``apps`` (``/api/v1/apps*``), ``apps-id``, ``groups``, ``groups-id``, ``users``, ``users-id-get``,
        ``users-id``, ``logs``, ``oauth2``, ``other``; every key present, 0 when never hit."""
        counts = dict.fromkeys(_BUCKETS, 0)
        for entry in self.requests:
            segments = entry.path.strip("/").split("/") if entry.path.strip("/") else []
            probe = Request(entry.method, entry.path, entry.path, segments, "", {}, {}, Headers())
            key = self._bucket(probe)[0]
            counts[key] = counts.get(key, 0) + 1
        return counts

    # ================================================================== hooks of the base

    def _preflight(self, request: Request) -> Response | None:
        if request.method in ("POST", "PUT") and not request.has_length:
            html = (
                "<html>\r\n<head><title>411 Length Required</title></head>\r\n<body>\r\n"
                "<center><h1>411 Length Required</h1></center>\r\n</body>\r\n</html>\r\n"
            )
            return Response(411, html, content_type="text/html", close=True)
        return None

    def _bucket(self, request: Request) -> tuple[str, int, str | None]:
        s = request.segments
        if s[:1] == ["oauth2"]:
            return "oauth2", 600, None
        if s[:2] != ["api", "v1"] or len(s) < 3:
            return "other", 1200, None
        kind = s[2]
        if kind == "apps":
            return ("apps-id", 500, None) if len(s) == 4 else ("apps", 100, None)
        if kind == "groups":
            return ("groups-id", 1000, None) if len(s) == 4 else ("groups", 500, None)
        if kind == "users":
            if len(s) == 4 and request.method == "GET":
                return "users-id-get", 2000, None
            return ("users", 600, None) if len(s) == 3 else ("users-id", 600, None)
        if kind == "logs":
            return "logs", 120, None
        return "other", 1200, None

    def _rate(self, request: Request, *, count: bool) -> RateInfo:
        """Org-wide buckets with a per-credential share when ``enforce_org_rate_limits`` is on (not for the token
        endpoint nor paths with a ``rate_limit()``); otherwise the base behaviour, unchanged."""
        if (
            self._org_rate is None
            or self._is_token_path(request.path)
            or any(request.path.startswith(prefix) for prefix in self._limits)
        ):
            return super()._rate(request, count=count)
        share, seconds = self._org_rate
        key, org_limit, category = self._bucket(request)
        org_limit = self._org_limits.get(key, org_limit)
        ceiling = max(1, math.floor(share * org_limit + 1e-9))
        real_now = time.time()
        windows = []
        for owner in (self._credential_key(request), "*org*"):
            window = self._org_windows.get((key, owner))
            if window is None or real_now >= window[0] + seconds:
                window = self._org_windows[(key, owner)] = [real_now, 0]
            windows.append(window)
        mine, org = windows
        blocked = mine[1] >= ceiling or org[1] >= org_limit
        if count and not blocked:
            mine[1] += 1
            org[1] += 1
        org_left = org_limit - org[1]
        reset_at = org[0] + seconds if org_left <= 0 and mine[1] < ceiling else mine[0] + seconds
        return RateInfo(
            limit=ceiling,
            remaining=max(0, min(ceiling - int(mine[1]), org_limit - int(org[1]))),
            reset_at=reset_at,
            category=category,
            exceeded=count and blocked,
        )

    def _credential_key(self, request: Request) -> str:
        """Who a request's quota share belongs to: the SSWS token, or the service app for any of its tokens."""
        scheme, _, credential = str(request.headers.get("authorization", "")).strip().partition(" ")
        scheme, credential = scheme.lower(), credential.strip()
        if scheme == "ssws" and credential:
            return "ssws:" + hashlib.sha256(credential.encode()).hexdigest()[:16]
        if scheme in ("bearer", "dpop") and credential in self._tokens:
            return f"oauth:{self.oauth_client_id}"
        return "unauthenticated"

    def _decorate(self, request: Request, response: Response, rate: RateInfo) -> None:
        defaults = [
            ("X-Okta-Request-Id", random_id(27)),
            ("X-Rate-Limit-Limit", str(rate.limit)),
            ("X-Rate-Limit-Remaining", str(rate.remaining)),
            ("X-Rate-Limit-Reset", str(math.ceil(rate.reset_at))),
            ("Cache-Control", "no-cache, no-store"),
            ("Pragma", "no-cache"),
        ]
        for key, value in defaults:
            if not response.has_header(key):
                response.header(key, value)

    def _too_many_requests(self, request: Request, rate: RateInfo) -> Response:
        response = self._fault_response(request, 429)
        response.headers = [(k, v) for k, v in response.headers if not k.lower().startswith("x-rate-limit-")]
        response.header("X-Rate-Limit-Limit", str(rate.limit))
        response.header("X-Rate-Limit-Remaining", "0")
        response.header("X-Rate-Limit-Reset", str(math.ceil(rate.reset_at)))
        return response

    def _fault_response(self, request: Request, status: int) -> Response:
        if self._is_token_path(request.path):
            error = {400: "invalid_request", 401: "invalid_client", 429: "too_many_requests"}.get(
                status, "server_error" if status >= 500 else "invalid_request"
            )
            response = oauth_error(status, error, f"Simulated failure ({status}).")
        else:
            code, summary = {
                400: ("E0000001", "Api validation failed"),
                401: ("E0000011", "Invalid token provided"),
                403: ("E0000006", "You do not have permission to perform the requested action"),
                404: ("E0000007", f"Not found: Resource not found: {request.path} (PublicApi)"),
                405: ("E0000022", "The endpoint does not support the provided HTTP method"),
                429: ("E0000047", "API call exceeded rate limit due to too many requests."),
                503: ("E0000010", "Service is in read only mode"),
            }.get(status, ("E0000009", "Internal Server Error"))
            response = okta_error(status, code, summary)
        if status == 429:
            response.header("X-Rate-Limit-Remaining", "0")
            response.header("X-Rate-Limit-Reset", str(math.ceil(time.time() + 1)))
        return response
