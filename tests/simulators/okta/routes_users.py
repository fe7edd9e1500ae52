"""Okta route handlers of users: ``GET /api/v1/users``, ``/users/{idOrLogin}`` and ``/users/{id}/groups``.

- ``/api/v1/users`` without ``filter``/``search`` omits DEPROVISIONED users; with them it includes them.
- ``filter``/``search`` evaluate SCIM expressions over the User object, e.g. ``search=profile.email eq "x@y"``
  (string comparisons ignore case; the login need not be an email).
- ``/users/{id}/groups`` accepts ``okta.users.read`` or ``okta.groups.read``.
"""

from __future__ import annotations

import hashlib

from ..http import Request, Response
from .formats import encode_cursor, okta_error

__all__ = ["UserRoutesMixin"]


class UserRoutesMixin:
    """``/api/v1/users/...`` handlers of the :class:`~tests.simulators.okta.OktaSimulator`."""

    def _lookup_user(self, key: str) -> str | None:
        if key in self._users:
            return key
        found = self._find_user_by_login(key)
        if found is not None:
            return found
        short = [
            uid for uid, u in self._users.items() if str(u["profile"]["login"]).lower().split("@")[0] == key.lower()
        ]
        return short[0] if len(short) == 1 else None

    def _h_users(self, request: Request) -> Response:
        users = [self._user_json(uid) for uid in sorted(self._users)]
        q = (request.query.get("q") or "").lower()
        expression = request.query.get("search") or request.query.get("filter")
        if expression:
            predicate = self._compile(expression)
            users = [u for u in users if predicate(u)]
        else:
            users = [u for u in users if u["status"] != "DEPROVISIONED"]
        if q:
            fields = ("login", "email", "firstName", "lastName")
            users = [u for u in users if any(str(u["profile"].get(f) or "").lower().startswith(q) for f in fields)]
        limit = self._limit(request, 10 if q else 200, 200 if q else 10000)
        after = self._cursor(request, "u")
        page, last = self._keyset(users, lambda u: u["id"], after, limit)
        return Response(200, page, self._page(request, None if last is None else encode_cursor("u", last)))

    def _h_user(self, request: Request, id: str) -> Response:
        uid = self._lookup_user(id)
        if uid is None:
            return okta_error(404, "E0000007", f"Not found: Resource not found: {id} (User)")
        body = self._user_json(uid)
        etag = hashlib.sha1(repr(sorted(body["profile"].items())).encode() + body["status"].encode()).hexdigest()[:16]
        return Response(200, body).header("ETag", f'W/"{etag}"')

    def _h_user_groups(self, request: Request, id: str) -> Response:
        uid = self._lookup_user(id)
        if uid is None:
            return okta_error(404, "E0000007", f"Not found: Resource not found: {id} (User)")
        body = [self._group_json(gid) for gid in sorted(self._groups) if uid in self._members[gid]]
        return Response(200, body)
