"""What a user owns that ``DELETE /v2/users/{userId}`` can transfer to another user (meetings, webinars, cloud
recordings), and the transfer rules of that call. Control API: ``set_assets``; read access: ``assets``,
``transfers``.

Source: the User API spec's DELETE parameters (``transfer_email``, booleans ``transfer_meeting``,
``transfer_webinar``, ``transfer_recording``; fact sheet §2 "DELETE /users/{userId}") and the Meeting API spec's
code-300 texts for that call. Rules:

- A ``transfer_*`` flag that is not ``true``/``false`` -> 400 code 300 naming it.
- Any flag ``true`` without ``transfer_email`` -> 400 code 300 naming ``transfer_email`` ([BATON] in the fact sheet:
  Zoom requires it whenever a transfer flag is true).
- ``transfer_email`` equal to the deleted user's email -> 400 code 300 "The transfer-to email address cannot be the
  same as the unlinked or deleted user's email address." (spec).
- ``transfer_recording=true`` to a target that is not Licensed (type 2) -> 400 code 300 "The destination user does
  not have a Licensed or higher license and cannot receive this data." (spec text with $license = Licensed; Okta
  Workflows' Zoom connector doc: "must be a licensed user to transfer cloud recordings").

Assumptions (the sheet and specs are silent; documented so a client does not rely on more than this):

- A ``transfer_email`` that is no user of the account -> 404 code 1001 "User does not exist: <email>." (Zoom's
  answer for every unknown user).
- A target that is not active (deactivated, or pending) -> 400 code 300 "The destination user is not active and
  cannot receive this data: <email>.".
- Webinar licences of the target are not modelled (any active target may receive webinars).
- The checks run (and the transfer happens) for ``disassociate`` and ``delete`` alike, only when a flag is true;
  a refused transfer deletes nothing.
"""

from __future__ import annotations

import threading
from typing import Any

from ..http import ApiError, Request
from .formats import validation_error, zoom_error

__all__ = ["ASSET_KINDS", "AssetsMixin"]

# transfer flag -> asset kind it moves
ASSET_KINDS = {"transfer_meeting": "meetings", "transfer_webinar": "webinars", "transfer_recording": "recordings"}


class AssetsMixin:
    """Assets and transfers of the :class:`~tests.simulators.zoom.ZoomSimulator`."""

    _lock: threading.RLock
    _transfers: list[dict[str, Any]]

    def set_assets(self, user: str, meetings: int = 0, webinars: int = 0, recordings: int = 0) -> None:
        """Seed what a user owns (counts of scheduled meetings, webinars and cloud recordings)."""
        with self._lock:
            record = self._users[self._resolve_user(user)]
            record["_assets"] = {"meetings": meetings, "webinars": webinars, "recordings": recordings}

    def assets(self, user: str) -> dict[str, int]:
        """{meetings, webinars, recordings} a user owns now (zeros unless seeded or transferred to)."""
        with self._lock:
            return dict(self._assets_of(self._users[self._resolve_user(user)]))

    @property
    def transfers(self) -> list[dict[str, Any]]:
        """Every transfer done by a DELETE, oldest first: {from_email, to_email, action, meetings, webinars,
        recordings} (the counts moved; a kind whose flag was false moves 0)."""
        with self._lock:
            return [dict(t) for t in self._transfers]

    @staticmethod
    def _assets_of(record: dict[str, Any]) -> dict[str, int]:
        return record.setdefault("_assets", {"meetings": 0, "webinars": 0, "recordings": 0})

    def _transfer_assets(self, request: Request, user: dict[str, Any], action: str) -> None:
        """Apply the DELETE's transfer parameters (module docstring), or raise the API's error."""
        flags: dict[str, bool] = {}
        for flag in ASSET_KINDS:
            raw = (request.query.get(flag) or "false").lower()
            if raw not in ("true", "false"):
                raise validation_error(flag)
            flags[flag] = raw == "true"
        target_email = request.query.get("transfer_email") or ""
        if not any(flags.values()):
            return
        if not target_email:
            raise validation_error("transfer_email")
        if target_email.lower() == str(user["email"]).lower():
            raise ApiError(
                zoom_error(
                    400,
                    300,
                    "The transfer-to email address cannot be the same as the unlinked or deleted user's email address.",
                )
            )
        target_id = self._find(target_email)
        if target_id is None:
            raise ApiError(zoom_error(404, 1001, f"User does not exist: {target_email}."))
        target = self._users[target_id]
        if target["status"] != "active":
            raise ApiError(
                zoom_error(
                    400, 300, f"The destination user is not active and cannot receive this data: {target_email}."
                )
            )
        if flags["transfer_recording"] and target["type"] != 2:
            raise ApiError(
                zoom_error(
                    400,
                    300,
                    "The destination user does not have a Licensed or higher license and cannot receive this data.",
                )
            )
        source, destination = self._assets_of(user), self._assets_of(target)
        moved = {kind: (source[kind] if flags[flag] else 0) for flag, kind in ASSET_KINDS.items()}
        for kind, count in moved.items():
            destination[kind] += count
            source[kind] -= count
        self._transfers.append({"from_email": user["email"], "to_email": target["email"], "action": action, **moved})
