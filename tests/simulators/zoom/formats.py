"""Zoom's wire formats, shared by the Zoom simulator's modules: timestamps, Zoom-like ids, the ``{code, message}``
error body (with ``errors`` for validation failures), and email validation."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..http import ApiError, Response

__all__ = ["QPS_MESSAGE", "iso_s", "valid_email", "validation_error", "zoom_error", "zoom_id"]

QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."


def iso_s(ts: float) -> str:
    """Zoom's timestamp format, e.g. ``2026-11-28T21:40:01Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def zoom_id(key: str) -> str:
    """A deterministic 22-character Zoom-like id derived from ``key``."""
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode("utf-8")).digest()).decode()[:22]


def zoom_error(status: int, code: int, message: str, errors: Iterable[tuple[str, str]] = ()) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    fields = [{"field": f, "message": m} for f, m in errors]
    if fields:
        body["errors"] = fields
    return Response(status, body)


def validation_error(*fields: str) -> ApiError:
    return ApiError(zoom_error(400, 300, "Validation Failed.", [(f, "Invalid field.") for f in fields]))


def valid_email(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 128 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    return bool(local) and "." in domain and " " not in value
