"""Fault injection and rate limiting shared by every simulator: :class:`Fault` (an injected fault), :class:`RateInfo`
(the rate-limit figures of a request's bucket), and :class:`FaultsMixin` (``inject()``, ``rate_limit()`` and the
per-bucket window counters behind every answer's rate-limit headers)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import threading

    from .messages import Request

__all__ = ["Fault", "FaultsMixin", "RateInfo"]


@dataclass
class Fault:
    """An injected fault; ``remaining`` counts down to 0 (``None``: until ``clear_faults()``)."""

    method: str | None
    path_prefix: str | None
    status: int | None
    remaining: int | None
    body: Any = None
    headers: dict[str, str] | None = None
    delay: float = 0.0
    drop: bool = False
    after_apply: bool = False
    skip: int = 0  # let this many matching requests through first (e.g. fail page 2 of a list)
    hits: int = 0

    def matches(self, request: Request) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method not in (None, "*") and self.method.upper() != request.method:
            return False
        if self.path_prefix is not None and not request.path.startswith(self.path_prefix):
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        return True


@dataclass
class RateInfo:
    """Rate-limit figures of the bucket a request fell into."""

    limit: int
    remaining: int
    reset_at: float  # real epoch seconds
    category: str | None = None
    exceeded: bool = False


@dataclass
class _Window:
    start: float
    count: int = 0


class FaultsMixin:
    """Fault injection and rate limits of :class:`~tests.simulators.http.base.SimulatorBase` (state set up by
    ``_init_faults_and_limits``; a request's bucket comes from the ``_bucket`` hook)."""

    window_seconds = 1.0
    _lock: threading.RLock

    def _init_faults_and_limits(self) -> None:
        self._faults: list[Fault] = []
        self._limits: dict[str, int] = {}
        self._windows: dict[str, _Window] = {}

    def inject(
        self,
        method: str | None = "GET",
        path_prefix: str | None = None,
        status: int | None = 503,
        times: int | None = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
        after_apply: bool = False,
        skip: int = 0,
    ) -> Fault:
        """Answer the next ``times`` matching requests with a fault (``times=None``: all of them).

        - ``method``: ``None`` or ``"*"`` matches any method; ``path_prefix``: ``None`` matches any path (decoded).
        - ``status``: the answer; ``body``/``headers`` default to the API's real error shape for that status.
          ``status=None`` answers normally (useful with ``delay`` or ``drop``).
        - ``delay``: seconds to sleep before anything else (outside the lock).
        - ``drop``: close the connection without any answer.
        - ``after_apply``: perform the real operation first, then answer with the fault (or drop): models a lost
          answer to a write that was applied.
        - ``skip``: let the first ``skip`` matching requests through (fail page 2 of a list, the 3rd create…).

        Faults are matched in the order they were injected, before authentication; the returned :class:`Fault`
        shows ``hits`` and ``remaining``.
        """
        fault = Fault(
            method=method,
            path_prefix=path_prefix,
            status=status,
            remaining=times,
            body=body,
            headers=dict(headers) if headers else None,
            delay=delay,
            drop=drop,
            after_apply=after_apply,
            skip=skip,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def rate_limit(self, path_prefix: str, limit_per_window: int | None, window_seconds: float | None = None) -> None:
        """Enforce ``limit_per_window`` requests per window on paths starting with ``path_prefix``; the next ones
        get 429 until the window ends. ``None`` removes the limit. ``window_seconds`` changes every window's length.
        """
        with self._lock:
            if window_seconds is not None:
                self.window_seconds = window_seconds
            self._windows.pop(f"cfg:{path_prefix}", None)
            if limit_per_window is None:
                self._limits.pop(path_prefix, None)
            else:
                self._limits[path_prefix] = int(limit_per_window)

    def clear_rate_limits(self) -> None:
        with self._lock:
            self._limits.clear()
            self._windows.clear()

    def _rate(self, request: Request, *, count: bool) -> RateInfo:
        """Count ``request`` in its bucket (configured limit first, else the API's nominal bucket)."""
        nominal_key, nominal_limit, category = self._bucket(request)
        prefix = max((p for p in self._limits if request.path.startswith(p)), key=len, default=None)
        if prefix is not None:
            key, limit, enforced = f"cfg:{prefix}", self._limits[prefix], True
        else:
            key, limit, enforced = f"dflt:{nominal_key}", nominal_limit, False
        real_now = time.time()
        window = self._windows.get(key)
        if window is None or real_now >= window.start + self.window_seconds:
            window = self._windows[key] = _Window(start=real_now)
        if count:
            window.count += 1
        return RateInfo(
            limit=limit,
            remaining=max(0, limit - window.count),
            reset_at=window.start + self.window_seconds,
            category=category,
            exceeded=enforced and window.count > limit,
        )
