"""The picture fetcher against an https image server on loopback (tests/support/pictures.py): size and type limits,
redirects checked like the first URL, the certificate checked for the URL's host, a time limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from okta_zoom_sync.adapters.pictures.fetcher import MAX_PICTURE_BYTES, HttpsPictureFetcher
from okta_zoom_sync.errors import PictureRefusedError, RetryableError

from tests.support.pictures import PictureServer, jpeg, picture_server, png


@pytest.fixture
def server() -> Iterator[PictureServer]:
    with picture_server() as running:
        yield running


def test_a_png_and_a_jpeg_are_fetched(server: PictureServer) -> None:
    fetcher = server.fetcher()
    assert fetcher.fetch(server.serve("/a.png", png(500))) == png(500)
    assert fetcher.fetch(server.serve("/b.jpg", jpeg(700))) == jpeg(700)


def test_exactly_the_limit_passes_and_one_byte_more_is_refused(server: PictureServer) -> None:
    fetcher = server.fetcher()
    assert len(fetcher.fetch(server.serve("/max.png", png(MAX_PICTURE_BYTES)))) == MAX_PICTURE_BYTES
    with pytest.raises(PictureRefusedError, match="larger than"):
        fetcher.fetch(server.serve("/big.png", png(MAX_PICTURE_BYTES + 1)))


def test_a_body_without_a_length_is_cut_at_the_limit(server: PictureServer) -> None:
    # A server that does not say the length (the body ends with the connection) is still stopped at the limit,
    # and one that says a length too big is refused before its body is read.
    fetcher = server.fetcher(max_bytes=1000)
    url = server.serve("/unsized.png", png(5000), headers={"Content-Length": None, "Connection": "close"})
    with pytest.raises(PictureRefusedError, match="larger than 1000"):
        fetcher.fetch(url)
    assert fetcher.fetch(server.serve("/small-unsized.png", png(900), headers={"Content-Length": None})) == png(900)
    with pytest.raises(PictureRefusedError, match="5000 bytes"):
        fetcher.fetch(server.serve("/sized.png", png(5000)))


def test_what_is_not_a_jpg_or_png_is_refused(server: PictureServer) -> None:
    fetcher = server.fetcher()
    for path, body in {"/page.html": b"<html>hi</html>", "/a.gif": b"GIF89a....", "/empty.png": b""}.items():
        with pytest.raises(PictureRefusedError):
            fetcher.fetch(server.serve(path, body))


def test_a_missing_picture_is_refused_and_a_server_error_is_passing(server: PictureServer) -> None:
    fetcher = server.fetcher()
    with pytest.raises(PictureRefusedError, match="HTTP 404"):
        fetcher.fetch(server.url("/nothing.png"))
    with pytest.raises(RetryableError, match="HTTP 503"):
        fetcher.fetch(server.serve("/down.png", b"", status=503))


def test_a_redirect_is_followed_only_through_the_same_checks(server: PictureServer) -> None:
    fetcher = server.fetcher()
    server.serve("/real.png", png(100))
    hop = server.serve("/hop", status=302, headers={"Location": "/real.png"})
    assert fetcher.fetch(hop) == png(100)
    to_metadata = server.serve("/meta", status=301, headers={"Location": "https://169.254.169.254/latest/"})
    with pytest.raises(PictureRefusedError, match="link-local"):
        fetcher.fetch(to_metadata)
    to_http = server.serve("/plain", status=307, headers={"Location": f"http://127.0.0.1:{server.port}/real.png"})
    with pytest.raises(PictureRefusedError, match="not an https URL"):
        fetcher.fetch(to_http)
    server.serve("/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(PictureRefusedError, match="redirects more than"):
        fetcher.fetch(server.url("/loop"))


def test_loopback_is_refused_without_the_test_switch(server: PictureServer) -> None:
    url = server.serve("/a.png", png(100))
    fetcher = server.fetcher(allow_loopback_for_tests=False)
    with pytest.raises(PictureRefusedError, match="loopback"):
        fetcher.fetch(url)
    assert server.hits == {}  # refused before connecting


def test_the_certificate_must_match_the_urls_host(server: PictureServer) -> None:
    # other.loopback.example resolves to the same server, whose certificate names pictures.example only.
    url = server.serve("/a.png", png(100))
    with pytest.raises(PictureRefusedError, match="certificate"):
        server.fetcher().fetch(url.replace("pictures.example", "other.loopback.example"))
    # And the system's trust store does not know the test certificate at all.
    with pytest.raises(PictureRefusedError, match="certificate"):
        HttpsPictureFetcher(resolver=lambda host, port: ["127.0.0.1"], allow_loopback_for_tests=True).fetch(url)


def test_a_slow_server_is_cut_off_at_the_time_limit(server: PictureServer) -> None:
    url = server.serve("/slow.png", png(100), delay=2.0)
    with pytest.raises(RetryableError, match="within"):
        server.fetcher(timeout=0.5).fetch(url)
