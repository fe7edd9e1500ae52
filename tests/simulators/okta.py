"""A local Okta Management API simulator (the subset a Zoom assignment sync reads), faithful to the wire protocol.

HTTP side (see /work/shared/reference/okta-api.md):

- auth: ``Authorization: SSWS <api_token>`` (every scope) or ``Authorization: Bearer <token>`` minted by
  ``POST /oauth2/v1/token`` (client credentials + ``private_key_jwt``). Bad or absent credentials: 401 ``E0000011``;
  a bearer token lacking the endpoint's scope: 403 ``E0000006`` with ``WWW-Authenticate: Bearer
  error="insufficient_scope"``. A ``*.manage`` scope includes the matching ``*.read``.
- ``GET /api/v1/apps/{appId}``, ``/apps/{appId}/users[/{userId}]``, ``/apps/{appId}/groups[/{groupId}]``,
  ``/api/v1/groups``, ``/groups/{groupId}``, ``/groups/{groupId}/users``, ``/api/v1/users``, ``/users/{idOrLogin}``,
  ``/users/{id}/groups``, ``/api/v1/logs``.
- every answer carries ``X-Rate-Limit-Limit``/``-Remaining``/``-Reset`` (epoch seconds) and ``X-Okta-Request-Id``;
  errors are ``{errorCode, errorSummary, errorLink, errorId, errorCauses}``; the token endpoint answers errors in the
  OAuth shape ``{error, error_description}``.
- pagination: ``Link: <...>; rel="self"`` and ``Link: <...>; rel="next"`` as separate header lines, absolute URLs,
  opaque base64 ``after`` cursors; a malformed cursor gives 400 ``E0000054``. A ``limit`` above an endpoint's maximum
  is clamped to it (``/apps/{id}/groups``: below its minimum 20 is raised to 20).

Modelled behaviour worth knowing:

- App users are the *effective* assignments: direct (``scope: USER``) or through an assigned group
  (``scope: GROUP``), one row per user, ordered by user id, never DEPROVISIONED users. Deactivating a user removes
  its direct assignment for good (as Okta does); group-derived access comes back on reactivation. SUSPENDED users
  stay listed. A user both direct and group assigned shows ``scope: USER``.
- ``/groups/{id}/users`` lists DEPROVISIONED members too (Okta does not remove them from groups).
- ``/api/v1/users`` without ``filter``/``search`` omits DEPROVISIONED users; with them it includes them.
- ``/users/{id}/groups`` accepts ``okta.users.read`` or ``okta.groups.read``.
- ``filter``/``search`` on ``/api/v1/users`` evaluate SCIM expressions over the User object, e.g.
  ``search=profile.email eq "x@y"`` (string comparisons ignore case; the login need not be an email).
- ``delete_group(group)``: the group is gone. ``GET /groups/{id}`` and ``/groups/{id}/users`` then answer 404
  ``E0000007`` "Not found: Resource not found: <id> (UserGroup)", ``/apps/{appId}/groups/{id}`` 404 too, and the
  group's app assignment disappears with it: members who had the app only through it stop being app users. System
  Log: ``group.lifecycle.delete`` (target: the UserGroup), then, if the group was assigned to the app, one
  ``application.user_membership.remove`` per member who lost the app (``transaction.type: JOB``). Deliberately *no*
  ``group.application_assignment.remove`` and no per-member ``group.user_membership.remove``: an incremental sync
  must read ``group.lifecycle.delete`` (or the per-member removes) to notice.
- ``restore_assignment(user)``: a direct assignment brought back, logged as ``application.user_membership.restore``
  (targets AppUser, AppInstance, User, like ``.add``). The fact sheet (§4a) lists ``.restore`` among the
  provisioning-workflow event types that are **not** event-hook eligible and not in the suggested incremental set.
- ``blank_app_user(user)``: that user's app-user rows carry ``credentials: null`` and ``profile: {}`` (some apps
  do); with ``expand=user`` the ``_embedded.user`` object is still there, without it the row has no username or
  email. ``q`` never matches such a row (its app profile is empty).
- ``disable_feature(path_prefix)``: every request under the prefix (after authentication, before the scope check)
  answers 401 ``E0000015`` "You do not have permission to access the feature you are requesting" (a feature not in
  the org's SKU, e.g. ``/api/v1/logs``).
- Org-wide rate limits (off by default; then every bucket reports its nominal limit and nothing is enforced unless
  ``rate_limit()`` says so): ``enforce_org_rate_limits(share=0.5, window_seconds=60.0)`` gives every bucket of
  ``_bucket`` its org-wide limit per window (``/api/v1/apps*`` 100, ``/api/v1/apps/{id}`` 500, ``/api/v1/groups*``
  500, ``/api/v1/groups/{id}`` 1000, GET ``/api/v1/users/{id}`` 2000, ``/api/v1/users`` and writes to
  ``/users/{id}`` 600, ``/api/v1/logs`` 120, others 1200) and lets each credential (the SSWS token; every bearer/DPoP
  token of the service app counts as that one OAuth client; unknown credentials share one "unauthenticated" slot)
  use at most ``floor(share * limit)`` of it. Headers report that per-credential ceiling: ``X-Rate-Limit-Limit``,
  ``-Remaining`` (also bounded by what is left org-wide) and ``-Reset`` (epoch seconds, end of the window, which
  starts at the first request: not aligned to minutes). Over the ceiling (or the org limit): 429 ``E0000047`` with
  ``X-Rate-Limit-Remaining: 0`` and ``X-Rate-Limit-Reset``; rejected requests use no quota. Paths with a
  ``rate_limit()`` and the token endpoint keep the base behaviour. ``enforce_org_rate_limits(None)`` turns it off.
  ``bucket_counts()`` counts the requests of the request log per bucket (``apps`` = ``/api/v1/apps*``).
- System Log: polling requests (no ``until``, ``sortOrder=ASCENDING``) are ordered by persistence time and always
  carry a ``next`` link, even on an empty page; the cursor continues after the last event scanned. Bounded
  requests (``until`` given, or ``DESCENDING``) filter on ``published`` and have finite pages. ``since`` and ``after``
  together give 400 ``E0000001``; ``published`` in ``filter`` gives 400 ``E0000053``. Retention (90 days, or what
  ``expire_logs_before`` removed): the fact sheet says queries reaching before the retention window *succeed and
  return only retained events*, so a cursor pointing at an expired position simply continues with the oldest
  retained event after it (no error); only a malformed cursor gives ``E0000054``.
- Events appended by every control-API mutation (can be switched off with ``without_events()``); delayed events
  (``add_log_event(..., delay_visibility=s)``) are persisted, and thus seen by pollers, only once visible.
- Missing/absent credentials give 401 ``E0000011`` (never ``E0000005``).
- DPoP (RFC 9449; fact sheet §1c, §6a), off unless ``dpop_required = True`` (the app's "Require Demonstrating Proof
  of Possession (DPoP) header in token requests"); without it a ``DPoP`` header is ignored and tokens are Bearer.
  With it, ``POST /oauth2/v1/token`` (after the client assertion was accepted, its ``jti`` spent) needs a ``DPoP``
  proof: none -> 400 ``invalid_dpop_proof`` "The DPoP proof JWT header is missing."; a malformed or wrong one
  (``typ`` not ``dpop+jwt``, a symmetric ``alg``, a ``jwk`` that is private or does not verify the signature,
  ``htm`` not POST, ``htu`` not the token URL, ``iat`` more than 5 min away, a ``jti`` seen before) -> 400
  ``invalid_dpop_proof``; then no nonce, or one not handed out in the last 3 days -> 400 ``use_dpop_nonce``
  "Authorization server requires nonce in DPoP proof." with ``DPoP-Nonce`` (the nonce rotates every 24 h of the
  simulator clock; the proof's ``jti`` is spent either way). A valid proof -> ``token_type: "DPoP"``, the token
  bound to the RFC 7638 thumbprint of the proof's ``jwk`` (``cnf.jkt``). Resources: ``Authorization: DPoP <token>``
  needs a valid proof signed by the bound key, with ``htm``, ``htu`` (scheme://host/path, no query, the *decoded*
  path: an encoded ``%40`` in ``htu`` is refused, okta-sdk-python #541), ``ath``, a fresh ``jti`` and a recent
  ``iat``; no nonce (Okta requires none for its resources). Proof failures follow the recorded traffic (Okta
  developer blog "Angular DPoP", okta-sdk-dotnet #875): 400 with an *empty body* and ``WWW-Authenticate: DPoP
  algs="...", ..., error="invalid_dpop_proof", error_description="'htu' claim in the DPoP proof JWT is invalid."``
  (replays: "The DPoP proof JWT has already been used."). A DPoP-bound token sent as ``Bearer`` gets what that blog
  recorded too: 400 (empty body) ``WWW-Authenticate: Bearer ..., error="invalid_request", error_description="The
  resource request requires a DPoP proof."`` -- not a 401. An unknown or expired token under the DPoP scheme: 401
  ``E0000011`` with a ``DPoP`` challenge ``error="invalid_token"``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import math
import secrets
import string
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import jwt

from .filters import FilterError, attributes, compile_filter
from .http import ApiError, Headers, RateInfo, Request, Response, SimulatorBase

__all__ = ["DEFAULT_OKTA_SCOPES", "USER_STATUSES", "OktaSimulator"]

DEFAULT_OKTA_SCOPES = ("okta.apps.read", "okta.users.read", "okta.groups.read", "okta.logs.read")
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
_JWT_ALGS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ALNUM = string.ascii_letters + string.digits
_RETENTION_SECONDS = 90 * 86400
_BUCKETS = ("apps", "apps-id", "groups", "groups-id", "users", "users-id-get", "users-id", "logs", "oauth2", "other")
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


def iso_ms(ts: float) -> str:
    """Okta's timestamp format, e.g. ``2024-08-13T15:58:20.353Z``."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(value: float | int | str | datetime) -> float:
    """Epoch seconds from an epoch number, an ISO-8601 string or a datetime (naive = UTC)."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def derived_id(prefix: str, key: str, length: int = 17) -> str:
    """A deterministic Okta-like id: ``prefix`` + ``length`` alphanumerics derived from ``key``."""
    number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest(), "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 62)
        chars.append(_ALNUM[rem])
    return prefix + "".join(chars)


def _random(length: int) -> str:
    """A random alphanumeric string (ids of requests, errors, transactions: not secrets)."""
    raw = base64.b64encode(secrets.token_bytes(length)).decode()
    return "".join(c for c in raw if c.isalnum())[:length].ljust(length, "x")


def _encode_cursor(kind: str, value: str | int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def okta_error(status: int, code: str, summary: str, causes: Iterable[str] = ()) -> Response:
    """An Okta API error answer."""
    return Response(
        status,
        {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": "oae" + _random(22),
            "errorCauses": [{"errorSummary": cause} for cause in causes],
        },
    )


def oauth_error(status: int, error: str, description: str) -> Response:
    return Response(status, {"error": error, "error_description": description})


def _normal_htu(url: str) -> str:
    """An ``htu`` for comparison: scheme and host lower-cased, a default port dropped, no query or fragment. The path
    is compared as it is: Okta matches it against the *decoded* request path (okta-sdk-python #541)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    netloc = host if port is None or port == {"http": 80, "https": 443}.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path}"


def _jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of a public EC or RSA JWK."""
    members = ("crv", "kty", "x", "y") if jwk.get("kty") == "EC" else ("e", "kty", "n")
    canonical = json.dumps({m: jwk.get(m) for m in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")


class OktaSimulator(SimulatorBase):
    """Okta org with one Zoom app instance. See the module docstring for the HTTP behaviour.

    Control API (thread-safe; users and groups may be named by id, or by login / group name):
    ``add_user``, ``update_profile``, ``set_status``, ``add_group``, ``add_member``, ``remove_member``,
    ``assign_user``, ``unassign_user``, ``assign_group``, ``unassign_group``, ``add_log_event``,
    ``expire_logs_before``, ``revoke_tokens``, ``add_oauth_key``, ``remove_oauth_key``, ``set_app_status``,
    ``without_events``, ``delete_group``, ``restore_assignment``, ``blank_app_user``, ``disable_feature``,
    ``enforce_org_rate_limits``; read access: ``users``, ``groups``, ``user``, ``user_id``, ``group_id``,
    ``group_members``, ``assigned_user_ids``, ``log_events``, ``token_count``, ``bucket_counts``. Plain attributes:
    ``api_token`` (rotate it), ``granted_scopes``, ``oauth_client_id``, ``token_lifetime``, ``app_user_status``,
    ``username_attribute``, ``dpop_required`` (read: ``dpop_nonce``, the DPoP nonce handed out now).
    """

    server_header = "nginx"
    token_path = "/oauth2/v1/token"

    def __init__(
        self,
        app_id: str = "0oazoom1",
        api_token: str | None = "ssws-test-token",
        oauth_client_id: str | None = None,
        oauth_public_key_pem: str | bytes | None = None,
        page_limit_default: int | None = None,
        oauth_key_id: str | None = None,
        granted_scopes: Iterable[str] = DEFAULT_OKTA_SCOPES,
        app_label: str = "Zoom",
    ) -> None:
        super().__init__()
        self.app_id = app_id
        self.api_token = api_token
        self.oauth_client_id = oauth_client_id
        self.granted_scopes: set[str] = set(granted_scopes)
        self.page_limit_default = page_limit_default
        self.max_page_size: int | None = None
        self.token_lifetime = 3600
        self.app_user_status = "ACTIVE"  # SSO-only app: ACTIVE with syncState DISABLED; "PROVISIONED" also works
        self.username_attribute = "login"  # app username template ${source.login}; "email" for ${source.email}
        self._oauth_keys: list[tuple[str | None, str]] = []
        self._require_kid = oauth_key_id is not None
        if oauth_public_key_pem is not None:
            pem = oauth_public_key_pem.decode() if isinstance(oauth_public_key_pem, bytes) else oauth_public_key_pem
            self._oauth_keys.append((oauth_key_id, pem))
        self._used_jtis: set[str] = set()
        self._tokens: dict[str, dict[str, Any]] = {}
        self._token_secret = secrets.token_bytes(32)
        self._token_count = 0
        self.dpop_required = False  # the app's "Require DPoP header in token requests"; see the module docstring
        self._dpop_secret = secrets.token_bytes(32)
        self._dpop_jtis: set[str] = set()
        created = self.now() - 86400 * 400
        self._app: dict[str, Any] = {"status": "ACTIVE", "label": app_label, "created": created, "lastUpdated": created}
        self._users: dict[str, dict[str, Any]] = {}
        self._logins: dict[str, str] = {}  # lower-cased login -> user id
        self._groups: dict[str, dict[str, Any]] = {}
        self._members: dict[str, dict[str, float]] = {}
        self._direct: dict[str, float] = {}  # user id -> time of the direct assignment
        self._group_assign: dict[str, dict[str, Any]] = {}  # group id -> {priority, created}
        self._app_users: dict[str, dict[str, Any]] = {}  # effective app users: id -> {created, lastUpdated, appUserId}
        self._events: list[dict[str, Any]] = []  # persisted (visible) events, in persistence order
        self._pending: list[tuple[float, int, dict[str, Any]]] = []  # (visible_at, order, event)
        self._seq = 0
        self._pending_order = 0
        self._events_on = True
        self._expired_before: float | None = None
        self._blank_app_users: set[str] = set()  # blank_app_user(): credentials null, profile {}
        self._disabled_features: set[str] = set()  # disable_feature(): path prefixes answering E0000015
        self._org_rate: tuple[float, float] | None = None  # enforce_org_rate_limits(): (share, window seconds)
        self._org_windows: dict[tuple[str, str], list[float]] = {}  # (bucket, credential or "*org*") -> [start, n]
        self._actor = {
            "id": derived_id("00u", "actor:admin"),
            "type": "User",
            "alternateId": "admin@okta.example",
            "displayName": "Okta Admin",
            "detailEntry": None,
        }
        self._build_routes()

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

    def set_status(self, user: str, status: str) -> None:
        """Move a user to an Okta status (or an action: suspend, unsuspend, deactivate, reactivate -> PROVISIONED,
        activate, lock, unlock) and log the matching lifecycle events. Deactivation removes the direct assignment.
        """
        status = self._status(status)
        with self._lock:
            self._change_status(self._resolve_user(user), status)

    # ================================================================== control API: groups and assignments

    def add_group(self, name: str, id: str | None = None, description: str | None = None) -> str:
        """Create an ``OKTA_GROUP`` and return its id (``00g`` + 17 characters)."""
        with self._lock:
            gid = id or self._unique_id("00g", f"group:{name}", self._groups)
            if gid in self._groups:
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
                self._emit("group.lifecycle.delete", [target])

    def set_app_status(self, status: str) -> None:
        """``ACTIVE`` or ``INACTIVE`` (logs application.lifecycle.activate/deactivate)."""
        with self._lock:
            if status == self._app["status"]:
                return
            self._app["status"] = status
            self._app["lastUpdated"] = self.now()
            kind = "activate" if status == "ACTIVE" else "deactivate"
            self._emit(f"application.lifecycle.{kind}", [self._app_target()])

    # ================================================================== control API: real-org quirks

    def blank_app_user(self, user: str, blank: bool = True) -> None:
        """The user's app-user rows carry ``credentials: null`` and ``profile: {}`` (``_embedded.user`` stays with
        ``expand=user``). ``blank=False`` restores the normal row."""
        with self._lock:
            uid = self._resolve_user(user)
            if blank:
                self._blank_app_users.add(uid)
            else:
                self._blank_app_users.discard(uid)

    def disable_feature(self, path_prefix: str, disabled: bool = True) -> None:
        """Every authenticated request under ``path_prefix`` (e.g. ``/api/v1/logs``) answers 401 ``E0000015``.
        ``disabled=False`` enables the feature again."""
        with self._lock:
            if disabled:
                self._disabled_features.add(path_prefix)
            else:
                self._disabled_features.discard(path_prefix)

    def enforce_org_rate_limits(self, share: float | None = 0.5, window_seconds: float = 60.0) -> None:
        """Enforce Okta's org-wide per-minute buckets, each credential limited to ``share`` (0 < share <= 1) of each,
        in windows of ``window_seconds`` (real clock; keep it short in tests). ``share=None`` turns the mode off.
        Every call starts fresh windows. See the module docstring."""
        if share is not None and not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1]: {share}")
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive: {window_seconds}")
        with self._lock:
            self._org_rate = None if share is None else (float(share), float(window_seconds))
            self._org_windows.clear()

    def bucket_counts(self) -> dict[str, int]:
        """Requests in the request log per rate-limit bucket (faulted and rejected ones included; ``clear_log()``
        resets): ``apps`` (``/api/v1/apps*``), ``apps-id``, ``groups``, ``groups-id``, ``users``, ``users-id-get``,
        ``users-id``, ``logs``, ``oauth2``, ``other``; every key present, 0 when never hit."""
        counts = dict.fromkeys(_BUCKETS, 0)
        for entry in self.requests:
            segments = entry.path.strip("/").split("/") if entry.path.strip("/") else []
            probe = Request(entry.method, entry.path, entry.path, segments, "", {}, {}, Headers())
            key = self._bucket(probe)[0]
            counts[key] = counts.get(key, 0) + 1
        return counts

    # ================================================================== control API: System Log

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
        the retained events after them (see the module docstring)."""
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

    # ================================================================== control API: auth

    def revoke_tokens(self) -> None:
        """Every bearer token minted so far becomes invalid (401 E0000011)."""
        with self._lock:
            self._tokens.clear()

    def add_oauth_key(self, public_key_pem: str | bytes, key_id: str) -> None:
        """Register another public key of the service app (e.g. during key rotation); ``kid`` then becomes needed."""
        pem = public_key_pem.decode() if isinstance(public_key_pem, bytes) else public_key_pem
        with self._lock:
            self._oauth_keys = [(k, p) for k, p in self._oauth_keys if k != key_id] + [(key_id, pem)]

    def remove_oauth_key(self, key_id: str) -> None:
        with self._lock:
            self._oauth_keys = [(k, p) for k, p in self._oauth_keys if k != key_id]

    @property
    def token_count(self) -> int:
        """Access tokens minted by ``POST /oauth2/v1/token``."""
        with self._lock:
            return self._token_count

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

    def assigned_user_ids(self) -> list[str]:
        """The effective app users (what ``GET /apps/{id}/users`` lists), sorted."""
        with self._lock:
            return sorted(self._effective())

    def app_user_scope(self, user: str) -> str | None:
        """``USER``, ``GROUP`` or ``None`` (not assigned)."""
        with self._lock:
            found = self._effective_of(self._resolve_user(user))
            return None if found is None else found[0]

    # ================================================================== internals: model

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

    # ================================================================== internals: System Log

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
            "authenticationContext": {"externalSessionId": _random(25), "interface": None},
            "displayMessage": display_message or _DISPLAY.get(event_type, event_type),
            "eventType": event_type,
            "outcome": {"result": outcome, "reason": None},
            "published": iso_ms(published_ts),
            "securityContext": {},
            "severity": "INFO",
            "debugContext": {"debugData": {"requestId": _random(27)}},
            "legacyEventType": None,
            "transaction": {"type": transaction_type, "id": _random(27), "detail": {}},
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

    # ================================================================== internals: JSON

    def _href(self, path: str) -> str:
        return f"{self.url}{path}" if self.running else path

    def _user_json(self, uid: str) -> dict[str, Any]:
        u = self._users[uid]
        return {
            "id": uid,
            "status": u["status"],
            "created": iso_ms(u["created"]),
            "activated": iso_ms(u["activated"]) if u["activated"] else None,
            "statusChanged": iso_ms(u["statusChanged"]) if u["statusChanged"] else None,
            "lastLogin": None,
            "lastUpdated": iso_ms(u["lastUpdated"]),
            "passwordChanged": None,
            "type": {"id": "oty" + derived_id("", "type:default")},
            "profile": dict(u["profile"]),
            "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {"self": {"href": self._href(f"/api/v1/users/{uid}")}},
        }

    def _group_json(self, gid: str) -> dict[str, Any]:
        g = self._groups[gid]
        return {
            "id": gid,
            "created": iso_ms(g["created"]),
            "lastUpdated": iso_ms(g["lastUpdated"]),
            "lastMembershipUpdated": iso_ms(g["lastMembershipUpdated"]),
            "objectClass": ["okta:user_group"],
            "type": g["type"],
            "profile": dict(g["profile"]),
            "_links": {
                "logo": [
                    {
                        "name": "medium",
                        "href": "https://op1static.oktacdn.com/assets/img/logos/groups/odyssey/okta-medium.png",
                        "type": "image/png",
                    }
                ],
                "users": {"href": self._href(f"/api/v1/groups/{gid}/users")},
                "apps": {"href": self._href(f"/api/v1/groups/{gid}/apps")},
            },
        }

    def _app_json(self) -> dict[str, Any]:
        a = self._app
        return {
            "id": self.app_id,
            "name": "zoomus",
            "label": a["label"],
            "status": a["status"],
            "lastUpdated": iso_ms(a["lastUpdated"]),
            "created": iso_ms(a["created"]),
            "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
            "visibility": {
                "autoSubmitToolbar": False,
                "hide": {"iOS": False, "web": False},
                "appLinks": {"login": True},
            },
            "features": [],
            "signOnMode": "SAML_2_0",
            "credentials": {
                "userNameTemplate": {"template": f"${{source.{self.username_attribute}}}", "type": "BUILT_IN"},
                "signing": {"kid": derived_id("", f"kid:{self.app_id}", 43)},
            },
            "settings": {
                "app": {"subDomain": "acme"},
                "notifications": {"vpn": {"network": {"connection": "DISABLED"}}},
            },
            "_links": {
                "appLinks": [
                    {"name": "login", "href": self._href(f"/home/zoomus/{self.app_id}/1"), "type": "text/html"}
                ],
                "users": {"href": self._href(f"/api/v1/apps/{self.app_id}/users")},
                "groups": {"href": self._href(f"/api/v1/apps/{self.app_id}/groups")},
                "self": {"href": self._href(f"/api/v1/apps/{self.app_id}")},
                "deactivate": {"href": self._href(f"/api/v1/apps/{self.app_id}/lifecycle/deactivate")},
            },
        }

    def _app_user_json(self, uid: str, scope: str, gid: str | None, expand: bool) -> dict[str, Any]:
        u = self._users[uid]
        meta = self._app_users.get(uid) or {"created": u["created"], "lastUpdated": u["lastUpdated"]}
        profile = u["profile"]
        status = self.app_user_status
        links: dict[str, Any] = {
            "app": {"href": self._href(f"/api/v1/apps/{self.app_id}")},
            "user": {"href": self._href(f"/api/v1/users/{uid}")},
        }
        if scope == "GROUP" and gid is not None:
            links["group"] = {"name": self._groups[gid]["profile"]["name"], "href": self._href(f"/api/v1/groups/{gid}")}
        body: dict[str, Any] = {
            "id": uid,
            "externalId": None,
            "created": iso_ms(meta["created"]),
            "lastUpdated": iso_ms(max(meta["lastUpdated"], u["lastUpdated"])),
            "scope": scope,
            "status": status,
            "statusChanged": iso_ms(meta["created"]),
            "passwordChanged": None,
            "syncState": "DISABLED" if status == "ACTIVE" else "SYNCHRONIZED",
            "lastSync": None,
            "credentials": {"userName": self._username(uid)},
            "profile": {
                "email": profile.get("email"),
                "firstName": profile.get("firstName"),
                "lastName": profile.get("lastName"),
            },
            "_links": links,
        }
        if uid in self._blank_app_users:
            body["credentials"], body["profile"] = None, {}
        if expand:
            body["_embedded"] = {"user": self._user_json(uid)}
        return body

    # ================================================================== HTTP: plumbing

    def _build_routes(self) -> None:
        r = self._add_route
        r("GET", "/api/v1/apps/{appId}", self._h_app, scope="okta.apps.read")
        r("GET", "/api/v1/apps/{appId}/users", self._h_app_users, scope="okta.apps.read")
        r("GET", "/api/v1/apps/{appId}/users/{userId}", self._h_app_user, scope="okta.apps.read")
        r("GET", "/api/v1/apps/{appId}/groups", self._h_app_groups, scope="okta.apps.read")
        r("GET", "/api/v1/apps/{appId}/groups/{groupId}", self._h_app_group, scope="okta.apps.read")
        r("GET", "/api/v1/groups", self._h_groups, scope="okta.groups.read")
        r("GET", "/api/v1/groups/{groupId}", self._h_group, scope="okta.groups.read")
        r("GET", "/api/v1/groups/{groupId}/users", self._h_group_users, scope="okta.groups.read")
        r("GET", "/api/v1/users", self._h_users, scope="okta.users.read")
        r("GET", "/api/v1/users/{id}", self._h_user, scope="okta.users.read")
        r("GET", "/api/v1/users/{id}/groups", self._h_user_groups, scope=("okta.users.read", "okta.groups.read"))
        r("GET", "/api/v1/logs", self._h_logs, scope="okta.logs.read")

    def _preflight(self, request: Request) -> Response | None:
        if request.method in ("POST", "PUT") and not request.has_length:
            html = (
                "<html>\r\n<head><title>411 Length Required</title></head>\r\n<body>\r\n"
                "<center><h1>411 Length Required</h1></center>\r\n</body>\r\n</html>\r\n"
            )
            return Response(411, html, content_type="text/html", close=True)
        return None

    def _bucket(self, request: Request) -> tuple[str, int, str | None]:
        s = request.segments
        if s[:1] == ["oauth2"]:
            return "oauth2", 600, None
        if s[:2] != ["api", "v1"] or len(s) < 3:
            return "other", 1200, None
        kind = s[2]
        if kind == "apps":
            return ("apps-id", 500, None) if len(s) == 4 else ("apps", 100, None)
        if kind == "groups":
            return ("groups-id", 1000, None) if len(s) == 4 else ("groups", 500, None)
        if kind == "users":
            if len(s) == 4 and request.method == "GET":
                return "users-id-get", 2000, None
            return ("users", 600, None) if len(s) == 3 else ("users-id", 600, None)
        if kind == "logs":
            return "logs", 120, None
        return "other", 1200, None

    def _rate(self, request: Request, *, count: bool) -> RateInfo:
        """Org-wide buckets with a per-credential share when ``enforce_org_rate_limits`` is on (not for the token
        endpoint nor paths with a ``rate_limit()``); otherwise the base behaviour, unchanged."""
        if (
            self._org_rate is None
            or self._is_token_path(request.path)
            or any(request.path.startswith(prefix) for prefix in self._limits)
        ):
            return super()._rate(request, count=count)
        share, seconds = self._org_rate
        key, org_limit, category = self._bucket(request)
        ceiling = max(1, math.floor(share * org_limit + 1e-9))
        real_now = time.time()
        windows = []
        for owner in (self._credential_key(request), "*org*"):
            window = self._org_windows.get((key, owner))
            if window is None or real_now >= window[0] + seconds:
                window = self._org_windows[(key, owner)] = [real_now, 0]
            windows.append(window)
        mine, org = windows
        blocked = mine[1] >= ceiling or org[1] >= org_limit
        if count and not blocked:
            mine[1] += 1
            org[1] += 1
        org_left = org_limit - org[1]
        reset_at = org[0] + seconds if org_left <= 0 and mine[1] < ceiling else mine[0] + seconds
        return RateInfo(
            limit=ceiling,
            remaining=max(0, min(ceiling - int(mine[1]), org_limit - int(org[1]))),
            reset_at=reset_at,
            category=category,
            exceeded=count and blocked,
        )

    def _credential_key(self, request: Request) -> str:
        """Who a request's quota share belongs to: the SSWS token, or the service app for any of its tokens."""
        scheme, _, credential = str(request.headers.get("authorization", "")).strip().partition(" ")
        scheme, credential = scheme.lower(), credential.strip()
        if scheme == "ssws" and credential:
            return "ssws:" + hashlib.sha256(credential.encode()).hexdigest()[:16]
        if scheme in ("bearer", "dpop") and credential in self._tokens:
            return f"oauth:{self.oauth_client_id}"
        return "unauthenticated"

    def _decorate(self, request: Request, response: Response, rate: RateInfo) -> None:
        defaults = [
            ("X-Okta-Request-Id", _random(27)),
            ("X-Rate-Limit-Limit", str(rate.limit)),
            ("X-Rate-Limit-Remaining", str(rate.remaining)),
            ("X-Rate-Limit-Reset", str(math.ceil(rate.reset_at))),
            ("Cache-Control", "no-cache, no-store"),
            ("Pragma", "no-cache"),
        ]
        for key, value in defaults:
            if not response.has_header(key):
                response.header(key, value)

    def _too_many_requests(self, request: Request, rate: RateInfo) -> Response:
        response = self._fault_response(request, 429)
        response.headers = [(k, v) for k, v in response.headers if not k.lower().startswith("x-rate-limit-")]
        response.header("X-Rate-Limit-Limit", str(rate.limit))
        response.header("X-Rate-Limit-Remaining", "0")
        response.header("X-Rate-Limit-Reset", str(math.ceil(rate.reset_at)))
        return response

    def _fault_response(self, request: Request, status: int) -> Response:
        if self._is_token_path(request.path):
            error = {400: "invalid_request", 401: "invalid_client", 429: "too_many_requests"}.get(
                status, "server_error" if status >= 500 else "invalid_request"
            )
            response = oauth_error(status, error, f"Simulated failure ({status}).")
        else:
            code, summary = {
                400: ("E0000001", "Api validation failed"),
                401: ("E0000011", "Invalid token provided"),
                403: ("E0000006", "You do not have permission to perform the requested action"),
                404: ("E0000007", f"Not found: Resource not found: {request.path} (PublicApi)"),
                405: ("E0000022", "The endpoint does not support the provided HTTP method"),
                429: ("E0000047", "API call exceeded rate limit due to too many requests."),
                503: ("E0000010", "Service is in read only mode"),
            }.get(status, ("E0000009", "Internal Server Error"))
            response = okta_error(status, code, summary)
        if status == 429:
            response.header("X-Rate-Limit-Remaining", "0")
            response.header("X-Rate-Limit-Reset", str(math.ceil(time.time() + 1)))
        return response

    def _dispatch(self, request: Request) -> Response:
        if request.path.rstrip("/") == self.token_path:
            if request.method != "POST":
                return oauth_error(405, "invalid_request", "The endpoint does not support the provided HTTP method.")
            return self._h_token(request)
        principal = self._authenticate(request)
        if any(request.path.startswith(prefix) for prefix in self._disabled_features):
            return okta_error(401, "E0000015", "You do not have permission to access the feature you are requesting")
        route, params, known = self._match_route(request)
        if route is None:
            if known:
                response = okta_error(405, "E0000022", "The endpoint does not support the provided HTTP method")
                return response.header("Allow", "GET")
            return okta_error(404, "E0000007", f"Not found: Resource not found: {request.path} (PublicApi)")
        self._authorize(principal, route.meta["scope"], request)
        return route.handler(request, **params)

    def _authenticate(self, request: Request) -> set[str] | None:
        """None: SSWS (all scopes); a set: the bearer or DPoP token's scopes. Raises 401 (400: a DPoP proof problem)."""
        scheme, _, credential = str(request.headers.get("authorization", "")).strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() == "ssws" and self.api_token and secrets.compare_digest(credential, self.api_token):
            return None
        if scheme.lower() == "dpop":
            return self._authenticate_dpop(request, credential)
        if scheme.lower() == "bearer":
            token = self._tokens.get(credential)
            if token is not None and token["expires_at"] > self.now():
                if token.get("jkt"):
                    raise ApiError(
                        self._dpop_refusal(
                            request, "Bearer", "invalid_request", "The resource request requires a DPoP proof."
                        )
                    )
                return set(token["scopes"])
            response = okta_error(401, "E0000011", "Invalid token provided")
            response.header(
                "WWW-Authenticate",
                f'Bearer authorization_uri="{self._href("/oauth2/v1/authorize")}", realm="IdP", scope="", '
                'error="invalid_token", error_description="The access token is invalid.", '
                f'resource="{request.path}"',
            )
            raise ApiError(response)
        raise ApiError(okta_error(401, "E0000011", "Invalid token provided"))

    def _authorize(self, scopes: set[str] | None, required: str | tuple[str, ...], request: Request) -> None:
        if scopes is None:
            return
        options = (required,) if isinstance(required, str) else required
        for scope in options:
            if scope in scopes or scope.replace(".read", ".manage") in scopes:
                return
        response = okta_error(403, "E0000006", "You do not have permission to perform the requested action")
        response.header(
            "WWW-Authenticate",
            f'Bearer authorization_uri="{self._href("/oauth2/v1/authorize")}", realm="IdP", '
            f'scope="{options[0]}", error="insufficient_scope", '
            'error_description="The access token provided does not contain the required scopes.", '
            f'resource="{request.path}"',
        )
        raise ApiError(response)

    # ================================================================== HTTP: OAuth token endpoint

    def _h_token(self, request: Request) -> Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return oauth_error(
                400,
                "invalid_request",
                "Bad request. Accept and/or Content-Type headers likely do not match supported values.",
            )
        form = request.form()
        if "client_secret" in form or str(request.headers.get("authorization", "")).lower().startswith("basic "):
            return oauth_error(
                401,
                "invalid_client",
                "Client Credentials requests to the Org Authorization Server must use the private_key_jwt "
                "token_endpoint_auth_method",
            )
        grant_type = form.get("grant_type")
        if not grant_type:
            return oauth_error(
                400,
                "invalid_request",
                "The token request must specify a 'grant_type'. Valid values: [client_credentials]",
            )
        if grant_type != "client_credentials":
            return oauth_error(
                400,
                "unsupported_grant_type",
                f"The authorization grant type '{grant_type}' is not supported by the authorization server.",
            )
        if form.get("client_assertion_type") != _ASSERTION_TYPE or not form.get("client_assertion"):
            return oauth_error(401, "invalid_client", "No client credentials found.")
        problem = self._verify_assertion(form["client_assertion"])
        if problem is not None:
            return oauth_error(401, "invalid_client", problem)
        jkt: str | None = None
        if self.dpop_required:
            checked = self._check_dpop_proof(request, nonce_required=True)
            if isinstance(checked, tuple):
                error, description = checked
                response = oauth_error(400, error, description)
                if error == "use_dpop_nonce":
                    response.header("DPoP-Nonce", self.dpop_nonce)
                return response
            jkt = checked
        requested = form.get("scope", "").split()
        if not requested:
            return oauth_error(
                400,
                "invalid_scope",
                "The authorization server resource does not have any configured default scopes, "
                "'scope' must be provided.",
            )
        missing = [s for s in requested if s not in self.granted_scopes]
        if missing:
            return oauth_error(
                400,
                "invalid_scope",
                "The following scopes were requested, but are not granted to the client: " + " ".join(missing),
            )
        now = self.now()
        self._token_count += 1
        token = jwt.encode(
            {
                "ver": 1,
                "jti": "AT." + _random(43),
                "iss": self._href(""),
                "aud": self._href(""),
                "iat": int(now),
                "exp": int(now + self.token_lifetime),
                "cid": self.oauth_client_id,
                "scp": requested,
                "sub": self.oauth_client_id,
                **({"cnf": {"jkt": jkt}} if jkt else {}),
            },
            self._token_secret,
            algorithm="HS256",
        )
        self._tokens[token] = {"scopes": set(requested), "expires_at": now + self.token_lifetime, "jkt": jkt}
        return Response(
            200,
            {
                "token_type": "DPoP" if jkt else "Bearer",
                "expires_in": self.token_lifetime,
                "access_token": token,
                "scope": " ".join(requested),
            },
        )

    def _verify_assertion(self, assertion: str) -> str | None:
        """None when the client assertion is acceptable, else the error description."""
        if not self.oauth_client_id or not self._oauth_keys:
            return "The client_assertion token is invalid: no service app is configured with a public key."
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return "The client_assertion token is malformed."
        alg = header.get("alg")
        if alg not in _JWT_ALGS:
            return f"The client_assertion token has an unsupported 'alg' ({alg})."
        kid = header.get("kid")
        if kid is not None:
            keys = [pem for k, pem in self._oauth_keys if k == kid]
            if not keys:
                return f"The client_assertion token has an invalid 'kid' ({kid}): no such key is registered."
        elif self._require_kid or len(self._oauth_keys) > 1:
            return "The client_assertion token must carry a 'kid' header: the client has several keys."
        else:
            keys = [self._oauth_keys[0][1]]
        audience = self._href(self.token_path)
        try:
            claims = jwt.decode(
                assertion,
                keys[0],
                algorithms=[alg],
                audience=audience,
                issuer=self.oauth_client_id,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.InvalidAudienceError:
            return f"The audience [aud] claim in the client_assertion token is invalid (expected {audience})."
        except jwt.InvalidIssuerError:
            return "The issuer [iss] claim in the client_assertion token is invalid."
        except jwt.ExpiredSignatureError:
            return "The client_assertion token is expired."
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            return f"The client_assertion token is invalid: {exc}."
        if claims.get("sub") != self.oauth_client_id:
            return "The subject [sub] claim in the client_assertion token must equal the client_id."
        if float(claims["exp"]) > time.time() + 3600 + 5:
            return "The client_assertion token expiration is too far in the future (more than 1 hour)."
        jti = claims.get("jti")
        if jti is not None:
            if jti in self._used_jtis:
                return "The client_assertion token has already been used (jti replay)."
            self._used_jtis.add(str(jti))
        return None

    # ================================================================== HTTP: DPoP (RFC 9449)

    @property
    def dpop_nonce(self) -> str:
        """The DPoP nonce the token endpoint hands out now (it rotates every 24 h of the simulator clock)."""
        return self._dpop_nonce_of(int(self.now() // 86400))

    def _dpop_nonce_of(self, day: int) -> str:
        digest = hashlib.sha256(self._dpop_secret + str(day).encode()).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def _dpop_nonce_ok(self, nonce: object) -> bool:
        """A nonce handed out in the last 3 days (fact sheet: an old nonce stays valid 3 days)."""
        day = int(self.now() // 86400)
        return isinstance(nonce, str) and any(
            secrets.compare_digest(nonce, self._dpop_nonce_of(day - back)) for back in range(4)
        )

    def _check_dpop_proof(
        self, request: Request, *, access_token: str | None = None, nonce_required: bool = False
    ) -> str | tuple[str, str]:
        """The RFC 7638 thumbprint of the proof's key if the ``DPoP`` header proves this request, else
        ``(error, error_description)``. Spends the proof's ``jti``."""
        proof = str(request.headers.get("dpop") or "").strip()
        bad = "invalid_dpop_proof"
        if not proof:
            return bad, "The DPoP proof JWT header is missing."
        try:
            header = jwt.get_unverified_header(proof)
        except jwt.PyJWTError:
            return bad, "DPoP proof JWT cannot be parsed."
        if header.get("typ") != "dpop+jwt":
            return bad, "The DPoP proof JWT 'typ' header is invalid."
        alg = header.get("alg")
        if alg not in _JWT_ALGS:
            return bad, "The DPoP proof JWT 'alg' header is invalid."
        jwk = header.get("jwk")
        if not isinstance(jwk, dict) or jwk.get("kty") not in ("EC", "RSA") or "d" in jwk or "p" in jwk:
            return bad, "The DPoP proof JWT 'jwk' header is invalid."
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            claims = jwt.decode(
                proof,
                key,
                algorithms=[alg],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            return bad, "The DPoP proof JWT signature is invalid."
        for claim in ("htm", "htu", "iat", "jti"):
            if claim not in claims:
                return bad, f"The DPoP proof JWT is missing the '{claim}' claim."
        if claims["htm"] != request.method:
            return bad, "'htm' claim in the DPoP proof JWT is invalid."
        if _normal_htu(str(claims["htu"])) != _normal_htu(self._href(request.path)):
            return bad, "'htu' claim in the DPoP proof JWT is invalid."
        try:
            iat = float(claims["iat"])
        except (TypeError, ValueError):
            iat = math.nan
        if not abs(time.time() - iat) <= 300:  # real time, like the client assertion's checks
            return bad, "'iat' claim in the DPoP proof JWT is invalid."
        if access_token is not None:
            expected = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).decode().rstrip("=")
            if claims.get("ath") != expected:
                return bad, "'ath' claim in the DPoP proof JWT is invalid."
        jti = str(claims["jti"])
        if jti in self._dpop_jtis:
            return bad, "The DPoP proof JWT has already been used."
        self._dpop_jtis.add(jti)
        if nonce_required and not self._dpop_nonce_ok(claims.get("nonce")):
            return "use_dpop_nonce", "Authorization server requires nonce in DPoP proof."
        return _jwk_thumbprint(jwk)

    def _dpop_refusal(self, request: Request, scheme: str, error: str, description: str) -> Response:
        """Okta's answer to a resource request whose DPoP proof is missing or wrong: 400, empty body, the reason in
        ``WWW-Authenticate`` (recorded traffic, see the module docstring)."""
        algs = ' algs="RS256 RS384 RS512 ES256 ES384 ES512",' if scheme == "DPoP" else ""
        response = Response(400, None)
        return response.header(
            "WWW-Authenticate",
            f'{scheme}{algs} authorization_uri="{self._href("/oauth2/v1/authorize")}", realm="{self._href("")}", '
            f'scope="", error="{error}", error_description="{description}", resource="{request.path}"',
        )

    def _authenticate_dpop(self, request: Request, credential: str) -> set[str]:
        token = self._tokens.get(credential)
        if token is None or token["expires_at"] <= self.now() or not token.get("jkt"):
            response = okta_error(401, "E0000011", "Invalid token provided")
            response.header(
                "WWW-Authenticate",
                'DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", '
                f'authorization_uri="{self._href("/oauth2/v1/authorize")}", realm="{self._href("")}", scope="", '
                'error="invalid_token", '
                f'error_description="The access token is invalid.", resource="{request.path}"',
            )
            raise ApiError(response)
        checked = self._check_dpop_proof(request, access_token=credential)
        if isinstance(checked, tuple):
            raise ApiError(self._dpop_refusal(request, "DPoP", *checked))
        if not secrets.compare_digest(checked, token["jkt"]):
            raise ApiError(
                self._dpop_refusal(
                    request, "DPoP", "invalid_dpop_proof", "The DPoP proof JWT key does not match the access token."
                )
            )
        return set(token["scopes"])

    # ================================================================== HTTP: helpers

    def _int_param(self, request: Request, name: str) -> int | None:
        raw = request.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise ApiError(
                okta_error(400, "E0000001", f"Api validation failed: {name}", [f"{name}: invalid integer value"])
            ) from None

    def _limit(self, request: Request, default: int, maximum: int | None, minimum: int = 1) -> int:
        value = self._int_param(request, "limit")
        if value is None:
            value = self.page_limit_default if self.page_limit_default is not None else default
        if maximum is not None:
            value = min(value, maximum)
        if self.max_page_size is not None:  # a test knob: small pages without thousands of users
            value = min(value, self.max_page_size)
        return max(value, minimum)

    @staticmethod
    def _cursor(request: Request, kind: str) -> str | None:
        raw = request.query.get("after")
        if raw is None or raw == "":
            return None
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        prefix = f"{kind}:"
        if not decoded.startswith(prefix):
            raise ApiError(okta_error(400, "E0000054", "Invalid paging request.", ["after: invalid cursor"]))
        return decoded[len(prefix) :]

    def _page(self, request: Request, next_cursor: str | None, *, drop: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """Link headers: self, and next when ``next_cursor`` is given."""
        base = f"{self.url}{request.raw_path}"
        self_query = request.raw_query
        links = [("Link", f'<{base}{"?" + self_query if self_query else ""}>; rel="self"')]
        if next_cursor is not None:
            changes: dict[str, str | None] = dict.fromkeys(drop)
            changes["after"] = next_cursor
            links.append(("Link", f'<{base}?{self._query_with(request, **changes)}>; rel="next"'))
        return links

    def _require_app(self, app_id: str) -> None:
        if app_id != self.app_id:
            raise ApiError(okta_error(404, "E0000007", f"Not found: Resource not found: {app_id} (AppInstance)"))

    def _require_group(self, gid: str) -> None:
        if gid not in self._groups:
            raise ApiError(okta_error(404, "E0000007", f"Not found: Resource not found: {gid} (UserGroup)"))

    @staticmethod
    def _compile(expression: str, code: str = "E0000031") -> Any:
        try:
            return compile_filter(expression)
        except FilterError as exc:
            summary = "Invalid search criteria." if code == "E0000031" else "Invalid SCIM filter."
            raise ApiError(okta_error(400, code, summary, [str(exc)])) from None

    @staticmethod
    def _keyset(items: list[Any], key: Any, after: str | None, limit: int) -> tuple[list[Any], str | None]:
        if after is not None:
            items = [item for item in items if key(item) > after]
        page = items[:limit]
        more = len(items) > limit
        return page, (key(page[-1]) if more and page else None)

    # ================================================================== HTTP: apps

    def _h_app(self, request: Request, appId: str) -> Response:
        self._require_app(appId)
        return Response(200, self._app_json())

    def _h_app_users(self, request: Request, appId: str) -> Response:
        self._require_app(appId)
        limit = self._limit(request, 50, 500)
        after = self._cursor(request, "au")
        expand = request.query.get("expand") == "user"
        rows = sorted(self._effective().items())
        q = (request.query.get("q") or "").lower()
        if q:

            def hit(uid: str) -> bool:
                if uid in self._blank_app_users:
                    return False
                p = self._users[uid]["profile"]
                values = (self._username(uid), p.get("firstName"), p.get("lastName"), p.get("email"))
                return any(str(v or "").lower().startswith(q) for v in values)

            rows = [row for row in rows if hit(row[0])]
        page, last = self._keyset(rows, lambda row: row[0], after, limit)
        body = [self._app_user_json(uid, scope, gid, expand) for uid, (scope, gid) in page]
        return Response(200, body, self._page(request, None if last is None else _encode_cursor("au", last)))

    def _h_app_user(self, request: Request, appId: str, userId: str) -> Response:
        self._require_app(appId)
        found = self._effective_of(userId) if userId in self._users else None
        if found is None:
            return okta_error(404, "E0000007", f"Not found: Resource not found: {userId} (AppUser)")
        return Response(200, self._app_user_json(userId, found[0], found[1], request.query.get("expand") == "user"))

    def _assignment_json(self, gid: str) -> dict[str, Any]:
        a = self._group_assign[gid]
        return {
            "id": gid,
            "lastUpdated": iso_ms(a["lastUpdated"]),
            "priority": a["priority"],
            "profile": {},
            "_links": {
                "app": {"href": self._href(f"/api/v1/apps/{self.app_id}")},
                "self": {"href": self._href(f"/api/v1/apps/{self.app_id}/groups/{gid}")},
                "group": {"href": self._href(f"/api/v1/groups/{gid}")},
            },
        }

    def _h_app_groups(self, request: Request, appId: str) -> Response:
        self._require_app(appId)
        limit = self._limit(request, 20, 200, minimum=20)
        after = self._cursor(request, "ag")
        q = (request.query.get("q") or "").lower()
        gids = sorted(g for g in self._group_assign if self._groups[g]["profile"]["name"].lower().startswith(q))
        page, last = self._keyset(gids, lambda g: g, after, limit)
        body = []
        for gid in page:
            item = self._assignment_json(gid)
            if request.query.get("expand") == "group":
                item["_embedded"] = {"group": self._group_json(gid)}
            body.append(item)
        return Response(200, body, self._page(request, None if last is None else _encode_cursor("ag", last)))

    def _h_app_group(self, request: Request, appId: str, groupId: str) -> Response:
        self._require_app(appId)
        if groupId not in self._group_assign:
            return okta_error(404, "E0000007", f"Not found: Resource not found: {groupId} (ApplicationGroupAssignment)")
        return Response(200, self._assignment_json(groupId))

    # ================================================================== HTTP: groups

    def _h_groups(self, request: Request) -> Response:
        limit = self._limit(request, 200, 10000)
        after = self._cursor(request, "g")
        groups = [self._group_json(gid) for gid in sorted(self._groups)]
        q = (request.query.get("q") or "").lower()
        if q:
            groups = [g for g in groups if g["profile"]["name"].lower().startswith(q)]
        for param in ("filter", "search"):
            if request.query.get(param):
                predicate = self._compile(request.query[param])
                groups = [g for g in groups if predicate(g)]
        page, last = self._keyset(groups, lambda g: g["id"], after, limit)
        return Response(200, page, self._page(request, None if last is None else _encode_cursor("g", last)))

    def _h_group(self, request: Request, groupId: str) -> Response:
        self._require_group(groupId)
        return Response(200, self._group_json(groupId))

    def _h_group_users(self, request: Request, groupId: str) -> Response:
        self._require_group(groupId)
        limit = self._limit(request, 1000, None)
        after = self._cursor(request, "gu")
        page, last = self._keyset(sorted(self._members[groupId]), lambda u: u, after, limit)
        body = [self._user_json(uid) for uid in page]
        return Response(200, body, self._page(request, None if last is None else _encode_cursor("gu", last)))

    # ================================================================== HTTP: users

    def _lookup_user(self, key: str) -> str | None:
        if key in self._users:
            return key
        found = self._find_user_by_login(key)
        if found is not None:
            return found
        short = [
            uid for uid, u in self._users.items() if str(u["profile"]["login"]).lower().split("@")[0] == key.lower()
        ]
        return short[0] if len(short) == 1 else None

    def _h_users(self, request: Request) -> Response:
        users = [self._user_json(uid) for uid in sorted(self._users)]
        q = (request.query.get("q") or "").lower()
        expression = request.query.get("search") or request.query.get("filter")
        if expression:
            predicate = self._compile(expression)
            users = [u for u in users if predicate(u)]
        else:
            users = [u for u in users if u["status"] != "DEPROVISIONED"]
        if q:
            fields = ("login", "email", "firstName", "lastName")
            users = [u for u in users if any(str(u["profile"].get(f) or "").lower().startswith(q) for f in fields)]
        limit = self._limit(request, 10 if q else 200, 200 if q else 10000)
        after = self._cursor(request, "u")
        page, last = self._keyset(users, lambda u: u["id"], after, limit)
        return Response(200, page, self._page(request, None if last is None else _encode_cursor("u", last)))

    def _h_user(self, request: Request, id: str) -> Response:
        uid = self._lookup_user(id)
        if uid is None:
            return okta_error(404, "E0000007", f"Not found: Resource not found: {id} (User)")
        body = self._user_json(uid)
        etag = hashlib.sha1(repr(sorted(body["profile"].items())).encode() + body["status"].encode()).hexdigest()[:16]
        return Response(200, body).header("ETag", f'W/"{etag}"')

    def _h_user_groups(self, request: Request, id: str) -> Response:
        uid = self._lookup_user(id)
        if uid is None:
            return okta_error(404, "E0000007", f"Not found: Resource not found: {id} (User)")
        body = [self._group_json(gid) for gid in sorted(self._groups) if uid in self._members[gid]]
        return Response(200, body)

    # ================================================================== HTTP: System Log

    def _h_logs(self, request: Request) -> Response:
        self._promote()
        q = request.query
        now = self.now()
        limit = self._limit(request, 100, 1000, minimum=0)
        sort_order = (q.get("sortOrder") or "ASCENDING").upper()
        if sort_order not in ("ASCENDING", "DESCENDING"):
            return okta_error(
                400, "E0000001", "Api validation failed: sortOrder", ["sortOrder: ASCENDING or DESCENDING"]
            )
        if q.get("since") and q.get("after"):
            return okta_error(
                400, "E0000001", "Api validation failed: since", ["since and after are mutually exclusive"]
            )
        times: dict[str, float] = {}
        for name in ("since", "until"):
            if q.get(name):
                try:
                    times[name] = parse_time(q[name])
                except ValueError:
                    return okta_error(400, "E0000001", f"Api validation failed: {name}", [f"{name}: invalid date"])
        predicate = None
        if q.get("filter"):
            try:
                used = attributes(q["filter"])
            except FilterError as exc:
                return okta_error(400, "E0000053", "Invalid SCIM filter.", [str(exc)])
            if any(a == "published" for a in used):
                return okta_error(400, "E0000053", "Invalid SCIM filter.", ["published cannot be used in a filter"])
            predicate = self._compile(q["filter"], code="E0000053")
        keywords = [k.lower() for k in (q.get("q") or "").split()]
        retention_start = max(now - _RETENTION_SECONDS, self._expired_before or 0.0)
        retained = [e for e in self._events if e["_published"] >= retention_start]

        def matches(event: dict[str, Any]) -> bool:
            if predicate is not None and not predicate(event):
                return False
            if keywords:
                text = repr(self._public_event(event)).lower()
                return all(k in text for k in keywords)
            return True

        if "until" not in times and sort_order == "ASCENDING":
            # Polling request: persistence order, endless pages, the next link always present.
            cursor = self._cursor(request, "log")
            if cursor is not None:
                if not cursor.isdigit():
                    return okta_error(400, "E0000054", "Invalid paging request.", ["after: invalid cursor"])
                position = int(cursor)
            else:
                since = times.get("since", now - 7 * 86400)
                position = max((e["_seq"] for e in self._events if e["_persisted"] < since), default=0)
            out: list[dict[str, Any]] = []
            next_position = position
            full = False
            for event in (e for e in retained if e["_seq"] > position):
                if len(out) >= limit:
                    full = True
                    break
                next_position = event["_seq"]
                if matches(event):
                    out.append(self._public_event(event))
            if not full:
                next_position = max(position, self._seq)
            links = self._page(request, _encode_cursor("log", next_position), drop=("since",))
            return Response(200, out, links)
        # Bounded request: filtered and ordered by published, finite pages. The cursor carries the window, so the
        # next link needs no ``since`` (``since`` and ``after`` stay mutually exclusive).
        cursor = self._cursor(request, "logb")
        if cursor is not None:
            parts = cursor.split(":")
            try:
                offset, since, until = int(parts[0]), float(parts[1]), float(parts[2])
            except (IndexError, ValueError):
                return okta_error(400, "E0000054", "Invalid paging request.", ["after: invalid cursor"])
        else:
            offset = 0
            until = times.get("until", now)
            since = times.get("since", until - 7 * 86400)
        items = [e for e in retained if since <= e["_published"] < until and matches(e)]
        items.sort(key=lambda e: (e["_published"], e["_seq"]), reverse=sort_order == "DESCENDING")
        page = [self._public_event(e) for e in items[offset : offset + limit]]
        more = offset + limit < len(items) and limit > 0
        next_cursor = _encode_cursor("logb", f"{offset + limit}:{since!r}:{until!r}") if more else None
        return Response(200, page, self._page(request, next_cursor, drop=("since",)))
