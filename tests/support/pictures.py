"""Profile pictures for tests: an https image server on loopback (a certificate made for it on the fly), image
bytes Zoom accepts, and the picture fetcher pointed at the server. Nothing here reaches the internet.

The fetcher refuses loopback addresses in production; `loopback_fetcher` is the one place that lets them through
(`allow_loopback_for_tests`), with a resolver that names the server `pictures.example`.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from okta_zoom_sync.adapters.pictures.fetcher import HttpsPictureFetcher

PICTURE_HOST = "pictures.example"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff\xe0"


def png(size: int = 64, fill: bytes = b"\x01") -> bytes:
    """Bytes that start like a PNG (Zoom and the fetcher judge the type by the signature), `size` long."""
    return (PNG + fill * size)[:size]


def jpeg(size: int = 64, fill: bytes = b"\x02") -> bytes:
    return (JPEG + fill * size)[:size]


@dataclass
class Served:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str | None] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for PICTURE_HOST and 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, PICTURE_HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(PICTURE_HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class PictureServer:
    """An https server on 127.0.0.1 answering each path as `serve` set it (404 otherwise); `hits` counts GETs."""

    def __init__(self, server: ThreadingHTTPServer, cert_file: Path) -> None:
        self._server = server
        self.cert_file = cert_file
        self.port = server.server_address[1]
        self.paths: dict[str, Served] = {}
        self.hits: dict[str, int] = {}

    def url(self, path: str, host: str = PICTURE_HOST) -> str:
        return f"https://{host}:{self.port}{path}"

    def serve(self, path: str, body: bytes = b"", status: int = 200, **options: object) -> str:
        self.paths[path] = Served(body, status, **options)  # type: ignore[arg-type]
        return self.url(path)

    def client_tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_file))

    def fetcher(self, **options: object) -> HttpsPictureFetcher:
        return loopback_fetcher(self, **options)


def loopback_fetcher(server: PictureServer, **options: object) -> HttpsPictureFetcher:
    """The fetcher as production builds it, but trusting the test certificate, resolving PICTURE_HOST (and any
    `*.loopback.example`) to 127.0.0.1, and letting loopback through its address check."""

    def resolver(host: str, port: int) -> list[str]:
        if host == PICTURE_HOST or host.endswith(".loopback.example"):
            return ["127.0.0.1"]
        try:
            return [str(ipaddress.ip_address(host))]  # an address in the URL resolves to itself
        except ValueError:
            pass
        raise OSError(f"test resolver: unknown host {host}")

    settings: dict[str, object] = {"resolver": resolver, "tls": server.client_tls(), "allow_loopback_for_tests": True}
    settings.update(options)
    return HttpsPictureFetcher(**settings)  # type: ignore[arg-type]


@contextmanager
def picture_server() -> Iterator[PictureServer]:
    with tempfile.TemporaryDirectory(prefix="ozs-pictures-") as folder:
        cert_file, key_file = _certificate(Path(folder))
        holder: dict[str, PictureServer] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served = holder["server"].paths.get(self.path.split("?", 1)[0])
                hits = holder["server"].hits
                hits[self.path] = hits.get(self.path, 0) + 1
                if served is None:
                    served = Served(b"not found", 404)
                if served.delay:
                    time.sleep(served.delay)
                self.send_response(served.status)
                headers = {"Content-Type": "image/png", "Content-Length": str(len(served.body)), **served.headers}
                for name, value in headers.items():
                    if value is not None:  # None: the header is left out (a body that ends with the connection)
                        self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the fetcher stopped reading
                    self.wfile.write(served.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        holder["server"] = PictureServer(server, cert_file)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield holder["server"]
        finally:
            server.shutdown()
            server.server_close()
