"""Contract tier: our real Okta and Zoom clients against payloads recorded by third parties from the real APIs.

Every file under ``recorded/`` holds one response (``status``, ``headers``, and ``body`` or the verbatim
``body_raw`` string) or one System Log event, plus a ``_source`` naming where it was found; SOURCES.md lists them.

``ReplayServer`` answers on 127.0.0.1 only, from a daemon thread. Tests register recordings per route; a route
matches on method, decoded path and a subset of query parameters (the most specific match wins). A route given
several recordings plays them in order, then repeats the last. A request that no route matches is answered with a
bare ``501`` and the text ``replay: no recording for ...`` (never a made-up API body), and is kept in ``misses``.
The server only adds transport framing to a recording: ``Content-Length``, and a ``Link: <…>; rel="next"`` header
when a test asks for one (Okta pages by Link headers; the recorded bodies are never altered).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.okta.auth import OktaApiToken
from okta_zoom_sync.adapters.okta.client import OktaClient
from okta_zoom_sync.adapters.zoom.client import ZoomClient

RECORDED = Path(__file__).parent / "recorded"

# Retries off, so no test sleeps; a test that is about retries passes its own policy.
NO_RETRY = RetryPolicy(max_attempts=1, random=lambda: 0.0, reset_margin=0.0, sleep=lambda _s: None)

OKTA_APP_ID = "0oaoitopiDhcTLdRE4x6"  # the app of the okta-sdk-python cassette
OKTA_TOKEN = "ssws-contract-token"
ZOOM_ACCOUNT = "contract-account"
ZOOM_CLIENT = "contract-client-id"
ZOOM_SECRET = "contract-client-secret-value"


@dataclass(frozen=True)
class Recording:
    """One recorded response (or System Log event), loaded from a file under recorded/."""

    name: str
    source: Mapping[str, Any]
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def load(relative: str) -> Recording:
    """``load("okta/user.spec.json")``: the file's body as bytes (``body_raw`` verbatim, else ``body`` as JSON)."""
    data = json.loads((RECORDED / relative).read_text(encoding="utf-8"))
    raw = data.get("body_raw")
    body = raw.encode() if raw is not None else json.dumps(data["body"]).encode()
    return Recording(
        name=relative,
        source=data["_source"],
        status=int(data.get("status", 200)),
        headers=dict(data.get("headers") or {"Content-Type": "application/json"}),
        body=body,
    )


def with_headers(recording: Recording, **headers: str) -> Recording:
    """The recording answered with extra transport headers (e.g. Okta's X-Rate-Limit-*), body untouched."""
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    return replace(recording, headers={**recording.headers, **extra})


def event(relative: str) -> Any:
    """A recorded System Log event (or list of events), as JSON."""
    return load(relative).json()


def log_page(*events: Any) -> Recording:
    """A ``GET /api/v1/logs`` page (a JSON array) made of recorded events; the events are not altered."""
    flat: list[Any] = []
    for item in events:
        flat.extend(item if isinstance(item, list) else [item])
    return Recording(
        name="log page",
        source={"kind": "page assembled from recorded events"},
        status=200,
        headers={"Content-Type": "application/json"},
        body=json.dumps(flat).encode(),
    )


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names; Authorization keeps its scheme only
    body: bytes


@dataclass
class _Route:
    method: str
    path: str
    query: dict[str, str]
    recordings: list[Recording]
    next_link: str | None = None
    served: int = 0

    def matches(self, method: str, path: str, query: Mapping[str, str]) -> bool:
        return (
            method == self.method
            and path == self.path
            and all(query.get(key) == value for key, value in self.query.items())
        )

    def take(self) -> Recording:
        recording = self.recordings[min(self.served, len(self.recordings) - 1)]
        self.served += 1
        return recording


@dataclass
class ReplayServer:
    routes: list[_Route] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(
        self,
        method: str,
        path: str,
        *recordings: Recording,
        query: Mapping[str, str] | None = None,
        next_link: str | None = None,
    ) -> None:
        """Answer ``method path`` (with at least these query parameters) with the recordings, in order.

        ``next_link``: a path+query on this server, sent as ``Link: <url>; rel="next"`` with every answer."""
        assert recordings, "a route needs at least one recording"
        self.routes.append(_Route(method.upper(), path, dict(query or {}), list(recordings), next_link))

    def requests_to(self, path: str, method: str = "GET") -> list[Seen]:
        return [s for s in self.seen if s.path == path and s.method == method]

    # -- serving ----------------------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        query = {key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if "authorization" in headers:
            headers["authorization"] = headers["authorization"].split(" ", 1)[0]
        with self._lock:
            self.seen.append(Seen(handler.command, path, query, headers, body))
            candidates = [r for r in self.routes if r.matches(handler.command, path, query)]
            route = max(candidates, key=lambda r: len(r.query)) if candidates else None
            recording = route.take() if route else None
        if route is None or recording is None:
            text = f"replay: no recording for {handler.command} {handler.path}"
            with self._lock:
                self.misses.append(f"{handler.command} {handler.path}")
            payload = text.encode()
            handler.send_response(501)
            handler.send_header("Content-Type", "text/plain")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        handler.send_response(recording.status)
        for name, value in recording.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection"):
                handler.send_header(name, value)
        if route.next_link:
            handler.send_header("Link", f'<{self.url}{route.next_link}>; rel="next"')
        handler.send_header("Content-Length", str(len(recording.body)))
        handler.end_headers()
        handler.wfile.write(recording.body)

    def start(self) -> ReplayServer:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                replay._answer(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer().start()
    try:
        yield server
    finally:
        server.stop()


def okta_client(replay: ReplayServer, **kwargs: Any) -> OktaClient:
    kwargs.setdefault("retry", NO_RETRY)
    credentials = kwargs.pop("credentials", OktaApiToken(OKTA_TOKEN))
    return OktaClient(replay.url, OKTA_APP_ID, credentials, **kwargs)


def zoom_client(replay: ReplayServer, *, token: str = "zoom/token.zoom-plugin-docs.json", **kwargs: Any) -> ZoomClient:
    """A ZoomClient whose token endpoint (POST /oauth/token) answers with the recorded token response."""
    kwargs.setdefault("retry", NO_RETRY)
    replay.add("POST", "/oauth/token", load(token))
    return ZoomClient(f"{replay.url}/v2", f"{replay.url}/oauth/token", ZOOM_ACCOUNT, ZOOM_CLIENT, ZOOM_SECRET, **kwargs)
