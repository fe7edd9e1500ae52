"""Zoom route handlers of users: ``GET``/``POST /v2/users``, ``GET /users/summary``, ``GET /users/email``,
``GET``/``PATCH``/``DELETE /users/{userId}``, ``PUT /users/{userId}/status`` and ``/email``; and licensed seats.

Choices where the real API is ambiguous (documented for the tests that rely on them):

- ``PATCH /users/{id}`` with ``role_id``, ``email`` or ``status`` -> 400 code 300 (deliberately strict: they are not
  PATCH fields); other unknown fields are ignored. PATCH of a pending user -> 204, nothing applied.
- ``PUT /users/{id}/status``: Owner/Admin -> 400 code 200; a pending user -> 400 code 300; deactivating an inactive
  user or activating an active one -> 204 (idempotent); deactivation sets ``type`` 1.
- ``PUT /users/{id}/email``: address used by another user of the account -> 409 code 1005; a 4th change within
  24 h -> 400 code 300; Owner/Admin target -> 400 code 200; pending user -> 400 code 300; with ``managed_domains``
  set, a new address outside them -> 400 code 300.
- ``DELETE /users/{id}``: Owner -> 400 code 200; disassociating an Admin -> 400 code 1117; with ``managed_domains``
  set, disassociating a managed-domain user -> 400 code 1107.
- Licensed seats (``licensed_seats``, None = unlimited): type-2 users that are active or pending hold a seat; the
  Owner's own license is outside that number (``licensed_seats=1`` leaves room for exactly one more licensed user).
- ``users/email`` reports ``existed_email`` only for email-login users (``create``/``autoCreate`` and seeded users;
  not ``ssoCreate``).
- Pending users have no ``id`` in ``GET /users`` rows (``GET /users/{email}`` does show it). Disassociating
  (``DELETE`` without ``action`` or with ``action=disassociate``) a pending user of a managed domain is refused like
  any managed-domain user: 400 code 1107 (use ``action=delete``).
- ``expire_invitation(user)``: a pending user whose invitation expired. ``GET``, ``PATCH`` and ``DELETE
  /users/{userId}`` (by email or id, any ``action``) answer 400 code 1120 "A valid invitation to join the Zoom
  account was not found for this user." (the specs list 1120 for exactly these three); ``PUT .../status`` and
  ``.../email`` keep their pending-user answer (400 code 300). The user still appears in ``GET
  /users?status=pending`` (without ``id``), still holds its email (``POST /users`` -> 409 code 1005), and the API
  offers no way to remove it: a sync must live with it. Re-sending the invitation is not simulated.
- ``omit_role_id(user)``: that user's rows in ``GET /users`` have no ``role_id`` key (``GET /users/{id}`` still
  has ``role_id`` and ``role_name``). ``hide_from_list(user)``: the user is counted in ``total_records`` (and
  ``page_count``) of ``GET /users`` but left out of its pages, so a listing is shorter than its total (a page may be
  shorter than ``page_size`` while a ``next_page_token`` follows).
"""

from __future__ import annotations

from ..http import ApiError, Request, Response
from .formats import valid_email, validation_error, zoom_error

__all__ = ["UserRoutesMixin"]

_ACTIONS = ("create", "autoCreate", "custCreate", "ssoCreate")
_TYPES = (1, 2, 4, 99)
_PATCH_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "type",
    "dept",
    "job_title",
    "company",
    "location",
    "manager",
    "cost_center",
    "language",
    "timezone",
    "pmi",
    "use_pmi",
    "vanity_name",
    "host_key",
    "phone_numbers",
    "custom_attributes",
    "plan_united_type",
    "zoom_one_type",
    "feature",
    "pronouns",
    "pronouns_option",
    "about_me",
    "linkedin_url",
    "cms_user_id",
)
_NOT_PATCHABLE = ("role_id", "email", "status")


