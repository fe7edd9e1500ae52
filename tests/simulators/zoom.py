"""A local Zoom REST API simulator (Server-to-Server OAuth + the /v2 user, group and role endpoints a provisioner
uses), faithful to the wire protocol described in /work/shared/reference/zoom-api.md.

- ``POST /oauth/token`` (HTTP Basic client id/secret, ``grant_type=account_credentials&account_id=...`` in a form
  body or the query string) mints bearer tokens carrying ``granted_scopes`` (granular scopes; the classic
  ``user:read:admin``/``user:write:admin``-style scopes are accepted too).
- ``/v2`` errors are ``{"code": int, "message": str}`` (validation errors: code 300 plus ``errors``); every answer
  carries ``X-RateLimit-Category`` (Light/Medium per endpoint), ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``
  (per-second buckets shared by every endpoint of a category, like Zoom's per-label quotas); a 429 carries
  ``Retry-After`` as an absolute ISO-8601 UTC time and ``X-RateLimit-Type: QPS``.
- Pagination: opaque ``next_page_token`` (server-side, valid 15 minutes of the simulator clock, ``""`` at the end;
  an unknown/expired one gives 400 code 300). ``page_size`` above the maximum is clamped.

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
- ``DELETE /roles/{roleId}/members/{memberId}`` when the user does not hold that role -> 400 code 300; unknown user
  -> 404 code 1001. ``POST /roles/{roleId}/members`` for the Owner user -> 400 code 300; unknown user -> 404 1001.
- ``POST /groups/{id}/members``: 201 even when already a member; unknown and pending users are skipped silently
  (``ids`` lists only the users actually added). ``DELETE`` of a non-member -> 404 code 4131, unknown user -> 404 1001.
- Licensed seats (``licensed_seats``, None = unlimited): type-2 users that are active or pending hold a seat; the
  Owner's own license is outside that number (``licensed_seats=1`` leaves room for exactly one more licensed user).
- Role members listings leave pending users out. ``users/email`` reports ``existed_email`` only for email-login
  users (``create``/``autoCreate`` and seeded users; not ``ssoCreate``).
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
- ``rename_role(role, new_name)`` renames any role, built-ins included (e.g. a Member role named ``member``).
- Expired tokens: 401 code 124 "Access token is expired."; unknown/revoked/absent: 401 code 124 "Invalid access
  token.".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import jwt

from .http import ApiError, RateInfo, Request, Response, SimulatorBase

__all__ = ["DEFAULT_ZOOM_SCOPES", "ZoomSimulator"]

DEFAULT_ZOOM_SCOPES = (
    "user:read:list_users:admin",
    "user:read:user:admin",
    "user:read:email:admin",
    "user:read:summary:admin",
    "user:write:user:admin",
    "user:update:user:admin",
    "user:update:status:admin",
    "user:update:email:admin",
    "user:delete:user:admin",
    "group:read:list_groups:admin",
    "group:read:group:admin",
    "group:read:list_members:admin",
    "group:write:group:admin",
    "group:write:member:admin",
    "group:delete:member:admin",
    "role:read:list_roles:admin",
    "role:read:role:admin",
    "role:read:list_members:admin",
    "role:write:member:admin",
    "role:delete:member:admin",
)
BUILTIN_ROLES = {"0": "Owner", "1": "Admin", "2": "Member"}
_ROLE_DESCRIPTIONS = {
    "0": "Account owner has full privileges to access and manage a Zoom account.",
    "1": "Admins have wide-range privileges to access and manage a Zoom account.",
    "2": "Members have access to basic Zoom video meeting functions but no account management privileges.",
}
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
_QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
_PAGE_TOKEN_TTL = 15 * 60
_LIMITS = {"Light": 80, "Medium": 60}


def iso_s(ts: float) -> str:
    """Zoom's timestamp format, e.g. ``2026-11-28T21:40:01Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def zoom_id(key: str) -> str:
    """A deterministic 22-character Zoom-like id derived from ``key``."""
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode("utf-8")).digest()).decode()[:22]


def zoom_error(status: int, code: int, message: str, errors: Iterable[tuple[str, str]] = ()) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    fields = [{"field": f, "message": m} for f, m in errors]
    if fields:
        body["errors"] = fields
    return Response(status, body)


def _validation(*fields: str) -> ApiError:
    return ApiError(zoom_error(400, 300, "Validation Failed.", [(f, "Invalid field.") for f in fields]))


