"""The address check of the picture fetcher: only global unicast addresses; and the URL checks before any
connection (https only, every resolved address checked)."""

from __future__ import annotations

import pytest
from okta_zoom_sync.adapters.pictures.fetcher import HttpsPictureFetcher
from okta_zoom_sync.adapters.pictures.guard import refusal
from okta_zoom_sync.errors import PictureRefusedError


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata endpoint
        ("169.254.170.2", "link-local"),  # ECS task metadata
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.1", "not a public"),  # carrier-grade NAT
        ("192.0.2.10", "private"),  # documentation (TEST-NET-1)
        ("240.0.0.1", "private"),  # reserved
        ("not-an-ip", "not an IP address"),
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address: str, why: str) -> None:
    reason = refusal(address)
    assert reason is not None and why in reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_the_loopback_switch_lets_only_loopback_through() -> None:
    assert refusal("127.0.0.1", allow_loopback=True) is None
    assert refusal("::1", allow_loopback=True) is None
    assert refusal("::ffff:127.0.0.1", allow_loopback=True) is None
    assert "private" in (refusal("10.0.0.1", allow_loopback=True) or "")
    assert "link-local" in (refusal("169.254.169.254", allow_loopback=True) or "")


def _never_resolve(host: str, port: int) -> list[str]:
    raise AssertionError(f"resolved {host}: the URL should have been refused before")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://pictures.example/a.png", "not an https URL"),
        ("ftp://pictures.example/a.png", "not an https URL"),
        ("file:///etc/passwd", "not an https URL"),
        ("https:///a.png", "names no host"),
        ("https://user:secret@pictures.example/a.png", "credentials"),
        ("pictures.example/a.png", "not an https URL"),
    ],
)
def test_urls_other_than_plain_https_are_refused_before_resolving(url: str, why: str) -> None:
    fetcher = HttpsPictureFetcher(resolver=_never_resolve)
    with pytest.raises(PictureRefusedError) as caught:
        fetcher.fetch(url)
    assert why in caught.value.message
    assert "secret" not in caught.value.message


def test_a_host_with_any_private_address_is_refused_before_connecting() -> None:
    # One public and one private answer (a DNS name an attacker controls): refused, nothing connected.
    fetcher = HttpsPictureFetcher(resolver=lambda host, port: ["93.184.216.34", "169.254.169.254"])
    with pytest.raises(PictureRefusedError) as caught:
        fetcher.fetch("https://evil.example/a.png?token=abc")
    assert "169.254.169.254" in caught.value.message and "evil.example" in caught.value.message
    assert "token=abc" not in caught.value.message  # a query string may carry a signed token


def test_an_ip_literal_url_is_checked_too() -> None:
    fetcher = HttpsPictureFetcher(resolver=lambda host, port: [host])
    for url in ("https://169.254.169.254/latest/meta-data/", "https://[::ffff:127.0.0.1]/a.png", "https://10.0.0.7/"):
        with pytest.raises(PictureRefusedError):
            fetcher.fetch(url)


def test_a_host_that_does_not_resolve_is_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(PictureRefusedError, match="does not resolve"):
        HttpsPictureFetcher(resolver=resolver).fetch("https://nowhere.example/a.png")
