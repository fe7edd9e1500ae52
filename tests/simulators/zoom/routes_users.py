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
- Seats (fact sheet §2/§4 and the Meeting API spec's texts for POST/PATCH /users and PUT .../status):
  ``licensed_seats`` (None = unlimited) caps type-2 users, ``basic_seats`` type-1 users; users that are active or
  pending hold a seat of their type (the spec's texts say "remove existing user(s) from your Users list or the
  Pending Users list"); deactivated users hold none (deactivation removes the licence, fact sheet §2 PUT status);
  the Owner's own seat is outside the numbers (``licensed_seats=1`` leaves room for exactly one more licensed user).
  Beyond them: ``POST /users`` or ``PATCH`` to that type -> 400 code 2034 (Licensed) / 2033 (Basic), and
  re-activating a user whose type has no free seat -> 400 code 2033/2034; nothing is created or changed. With
  ``seat_error_with_count = True`` the same refusals answer code 3412, the specs' alternative text that states
  the cap ("...permitted maximum number of N paying users"). A downgrade, deactivation or deletion frees the seat.
  2038 (Zoom One/Workplace seats) is not modelled. ``licensed_seats_used`` reads the count.
- ``PATCH`` with ``type`` and ``plan_united_type``/``zoom_one_type`` together -> 400 code 300 (spec text).
- ``PATCH`` profile fields are validated as profile.py says (400 code 300 "Validation Failed." naming the fields);
  ``GET /users/{id}`` then shows them (``phone_numbers`` items gain ``verified``; ``custom_attributes`` carry the
  account's ``name``); ``GET /users`` rows carry only the list schema's fields (``custom_attributes`` only with
  ``include_fields=custom_attributes``).
- Invitations: ``POST /users`` ``action=create`` makes a pending user and sends an invitation email
  (``invitations_sent(email)`` counts them). The same email again while pending -> 409 code 1005. To send an
  invitation again, a client deletes the pending user (``DELETE`` with ``action=disassociate``, the spec's advice
  for pending users) and creates it again (a Zoom staff answer on devforum t/98314: "delete ... then create them
  again to send an invite"; there is no re-send endpoint).
- ``users/email`` reports ``existed_email`` only for email-login users (``create``/``autoCreate`` and seeded users;
  not ``ssoCreate``).
- Pending users have no ``id`` in ``GET /users`` rows (``GET /users/{email}`` does show it). Disassociating
  (``DELETE`` without ``action`` or with ``action=disassociate``) a pending user of a managed domain is refused like
  any managed-domain user: 400 code 1107 (use ``action=delete``).
- ``expire_invitation(user)``: a pending user whose invitation expired. ``GET``, ``PATCH`` and ``DELETE
  /users/{userId}`` (by email or id, any ``action``) answer 400 code 1120 "A valid invitation to join the Zoom
  account was not found for this user." (the specs list 1120 for exactly these three); ``PUT .../status`` and
  ``.../email`` keep their pending-user answer (400 code 300). The user still appears in ``GET
  /users?status=pending`` (without ``id``) and still holds its email (``POST /users`` -> 409 code 1005). The specs
  list 1120 for DELETE too, so by default an expired pending user cannot be removed through the API; whether
  Zoom's DELETE ``action=disassociate`` removes it (as the devforum answer suggests for pending users) is not
  documented: ``expired_invitations_removable = True`` models that world (DELETE disassociate -> 204, then a new
  ``POST /users`` re-invites).
- ``DELETE`` with ``transfer_*`` parameters: see assets.py.
- ``omit_role_id(user)``: that user's rows in ``GET /users`` have no ``role_id`` key (``GET /users/{id}`` still
  has ``role_id`` and ``role_name``). ``hide_from_list(user)``: the user is counted in ``total_records`` (and
  ``page_count``) of ``GET /users`` but left out of its pages, so a listing is shorter than its total (a page may be
  shorter than ``page_size`` while a ``next_page_token`` follows).
"""

from __future__ import annotations

from ..http import ApiError, Request, Response
from .formats import valid_email, validation_error, zoom_error
from .profile import profile_error, validate_profile

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
    basic_seats: int | None
    seat_error_with_count: bool
    known_manager_required: bool
    expired_invitations_removable: bool
    sso_create_enabled: bool
    managed_domains: set[str] | None
    other_account_emails: set[str]

    def _seats_used(self, user_type: int, exclude: str | None = None) -> int:
        """Seats of ``user_type`` held: users of that type, active or pending, the Owner excluded."""
        return sum(
            1
            for u in self._users.values()
            if u["type"] == user_type and u["status"] != "inactive" and u["id"] not in (exclude, self._owner_id)
        )

    @property
    def licensed_seats_used(self) -> int:
        """Licensed (type 2) seats held now (the Owner excluded), as the seat checks count them."""
        with self._lock:
            return self._seats_used(2)

    def _check_seat(self, user_type: int, exclude: str | None = None, *, verb: str = "add") -> None:
        """Refuse a user of ``user_type`` beyond the account's seats: ``verb`` is ``add`` (POST /users),
        ``convert`` (PATCH type) or ``activate`` (PUT status). Messages: the specs' texts for each code."""
        seats = {2: self.licensed_seats, 1: self.basic_seats}.get(user_type)
        if seats is None or self._seats_used(user_type, exclude) < seats:
            return
        label = "Licensed" if user_type == 2 else "Basic"
        if self.seat_error_with_count:
            kind = "paying" if user_type == 2 else '"Basic"'
            raise ApiError(
                zoom_error(
                    400,
                    3412,
                    f"Your request to {verb} a {label} user could not be approved at this time because your account "
                    f"has reached the permitted maximum number of {seats} {kind} users. Remove existing user(s) from "
                    'your "Users" list or the "Pending Users" list, or purchase additional licenses.',
                )
            )
        if user_type == 2:
            message = {
                "add": "Your request to add a new Licensed user could not be approved at this time because your "
                "account has reached the permitted maximum number of Licensed users. Please purchase additional "
                "licenses or contact the Zoom support team to provision additional users in your account.",
            }.get(
                verb,
                'Your request to convert the plan type of this user to "Licensed" was not approved at this time '
                'because your account has reached the permitted maximum number of "Licensed" users. You must '
                "purchase additional licenses or contact the Zoom support team to provision additional users in your "
                "account.",
            )
            raise ApiError(zoom_error(400, 2034, message))
        message = {
            "add": "Your request to add a basic user was not approved because you have already reached the maximum "
            "basic user limit allowed in your account.",
            "convert": 'Your request to convert the user type to "Basic" was not approved because you have already '
            "reached the maximum basic user limit allowed in your account.",
        }.get(
            verb,
            'Your request to activate the "Basic" user was not approved because you have already reached the '
            'maximum "Basic" user limit allowed in your account.',
        )
        raise ApiError(
            zoom_error(
                400,
                2033,
                message + " For additional help regarding this issue, contact the Zoom Customer Support team.",
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
        include = tuple(f.strip() for f in (request.query.get("include_fields") or "").split(",") if f.strip())
        return Response(200, {**fields, "users": [self._list_json(u, include) for u in shown]})

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
        if action == "create":  # Zoom emails an invitation (fact sheet §2 POST /users)
            self._invitations[email.lower()] = self._invitations.get(email.lower(), 0) + 1
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
                # fact sheet §2 PATCH; message: the Meeting API spec's code-300 text
                return zoom_error(
                    400, 300, 'You can\'t change the "type" or "plan_united_type" or "zoom_one_type" at the same time.'
                )
        known = (lambda email: self._find(email) is not None) if self.known_manager_required else None
        bad = validate_profile(data, self._custom_attributes, known)
        if bad:
            raise profile_error(bad)
        if user["status"] == "pending":
            return Response(204)  # Zoom answers success but applies nothing to a pending user
        if data.get("type") in (1, 2) and user["type"] != data["type"]:
            self._check_seat(data["type"], exclude=user["id"], verb="convert")
        old_default = f"{user['first_name']} {user['last_name']}".strip()
        changes = {k: v for k, v in data.items() if k in _PATCH_FIELDS}
        if "phone_numbers" in changes:  # GET shows each number with ``verified`` (spec's response schema)
            changes["phone_numbers"] = [{**phone, "verified": False} for phone in changes["phone_numbers"]]
        if "custom_attributes" in changes:  # the account's name for each key; one value per key
            by_key = {a["key"]: a["value"] for a in changes["custom_attributes"]}
            by_key = {**{a["key"]: a["value"] for a in user.get("custom_attributes", [])}, **by_key}
            changes["custom_attributes"] = [
                {"key": key, "name": self._custom_attributes[key], "value": value} for key, value in by_key.items()
            ]
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
        elif user["status"] != "active":
            self._check_seat(user["type"], exclude=user["id"], verb="activate")
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
        action = request.query.get("action") or "disassociate"
        user = self._user_or_404(userId)
        if not (self.expired_invitations_removable and action == "disassociate"):
            self._invited_user(userId)  # 1120 for an expired invitation (spec), unless the knob says otherwise
        if action not in ("disassociate", "delete"):
            raise validation_error("action")
        if user["role_id"] == "0":
            return zoom_error(400, 200, "Cannot delete the account owner.")
        if action == "disassociate" and user["role_id"] == "1":
            return zoom_error(400, 1117, "You can not disassociate an Admin user.")
        domain = str(user["email"]).split("@")[-1].lower()
        if action == "disassociate" and self.managed_domains and domain in {d.lower() for d in self.managed_domains}:
            return zoom_error(400, 1107, "You can not disassociate a user with managed domain.")
        self._transfer_assets(request, user, action)
        self._delete(user["id"])
        return Response(204)
