"""The Zoom app instance of the Okta org and who has it: direct and group assignments, the effective app users
they add up to, and the ``application.user_membership.*`` events logged when a change alters them. Control API:
``assign_user``, ``unassign_user``, ``restore_assignment``, ``assign_group``, ``unassign_group``, ``set_app_status``,
``blank_app_user``; read access: ``assigned_user_ids``, ``app_user_scope``.

App users are the *effective* assignments: direct (``scope: USER``) or through an assigned group
(``scope: GROUP``), one row per user, ordered by user id, never DEPROVISIONED users. Deactivating a user removes
its direct assignment for good (as Okta does); group-derived access comes back on reactivation. SUSPENDED users
stay listed. A user both direct and group assigned shows ``scope: USER``.

- ``restore_assignment(user)``: a direct assignment brought back, logged as ``application.user_membership.restore``
  (targets AppUser, AppInstance, User, like ``.add``). The fact sheet (§4a) lists ``.restore`` among the
  provisioning-workflow event types that are **not** event-hook eligible and not in the suggested incremental set.
- ``blank_app_user(user)``: that user's app-user rows carry ``credentials: null`` and ``profile: {}`` (some apps
  do); with ``expand=user`` the ``_embedded.user`` object is still there, without it the row has no username or
  email. ``q`` never matches such a row (its app profile is empty).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from .formats import derived_id

__all__ = ["AssignmentsMixin"]


class AssignmentsMixin:
    """The app and its assignments in the :class:`~tests.simulators.okta.OktaSimulator` (state set up by
    ``_init_assignments``)."""

    _lock: threading.RLock

    def _init_assignments(self, app_label: str) -> None:
        created = self.now() - 86400 * 400
        self._app: dict[str, Any] = {"status": "ACTIVE", "label": app_label, "created": created, "lastUpdated": created}
        self._direct: dict[str, float] = {}  # user id -> time of the direct assignment
        self._group_assign: dict[str, dict[str, Any]] = {}  # group id -> {priority, created}
        self._app_users: dict[str, dict[str, Any]] = {}  # effective app users: id -> {created, lastUpdated, appUserId}
        self._blank_app_users: set[str] = set()  # blank_app_user(): credentials null, profile {}

    # ================================================================== control API

    def assign_user(self, user: str) -> None:
        """Assign the app to a user directly (``scope: USER``). A DEPROVISIONED user cannot be assigned."""
        with self._lock:
            uid = self._resolve_user(user)
            if self._users[uid]["status"] == "DEPROVISIONED":
                raise ValueError(f"cannot assign a deactivated user: {uid}")
            if uid in self._direct:
                return
            with self._app_user_changes("WEB", [uid]):
                self._direct[uid] = self.now()

    def unassign_user(self, user: str) -> None:
        """Remove the direct assignment (a user still covered by an assigned group keeps the app, scope GROUP)."""
        with self._lock:
            uid = self._resolve_user(user)
            if uid not in self._direct:
                return
            with self._app_user_changes("WEB", [uid]):
                del self._direct[uid]

    def restore_assignment(self, user: str) -> None:
        """Bring a user's direct assignment back (``scope: USER``), logged as ``application.user_membership.restore``
        (targets AppUser, AppInstance, User) instead of ``.add``. The user must not be an app user already (nothing to
        restore) nor DEPROVISIONED (``ValueError``)."""
        with self._lock:
            uid = self._resolve_user(user)
            if self._users[uid]["status"] == "DEPROVISIONED":
                raise ValueError(f"cannot assign a deactivated user: {uid}")
            if self._effective_of(uid) is not None:
                raise ValueError(f"user already has the app, nothing to restore: {uid}")
            with self._app_user_changes("WEB", [uid], add_event="application.user_membership.restore"):
                self._direct[uid] = self.now()

    def assign_group(self, group: str) -> None:
        with self._lock:
            gid = self._resolve_group(group)
            if gid in self._group_assign:
                return
            priority = max((a["priority"] for a in self._group_assign.values()), default=-1) + 1
            with self._app_user_changes("JOB", self._members[gid]):
                self._group_assign[gid] = {"priority": priority, "created": self.now(), "lastUpdated": self.now()}
                self._emit("group.application_assignment.add", [self._group_target(gid), self._app_target()])

    def unassign_group(self, group: str) -> None:
        with self._lock:
            gid = self._resolve_group(group)
            if gid not in self._group_assign:
                return
            with self._app_user_changes("JOB", self._members[gid]):
                del self._group_assign[gid]
                self._emit("group.application_assignment.remove", [self._group_target(gid), self._app_target()])

    def set_app_status(self, status: str) -> None:
        """``ACTIVE`` or ``INACTIVE`` (logs application.lifecycle.activate/deactivate)."""
        with self._lock:
            if status == self._app["status"]:
                return
            self._app["status"] = status
            self._app["lastUpdated"] = self.now()
            kind = "activate" if status == "ACTIVE" else "deactivate"
            self._emit(f"application.lifecycle.{kind}", [self._app_target()])

    def blank_app_user(self, user: str, blank: bool = True) -> None:
        """The user's app-user rows carry ``credentials: null`` and ``profile: {}`` (``_embedded.user`` stays with
        ``expand=user``). ``blank=False`` restores the normal row."""
        with self._lock:
            uid = self._resolve_user(user)
            if blank:
                self._blank_app_users.add(uid)
            else:
                self._blank_app_users.discard(uid)

    # ================================================================== read access

    def assigned_user_ids(self) -> list[str]:
        """The effective app users (what ``GET /apps/{id}/users`` lists), sorted."""
        with self._lock:
            return sorted(self._effective())

    def app_user_scope(self, user: str) -> str | None:
        """``USER``, ``GROUP`` or ``None`` (not assigned)."""
        with self._lock:
            found = self._effective_of(self._resolve_user(user))
            return None if found is None else found[0]

    # ================================================================== internals

    def _effective(self) -> dict[str, tuple[str, str | None]]:
        """user id -> (scope, group id of the winning group assignment or None), for every effective app user."""
        by_priority = self._groups_by_priority()
        out: dict[str, tuple[str, str | None]] = {}
        for uid in self._users:
            found = self._effective_of(uid, by_priority)
            if found is not None:
                out[uid] = found
        return out

    def _groups_by_priority(self) -> list[str]:
        return sorted(self._group_assign, key=lambda g: self._group_assign[g]["priority"])

    def _effective_of(self, uid: str, by_priority: list[str] | None = None) -> tuple[str, str | None] | None:
        if self._users[uid]["status"] == "DEPROVISIONED":
            return None
        if uid in self._direct:
            return ("USER", None)
        groups = self._groups_by_priority() if by_priority is None else by_priority
        gid = next((g for g in groups if uid in self._members[g]), None)
        return None if gid is None else ("GROUP", gid)

    def _effective_among(self, uids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        by_priority = self._groups_by_priority()
        found = {uid: self._effective_of(uid, by_priority) for uid in uids}
        return {uid: value for uid, value in found.items() if value is not None}

    @contextlib.contextmanager
    def _app_user_changes(
        self, transaction_type: str, uids: Iterable[str], add_event: str = "application.user_membership.add"
    ) -> Iterator[None]:
        """Log application.user_membership.add (or ``add_event``)/remove/update for what the block changed in the
        effective assignments of ``uids``."""
        affected = sorted(set(uids))
        before = self._effective_among(affected)
        yield
        after = self._effective_among(affected)
        now = self.now()
        for uid in sorted(set(after) - set(before)):
            self._app_users[uid] = {"created": now, "lastUpdated": now, "appUserId": derived_id("0ua", f"au:{uid}")}
            targets = [self._app_user_target(uid), self._app_target(), self._user_target(uid)]
            self._emit(add_event, targets, transaction_type=transaction_type)
        for uid in sorted(set(before) - set(after)):
            targets = [self._app_user_target(uid), self._app_target(), self._user_target(uid)]
            self._emit("application.user_membership.remove", targets, transaction_type=transaction_type)
            self._app_users.pop(uid, None)
        for uid in sorted(set(before) & set(after)):
            if before[uid][0] != after[uid][0]:
                self._app_users[uid]["lastUpdated"] = now
                targets = [self._app_user_target(uid), self._app_target(), self._user_target(uid)]
                self._emit("application.user_membership.update", targets, transaction_type=transaction_type)