def _valid_email(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 128 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    return bool(local) and "." in domain and " " not in value


class ZoomSimulator(SimulatorBase):
    """One Zoom account with an Owner. See the module docstring for the HTTP behaviour and documented choices.

    Control API (thread-safe; users may be named by id or email, groups/roles by id or name): ``add_user``,
    ``update_user``, ``set_status``, ``set_role``, ``accept_invitation``, ``remove_user``, ``add_group``,
    ``add_group_member``, ``remove_group_member``, ``add_role``, ``rename_role``, ``expire_invitation``,
    ``omit_role_id``, ``hide_from_list``, ``revoke_tokens``, ``expire_page_tokens``; read access: ``users``,
    ``user``, ``user_by_email``, ``groups``, ``group_by_name``, ``roles`` (id -> name), ``role``, ``role_by_name``,
    ``owner_id``, ``owner_email``, ``token_count``. Plain attributes: ``account_id``, ``client_id``,
    ``client_secret`` (rotate it), ``granted_scopes``, ``token_lifetime``, ``licensed_seats``,
    ``sso_create_enabled``, ``managed_domains``, ``other_account_emails``, ``page_size_max``.
    """

    server_header = "ZOOM"
    token_path = "/oauth/token"

    def __init__(
        self,
        account_id: str = "acct-test",
        client_id: str = "zoom-client",
        client_secret: str = "zoom-secret",
        page_size_max: int = 300,
        owner_email: str = "owner@example.com",
        owner_first_name: str = "Account",
        owner_last_name: str = "Owner",
        granted_scopes: Iterable[str] = DEFAULT_ZOOM_SCOPES,
    ) -> None:
        super().__init__()
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size_max = page_size_max
        self.granted_scopes: set[str] = set(granted_scopes)
        self.token_lifetime = 3600
        self.licensed_seats: int | None = None
        self.sso_create_enabled = True
        self.managed_domains: set[str] | None = None
        self.other_account_emails: set[str] = set()  # emails holding a Zoom account elsewhere (custCreate -> 1009)
        self._tokens: dict[str, dict[str, Any]] = {}
        self._token_secret = secrets.token_bytes(32)
        self._token_count = 0
        self._page_tokens: dict[str, dict[str, Any]] = {}
        self._seq = 0
        self._users: dict[str, dict[str, Any]] = {}
        self._emails: dict[str, str] = {}  # lower-cased email -> user id
        self._groups: dict[str, dict[str, Any]] = {}
        self._roles: dict[str, dict[str, Any]] = {}
        for rid, name in BUILTIN_ROLES.items():
            self._roles[rid] = {"id": rid, "name": name, "description": _ROLE_DESCRIPTIONS[rid], "_seq": self._next()}
        self._owner_id = self.add_user(owner_email, owner_first_name, owner_last_name, type=2, role="Owner")
        self._build_routes()

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

    def expire_invitation(self, user: str) -> None:
        """A pending user's invitation expires: GET/PATCH/DELETE /users/{userId} answer 400 code 1120 while the user
        stays pending (still listed with ``status=pending``). See the module docstring."""
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

    def revoke_tokens(self) -> None:
        """Every access token minted so far becomes invalid (401 code 124)."""
        with self._lock:
            self._tokens.clear()

    def expire_page_tokens(self) -> None:
        """Every next_page_token handed out so far becomes invalid (400 code 300)."""
        with self._lock:
            self._page_tokens.clear()

    # ================================================================== read access

    @property
    def token_count(self) -> int:
        with self._lock:
            return self._token_count

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

    def role_by_name(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = next((r for r in self._roles.values() if r["name"].lower() == name.lower()), None)
            return None if found is None else self._role_json(found)

    # ================================================================== internals: model

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

    # ================================================================== internals: JSON

    def _list_json(self, u: dict[str, Any]) -> dict[str, Any]:
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
        if u.get("_omit_role_id"):
            del body["role_id"]
        return body

    def _full_json(self, u: dict[str, Any]) -> dict[str, Any]:
        body = {k: (list(v) if isinstance(v, list) else v) for k, v in u.items() if not k.startswith("_")}
        body.update(
            {
                "role_name": self._roles[u["role_id"]]["name"] if u["role_id"] in self._roles else "",
                "account_id": self.account_id,
                "account_number": int(hashlib.sha256(self.account_id.encode()).hexdigest()[:8], 16) % 10**9,
                "personal_meeting_url": f"https://zoom.us/j/{u['pmi']}",
                "use_pmi": bool(u.get("use_pmi", False)),
                "phone_numbers": list(u.get("phone_numbers", [])),
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

    # ================================================================== HTTP: plumbing

    def _build_routes(self) -> None:
        r = self._add_route
        r("GET", "/v2/users", self._h_list_users, scope="user:read:list_users:admin", category="Medium")
        r("POST", "/v2/users", self._h_create_user, scope="user:write:user:admin", category="Light")
        r("GET", "/v2/users/summary", self._h_summary, scope="user:read:summary:admin", category="Medium")
        r("GET", "/v2/users/email", self._h_check_email, scope="user:read:email:admin", category="Light")
        r("GET", "/v2/users/{userId}", self._h_get_user, scope="user:read:user:admin", category="Light")
        r("PATCH", "/v2/users/{userId}", self._h_patch_user, scope="user:update:user:admin", category="Light")
        r("DELETE", "/v2/users/{userId}", self._h_delete_user, scope="user:delete:user:admin", category="Light")
        r("PUT", "/v2/users/{userId}/status", self._h_status, scope="user:update:status:admin", category="Light")
        r("PUT", "/v2/users/{userId}/email", self._h_email, scope="user:update:email:admin", category="Light")
        r("GET", "/v2/groups", self._h_list_groups, scope="group:read:list_groups:admin", category="Medium")
        r("POST", "/v2/groups", self._h_create_group, scope="group:write:group:admin", category="Light")
        r("GET", "/v2/groups/{groupId}", self._h_get_group, scope="group:read:group:admin", category="Light")
        r(
            "GET",
            "/v2/groups/{groupId}/members",
            self._h_group_members,
            scope="group:read:list_members:admin",
            category="Medium",
        )
        r(
            "POST",
            "/v2/groups/{groupId}/members",
            self._h_add_members,
            scope="group:write:member:admin",
            category="Medium",
        )
        r(
            "DELETE",
            "/v2/groups/{groupId}/members/{memberId}",
            self._h_remove_member,
            scope="group:delete:member:admin",
            category="Light",
        )
        r("GET", "/v2/roles", self._h_list_roles, scope="role:read:list_roles:admin", category="Medium")
        r("GET", "/v2/roles/{roleId}", self._h_get_role, scope="role:read:role:admin", category="Light")
        r(
            "GET",
            "/v2/roles/{roleId}/members",
            self._h_role_members,
            scope="role:read:list_members:admin",
            category="Medium",
        )
        r("POST", "/v2/roles/{roleId}/members", self._h_assign_role, scope="role:write:member:admin", category="Medium")
        r(
            "DELETE",
            "/v2/roles/{roleId}/members/{memberId}",
            self._h_unassign_role,
            scope="role:delete:member:admin",
            category="Light",
        )

    def _bucket(self, request: Request) -> tuple[str, int, str | None]:
        if self._is_token_path(request.path):
            return "oauth", 100, None
        route, _, _ = self._match_route(request)
        category = route.meta["category"] if route is not None else "Light"
        return category, _LIMITS[category], category

    def _decorate(self, request: Request, response: Response, rate: RateInfo) -> None:
        defaults = [("X-Zm-Trackingid", "v=2.0;clid=us06;rid=WEB_" + secrets.token_hex(16))]
        if rate.category is not None:
            defaults += [
                ("X-RateLimit-Category", rate.category),
                ("X-RateLimit-Limit", str(rate.limit)),
                ("X-RateLimit-Remaining", str(rate.remaining)),
            ]
        for key, value in defaults:
            if not response.has_header(key):
                response.header(key, value)
        if response.content_type == "application/json":
            response.content_type = "application/json;charset=UTF-8"

    def _too_many_requests(self, request: Request, rate: RateInfo) -> Response:
        response = zoom_error(429, 429, _QPS_MESSAGE)
        response.header("Retry-After", iso_s(math.ceil(rate.reset_at)))
        response.header("X-RateLimit-Type", "QPS")
        response.header("X-RateLimit-Remaining", "0")
        return response

    def _fault_response(self, request: Request, status: int) -> Response:
        if self._is_token_path(request.path):
            reason = "Invalid client_id or client_secret" if status in (400, 401) else "Internal error"
            return Response(status, {"reason": reason, "error": "invalid_client" if status < 500 else "server_error"})
        if status == 429:
            response = zoom_error(429, 429, _QPS_MESSAGE)
            response.header("Retry-After", iso_s(math.ceil(time.time() + 1)))
            response.header("X-RateLimit-Type", "QPS")
            response.header("X-RateLimit-Remaining", "0")
            return response
        code, message = {
            400: (300, "Bad Request"),
            401: (124, "Invalid access token."),
            403: (403, "Forbidden"),
            404: (404, "Not Found"),
            500: (500, "Internal Server Error"),
            502: (502, "Bad Gateway"),
            503: (503, "Service Unavailable"),
            504: (504, "Gateway Timeout"),
        }.get(status, (status, "Simulated failure"))
        return zoom_error(status, code, message)

    def _dispatch(self, request: Request) -> Response:
        if self._is_token_path(request.path):
            if request.method != "POST":
                return Response(405, {"reason": "Method Not Allowed", "error": "invalid_request"})
            return self._h_token(request)
        scopes = self._authenticate(request)
        route, params, known = self._match_route(request)
        if route is None:
            if known:
                return zoom_error(405, 405, "Method Not Allowed")
            return zoom_error(404, 404, "Not Found")
        required = route.meta["scope"]
        resource, action = required.split(":")[0:2]
        macro = f"{resource}:{'read' if action == 'read' else 'write'}:admin"
        if required not in scopes and macro not in scopes:
            return zoom_error(400, 4711, f"Invalid access token, does not contain scopes:[{required}].")
        return route.handler(request, **params)

    def _authenticate(self, request: Request) -> set[str]:
        scheme, _, credential = str(request.headers.get("authorization", "")).strip().partition(" ")
        token = self._tokens.get(credential.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise ApiError(zoom_error(401, 124, "Invalid access token."))
        if token["expires_at"] <= self.now():
            raise ApiError(zoom_error(401, 124, "Access token is expired."))
        return set(token["scopes"])

    def _h_token(self, request: Request) -> Response:
        params = dict(request.query)
        if request.content_type == "application/x-www-form-urlencoded" or (
            request.body and "=" in request.body.decode()
        ):
            params.update(request.form())
        scheme, _, credential = str(request.headers.get("authorization", "")).strip().partition(" ")
        try:
            client_id, _, secret = base64.b64decode(credential.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            client_id, secret = "", ""
        if (
            scheme.lower() != "basic"
            or not secrets.compare_digest(client_id, self.client_id)
            or not secrets.compare_digest(secret, self.client_secret)
        ):
            return Response(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if params.get("grant_type") != "account_credentials":
            return Response(400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"})
        if params.get("account_id") != self.account_id:
            return Response(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        now = self.now()
        self._token_count += 1
        scopes = sorted(self.granted_scopes)
        token = jwt.encode(
            {
                "aud": "https://oauth.zoom.us",
                "uid": self._owner_id,
                "ver": 10,
                "auid": secrets.token_hex(16),
                "nbf": int(now),
                "iss": "zm:cid:" + self.client_id,
                "gno": 0,
                "exp": int(now + self.token_lifetime),
                "iat": int(now),
                "aid": self.account_id,
                "jti": secrets.token_hex(8),
            },
            self._token_secret,
            algorithm="HS256",
        )
        self._tokens[token] = {"scopes": set(scopes), "expires_at": now + self.token_lifetime}
        return Response(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
                "scope": " ".join(scopes),
                "api_url": self.url,
            },
        )

    # ================================================================== HTTP: helpers

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        if request.content_type == "application/x-www-form-urlencoded":
            return dict(request.form())
        try:
            data = request.json() if request.body else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ApiError(zoom_error(400, 300, "Request Body should be a valid JSON object."))
        return data

    def _user_or_404(self, key: str) -> dict[str, Any]:
        uid = self._find(key)
        if uid is None:
            raise ApiError(zoom_error(404, 1001, f"User does not exist: {key}."))
        return self._users[uid]

    def _invited_user(self, key: str) -> dict[str, Any]:
        """``_user_or_404``, plus 400 code 1120 for a pending user whose invitation expired (GET/PATCH/DELETE)."""
        user = self._user_or_404(key)
        if user["status"] == "pending" and user.get("_invite_expired"):
            raise ApiError(
                zoom_error(400, 1120, "A valid invitation to join the Zoom account was not found for this user.")
            )
        return user

    def _group_or_404(self, gid: str) -> dict[str, Any]:
        if gid not in self._groups:
            raise ApiError(zoom_error(404, 4130, f"A group with this {gid} does not exist."))
        return self._groups[gid]

    def _role_or_400(self, rid: str) -> dict[str, Any]:
        if rid not in self._roles:
            raise ApiError(zoom_error(400, 1034, f"Role does not exist: {rid}."))
        return self._roles[rid]

    def _page_size(self, request: Request, default: int = 30) -> int:
        raw = request.query.get("page_size")
        if raw in (None, ""):
            return default
        try:
            value = int(str(raw))
        except ValueError:
            raise _validation("page_size") from None
        return max(1, min(value, self.page_size_max))

    def _paginate(self, request: Request, kind: str, items: list[dict[str, Any]]) -> tuple[list[Any], dict[str, Any]]:
        """Keyset pagination on ``_seq`` with server-side tokens. Returns (page, pagination fields)."""
        size = self._page_size(request)
        token = request.query.get("next_page_token") or ""
        start = 0
        if token:
            state = self._page_tokens.get(token)
            if state is None or state["kind"] != kind or state["expires_at"] <= self.now():
                raise ApiError(zoom_error(400, 300, "The next page token is invalid or expired."))
            start = sum(1 for item in items if item["_seq"] <= state["last"])
        elif request.query.get("page_number"):
            try:
                start = (max(1, int(request.query["page_number"])) - 1) * size
            except ValueError:
                raise _validation("page_number") from None
        page = items[start : start + size]
        next_token = ""
        if start + size < len(items) and page:
            next_token = secrets.token_urlsafe(24)[:32]
            self._page_tokens[next_token] = {
                "kind": kind,
                "last": page[-1]["_seq"],
                "expires_at": self.now() + _PAGE_TOKEN_TTL,
            }
        fields = {
            "page_count": math.ceil(len(items) / size) if items else 0,
            "page_number": start // size + 1,
            "page_size": size,
            "total_records": len(items),
            "next_page_token": next_token,
        }
        return page, fields

    # ================================================================== HTTP: users

    def _h_list_users(self, request: Request) -> Response:
        status = request.query.get("status") or "active"
        if status not in ("active", "inactive", "pending"):
            raise _validation("status")
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
            raise _validation("email")
        uid = self._find(email) if "@" in email else None
        existed = uid is not None and 100 in self._users[uid].get("login_types", [])
        return Response(200, {"existed_email": existed})

    def _h_get_user(self, request: Request, userId: str) -> Response:
        return Response(200, self._full_json(self._invited_user(userId)))

    def _h_create_user(self, request: Request) -> Response:
        data = self._body(request)
        action = data.get("action")
        if action not in _ACTIONS:
            raise _validation("action")
        info = data.get("user_info")
        if not isinstance(info, dict):
            raise _validation("user_info")
        email = info.get("email")
        if not _valid_email(email):
            raise _validation("user_info.email")
        user_type = info.get("type")
        if user_type == 3:
            return zoom_error(400, 300, "Your account can't set user type as On-prem.")
        if isinstance(user_type, bool) or user_type not in _TYPES or (user_type == 99 and action != "ssoCreate"):
            raise _validation("user_info.type")
        for name, maximum in (("first_name", 64), ("last_name", 64), ("display_name", 128)):
            value = info.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > maximum):
                raise _validation(f"user_info.{name}")
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
            raise _validation(*forbidden)
        if "type" in data:
            if isinstance(data["type"], bool) or data["type"] not in _TYPES:
                raise _validation("type")
            if "plan_united_type" in data or "zoom_one_type" in data:
                return zoom_error(400, 300, "You cannot update the user type and the plan type at the same time.")
        for name, maximum in (("first_name", 64), ("last_name", 64), ("display_name", 128)):
            value = data.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > maximum):
                raise _validation(name)
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
            raise _validation("action")
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
        if not _valid_email(email):
            raise _validation("email")
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
            raise _validation("action")
        if user["role_id"] == "0":
            return zoom_error(400, 200, "Cannot delete the account owner.")
        if action == "disassociate" and user["role_id"] == "1":
            return zoom_error(400, 1117, "You can not disassociate an Admin user.")
        domain = str(user["email"]).split("@")[-1].lower()
        if action == "disassociate" and self.managed_domains and domain in {d.lower() for d in self.managed_domains}:
            return zoom_error(400, 1107, "You can not disassociate a user with managed domain.")
        self._delete(user["id"])
        return Response(204)

    # ================================================================== HTTP: groups

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
            raise _validation("name")
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

    def _members_arg(self, request: Request) -> list[dict[str, Any]]:
        members = self._body(request).get("members")
        if not isinstance(members, list) or not members or len(members) > 30:
            raise _validation("members")
        if not all(isinstance(m, dict) and (m.get("id") or m.get("email")) for m in members):
            raise _validation("members")
        return members

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

    # ================================================================== HTTP: roles

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
