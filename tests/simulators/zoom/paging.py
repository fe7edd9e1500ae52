"""Helpers the Zoom route handlers share: JSON or form bodies, the lookups that answer the API's 404 (or 400 for a
role, 1120 for an expired invitation), ``members`` arguments, and pagination with server-side ``next_page_token``s.
Control API: ``expire_page_tokens``.

Pagination: opaque ``next_page_token`` (server-side, valid 15 minutes of the simulator clock, ``""`` at the end; an
unknown/expired one gives 400 code 300). ``page_size`` above the maximum (``page_size_max``) is clamped.
"""

from __future__ import annotations

import math
import secrets
import threading
from typing import Any

from ..http import ApiError, Request
from .formats import validation_error, zoom_error

__all__ = ["PagingMixin"]

_PAGE_TOKEN_TTL = 15 * 60


class PagingMixin:
    """Request helpers of the :class:`~tests.simulators.zoom.ZoomSimulator`'s route handlers (page-token state set
    up by ``_init_paging``)."""

    _lock: threading.RLock
    page_size_max: int

    def _init_paging(self) -> None:
        self._page_tokens: dict[str, dict[str, Any]] = {}

    def expire_page_tokens(self) -> None:
        """Every next_page_token handed out so far becomes invalid (400 code 300)."""
        with self._lock:
            self._page_tokens.clear()

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        if request.content_type == "application/x-www-form-urlencoded":
            return dict(request.form())
        try:
            data = request.json() if request.body else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ApiError(zoom_error(400, 300, "Request Body should be a valid JSON object."))
        return data

    def _user_or_404(self, key: str) -> dict[str, Any]:
        uid = self._find(key)
        if uid is None:
            raise ApiError(zoom_error(404, 1001, f"User does not exist: {key}."))
        return self._users[uid]

    def _invited_user(self, key: str) -> dict[str, Any]:
        """``_user_or_404``, plus 400 code 1120 for a pending user whose invitation expired (GET/PATCH/DELETE)."""
        user = self._user_or_404(key)
        if user["status"] == "pending" and user.get("_invite_expired"):
            raise ApiError(
                zoom_error(400, 1120, "A valid invitation to join the Zoom account was not found for this user.")
            )
        return user

    def _group_or_404(self, gid: str) -> dict[str, Any]:
        if gid not in self._groups:
            raise ApiError(zoom_error(404, 4130, f"A group with this {gid} does not exist."))
        return self._groups[gid]

    def _role_or_400(self, rid: str) -> dict[str, Any]:
        if rid not in self._roles:
            raise ApiError(zoom_error(400, 1034, f"Role does not exist: {rid}."))
        return self._roles[rid]

    def _members_arg(self, request: Request) -> list[dict[str, Any]]:
        members = self._body(request).get("members")
        if not isinstance(members, list) or not members or len(members) > 30:
            raise validation_error("members")
        if not all(isinstance(m, dict) and (m.get("id") or m.get("email")) for m in members):
            raise validation_error("members")
        return members

    def _page_size(self, request: Request, default: int = 30) -> int:
        raw = request.query.get("page_size")
        if raw in (None, ""):
            return default
        try:
            value = int(str(raw))
        except ValueError:
            raise validation_error("page_size") from None
        return max(1, min(value, self.page_size_max))

    def _paginate(self, request: Request, kind: str, items: list[dict[str, Any]]) -> tuple[list[Any], dict[str, Any]]:
        """Keyset pagination on ``_seq`` with server-side tokens. Returns (page, pagination fields)."""
        size = self._page_size(request)
        token = request.query.get("next_page_token") or ""
        start = 0
        if token:
            state = self._page_tokens.get(token)
            if state is None or state["kind"] != kind or state["expires_at"] <= self.now():
                raise ApiError(zoom_error(400, 300, "The next page token is invalid or expired."))
            start = sum(1 for item in items if item["_seq"] <= state["last"])
        elif request.query.get("page_number"):
            try:
                start = (max(1, int(request.query["page_number"])) - 1) * size
            except ValueError:
                raise validation_error("page_number") from None
        page = items[start : start + size]
        next_token = ""
        if start + size < len(items) and page:
            next_token = secrets.token_urlsafe(24)[:32]
            self._page_tokens[next_token] = {
                "kind": kind,
                "last": page[-1]["_seq"],
                "expires_at": self.now() + _PAGE_TOKEN_TTL,
            }
        fields = {
            "page_count": math.ceil(len(items) / size) if items else 0,
            "page_number": start // size + 1,
            "page_size": size,
            "total_records": len(items),
            "next_page_token": next_token,
        }
        return page, fields
