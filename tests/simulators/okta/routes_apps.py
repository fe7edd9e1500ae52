"""Okta route handlers of the app: ``GET /api/v1/apps/{appId}``, ``/apps/{appId}/users[/{userId}]`` (the effective
app users, ``q`` and ``expand=user``) and ``/apps/{appId}/groups[/{groupId}]`` (group assignments, ``q`` and
``expand=group``)."""

from __future__ import annotations

import heapq

from ..http import Request, Response
from .formats import encode_cursor, okta_error

__all__ = ["AppRoutesMixin"]


class AppRoutesMixin:
    """``/api/v1/apps/...`` handlers of the :class:`~tests.simulators.okta.OktaSimulator`."""

    def _h_app(self, request: Request, appId: str) -> Response:
        self._require_app(appId)
        return Response(200, self._app_json())

    def _h_app_users(self, request: Request, appId: str) -> Response:
        self._require_app(appId)
        limit = self._limit(request, 50, 500)
        after = self._cursor(request, "au")
        expand = request.query.get("expand") == "user"
        # The page is the `limit` smallest ids after the cursor among the effective app users (keyset order), found
        # without sorting every user on every page: at 100,000 users a full run asks for 200 pages.
        by_priority = self._groups_by_priority()
        found = ((uid, self._effective_of(uid, by_priority)) for uid in self._users if after is None or uid > after)
        rows = ((uid, value) for uid, value in found if value is not None)
        q = (request.query.get("q") or "").lower()
        if q:

            def hit(uid: str) -> bool:
                if uid in self._blank_app_users:
                    return False
                p = self._users[uid]["profile"]
                values = (self._username(uid), p.get("firstName"), p.get("lastName"), p.get("email"))
                return any(str(v or "").lower().startswith(q) for v in values)

            rows = (row for row in rows if hit(row[0]))
        chosen = heapq.nsmallest(limit + 1, rows)  # ids are unique: tuples order by id
        page = chosen[:limit]
        last = page[-1][0] if len(chosen) > limit and page else None
        body = [self._app_user_json(uid, scope, gid, expand) for uid, (scope, gid) in page]
        return Response(200, body, self._page(request, None if last is None else encode_cursor("au", last)))

    def _h_app_user(self, request: Request, appId: str, userId: str) -> Response:
        self._require_app(appId)
        found = self._effective_of(userId) if userId in self._users else None
        if found is None:
            return okta_error(404, "E0000007", f"Not found: Resource not found: {userId} (AppUser)")
        return Response(200, self._app_user_json(userId, found[0], found[1], request.query.get("expand") == "user"))

    def _h_app_groups(self, request: Request, appId: str) -> Response:
        self._require_app(appId)
        limit = self._limit(request, 20, 200, minimum=20)
        after = self._cursor(request, "ag")
        q = (request.query.get("q") or "").lower()
        gids = sorted(g for g in self._group_assign if self._groups[g]["profile"]["name"].lower().startswith(q))
        page, last = self._keyset(gids, lambda g: g, after, limit)
        body = []
        for gid in page:
            item = self._assignment_json(gid)
            if request.query.get("expand") == "group":
                item["_embedded"] = {"group": self._group_json(gid)}
            body.append(item)
        return Response(200, body, self._page(request, None if last is None else encode_cursor("ag", last)))

    def _h_app_group(self, request: Request, appId: str, groupId: str) -> Response:
        self._require_app(appId)
        if groupId not in self._group_assign:
            return okta_error(404, "E0000007", f"Not found: Resource not found: {groupId} (ApplicationGroupAssignment)")
        return Response(200, self._assignment_json(groupId))
