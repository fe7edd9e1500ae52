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
- a clock (``now()``) that tests can move forward with ``advance_clock(seconds)``: tokens, page tokens, log
  visibility and retention follow it. Rate-limit windows always use the real clock (clients compare them with theirs).

Every piece of state is guarded by one re-entrant lock; a request is processed atomically under it (delays sleep
outside it).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

__all__ = [
    "ApiError",
    "Fault",
    "Headers",
    "RecordedRequest",
    "Request",
    "Response",
    "SimulatorBase",
]


class Headers(dict[str, str]):
    """A ``dict`` of HTTP headers with case-insensitive keys (stored lower-cased)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        pairs = items.items() if hasattr(items, "items") else items
        for key, value in pairs:
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class Request:
    """One parsed HTTP request, as the simulators' handlers see it."""

    method: str
    raw_path: str  # as sent, percent-encoded, without the query string
    path: str  # percent-decoded
    segments: list[str]  # path segments, each percent-decoded (so an encoded "/" stays inside its segment)
    raw_query: str
    query: dict[str, str]  # first value of each parameter
    query_lists: dict[str, list[str]]
    headers: Headers
    body: bytes = b""
    has_length: bool = True  # False: neither Content-Length nor chunked transfer encoding was sent

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (first value of each field)."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def data(self) -> Any:
        """The body as data: form fields for a form body, else parsed JSON (``None`` when empty or not JSON)."""
        if self.content_type == "application/x-www-form-urlencoded":
            return self.form()
        if not self.body:
            return None
        try:
            return self.json()
        except ValueError:
            return None


