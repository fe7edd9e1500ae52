"""Okta's wire formats, shared by the Okta simulator's modules: timestamps, Okta-like ids, random request and error
ids, opaque page cursors, and the two error bodies (the Management API's and the OAuth token endpoint's)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from collections.abc import Iterable
from datetime import UTC, datetime

from ..http import Response

__all__ = ["derived_id", "encode_cursor", "iso_ms", "oauth_error", "okta_error", "parse_time", "random_id"]

_ALNUM = string.ascii_letters + string.digits


def iso_ms(ts: float) -> str:
    """Okta's timestamp format, e.g. ``2024-08-13T15:58:20.353Z``."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(value: float | int | str | datetime) -> float:
    """Epoch seconds from an epoch number, an ISO-8601 string or a datetime (naive = UTC)."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def derived_id(prefix: str, key: str, length: int = 17) -> str:
    """A deterministic Okta-like id: ``prefix`` + ``length`` alphanumerics derived from ``key``."""
    number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest(), "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 62)
        chars.append(_ALNUM[rem])
    return prefix + "".join(chars)


def random_id(length: int) -> str:
    """A random alphanumeric string (ids of requests, errors, transactions: not secrets)."""
    raw = base64.b64encode(secrets.token_bytes(length)).decode()
    return "".join(c for c in raw if c.isalnum())[:length].ljust(length, "x")


def encode_cursor(kind: str, value: str | int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def okta_error(status: int, code: str, summary: str, causes: Iterable[str] = ()) -> Response:
    """An Okta API error answer."""
    return Response(
        status,
        {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": "oae" + random_id(22),
            "errorCauses": [{"errorSummary": cause} for cause in causes],
        },
    )


def oauth_error(status: int, error: str, description: str) -> Response:
    return Response(status, {"error": error, "error_description": description})
