"""The socket side of the simulators: the threading HTTP/1.1 server and its request handler class (``_Handler``,
whose ``do_*`` methods hand each request to the owning simulator), and the reading and writing of HTTP messages
(chunked and ``Content-Length`` bodies, JSON answers)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .messages import Headers, Request, Response

if TYPE_CHECKING:
    from .base import SimulatorBase

__all__ = ["_Handler", "_Server", "read_request", "redacted", "write_response"]


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


def redacted(headers: Headers) -> Headers:
    """A copy of ``headers`` in which the ``Authorization`` value is reduced to ``"<scheme> <redacted>"``."""
    clean = Headers(headers)
    if "authorization" in clean:
        scheme = clean["authorization"].split(" ", 1)[0]
        clean["authorization"] = f"{scheme} <redacted>"
    return clean


def read_request(handler: _Handler) -> Request | None:
    """The request ``handler`` received, body read; None when the body cannot be read."""
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


def write_response(handler: _Handler, request: Request, response: Response) -> None:
    """Send ``response`` (status, headers, the body serialised as JSON unless bytes or text)."""
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
