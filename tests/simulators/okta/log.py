"""The Okta System Log's store: the events every control-API change appends (can be switched off with
``without_events()``), the targets they name (User, UserGroup, AppInstance, AppUser), delayed visibility and
retention. Control API: ``add_log_event``, ``expire_logs_before``, ``without_events``; read access: ``log_events``.
``GET /api/v1/logs`` reads this store (``routes_logs.py``).

Delayed events (``add_log_event(..., delay_visibility=s)``) are persisted, and thus seen by pollers, only once
visible; persistence order (``_seq``) is what polling requests follow, ``published`` what bounded ones filter on.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from .formats import derived_id, iso_ms, parse_time, random_id

__all__ = ["LogMixin"]

_DISPLAY = {
    "application.user_membership.add": "Add user to application membership",
    "application.user_membership.remove": "Remove user from application membership",
    "application.user_membership.update": "Update user's application membership",
    "application.user_membership.change_username": "Change user's application username",
    "group.application_assignment.add": "Add assigned application to group",
    "group.application_assignment.remove": "Remove assigned application from group",
    "group.user_membership.add": "Add user to group membership",
    "group.user_membership.remove": "Remove user from group membership",
    "group.lifecycle.create": "Create Okta group",
    "group.profile.update": "Update Okta group profile",
    "group.lifecycle.delete": "Delete Okta group",
    "application.user_membership.restore": "Restore user's application membership",
    "user.lifecycle.create": "Create Okta user",
    "user.lifecycle.activate": "Activate Okta user",
    "user.lifecycle.deactivate": "Deactivate Okta user",
    "user.lifecycle.reactivate": "Reactivate Okta user",
    "user.lifecycle.suspend": "Suspend Okta user",
    "user.lifecycle.unsuspend": "Unsuspend Okta user",
    "user.account.update_profile": "Update user profile for Okta",
    "user.account.lock": "Max sign in attempts exceeded",
    "user.account.unlock_by_admin": "Unlock user account",
    "application.lifecycle.activate": "Activate application",
    "application.lifecycle.deactivate": "Deactivate application",
}


class LogMixin:
    """The System Log of the :class:`~tests.simulators.okta.OktaSimulator` (state set up by ``_init_log``)."""

    _lock: threading.RLock
    app_id: str

    def _init_log(self) -> None:
        self._events: list[dict[str, Any]] = []  # persisted (visible) events, in persistence order
        self._pending: list[tuple[float, int, dict[str, Any]]] = []  # (visible_at, order, event)
        self._seq = 0
        self._pending_order = 0
        self._events_on = True
        self._expired_before: float | None = None
        self._actor = {
            "id": derived_id("00u", "actor:admin"),
            "type": "User",
            "alternateId": "admin@okta.example",
            "displayName": "Okta Admin",
            "detailEntry": None,
        }

    # ================================================================== control API

    def add_log_event(
        self,
        event_type: str,
        targets: Iterable[dict[str, Any] | str],
        published: float | str | datetime | None = None,
        delay_visibility: float = 0.0,
        *,
        actor: dict[str, Any] | None = None,
        transaction_type: str = "WEB",
        outcome: str = "SUCCESS",
        display_message: str | None = None,
    ) -> str:
        """Append a System Log event and return its uuid. ``targets``: target dicts, or ids / logins / group names
        expanded to User, UserGroup or AppInstance targets. ``published`` (default now) may be older than the
        persistence time; ``delay_visibility`` seconds (simulator clock) pass before the event is persisted and seen.
        Always logged, even inside ``without_events()``.
        """
        with self._lock:
            expanded = [t if isinstance(t, dict) else self._target_for(t) for t in targets]
            event = self._make_event(
                event_type,
                expanded,
                transaction_type=transaction_type,
                published=None if published is None else parse_time(published),
                actor=actor,
                outcome=outcome,
                display_message=display_message,
            )
            self._store_event(event, delay_visibility)
            return str(event["uuid"])

    def expire_logs_before(self, ts: float | str | datetime) -> None:
        """Drop events published before ``ts`` (retention). Cursors into the dropped range keep working and return
        the retained events after them (see routes_logs.py)."""
        cutoff = parse_time(ts)
        with self._lock:
            self._promote()
            self._expired_before = max(cutoff, self._expired_before or cutoff)
            self._events = [e for e in self._events if e["_published"] >= cutoff]
            self._pending = [p for p in self._pending if p[2]["_published"] >= cutoff]

    @contextlib.contextmanager
    def without_events(self) -> Iterator[None]:
        """Within the block, control-API mutations log no System Log event (e.g. while seeding an org)."""
        with self._lock:
            previous, self._events_on = self._events_on, False
        try:
            yield
        finally:
            with self._lock:
                self._events_on = previous

    @property
    def log_events(self) -> list[dict[str, Any]]:
        """The visible (persisted) events, in persistence order, as the API returns them."""
        with self._lock:
            self._promote()
            return [self._public_event(e) for e in self._events]

    # ================================================================== targets

    def _user_target(self, uid: str) -> dict[str, Any]:
        profile = self._users[uid]["profile"]
        name = " ".join(str(p) for p in (profile.get("firstName"), profile.get("lastName")) if p)
        return {
            "id": uid,
            "type": "User",
            "alternateId": profile["login"],
            "displayName": name or profile["login"],
            "detailEntry": None,
        }

    def _group_target(self, gid: str) -> dict[str, Any]:
        name = self._groups[gid]["profile"]["name"]
        return {"id": gid, "type": "UserGroup", "alternateId": "unknown", "displayName": name, "detailEntry": None}

    def _app_target(self) -> dict[str, Any]:
        label = self._app["label"]
        return {
            "id": self.app_id,
            "type": "AppInstance",
            "alternateId": label,
            "displayName": label,
            "detailEntry": None,
        }

    def _app_user_target(self, uid: str) -> dict[str, Any]:
        target = self._user_target(uid)
        return {**target, "id": derived_id("0ua", f"au:{uid}"), "type": "AppUser", "alternateId": self._username(uid)}

    def _target_for(self, ref: str) -> dict[str, Any]:
        if ref == self.app_id:
            return self._app_target()
        with contextlib.suppress(KeyError):
            return self._user_target(self._resolve_user(ref))
        with contextlib.suppress(KeyError):
            return self._group_target(self._resolve_group(ref))
        raise KeyError(f"unknown target: {ref}")

    # ================================================================== events

    def _make_event(
        self,
        event_type: str,
        targets: list[dict[str, Any]],
        *,
        transaction_type: str = "WEB",
        published: float | None = None,
        actor: dict[str, Any] | None = None,
        outcome: str = "SUCCESS",
        display_message: str | None = None,
    ) -> dict[str, Any]:
        published_ts = self.now() if published is None else published
        return {
            "_published": published_ts,
            "actor": actor or dict(self._actor),
            "client": {
                "userAgent": {"rawUserAgent": "okta-simulator", "os": "Unknown", "browser": "UNKNOWN"},
                "zone": "null",
                "device": "Unknown",
                "id": None,
                "ipAddress": "127.0.0.1",
                "geographicalContext": None,
            },
            "authenticationContext": {"externalSessionId": random_id(25), "interface": None},
            "displayMessage": display_message or _DISPLAY.get(event_type, event_type),
            "eventType": event_type,
            "outcome": {"result": outcome, "reason": None},
            "published": iso_ms(published_ts),
            "securityContext": {},
            "severity": "INFO",
            "debugContext": {"debugData": {"requestId": random_id(27)}},
            "legacyEventType": None,
            "transaction": {"type": transaction_type, "id": random_id(27), "detail": {}},
            "uuid": str(uuid.uuid4()),
            "version": "0",
            "request": {"ipChain": [{"ip": "127.0.0.1", "version": "V4"}]},
            "target": targets,
        }

    def _emit(self, event_type: str, targets: list[dict[str, Any]], transaction_type: str = "WEB") -> None:
        if self._events_on:
            self._store_event(self._make_event(event_type, targets, transaction_type=transaction_type), 0.0)

    def _store_event(self, event: dict[str, Any], delay: float) -> None:
        self._promote()
        if delay > 0:
            self._pending_order += 1
            self._pending.append((self.now() + delay, self._pending_order, event))
        else:
            self._persist(event, self.now())

    def _persist(self, event: dict[str, Any], at: float) -> None:
        self._seq += 1
        event["_seq"] = self._seq
        event["_persisted"] = at
        self._events.append(event)

    def _promote(self) -> None:
        """Persist the delayed events that became visible, in visibility order."""
        if not self._pending:
            return
        now = self.now()
        due = sorted((p for p in self._pending if p[0] <= now), key=lambda p: (p[0], p[1]))
        if not due:
            return
        self._pending = [p for p in self._pending if p[0] > now]
        for visible_at, _, event in due:
            self._persist(event, visible_at)

    @staticmethod
    def _public_event(event: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in event.items() if not k.startswith("_")}