@dataclass
class Response:
    """What a handler answers. ``body`` is JSON-serialisable data, or ``bytes``/``str`` sent as is."""

    status: int
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"
    close: bool = False

    def header(self, name: str, value: str) -> Response:
        self.headers.append((name, str(value)))
        return self

    def has_header(self, name: str) -> bool:
        return any(key.lower() == name.lower() for key, _ in self.headers)

    def header_value(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class ApiError(Exception):
    """Raised inside handlers to answer with ``response`` (an API error)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class RecordedRequest:
    """One entry of a simulator's request log."""

    method: str
    path: str  # percent-decoded, without the query string
    query: dict[str, str]
    headers: Headers  # the Authorization value is replaced by "<scheme> <redacted>"
    body: Any  # parsed body (JSON or form fields), None when empty
    time: float
    status: int | None = None  # None: the connection was dropped without an answer
    fault: bool = False  # True when an injected fault shaped the answer

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")


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
class Route:
    method: str
    parts: tuple[str, ...]
    handler: Callable[..., Response]
    meta: dict[str, Any]


@dataclass
class _Window:
    start: float
    count: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: SimulatorBase


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.sim._track_connection(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.sim._track_connection(self.connection, add=False)

    def version_string(self) -> str:
        return self.server.sim.server_header

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        self.server.sim._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class SimulatorBase:
    """Base of the Okta and Zoom simulators (see the module docstring)."""

    server_header = "simulator"
    token_path = ""  # the OAuth token endpoint: not counted by write_count()
    window_seconds = 1.0

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._limits: dict[str, int] = {}
        self._windows: dict[str, _Window] = {}
        self._clock_offset = 0.0
        self._connections: set[socket.socket] = set()
        self._routes: list[Route] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind 127.0.0.1 on an ephemeral port and serve from a daemon thread. Returns ``self``."""
        with self._lock:
            if self._server is not None:
                return self
            server = _Server(("127.0.0.1", 0), _Handler)
            server.sim = self
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
            connections = list(self._connections)
        if server is None:
            return
        server.shutdown()
        server.server_close()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def _track_connection(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # ------------------------------------------------------------------ clock

    def now(self) -> float:
        """The simulator's clock, epoch seconds (real time plus ``advance_clock`` shifts)."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the simulator's clock forward (tokens expire, delayed events appear, ...)."""
        with self._lock:
            self._clock_offset += seconds

    # ------------------------------------------------------------------ request log

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests received (dropped and faulted ones included), optionally by method and path prefix."""
        with self._lock:
            return sum(
                1
                for entry in self._log
                if (method is None or entry.method == method.upper())
                and (path_prefix is None or entry.path.startswith(path_prefix))
            )

    def write_count(self) -> int:
        """Non-GET requests other than to the token endpoint (attempts count, whatever they were answered)."""
        with self._lock:
            return sum(1 for entry in self._log if entry.is_write and not self._is_token_path(entry.path))

    def _is_token_path(self, path: str) -> bool:
        return bool(self.token_path) and path.rstrip("/") == self.token_path

    # ------------------------------------------------------------------ faults and rate limits

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

    # ------------------------------------------------------------------ routing helpers for subclasses

    def _add_route(self, method: str, pattern: str, handler: Callable[..., Response], **meta: Any) -> None:
        self._routes.append(Route(method, tuple(pattern.strip("/").split("/")), handler, meta))

    def _match_route(self, request: Request) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path parameters, path_known). ``path_known`` without a route means: wrong method."""
        segments = tuple(request.segments)
        path_known = False
        for route in self._routes:
            if len(route.parts) != len(segments):
                continue
            params: dict[str, str] = {}
            for part, seg in zip(route.parts, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    if not seg:
                        break
                    params[part[1:-1]] = seg
                elif part != seg:
                    break
            else:
                path_known = True
                if route.method == request.method:
                    return route, params, True
        return None, {}, path_known

    @staticmethod
    def _query_with(request: Request, **changes: str | None) -> str:
        """The request's query string with some parameters replaced (``None`` removes one)."""
        pairs = [(k, v) for k, vs in request.query_lists.items() if k not in changes for v in vs]
        pairs += [(k, v) for k, v in changes.items() if v is not None]
        return urlencode(pairs)

    # ------------------------------------------------------------------ hooks for subclasses

    def _dispatch(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def _bucket(self, request: Request) -> tuple[str, int, str | None]:
        """(bucket key, nominal limit per window, category) of a request."""
        return "all", 1000, None

    def _fault_response(self, request: Request, status: int) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def _too_many_requests(self, request: Request, rate: RateInfo) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def _decorate(self, request: Request, response: Response, rate: RateInfo) -> None:
        """Add the API's standard headers (rate-limit headers, request id) to any answer."""

    def _preflight(self, request: Request) -> Response | None:
        """An answer given before rate limiting and routing (e.g. Okta's 411), or None."""
        return None

    # ------------------------------------------------------------------ serving

    def _process(self, request: Request) -> Response:
        with self._lock:
            early = self._preflight(request)
            if early is not None:
                rate = self._rate(request, count=False)
                self._decorate(request, early, rate)
                return early
            rate = self._rate(request, count=True)
            if rate.exceeded:
                response = self._too_many_requests(request, rate)
            else:
                try:
                    response = self._dispatch(request)
                except ApiError as exc:
                    response = exc.response
            self._decorate(request, response, rate)
            return response

    def _faulted(self, request: Request, fault: Fault) -> Response:
        with self._lock:
            assert fault.status is not None
            if fault.body is None:
                response = self._fault_response(request, fault.status)
            else:
                response = Response(fault.status, fault.body)
            for key, value in (fault.headers or {}).items():
                response.headers = [(k, v) for k, v in response.headers if k.lower() != key.lower()]
                response.header(key, value)
            self._decorate(request, response, self._rate(request, count=False))
            return response

    def _serve(self, handler: _Handler) -> None:
        request = self._read_request(handler)
        if request is None:
            handler.close_connection = True
            return
        with self._lock:
            fault = next((f for f in self._faults if f.matches(request)), None)
            if fault is not None:
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
            record = RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=self._redacted(request.headers),
                body=request.data(),
                time=self.now(),
                fault=fault is not None,
            )
            self._log.append(record)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is None or (not fault.after_apply and not fault.drop and fault.status is None):
            response: Response | None = self._process(request)
        elif fault.after_apply:
            response = self._process(request)
            if fault.drop:
                response = None
            elif fault.status is not None:
                response = self._faulted(request, fault)
        elif fault.drop:
            response = None
        else:
            response = self._faulted(request, fault)
        with self._lock:
            record.status = None if response is None else response.status
        if response is None:
            handler.close_connection = True
            return
        self._write(handler, request, response)

    @staticmethod
    def _redacted(headers: Headers) -> Headers:
        clean = Headers(headers)
        if "authorization" in clean:
            scheme = clean["authorization"].split(" ", 1)[0]
            clean["authorization"] = f"{scheme} <redacted>"
        return clean

    @staticmethod
    def _read_request(handler: _Handler) -> Request | None:
        split = urlsplit(handler.path)
        raw_path = split.path or "/"
        headers = Headers((k, v) for k, v in handler.headers.items())
        body = b""
        has_length = True
        try:
            if "chunked" in str(headers.get("transfer-encoding", "")).lower():
                chunks = []
                while True:
                    size_line = handler.rfile.readline(65537)
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while handler.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    chunks.append(handler.rfile.read(size))
                    handler.rfile.readline(65537)
                body = b"".join(chunks)
            elif "content-length" in headers:
                body = handler.rfile.read(int(headers["content-length"]))
            else:
                has_length = False
        except (ValueError, OSError):
            return None
        query_lists = parse_qs(split.query, keep_blank_values=True)
        return Request(
            method=handler.command.upper(),
            raw_path=raw_path,
            path=unquote(raw_path),
            segments=[unquote(s) for s in raw_path.strip("/").split("/")] if raw_path.strip("/") else [],
            raw_query=split.query,
            query={k: v[0] for k, v in query_lists.items()},
            query_lists=query_lists,
            headers=headers,
            body=body,
            has_length=has_length,
        )

    @staticmethod
    def _write(handler: _Handler, request: Request, response: Response) -> None:
        if response.body is None:
            payload = b""
        elif isinstance(response.body, bytes):
            payload = response.body
        elif isinstance(response.body, str):
            payload = response.body.encode("utf-8")
        else:
            payload = json.dumps(response.body).encode("utf-8")
        try:
            handler.send_response(response.status)
            for key, value in response.headers:
                handler.send_header(key, value)
            if response.status not in (204, 304):
                if not response.has_header("content-type"):
                    handler.send_header("Content-Type", response.content_type)
                handler.send_header("Content-Length", str(len(payload)))
            if response.close:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            handler.end_headers()
            if request.method != "HEAD" and response.status not in (204, 304):
                handler.wfile.write(payload)
            handler.wfile.flush()
        except OSError:
            handler.close_connection = True
