"""`HttpsPictureFetcher` implements `ports.PictureFetcher`: a profile picture fetched over https from a public
address, with a size limit and a time limit.

The host is resolved once, every address it gives is checked (`guard.py`), and the connection goes to a checked
address while TLS still verifies the certificate for the host name: a DNS answer that changes between the check
and the connect (rebinding) cannot send the request elsewhere. Redirects are followed (a few) only through the same
checks. The environment's proxy settings are not used: the request goes straight to the checked address.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from okta_zoom_sync.adapters.pictures.guard import refusal
from okta_zoom_sync.errors import PictureRefusedError, RetryableError

MAX_PICTURE_BYTES = 2 * 1024 * 1024  # Zoom: jpg/jpeg or png, at most 2 MB
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")  # JPEG, PNG
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 64 * 1024
USER_AGENT = "okta-zoom-sync (profile picture)"

Resolver = Callable[[str, int], Sequence[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (getaddrinfo), in its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def default_tls() -> ssl.SSLContext:
    """The CA bundle requests uses (certifi), else the system's."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - requests depends on certifi
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An https connection to one already checked address, verifying the certificate for the URL's host."""

    def __init__(self, host: str, port: int, address: str, *, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class HttpsPictureFetcher:
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_bytes: int = MAX_PICTURE_BYTES,
        max_redirects: int = 3,
        resolver: Resolver = resolve,
        tls: ssl.SSLContext | None = None,
        allow_loopback_for_tests: bool = False,
    ) -> None:
        """`timeout`: seconds for the whole fetch, redirects included. `allow_loopback_for_tests`: let 127.0.0.1
        and ::1 through the address check; only tests set it (they serve images from loopback); nothing in the
        policy or the environment reaches it."""
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.resolver = resolver
        self.tls = tls or default_tls()
        self.allow_loopback = allow_loopback_for_tests

    def fetch(self, url: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        current = url
        for _ in range(self.max_redirects + 1):
            status, location, body = self._get(current, deadline)
            if status in REDIRECTS:
                if not location:
                    raise PictureRefusedError(f"{_shown(current)} redirects without a Location", api="picture")
                current = urljoin(current, location)
                continue
            if status == 429 or status >= 500:
                raise RetryableError(f"{_shown(current)} answered HTTP {status}", api="picture", status=status)
            if status != 200:
                raise PictureRefusedError(f"{_shown(current)} answered HTTP {status}", api="picture", status=status)
            if not body.startswith(IMAGE_SIGNATURES):
                raise PictureRefusedError(
                    f"{_shown(url)} is not a jpg or png image (Zoom takes only those)", api="picture"
                )
            return body
        raise PictureRefusedError(f"{_shown(url)} redirects more than {self.max_redirects} times", api="picture")

    def _get(self, url: str, deadline: float) -> tuple[int, str | None, bytes]:
        """One GET, no redirect followed: (status, Location, body of a 200)."""
        host, port, target, addresses = self._checked(url)
        last: OSError | None = None
        for address in addresses:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            connection = _PinnedHTTPSConnection(host, port, address, context=self.tls, timeout=left)
            try:
                return self._exchange(connection, host, port, target, url, deadline)
            except ssl.SSLCertVerificationError as exc:
                raise PictureRefusedError(
                    f"{_shown(url)}: the server's certificate is not valid for {host}", api="picture"
                ) from exc
            except TimeoutError as exc:
                raise RetryableError(f"{_shown(url)}: no answer within {self.timeout:g} s", api="picture") from exc
            except (OSError, http.client.HTTPException) as exc:
                last = exc if isinstance(exc, OSError) else OSError(str(exc))
            finally:
                connection.close()
        raise RetryableError(
            f"{_shown(url)}: could not be fetched ({type(last).__name__ if last else 'timeout'})",
            api="picture",
            code="connection",
        )

    def _exchange(
        self, connection: _PinnedHTTPSConnection, host: str, port: int, target: str, url: str, deadline: float
    ) -> tuple[int, str | None, bytes]:
        host_header = host if port == 443 else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" if port == 443 else f"[{host}]:{port}"
        headers = {"Host": host_header, "User-Agent": USER_AGENT, "Accept": "image/png, image/jpeg"}
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location"), b""
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            raise PictureRefusedError(self._too_big(url, int(length)), api="picture")
        body = self._read(response, url, deadline)
        return 200, None, body

    def _read(self, response: Any, url: str, deadline: float) -> bytes:
        """The body, at most `max_bytes`, within the deadline (a server that drips bytes is cut off)."""
        parts: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise RetryableError(f"{_shown(url)}: no whole answer within {self.timeout:g} s", api="picture")
            chunk = response.read(min(CHUNK, self.max_bytes + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                raise PictureRefusedError(self._too_big(url, None), api="picture")
        if not size:
            raise PictureRefusedError(f"{_shown(url)} is empty", api="picture")
        return b"".join(parts)

    def _too_big(self, url: str, size: int | None) -> str:
        told = f" ({size} bytes)" if size is not None else ""
        return f"{_shown(url)} is larger than {self.max_bytes} bytes{told}; Zoom takes pictures up to 2 MB"

    def _checked(self, url: str) -> tuple[str, int, str, list[str]]:
        """(host, port, request target, checked addresses) of an https URL, or PictureRefusedError."""
        try:
            parts = urlsplit(url)
            port = parts.port or 443
        except ValueError as exc:
            raise PictureRefusedError(f"{_shown(url)} is not a valid URL: {exc}", api="picture") from exc
        if parts.scheme.lower() != "https":
            raise PictureRefusedError(
                f"{_shown(url)} is not an https URL; pictures are fetched over https only", api="picture"
            )
        host = parts.hostname or ""
        if not host:
            raise PictureRefusedError(f"{_shown(url)} names no host", api="picture")
        if parts.username is not None or parts.password is not None:
            raise PictureRefusedError(f"{_shown(url)} carries credentials; they are not sent", api="picture")
        try:
            addresses = list(self.resolver(host, port))
        except (OSError, UnicodeError) as exc:
            raise PictureRefusedError(f"{_shown(url)}: the host {host} does not resolve", api="picture") from exc
        if not addresses:
            raise PictureRefusedError(f"{_shown(url)}: the host {host} does not resolve", api="picture")
        for address in addresses:
            reason = refusal(address, allow_loopback=self.allow_loopback)
            if reason is not None:
                raise PictureRefusedError(f"{_shown(url)}: {host} resolves to {reason}; not fetched", api="picture")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return host, port, target, addresses


def _shown(url: str) -> str:
    """The URL as messages show it: no user info, no query string (either may carry a secret, e.g. a signed
    token), at most 200 characters."""
    head = url.split("?", 1)[0].split("#", 1)[0]
    scheme, separator, rest = head.partition("://")
    if separator:
        authority, slash, path = rest.partition("/")
        head = f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
    return head if len(head) <= 200 else head[:197] + "..."
