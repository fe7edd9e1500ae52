"""The one rule for the base URLs the sync calls: https, or plain http to a loopback host (the local
simulators), and never credentials in the URL. The settings and the HTTP transport both apply it."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str | None) -> bool:
    """`localhost` or a loopback IP address (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(name: str, value: str) -> str:
    """`value` without its trailing slash if it is an https URL (or plain http to a loopback host) that carries
    no credentials; otherwise ValueError naming the setting `name` (never echoing the value: it may hold a
    password)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute https URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{name} must use https (plain http is allowed only for loopback hosts)")
    if parts.username or parts.password:
        raise ValueError(f"{name} must not carry credentials")
    return value.rstrip("/")
