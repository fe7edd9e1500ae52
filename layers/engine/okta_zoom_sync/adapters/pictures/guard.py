"""Which addresses a profile picture may be fetched from: public unicast addresses only.

A picture URL comes from an Okta profile attribute, which users or other systems may be able to edit: fetching it
from inside the function's network could reach the cloud's metadata endpoint (169.254.169.254) or private
services. Every address the host resolves to is checked, and the connection goes to a checked address.
"""

from __future__ import annotations

import ipaddress

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> IpAddress:
    """An address as getaddrinfo gives it (an IPv6 zone, `%eth0`, dropped), an IPv4-mapped IPv6 address as the
    IPv4 address it maps (::ffff:127.0.0.1 is the loopback)."""
    address = ipaddress.ip_address(text.partition("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal(text: str, *, allow_loopback: bool = False) -> str | None:
    """Why a picture may not be fetched from this address, or None when it may (a global unicast address).
    `allow_loopback` lets the loopback through: for tests only, which serve images from 127.0.0.1."""
    try:
        address = parse_address(text)
    except ValueError:
        return f"{text!r} is not an IP address"
    if address.is_loopback:
        return None if allow_loopback else f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address (cloud metadata endpoints live there)"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_private:
        return f"{address} is a private address"
    if address.is_reserved or not address.is_global:
        return f"{address} is not a public address"
    return None
