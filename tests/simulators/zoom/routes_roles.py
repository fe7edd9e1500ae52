"""Zoom route handlers of roles: ``GET /v2/roles``, ``GET /roles/{roleId}``, ``GET``/``POST
/roles/{roleId}/members`` and ``DELETE /roles/{roleId}/members/{memberId}``.

``DELETE /roles/{roleId}/members/{memberId}`` when the user does not hold that role -> 400 code 300; unknown user
-> 404 code 1001. ``POST /roles/{roleId}/members`` for the Owner user -> 400 code 300; unknown user -> 404 1001.
Role members listings leave pending users out.
"""

from __future__ import annotations

from ..http import Request, Response
from .formats import iso_s, zoom_error

__all__ = ["RoleRoutesMixin"]


class RoleRoutesMixin:
    """``/v2/roles/...`` handlers of the :class:`~tests.simulators.zoom.ZoomSimulator`."""

    def _h_list_roles(self, request: Request) -> Response:
        kind = request.query.get("type") or "common"
        roles = [self._role_json(r) for r in self._ordered(self._roles)] if kind == "common" else []
        return Response(200, {"total_records": len(roles), "roles": roles})

    def _h_get_role(self, request: Request, roleId: str) -> Response:
        role = self._role_json(self._role_or_400(roleId))
        return Response(200, {**role, "privileges": []})

    def _h_role_members(self, request: Request, roleId: str) -> Response:
        self._role_or_400(roleId)
        members = [u for u in self._ordered(self._users) if u["role_id"] == roleId and u["status"] != "pending"]
        page, fields = self._paginate(request, f"role:{roleId}", members)
        body = [
            {
                "id": u["id"],
                "email": u["email"],
                "first_name": u["first_name"],
                "last_name": u["last_name"],
                "type": u["type"],
                "department": u["dept"],
            }
            for u in page
        ]
        return Response(200, {**fields, "members": body})

    def _h_assign_role(self, request: Request, roleId: str) -> Response:
        self._role_or_400(roleId)
        if roleId in ("0", "2"):
            return zoom_error(400, 300, "Can't delete or add members for Normal/Owner roles.")
        members = self._members_arg(request)
        users = []
        for member in members:
            key = str(member.get("id") or member.get("email"))
            user = self._user_or_404(key)
            if user["role_id"] == "0":
                return zoom_error(400, 300, f"The role of the account owner cannot be changed: {key}.")
            users.append(user)
        for user in users:
            user["role_id"] = roleId
        return Response(201, {"ids": ",".join(u["id"] for u in users), "add_at": iso_s(self.now())})

    def _h_unassign_role(self, request: Request, roleId: str, memberId: str) -> Response:
        self._role_or_400(roleId)
        if roleId in ("0", "2"):
            return zoom_error(400, 300, "Can't delete or add members for Normal/Owner roles.")
        user = self._user_or_404(memberId)
        if user["role_id"] != roleId:
            return zoom_error(400, 300, f"The user {memberId} does not hold the role {roleId}.")
        user["role_id"] = "2"
        return Response(204)
