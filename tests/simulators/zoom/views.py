"""The JSON the Zoom simulator answers with: a user as ``GET /users`` lists it and as ``GET /users/{id}`` returns it,
a group, a role."""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["ViewsMixin"]


class ViewsMixin:
    """Renders the :class:`~tests.simulators.zoom.ZoomSimulator`'s records as the API returns them."""

    account_id: str

    def _list_json(self, u: dict[str, Any], include: tuple[str, ...] = ()) -> dict[str, Any]:
        """A ``GET /users`` row: the list schema's fields only (no job_title, manager, phone_numbers, pic_url, ...;
        fact sheet §2); ``custom_attributes`` only when ``include_fields=custom_attributes`` asks for it."""
        body: dict[str, Any] = {}
        if u["status"] != "pending":
            body["id"] = u["id"]
        body.update(
            {
                "first_name": u["first_name"],
                "last_name": u["last_name"],
                "display_name": u["display_name"],
                "email": u["email"],
                "type": u["type"],
                "pmi": u["pmi"],
                "timezone": u["timezone"],
                "verified": u["verified"],
                "dept": u["dept"],
                "created_at": u["created_at"],
                "user_created_at": u["user_created_at"],
                "language": u["language"],
                "status": u["status"],
                "role_id": u["role_id"],
                "group_ids": list(u["group_ids"]),
            }
        )
        if "custom_attributes" in include:
            body["custom_attributes"] = [dict(a) for a in u.get("custom_attributes", [])]
        if u.get("_omit_role_id"):
            del body["role_id"]
        return body

    def _full_json(self, u: dict[str, Any]) -> dict[str, Any]:
        body = {
            k: ([dict(i) if isinstance(i, dict) else i for i in v] if isinstance(v, list) else v)
            for k, v in u.items()
            if not k.startswith("_")
        }
        body.update(
            {
                "role_name": self._roles[u["role_id"]]["name"] if u["role_id"] in self._roles else "",
                "account_id": self.account_id,
                "account_number": int(hashlib.sha256(self.account_id.encode()).hexdigest()[:8], 16) % 10**9,
                "personal_meeting_url": f"https://zoom.us/j/{u['pmi']}",
                "use_pmi": bool(u.get("use_pmi", False)),
                "phone_numbers": [dict(p) for p in u.get("phone_numbers", [])],
                "im_group_ids": [],
                "cluster": "us06",
                "jid": f"{u['id'].lower()}@xmpp.zoom.us",
            }
        )
        return body

    def _group_json(self, g: dict[str, Any], members: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"id": g["id"], "name": g["name"], "total_members": len(g["members"])}
        if members:
            body["member_ids"] = sorted(g["members"], key=lambda uid: g["members"][uid])
        return body

    def _role_json(self, r: dict[str, Any]) -> dict[str, Any]:
        members = sum(1 for u in self._users.values() if u["role_id"] == r["id"])
        return {
            "id": r["id"],
            "name": r["name"],
            "description": r["description"],
            "type": "common",
            "total_members": members,
        }
