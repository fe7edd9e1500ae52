"""The Okta org's people: users (profiles, logins, statuses) and groups (profiles, members), with the control API
tests call to change them (``add_user``, ``update_profile``, ``set_manager``, ``set_status``, ``add_group``,
``rename_group``, ``add_member``, ``remove_member``, ``delete_group``) and to read them (``users``, ``groups``,
``user``, ``user_id``, ``group_id``, ``group_members``). Every change logs its System Log events (``log.py``) and
the app-membership events it causes (``assignments.py``).

``delete_group(group)``: the group is gone, and its id is never given to another group (a group made again under
its name gets a new id, as in Okta). ``GET /groups/{id}`` and ``/groups/{id}/users`` then answer 404
``E0000007`` "Not found: Resource not found: <id> (UserGroup)", ``/apps/{appId}/groups/{id}`` 404 too, and the
group's app assignment disappears with it: members who had the app only through it stop being app users. System
Log: ``group.lifecycle.delete`` (target: the UserGroup), then, if the group was assigned to the app, one
``application.user_membership.remove`` per member who lost the app (``transaction.type: JOB``). Deliberately *no*
``group.application_assignment.remove`` and no per-member ``group.user_membership.remove``: an incremental sync
must read ``group.lifecycle.delete`` (or the per-member removes) to notice.
"""

from __future__ import annotations

import threading
from typing import Any

from .formats import derived_id

__all__ = ["USER_STATUSES", "WorldMixin"]

USER_STATUSES = (
    "STAGED",
    "PROVISIONED",
    "ACTIVE",
    "RECOVERY",
    "PASSWORD_EXPIRED",
    "LOCKED_OUT",
    "SUSPENDED",
    "DEPROVISIONED",
)
_STATUS_ALIASES = {
    "activate": "ACTIVE",
    "active": "ACTIVE",
    "suspend": "SUSPENDED",
    "suspended": "SUSPENDED",
    "unsuspend": "ACTIVE",
    "deactivate": "DEPROVISIONED",
    "deactivated": "DEPROVISIONED",
    "reactivate": "PROVISIONED",
    "lock": "LOCKED_OUT",
    "unlock": "ACTIVE",
}


