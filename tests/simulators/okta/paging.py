"""Helpers the Okta route handlers share: integer and ``limit`` parameters, opaque ``after`` cursors and ``Link``
headers (self, next) of paginated lists, keyset pages, SCIM filter compilation, and the 404s of an unknown app or
group.

Pagination: ``Link: <...>; rel="self"`` and ``Link: <...>; rel="next"`` as separate header lines, absolute URLs,
opaque base64 ``after`` cursors; a malformed cursor gives 400 ``E0000054``. A ``limit`` above an endpoint's maximum
is clamped to it (``/apps/{id}/groups``: below its minimum 20 is raised to 20).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..filters import FilterError, compile_filter
from ..http import ApiError, Request
from .formats import okta_error

__all__ = ["PagingMixin"]


class PagingMixin:
    """Request helpers of the :class:`~tests.simulators.okta.OktaSimulator`'s route handlers."""

    app_id: str
    page_limit_default: int | None
    max_page_size: int | None

    def _int_param(self, request: Request, name: str) -> int | None:
        raw = request.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise ApiError(
                okta_error(400, "E0000001", f"Api validation failed: {name}", [f"{name}: invalid integer value"])
            ) from None

    def _limit(self, request: Request, default: int, maximum: int | None, minimum: int = 1) -> int:
        value = self._int_param(request, "limit")
        if value is None:
            value = self.page_limit_default if self.page_limit_default is not None else default
        if maximum is not None:
            value = min(value, maximum)
        if self.max_page_size is not None:  # a test knob: small pages without thousands of users
            value = min(value, self.max_page_size)
        return max(value, minimum)

    @staticmethod
    def _cursor(request: Request, kind: str) -> str | None:
        raw = request.query.get("after")
        if raw is None or raw == "":
            return None
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        prefix = f"{kind}:"
        if not decoded.startswith(prefix):
            raise ApiError(okta_error(400, "E0000054", "Invalid paging request.", ["after: invalid cursor"]))
        return decoded[len(prefix) :]

    def _page(self, request: Request, next_cursor: str | None, *, drop: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """Link headers: self, and next when ``next_cursor`` is given."""
        base = f"{self.url}{request.raw_path}"
        self_query = request.raw_query
        links = [("Link", f'<{base}{"?" + self_query if self_query else ""}>; rel="self"')]
        if next_cursor is not None:
            changes: dict[str, str | None] = dict.fromkeys(drop)
            changes["after"] = next_cursor
            links.append(("Link", f'<{base}?{self._query_with(request, **changes)}>; rel="next"'))
        return links

    @staticmethod
    def _keyset(items: list[Any], key: Any, after: str | None, limit: int) -> tuple[list[Any], str | None]:
        if after is not None:
            items = [item for item in items if key(item) > after]
        page = items[:limit]
        more = len(items) > limit
        return page, (key(page[-1]) if more and page else None)

    @staticmethod
    def _compile(expression: str, code: str = "E0000031") -> Any:
        try:
            return compile_filter(expression)
        except FilterError as exc:
            summary = "Invalid search criteria." if code == "E0000031" else "Invalid SCIM filter."
            raise ApiError(okta_error(400, code, summary, [str(exc)])) from None

    def _require_app(self, app_id: str) -> None:
        if app_id != self.app_id:
            raise ApiError(okta_error(404, "E0000007", f"Not found: Resource not found: {app_id} (AppInstance)"))

    def _require_group(self, gid: str) -> None:
        if gid not in self._groups:
            raise ApiError(okta_error(404, "E0000007", f"Not found: Resource not found: {gid} (UserGroup)"))