class UserRoutesMixin:
    """``/v2/users/...`` handlers of the :class:`~tests.simulators.zoom.ZoomSimulator`."""

    licensed_seats: int | None
    sso_create_enabled: bool
    managed_domains: set[str] | None
    other_account_emails: set[str]

    def _seats_used(self, exclude: str | None = None) -> int:
        """Licensed seats held: type-2 users, active or pending, the Owner excluded."""
        return sum(
            1
            for u in self._users.values()
            if u["type"] == 2 and u["status"] != "inactive" and u["id"] not in (exclude, self._owner_id)
        )

    def _check_seat(self, user_type: int, exclude: str | None = None) -> None:
        if user_type == 2 and self.licensed_seats is not None and self._seats_used(exclude) >= self.licensed_seats:
            raise ApiError(
                zoom_error(
                    400,
                    2034,
                    "Your request to add a new Licensed user could not be approved at this time because your account "
                    "has reached the permitted maximum number of Licensed users. Please purchase additional licenses "
                    "or contact the Zoom support team to provision additional users in your account.",
                )
            )

    def _h_list_users(self, request: Request) -> Response:
        status = request.query.get("status") or "active"
        if status not in ("active", "inactive", "pending"):
            raise validation_error("status")
        users = [u for u in self._ordered(self._users) if u["status"] == status]
        role_id = request.query.get("role_id")
        if role_id:
            users = [u for u in users if u["role_id"] == role_id]
        page, fields = self._paginate(request, f"users:{status}:{role_id or ''}", users)
        shown = [u for u in page if not u.get("_hidden")]  # hide_from_list(): counted, never listed
        return Response(200, {**fields, "users": [self._list_json(u) for u in shown]})

    def _h_summary(self, request: Request) -> Response:
        users = list(self._users.values())
        active = [u for u in users if u["status"] == "active"]
        return Response(
            200,
            {
                "licensed_users_count": sum(1 for u in active if u["type"] == 2),
                "basic_users_count": sum(1 for u in active if u["type"] == 1),
                "on_prem_users_count": 0,
                "room_users_count": 0,
                "pending_users_count": sum(1 for u in users if u["status"] == "pending"),
                "join_only_users_count": sum(1 for u in active if u["type"] == 4),
                "total_users_count": len(users),
            },
        )

    def _h_check_email(self, request: Request) -> Response:
        email = request.query.get("email") or ""
        if not email:
            raise validation_error("email")
        uid = self._find(email) if "@" in email else None
        existed = uid is not None and 100 in self._users[uid].get("login_types", [])
        return Response(200, {"existed_email": existed})

    def _h_get_user(self, request: Request, userId: str) -> Response:
        return Response(200, self._full_json(self._invited_user(userId)))

    def _h_create_user(self, request: Request) -> Response:
        data = self._body(request)
        action = data.get("action")
        if action not in _ACTIONS:
            raise validation_error("action")
        info = data.get("user_info")
        if not isinstance(info, dict):
            raise validation_error("user_info")
        email = info.get("email")
        if not valid_email(email):
            raise validation_error("user_info.email")
        user_type = info.get("type")
        if user_type == 3:
            return zoom_error(400, 300, "Your account can't set user type as On-prem.")
        if isinstance(user_type, bool) or user_type not in _TYPES or (user_type == 99 and action != "ssoCreate"):
            raise validation_error("user_info.type")
        for name, maximum in (("first_name", 64), ("last_name", 64), ("display_name", 128)):
            value = info.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > maximum):
                raise validation_error(f"user_info.{name}")
        if action == "ssoCreate" and not self.sso_create_enabled:
            return zoom_error(
                400,
                2032,
                "The ssoCreate option is only available for SSO Partners that have enabled the pre-provision option. "
                "Contact the Zoom Support team to learn more.",
            )
        if self._find(email) is not None:
            return zoom_error(409, 1005, f"User already in the account: {email}")
        if action == "custCreate" and email.lower() in {e.lower() for e in self.other_account_emails}:
            return zoom_error(400, 1009, f"The user {email} already holds an active account.")
        self._check_seat(user_type)
        first, last = info.get("first_name") or "", info.get("last_name") or ""
        login_type = {"ssoCreate": 101, "custCreate": 99}.get(action, 100)
        uid = self.add_user(
            email,
            first,
            last,
            type=user_type,
            status="pending" if action == "create" else "active",
            login_types=[login_type],
        )
        if info.get("display_name"):
            self._users[uid]["display_name"] = info["display_name"]
        return Response(201, {"id": uid, "first_name": first, "last_name": last, "email": email, "type": user_type})

    def _h_patch_user(self, request: Request, userId: str) -> Response:
        user = self._invited_user(userId)
        data = self._body(request)
        forbidden = [k for k in _NOT_PATCHABLE if k in data]
        if forbidden:
            raise validation_error(*forbidden)
        if "type" in data:
            if isinstance(data["type"], bool) or data["type"] not in _TYPES:
                raise validation_error("type")
            if "plan_united_type" in data or "zoom_one_type" in data:
                return zoom_error(400, 300, "You cannot update the user type and the plan type at the same time.")
        for name, maximum in (("first_name", 64), ("last_name", 64), ("display_name", 128)):
            value = data.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > maximum):
                raise validation_error(name)
        if user["status"] == "pending":
            return Response(204)  # Zoom answers success but applies nothing to a pending user
        if data.get("type") == 2 and user["type"] != 2:
            self._check_seat(2, exclude=user["id"])
        old_default = f"{user['first_name']} {user['last_name']}".strip()
        changes = {k: v for k, v in data.items() if k in _PATCH_FIELDS}
        user.update(changes)
        if "display_name" not in changes and user["display_name"] == old_default:
            user["display_name"] = f"{user['first_name']} {user['last_name']}".strip()
        return Response(204)

    def _h_status(self, request: Request, userId: str) -> Response:
        user = self._user_or_404(userId)
        action = self._body(request).get("action")
        if action not in ("activate", "deactivate", "clock_in", "clock_out"):
            raise validation_error("action")
        if action in ("clock_in", "clock_out"):
            return Response(204)
        if user["role_id"] in ("0", "1"):
            return zoom_error(400, 200, "Zoom Room and Admin users' status cannot be activated or deactivated.")
        if user["status"] == "pending":
            return zoom_error(400, 300, f"A pending user cannot be activated or deactivated: {userId}.")
        if action == "deactivate":
            user["status"] = "inactive"
            user["type"] = 1
        else:
            user["status"] = "active"
        return Response(204)

    def _h_email(self, request: Request, userId: str) -> Response:
        user = self._user_or_404(userId)
        email = self._body(request).get("email")
        if not valid_email(email):
            raise validation_error("email")
        if user["role_id"] in ("0", "1"):
            return zoom_error(400, 200, "Only an account administrator can change email.")
        if user["status"] == "pending":
            return zoom_error(400, 300, f"The email of a pending user cannot be changed: {userId}.")
        if email == user["email"]:
            return Response(204)
        other = self._find(email)
        if other is not None and other != user["id"]:
            return zoom_error(409, 1005, f'Email "{email}" has already been used.')
        domain = email.split("@")[1].lower()
        if self.managed_domains is not None and domain not in {d.lower() for d in self.managed_domains}:
            return zoom_error(400, 300, f"Domain name doesn't match the account's managed domains: {domain}.")
        now = self.now()
        recent = [t for t in user["_email_changes"] if t > now - 86400]
        if len(recent) >= 3:
            return zoom_error(400, 300, "The email address of this user can only be changed 3 times in 24 hours.")
        user["_email_changes"] = [*recent, now]
        self._set_email(user["id"], email)
        return Response(204)

    def _h_delete_user(self, request: Request, userId: str) -> Response:
        user = self._invited_user(userId)
        action = request.query.get("action") or "disassociate"
        if action not in ("disassociate", "delete"):
            raise validation_error("action")
        if user["role_id"] == "0":
            return zoom_error(400, 200, "Cannot delete the account owner.")
        if action == "disassociate" and user["role_id"] == "1":
            return zoom_error(400, 1117, "You can not disassociate an Admin user.")
        domain = str(user["email"]).split("@")[-1].lower()
        if action == "disassociate" and self.managed_domains and domain in {d.lower() for d in self.managed_domains}:
            return zoom_error(400, 1107, "You can not disassociate a user with managed domain.")
        self._delete(user["id"])
        return Response(204)