class WorldMixin:
    """Users and groups of the :class:`~tests.simulators.okta.OktaSimulator` (state set up by ``_init_world``)."""

    _lock: threading.RLock
    username_attribute: str

    def _init_world(self) -> None:
        self._users: dict[str, dict[str, Any]] = {}
        self._logins: dict[str, str] = {}  # lower-cased login -> user id
        self._groups: dict[str, dict[str, Any]] = {}
        self._members: dict[str, dict[str, float]] = {}
        self._deleted_group_ids: set[str] = set()  # Okta never gives a deleted group's id to another group

    # ================================================================== control API: users

    def add_user(
        self,
        login: str,
        email: str | None = None,
        first_name: str = "",
        last_name: str = "",
        status: str = "ACTIVE",
        id: str | None = None,
        **profile: Any,
    ) -> str:
        """Create a user (``status`` any Okta user status) and return its id (``00u`` + 17 characters)."""
        status = self._status(status)
        with self._lock:
            if self._find_user_by_login(login) is not None:
                raise ValueError(f"login already used: {login}")
            uid = id or self._unique_id("00u", f"user:{login.lower()}", self._users)
            if uid in self._users:
                raise ValueError(f"user id already used: {uid}")
            now = self.now()
            self._logins[login.lower()] = uid
            self._users[uid] = {
                "id": uid,
                "status": "STAGED",
                "created": now,
                "activated": None,
                "statusChanged": None,
                "lastUpdated": now,
                "passwordChanged": None,
                "profile": {
                    "firstName": first_name or None,
                    "lastName": last_name or None,
                    "login": login,
                    "email": email or login,
                    **profile,
                },
            }
            self._emit("user.lifecycle.create", [self._user_target(uid)])
            if status != "STAGED":
                self._change_status(uid, status)
            return uid

    def update_profile(self, user: str, **fields: Any) -> None:
        """Change profile attributes (``login=``, ``email=``, ``firstName=``/``first_name=``, ``lastName=``, ...)."""
        renames = {"first_name": "firstName", "last_name": "lastName"}
        with self._lock:
            uid = self._resolve_user(user)
            record = self._users[uid]
            changes = {renames.get(k, k): v for k, v in fields.items()}
            if "login" in changes:
                other = self._find_user_by_login(changes["login"])
                if other is not None and other != uid:
                    raise ValueError(f"login already used: {changes['login']}")
            changes = {k: v for k, v in changes.items() if record["profile"].get(k) != v}
            if not changes:
                return
            old_username = self._username(uid)
            if "login" in changes:
                del self._logins[str(record["profile"]["login"]).lower()]
                self._logins[str(changes["login"]).lower()] = uid
            record["profile"].update(changes)
            record["lastUpdated"] = self.now()
            self._emit("user.account.update_profile", [self._user_target(uid)])
            if uid in self._app_users and self._username(uid) != old_username:
                self._app_users[uid]["lastUpdated"] = self.now()
                self._emit(
                    "application.user_membership.change_username",
                    [self._app_user_target(uid), self._app_target(), self._user_target(uid)],
                )

    def set_manager(self, user: str, manager: str | None) -> None:
        """Set the user's manager as Okta's base profile carries it: ``managerId`` (the manager's user id) and
        ``manager`` (the manager's display name), both null with ``manager=None`` (spec UserProfile)."""
        with self._lock:
            if manager is None:
                self.update_profile(user, managerId=None, manager=None)
                return
            mid = self._resolve_user(manager)
            boss = self._users[mid]["profile"]
            name = boss.get("displayName") or " ".join(
                str(p) for p in (boss.get("firstName"), boss.get("lastName")) if p
            )
            self.update_profile(user, managerId=mid, manager=name or None)

    def set_status(self, user: str, status: str) -> None:
        """Move a user to an Okta status (or an action: suspend, unsuspend, deactivate, reactivate -> PROVISIONED,
        activate, lock, unlock) and log the matching lifecycle events. Deactivation removes the direct assignment.
        """
        status = self._status(status)
        with self._lock:
            self._change_status(self._resolve_user(user), status)

    # ================================================================== control API: groups

    def add_group(self, name: str, id: str | None = None, description: str | None = None) -> str:
        """Create an ``OKTA_GROUP`` and return its id (``00g`` + 17 characters)."""
        with self._lock:
            gid = id or self._unique_id(
                "00g", f"group:{name}", {**self._groups, **dict.fromkeys(self._deleted_group_ids)}
            )
            if gid in self._groups or gid in self._deleted_group_ids:
                raise ValueError(f"group id already used: {gid}")
            now = self.now()
            self._groups[gid] = {
                "id": gid,
                "created": now,
                "lastUpdated": now,
                "lastMembershipUpdated": now,
                "type": "OKTA_GROUP",
                "profile": {"name": name, "description": description},
            }
            self._members[gid] = {}
            self._emit("group.lifecycle.create", [self._group_target(gid)])
            return gid

    def rename_group(self, group: str, new_name: str) -> None:
        """Give a group another name (an admin edits its profile); its id stays. Logs ``group.profile.update``."""
        with self._lock:
            gid = self._resolve_group(group)
            self._groups[gid]["profile"]["name"] = new_name
            self._groups[gid]["lastUpdated"] = self.now()
            self._emit("group.profile.update", [self._group_target(gid)])

    def add_member(self, group: str, user: str) -> None:
        with self._lock:
            gid, uid = self._resolve_group(group), self._resolve_user(user)
            if uid in self._members[gid]:
                return
            with self._app_user_changes("JOB", [uid]):
                self._members[gid][uid] = self.now()
                self._groups[gid]["lastMembershipUpdated"] = self.now()
                self._emit("group.user_membership.add", [self._user_target(uid), self._group_target(gid)])

    def remove_member(self, group: str, user: str) -> None:
        with self._lock:
            gid, uid = self._resolve_group(group), self._resolve_user(user)
            if uid not in self._members[gid]:
                return
            with self._app_user_changes("JOB", [uid]):
                del self._members[gid][uid]
                self._groups[gid]["lastMembershipUpdated"] = self.now()
                self._emit("group.user_membership.remove", [self._user_target(uid), self._group_target(gid)])

    def delete_group(self, group: str) -> None:
        """Delete a group (its memberships and app assignment go with it). Logs ``group.lifecycle.delete``, then one
        ``application.user_membership.remove`` (JOB) per member who had the app only through it; no
        ``group.application_assignment.remove`` (see the module docstring)."""
        with self._lock:
            gid = self._resolve_group(group)
            target = self._group_target(gid)
            with self._app_user_changes("JOB", self._members[gid]):
                self._group_assign.pop(gid, None)
                del self._groups[gid], self._members[gid]
                self._deleted_group_ids.add(gid)
                self._emit("group.lifecycle.delete", [target])

    # ================================================================== read access

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        """id -> User object (as ``GET /api/v1/users/{id}`` returns it)."""
        with self._lock:
            return {uid: self._user_json(uid) for uid in sorted(self._users)}

    @property
    def groups(self) -> dict[str, dict[str, Any]]:
        """id -> Group object, plus ``member_ids`` (sorted) and ``assigned`` (the app is assigned to the group)."""
        with self._lock:
            return {
                gid: {
                    **self._group_json(gid),
                    "member_ids": sorted(self._members[gid]),
                    "assigned": gid in self._group_assign,
                }
                for gid in sorted(self._groups)
            }

    def user(self, user: str) -> dict[str, Any]:
        with self._lock:
            return self._user_json(self._resolve_user(user))

    def user_id(self, login: str) -> str | None:
        with self._lock:
            return self._find_user_by_login(login)

    def group_id(self, name: str) -> str | None:
        with self._lock:
            return next((gid for gid, g in self._groups.items() if g["profile"]["name"] == name), None)

    def group_members(self, group: str) -> list[str]:
        with self._lock:
            return sorted(self._members[self._resolve_group(group)])

    # ================================================================== internals

    @staticmethod
    def _status(status: str) -> str:
        value = _STATUS_ALIASES.get(status.strip().lower(), status.strip().upper())
        if value not in USER_STATUSES:
            raise ValueError(f"unknown Okta user status: {status}")
        return value

    @staticmethod
    def _unique_id(prefix: str, key: str, taken: dict[str, Any]) -> str:
        candidate, n = derived_id(prefix, key), 0
        while candidate in taken:
            n += 1
            candidate = derived_id(prefix, f"{key}#{n}")
        return candidate

    def _find_user_by_login(self, login: str) -> str | None:
        return self._logins.get(login.lower())

    def _resolve_user(self, user: str) -> str:
        if user in self._users:
            return user
        uid = self._find_user_by_login(user)
        if uid is None:
            raise KeyError(f"no such Okta user: {user}")
        return uid

    def _resolve_group(self, group: str) -> str:
        if group in self._groups:
            return group
        gid = next((g for g, rec in self._groups.items() if rec["profile"]["name"] == group), None)
        if gid is None:
            raise KeyError(f"no such Okta group: {group}")
        return gid

    def _username(self, uid: str) -> str:
        profile = self._users[uid]["profile"]
        return str(profile.get(self.username_attribute) or profile["login"])

    def _change_status(self, uid: str, new: str) -> None:
        record = self._users[uid]
        old = record["status"]
        if old == new:
            return
        events: list[str] = []
        if new == "DEPROVISIONED":
            events.append("user.lifecycle.deactivate")
        elif old == "DEPROVISIONED":
            events.append("user.lifecycle.reactivate")
            if new == "ACTIVE":
                events.append("user.lifecycle.activate")
        elif new == "SUSPENDED":
            events.append("user.lifecycle.suspend")
        elif old == "SUSPENDED":
            events.append("user.lifecycle.unsuspend")
        elif new == "LOCKED_OUT":
            events.append("user.account.lock")
        elif old == "LOCKED_OUT" and new == "ACTIVE":
            events.append("user.account.unlock_by_admin")
        elif (old == "STAGED" and new in ("PROVISIONED", "ACTIVE")) or (old == "PROVISIONED" and new == "ACTIVE"):
            events.append("user.lifecycle.activate")
        with self._app_user_changes("WEB", [uid]):
            now = self.now()
            record["status"] = new
            record["statusChanged"] = now
            record["lastUpdated"] = now
            if new == "ACTIVE" and record["activated"] is None:
                record["activated"] = now
            if new == "DEPROVISIONED":
                self._direct.pop(uid, None)
            for event_type in events:
                self._emit(event_type, [self._user_target(uid)])
