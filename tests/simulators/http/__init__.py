"""Shared machinery of the local API simulators.

A simulator is a :class:`SimulatorBase` subclass that owns a ``ThreadingHTTPServer`` bound to ``127.0.0.1`` on an
ephemeral port, served from a daemon thread. It speaks HTTP/1.1 with keep-alive, like the real services.

What the base provides to every simulator:

- lifecycle: ``start()`` (returns ``self``), ``stop()``, ``url``, use as a context manager;
- a request log: ``requests`` (a snapshot list of :class:`RecordedRequest`), ``request_count()``, ``write_count()``,
  ``clear_log()``. The value of the ``Authorization`` header is never recorded (only its scheme);
- fault injection: ``inject()`` (status, body, headers, delay, dropped connection, fault after the real operation);
- rate limiting: ``rate_limit(path_prefix, limit_per_window)``; every response also carries the API's rate-limit
  headers computed from per-bucket counters (windows last ``window_seconds``, 1 s by default, so that tests never
  wait long: the real Okta windows are ~60 s, Zoom's are per second);
- a per-request latency (``latency_s``, seconds, 0 by default) slept outside the lock before a request is processed,
  and ``max_in_flight``, the most requests served at once (the concurrency a client achieved): for benchmarks;
- a clock (``now()``) that tests can move forward with ``advance_clock(seconds)``: tokens, page tokens, log
  visibility and retention follow it. Rate-limit windows always use the real clock (clients compare them with theirs).

Every piece of state is guarded by one re-entrant lock; a request is processed atomically under it (delays sleep
outside it).

Modules: ``messages`` (headers, requests, responses, the request log's entries), ``server`` (the socket server and
the reading and writing of HTTP messages), ``routing`` (path patterns), ``faults`` (fault injection and rate limits),
``base`` (:class:`SimulatorBase`: lifecycle, clock, request log, and the processing of one request).
"""

from .base import SimulatorBase
from .faults import Fault, RateInfo
from .messages import ApiError, Headers, RecordedRequest, Request, Response
from .routing import Route
from .server import _Handler, _Server

__all__ = [
    "ApiError",
    "Fault",
    "Headers",
    "RateInfo",
    "RecordedRequest",
    "Request",
    "Response",
    "Route",
    "SimulatorBase",
    "_Handler",
    "_Server",
]
