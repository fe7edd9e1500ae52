"""The Zoom account's state: users (every status, pending included), groups and roles (built-in and custom), with
the control API tests call to change them (``add_user``, ``update_user``, ``set_status``, ``set_role``,
``accept_invitation``, ``remove_user``, ``add_group``, ``add_group_member``, ``remove_group_member``, ``add_role``,
``rename_role``, ``rename_group``, ``define_custom_attribute``, ``expire_invitation``, ``omit_role_id``,
``hide_from_list``) and to read them (``users``, ``user``, ``user_by_email``, ``groups``, ``group_by_name``, ``roles``,
``role``, ``role_by_name``, ``custom_attributes``, ``invitations_sent``, ``owner_id``, ``owner_email``). The control
API applies no API rule; the route handlers do.

``rename_group(group, new_name)``: an administrator renames a group in the web portal; its id stays (a client that
linked the group by id still finds it). ``invitations_sent(email)``: how many invitation emails ``POST /users``
with ``action=create`` sent to that address (a re-sent invitation counts again).

``rename_role(role, new_name)`` renames any role, built-ins included (e.g. a Member role named ``member``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from typing import Any

from .formats import iso_s, zoom_id

__all__ = ["BUILTIN_ROLES", "WorldMixin"]

BUILTIN_ROLES = {"0": "Owner", "1": "Admin", "2": "Member"}
_ROLE_DESCRIPTIONS = {
    "0": "Account owner has full privileges to access and manage a Zoom account.",
    "1": "Admins have wide-range privileges to access and manage a Zoom account.",
    "2": "Members have access to basic Zoom video meeting functions but no account management privileges.",
}


class WorldMixin:
    """Users, groups and roles of the :class:`~tests.simulators.zoom.ZoomSimulator` (state set up by
    ``_init_world``, which adds the Owner)."""

    _lock: threading.RLock

    def _init_world(self, owner_email: str, owner_first_name: str, owner_last_name: str) -> None:
        self._seq = 0
        self._users: dict[str, dict[str, Any]] = {}
        self._emails: dict[str, str] = {}  # lower-cased email -> user id
        self._groups: dict[str, dict[str, Any]] = {}
        self._roles: dict[str, dict[str, Any]] = {}
        self._custom_attributes: dict[str, str] = {}  # key -> name, defined in the account's settings
        self._invitations: dict[str, int] = {}  # lower-cased email -> invitation emails sent
        for rid, name in BUILTIN_ROLES.items():
            self._roles[rid] = {"id": rid, "name": name, "description": _ROLE_DESCRIPTIONS[rid], "_seq": self._next()}
        self._owner_id = self.add_user(owner_email, owner_first_name, owner_last_name, type=2, role="Owner")

    # ================================================================== control API

    def add_user(
        self,
        email: str,
        first_name: str = "",
        last_name: str = "",
        type: int = 1,
        status: str = "active",
        role: str = "Member",
        groups: Iterable[str] = (),
        id: str | None = None,
        **fields: Any,
    ) -> str:
        """Add a user (status active, inactive or pending) and return its id. Pending users get an id too (the API
        hides it in listings). ``role``: a role name or id; ``groups``: group names or ids; ``fields``: any other
        user field (dept, job_title, timezone, login_types=[101], ...)."""
        if status not in ("active", "inactive", "pending"):
            raise ValueError(f"unknown Zoom user status: {status}")
        with self._lock:
            if self._find(email) is not None:
                raise ValueError(f"email already in the account: {email}")
            uid = id or self._unique(f"user:{email.lower()}", self._users)
            if uid in self._users:
                raise ValueError(f"user id already used: {uid}")
            role_id = self._resolve_role(role)
            now = self.now()
            user = {
                "id": uid,
                "first_name": first_name,
                "last_name": last_name,
                "display_name": f"{first_name} {last_name}".strip(),
                "email": email,
                "type": type,
                "pmi": int(hashlib.sha256(uid.encode()).hexdigest()[:9], 16) % 9_000_000_000 + 1_000_000_000,
                "timezone": "America/Los_Angeles",
                "verified": 1,
                "dept": "",
                "created_at": iso_s(now),
                "user_created_at": iso_s(now),
                "language": "en-US",
                "status": status,
                "role_id": role_id,
                "job_title": "",
                "company": "",
                "location": "",
                "login_types": [100],
                "group_ids": [],
                "_seq": self._next(),
                "_email_changes": [],
            }
            user.update(fields)
            self._users[uid] = user
            self._emails[email.lower()] = uid
            for group in groups:
                self._join(self._resolve_group(group), uid)
            return uid

    def update_user(self, user: str, **fields: Any) -> None:
        """Set user fields directly (any field, ``email``/``role``/``status`` included), without API rules."""
        with self._lock:
            record = self._users[self._resolve_user(user)]
            if "role" in fields:
                record["role_id"] = self._resolve_role(fields.pop("role"))
            if "email" in fields:
                other = self._find(fields["email"])
                if other is not None and other != record["id"]:
                    raise ValueError(f"email already in the account: {fields['email']}")
                self._set_email(record["id"], fields.pop("email"))
            record.update(fields)

    def set_status(self, user: str, status: str) -> None:
        """active / inactive / pending, without API rules (deactivation does not change the type here)."""
        if status not in ("active", "inactive", "pending"):
            raise ValueError(f"unknown Zoom user status: {status}")
        self.update_user(user, status=status)

    def set_role(self, user: str, role: str) -> None:
        """Give a user a role (name or id), Owner and Member included, without API rules."""
        self.update_user(user, role=role)

    def accept_invitation(self, user: str) -> None:
        """A pending user accepts the invitation: becomes active."""
        with self._lock:
            record = self._users[self._resolve_user(user)]
            if record["status"] != "pending":
                raise ValueError(f"user is not pending: {user}")
            record["status"] = "active"
            record["user_created_at"] = iso_s(self.now())

    def remove_user(self, user: str) -> None:
        with self._lock:
            self._delete(self._resolve_user(user))

    def add_group(self, name: str, id: str | None = None) -> str:
        with self._lock:
            if self.group_by_name(name) is not None:
                raise ValueError(f"group name already used: {name}")
            gid = id or self._unique(f"group:{name}", self._groups)
            self._groups[gid] = {"id": gid, "name": name, "members": {}, "_seq": self._next()}
            return gid

    def add_group_member(self, group: str, user: str) -> None:
        with self._lock:
            self._join(self._resolve_group(group), self._resolve_user(user))

    def remove_group_member(self, group: str, user: str) -> None:
        with self._lock:
            self._leave(self._resolve_group(group), self._resolve_user(user))

    def add_role(self, name: str, description: str = "", id: str | None = None) -> str:
        """Add a custom role and return its id."""
        with self._lock:
            if self.role_by_name(name) is not None:
                raise ValueError(f"role name already used: {name}")
            rid = id or self._unique(f"role:{name}", self._roles)
            self._roles[rid] = {"id": rid, "name": name, "description": description, "_seq": self._next()}
            return rid

    def rename_role(self, role: str, new_name: str) -> None:
        """Rename a role (id or name), built-ins included (e.g. ``rename_role("Member", "member")``)."""
        with self._lock:
            rid = self._resolve_role(role)
            other = self.role_by_name(new_name)
            if other is not None and other["id"] != rid:
                raise ValueError(f"role name already used: {new_name}")
            self._roles[rid]["name"] = new_name

    def rename_group(self, group: str, new_name: str) -> None:
        """Rename a group (id or name) as an administrator would in the web portal; its id stays."""
        with self._lock:
            gid = self._resolve_group(group)
            other = self.group_by_name(new_name)
            if other is not None and other["id"] != gid:
                raise ValueError(f"group name already used: {new_name}")
            self._groups[gid]["name"] = new_name

    def define_custom_attribute(self, name: str, key: str | None = None) -> str:
        """Define a custom user attribute in the account's settings and return its key (``cbf_...``), the key
        ``PATCH /users/{id}`` ``custom_attributes[].key`` must name (see profile.py)."""
        with self._lock:
            if name in self._custom_attributes.values():
                raise ValueError(f"custom attribute already defined: {name}")
            attribute_key = key or "cbf_" + zoom_id(f"attribute:{name}").lower().replace("-", "").replace("_", "")[:22]
            self._custom_attributes[attribute_key] = name
            return attribute_key

    def expire_invitation(self, user: str) -> None:
        """A pending user's invitation expires: GET/PATCH/DELETE /users/{userId} answer 400 code 1120 while the user
        stays pending (still listed with ``status=pending``). See routes_users.py."""
        with self._lock:
            record = self._users[self._resolve_user(user)]
            if record["status"] != "pending":
                raise ValueError(f"user is not pending: {user}")
            record["_invite_expired"] = True

    def omit_role_id(self, user: str, omit: bool = True) -> None:
        """The user's rows in GET /users listings have no ``role_id`` key (``omit=False`` puts it back)."""
        with self._lock:
            self._users[self._resolve_user(user)]["_omit_role_id"] = omit

    def hide_from_list(self, user: str, hidden: bool = True) -> None:
        """The user is counted in GET /users ``total_records`` but missing from its pages (``hidden=False``: shown)."""
        with self._lock:
            self._users[self._resolve_user(user)]["_hidden"] = hidden

    # ================================================================== read access

    @property
    def owner_id(self) -> str:
        return self._owner_id

    @property
    def owner_email(self) -> str:
        with self._lock:
            return str(self._users[self._owner_id]["email"])

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        """id -> user (every status, pending included, each with its id and ``role_name``)."""
        with self._lock:
            return {u["id"]: self._full_json(u) for u in self._ordered(self._users)}

    def user(self, user: str) -> dict[str, Any]:
        with self._lock:
            return self._full_json(self._users[self._resolve_user(user)])

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        with self._lock:
            uid = self._find(email)
            return None if uid is None else self._full_json(self._users[uid])

    @property
    def groups(self) -> dict[str, dict[str, Any]]:
        """id -> {id, name, total_members, member_ids}."""
        with self._lock:
            return {g["id"]: self._group_json(g, members=True) for g in self._ordered(self._groups)}

    def group_by_name(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = next((g for g in self._groups.values() if g["name"] == name), None)
            return None if found is None else self._group_json(found, members=True)

    @property
    def roles(self) -> dict[str, str]:
        """id -> role name (``{"0": "Owner", "1": "Admin", "2": "Member", ...}``)."""
        with self._lock:
            return {r["id"]: r["name"] for r in self._ordered(self._roles)}

    def role(self, role: str) -> dict[str, Any]:
        """{id, name, description, type, total_members} of a role named by id or name."""
        with self._lock:
            return self._role_json(self._roles[self._resolve_role(role)])

    @property
    def custom_attributes(self) -> dict[str, str]:
        """key -> name of the account's custom attributes."""
        with self._lock:
            return dict(self._custom_attributes)

    def invitations_sent(self, email: str) -> int:
        with self._lock:
            return self._invitations.get(email.lower(), 0)

    def role_by_name(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = next((r for r in self._roles.values() if r["name"].lower() == name.lower()), None)
            return None if found is None else self._role_json(found)

    # ================================================================== internals

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    @staticmethod
    def _unique(key: str, taken: dict[str, Any]) -> str:
        candidate, n = zoom_id(key), 0
        while candidate in taken:
            n += 1
            candidate = zoom_id(f"{key}#{n}")
        return candidate

    @staticmethod
    def _ordered(items: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(items.values(), key=lambda item: item["_seq"])

    def _find(self, key: str) -> str | None:
        if key in self._users:
            return key
        return self._emails.get(key.lower())

    def _set_email(self, uid: str, email: str) -> None:
        old = self._users[uid].get("email")
        if old is not None:
            self._emails.pop(str(old).lower(), None)
        self._users[uid]["email"] = email
        self._emails[email.lower()] = uid

    def _resolve_user(self, user: str) -> str:
        uid = self._find(user)
        if uid is None:
            raise KeyError(f"no such Zoom user: {user}")
        return uid

    def _resolve_group(self, group: str) -> str:
        if group in self._groups:
            return group
        gid = next((g for g, rec in self._groups.items() if rec["name"] == group), None)
        if gid is None:
            raise KeyError(f"no such Zoom group: {group}")
        return gid

    def _resolve_role(self, role: str) -> str:
        if role in self._roles:
            return role
        rid = next((r for r, rec in self._roles.items() if rec["name"].lower() == str(role).lower()), None)
        if rid is None:
            raise KeyError(f"no such Zoom role: {role}")
        return rid

    def _join(self, gid: str, uid: str) -> bool:
        members = self._groups[gid]["members"]
        if uid in members:
            return False
        members[uid] = self._next()
        self._users[uid]["group_ids"].append(gid)
        return True

    def _leave(self, gid: str, uid: str) -> bool:
        members = self._groups[gid]["members"]
        if uid not in members:
            return False
        del members[uid]
        self._users[uid]["group_ids"].remove(gid)
        return True

    def _delete(self, uid: str) -> None:
        for gid in list(self._users[uid]["group_ids"]):
            self._leave(gid, uid)
        self._emails.pop(str(self._users[uid]["email"]).lower(), None)
        del self._users[uid]
