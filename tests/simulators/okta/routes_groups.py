"""Okta route handlers of groups: ``GET /api/v1/groups`` (``q``, ``filter``, ``search``), ``/groups/{groupId}`` and
``/groups/{groupId}/users`` (DEPROVISIONED members included: Okta does not remove them from groups)."""

from __future__ import annotations

from ..http import Request, Response
from .formats import encode_cursor

__all__ = ["GroupRoutesMixin"]


class GroupRoutesMixin:
    """``/api/v1/groups/...`` handlers of the :class:`~tests.simulators.okta.OktaSimulator`."""

    def _h_groups(self, request: Request) -> Response:
        limit = self._limit(request, 200, 10000)
        after = self._cursor(request, "g")
        groups = [self._group_json(gid) for gid in sorted(self._groups)]
        q = (request.query.get("q") or "").lower()
        if q:
            groups = [g for g in groups if g["profile"]["name"].lower().startswith(q)]
        for param in ("filter", "search"):
            if request.query.get(param):
                predicate = self._compile(request.query[param])
                groups = [g for g in groups if predicate(g)]
        page, last = self._keyset(groups, lambda g: g["id"], after, limit)
        return Response(200, page, self._page(request, None if last is None else encode_cursor("g", last)))

    def _h_group(self, request: Request, groupId: str) -> Response:
        self._require_group(groupId)
        return Response(200, self._group_json(groupId))

    def _h_group_users(self, request: Request, groupId: str) -> Response:
        self._require_group(groupId)
        limit = self._limit(request, 1000, None)
        after = self._cursor(request, "gu")
        page, last = self._keyset(sorted(self._members[groupId]), lambda u: u, after, limit)
        body = [self._user_json(uid) for uid in page]
        return Response(200, body, self._page(request, None if last is None else encode_cursor("gu", last)))
