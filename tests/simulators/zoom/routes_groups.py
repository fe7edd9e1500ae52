"""Zoom route handlers of groups: ``GET``/``POST /v2/groups``, ``GET /groups/{groupId}``, ``GET``/``POST
/groups/{groupId}/members`` and ``DELETE /groups/{groupId}/members/{memberId}``.

``POST /groups/{id}/members``: 201 even when already a member; unknown and pending users are skipped silently
(``ids`` lists only the users actually added). ``DELETE`` of a non-member -> 404 code 4131, unknown user -> 404 1001.
"""

from __future__ import annotations

from ..http import Request, Response
from .formats import iso_s, validation_error, zoom_error

__all__ = ["GroupRoutesMixin"]


class GroupRoutesMixin:
    """``/v2/groups/...`` handlers of the :class:`~tests.simulators.zoom.ZoomSimulator`."""

    def _h_list_groups(self, request: Request) -> Response:
        page, fields = self._paginate(request, "groups", self._ordered(self._groups))
        return Response(
            200,
            {
                "total_records": fields["total_records"],
                "groups": [self._group_json(g) for g in page],
                "next_page_token": fields["next_page_token"],
            },
        )

    def _h_create_group(self, request: Request) -> Response:
        name = self._body(request).get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise validation_error("name")
        if any(g["name"] == name for g in self._groups.values()):
            return zoom_error(409, 4132, f"Group name {name} is already in use.")
        gid = self.add_group(name)
        return Response(201, self._group_json(self._groups[gid]))

    def _h_get_group(self, request: Request, groupId: str) -> Response:
        return Response(200, self._group_json(self._group_or_404(groupId)))

    def _h_group_members(self, request: Request, groupId: str) -> Response:
        group = self._group_or_404(groupId)
        members = sorted(
            ({**self._users[uid], "_seq": seq} for uid, seq in group["members"].items()), key=lambda u: u["_seq"]
        )
        page, fields = self._paginate(request, f"group:{groupId}", members)
        body = [
            {
                "id": u["id"],
                "email": u["email"],
                "first_name": u["first_name"],
                "last_name": u["last_name"],
                "type": u["type"],
                "primary_group": bool(u["group_ids"]) and u["group_ids"][0] == groupId,
            }
            for u in page
        ]
        return Response(200, {**fields, "members": body})

    def _h_add_members(self, request: Request, groupId: str) -> Response:
        self._group_or_404(groupId)
        added = []
        for member in self._members_arg(request):
            uid = self._find(str(member.get("id") or member.get("email")))
            if uid is None or self._users[uid]["status"] == "pending":
                continue
            if self._join(groupId, uid):
                added.append(uid)
        return Response(201, {"ids": ",".join(added), "added_at": iso_s(self.now())})

    def _h_remove_member(self, request: Request, groupId: str, memberId: str) -> Response:
        group = self._group_or_404(groupId)
        user = self._user_or_404(memberId)
        if user["id"] not in group["members"]:
            return zoom_error(404, 4131, f"Group member does not exist: {memberId}.")
        self._leave(groupId, user["id"])
        return Response(204)
