""":class:`SimulatorBase`, the base of the Okta and Zoom simulators: lifecycle (start, stop, url), the clock, the
request log, the hooks a simulator fills in, and the processing of one request (fault, rate limit, dispatch, the
API's standard headers). Fault injection and rate limits come from :class:`FaultsMixin`, the route table from
:class:`RoutingMixin`; see the package docstring."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Self

from .faults import Fault, FaultsMixin, RateInfo
from .messages import ApiError, RecordedRequest, Request, Response
from .routing import RoutingMixin
from .server import _Handler, _Server, read_request, redacted, write_response

__all__ = ["SimulatorBase"]


class SimulatorBase(FaultsMixin, RoutingMixin):
    """Base of the Okta and Zoom simulators (see the package docstring)."""

    server_header = "simulator"
    token_path = ""  # the OAuth token endpoint: not counted by write_count()
    # Seconds every request waits (outside the lock, before it is processed): a network round trip, for benchmarks.
    # 0 (the default) answers at once. Each connection has its own thread, so concurrent clients wait in parallel.
    latency_s = 0.0

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log: list[RecordedRequest] = []
        self._clock_offset = 0.0
        self._connections: set[socket.socket] = set()
        self._in_flight = 0
        self._max_in_flight = 0
        self._init_faults_and_limits()
        self._init_routing()

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
        """Forget the request log (and the in-flight high-water mark)."""
        with self._lock:
            self._log.clear()
            self._max_in_flight = self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests being served at once since the start or the last ``clear_log()``: the concurrency a
        client achieved."""
        with self._lock:
            return self._max_in_flight

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
        request = read_request(handler)
        if request is None:
            handler.close_connection = True
            return
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            response = self._serve_request(request)
        finally:
            # Out of flight before the answer is written: a client sends its next request only once it has the
            # answer, so a sequential client is never counted twice.
            with self._lock:
                self._in_flight -= 1
        if response is None:
            handler.close_connection = True
            return
        write_response(handler, request, response)

    def _serve_request(self, request: Request) -> Response | None:
        """The answer to `request` (None: drop the connection without one), after the latency and any fault."""
        if self.latency_s > 0:
            time.sleep(self.latency_s)
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
                headers=redacted(request.headers),
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
        return response
