"""Zoom REST API v2 client: `ZoomClient` implements `ports.ZoomReader` and `ports.ZoomWriter`.

Server-to-Server OAuth (`auth.py`: minted lazily, cached, re-minted once on a 401 code 124). Role and
group names go through the account's catalogues (`catalogue.py`). Paging follows `next_page_token`
until it is empty. Zoom's codes for "no such user", "not a member" and "invitation expired" are read
here, where they mean "already done" or "absent"; a write that Zoom refuses because the email is
taken (1005) or the user is in a managed domain (1107) raises `EmailTakenError` /
`ManagedDomainUserError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import requests

from okta_zoom_sync.adapters.http.limiter import RateLimiter
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.http.sessions import new_session
from okta_zoom_sync.adapters.http.stats import RequestStats
from okta_zoom_sync.adapters.http.transport import ApiTransport
from okta_zoom_sync.adapters.zoom.auth import ZoomServerToServerToken, zoom_token_error
from okta_zoom_sync.adapters.zoom.catalogue import Catalogue
from okta_zoom_sync.adapters.zoom.errors import (
    ZOOM_GROUP_NAME_TAKEN,
    ZOOM_INVITATION_EXPIRED,
    ZOOM_MEMBER_NOT_IN_GROUP,
    ZOOM_PICTURE_REFUSED,
    ZOOM_USER_NOT_FOUND,
    ZOOM_USER_NOT_IN_ACCOUNT,
    ZOOM_VALIDATION_FAILED,
    is_zoom_code,
    typed_error,
    zoom_error,
)
from okta_zoom_sync.adapters.zoom.profile import ZoomProfile
from okta_zoom_sync.core.attributes import CUSTOM_PREFIX
from okta_zoom_sync.core.model import MEMBER_ROLE, Listing, ZoomStatus, ZoomUser
from okta_zoom_sync.core.policy import ZOOM_PROFILE_FIELDS
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    PictureRefusedError,
    TransferTargetError,
)
from okta_zoom_sync.observability import logger

PAGE_SIZE = 300  # the maximum in every spec version
LIST_STATUSES: tuple[str, ...] = (ZoomStatus.ACTIVE, ZoomStatus.INACTIVE, ZoomStatus.PENDING)
# Zoom's conventional built-in role ids, used only when GET /roles is not allowed.
FALLBACK_ROLES: dict[str, str] = {"0": "Owner", "1": "Admin", "2": MEMBER_ROLE}
UPDATABLE_FIELDS = frozenset({"type", *ZOOM_PROFILE_FIELDS})
STATUS_ACTIONS = frozenset({"activate", "deactivate"})
DELETE_ACTIONS = frozenset({"delete", "disassociate"})
# What a delete with transfer moves to the target (DELETE /users/{userId} query flags).
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TRANSFER_FLAGS = ("transfer_meeting", "transfer_webinar", "transfer_recording")


class ZoomClient:
    """Reads and writes one Zoom account's users through the REST API v2."""

    def __init__(
        self,
        api_url: str,
        token_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        *,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        page_size: int = PAGE_SIZE,
        limiter: RateLimiter | None = None,
        pool_size: int = 10,
    ) -> None:
        """`limiter`: the token buckets every API request goes through (`limits.ZoomRateLimiter`, one per label);
        None sends at once (the token endpoint is never limited here: it has its own, far higher, limit). `pool_size`:
        connections kept open per host, at least one per thread that applies users."""
        # One session per origin (zoom.us mints tokens, api.zoom.us answers the API): each with its pool and the
        # environment's proxy settings for that origin, read once (adapters/http/sessions.py).
        token_session = session or new_session(token_url)
        api_session = session or new_session(api_url, pool_size=max(10, pool_size))
        self.stats = RequestStats("zoom")
        self.page_size = max(1, min(page_size, PAGE_SIZE))
        token_transport = ApiTransport(
            "zoom",
            token_url,
            setting_name="ZOOM_TOKEN_URL",
            error_parser=zoom_token_error,
            retry=retry,
            session=token_session,
            stats=self.stats,
        )
        self._token = ZoomServerToServerToken(
            token_transport,
            token_url=token_transport.base_url,
            account_id=account_id,
            client_id=client_id,
            secret=client_secret,
        )
        self._api = ApiTransport(
            "zoom",
            api_url,
            setting_name="ZOOM_API_URL",
            error_parser=zoom_error,
            auth=self._token,
            retry=retry,
            session=api_session,
            stats=self.stats,
            limiter=limiter,
        )
        self._roles = Catalogue("role", self._load_roles)
        self._groups = Catalogue("group", self._load_groups)
        self.profile = ZoomProfile()
        self._roles_fallback = False  # GET /roles was refused: the roles known are Zoom's built-in ones

    def keep_profile(self, layout: tuple[str, ...]) -> None:
        """The profile fields the policy maps (core/attributes.profile_layout): read from rows, written by
        update_user."""
        self.profile = ZoomProfile(layout)

    # -- connection check -------------------------------------------------------------------------

    @property
    def granted_scopes(self) -> frozenset[str]:
        """The scopes of the current token (the token response's `scope`); empty before the first mint."""
        return frozenset((self._token.granted_scope or "").split())

    def verify_credentials(self) -> None:
        """Mint a token now. Raises AuthError ("Zoom rejected the Server-to-Server OAuth credentials: …")."""
        self._token.token()

    # -- ports.ZoomReader ---------------------------------------------------------------------------

    def list_users(self) -> Listing[ZoomUser]:
        """Every user: active, inactive and pending (three listings). A listing that fails part way, or that
        ends with fewer users than its `total_records`, makes the result incomplete (`complete` False)."""
        users: dict[str, ZoomUser] = {}
        short: list[str] = []
        try:
            for status in LIST_STATUSES:
                counter = _Count()
                params = {"status": str(status), **self.profile.list_params()}
                for row in self._pages("/users", "users", params, counter):
                    user = self._user(row, status=str(status))
                    if "role_id" not in row and user.zoom_id and status != ZoomStatus.PENDING:
                        user = self.get_user(user.zoom_id) or user  # GET /users/{id} names the role
                    # A user whose status changes mid-listing can show up twice: keep the first sighting.
                    users.setdefault(user.zoom_id or f"email:{user.email.casefold()}", user)
                if counter.total is not None and counter.seen < counter.total:
                    short.append(f"{status} {counter.seen} of {counter.total}")
        except ApiError as exc:
            if not users or isinstance(exc, AuthError | PermissionDeniedError):
                raise  # nothing read, or the credential is refused: the run fails
            reason = f"Zoom's user list failed after {len(users)} users: {exc.message}"
            return Listing(users.values(), complete=False, reason=reason)
        if short:
            reason = "Zoom's user list ended before its total_records (" + ", ".join(short) + ")"
            return Listing(users.values(), complete=False, reason=reason)
        return Listing(users.values())

    def get_user(self, id_or_email: str) -> ZoomUser | None:
        """One user by id or email; None when Zoom says it has no such user in this account (1001, 1010).
        Any other 404 (e.g. 2300 "Route not found": a wrong ZOOM_API_URL) is an error, never "absent"."""
        try:
            row = self._api.request_json("GET", f"/users/{_q(id_or_email)}")
        except NotFoundError as exc:
            if is_zoom_code(exc, ZOOM_USER_NOT_FOUND):
                return None
            raise
        except PermanentError as exc:
            if is_zoom_code(exc, ZOOM_USER_NOT_IN_ACCOUNT):
                return None
            if not is_zoom_code(exc, ZOOM_INVITATION_EXPIRED):
                raise
            # A pending user whose invitation expired: Zoom refuses to show it, but it is still a pending user.
            email = id_or_email if "@" in id_or_email else ""
            zoom_id = None if "@" in id_or_email else id_or_email
            return ZoomUser(zoom_id, email, "", "", 1, ZoomStatus.PENDING, None, frozenset(), invitation_expired=True)
        if not isinstance(row, Mapping):
            raise PermanentError("Zoom returned a user that is not an object", api="zoom", code="bad_response")
        return self._user(row, status=str(row.get("status") or ZoomStatus.ACTIVE))

    # -- ports.ZoomDirectory: what the policy's rules name -------------------------------------------------

    def list_roles(self) -> Listing[str]:
        """The account's role names (GET /roles, read once per client). Incomplete when the credential may not list
        roles: then only Zoom's built-in roles are known."""
        names = tuple(self._roles.by_id().values())
        if self._roles_fallback:
            reason = "Zoom refused GET /roles (grant role:read:list_roles:admin): only the built-in roles are known"
            return Listing(names, complete=False, reason=reason)
        return Listing(names)

    def list_groups(self) -> dict[str, str]:
        """The account's groups, id -> name (GET /groups, read once per client)."""
        return dict(self._groups.by_id())

    def create_group(self, name: str) -> str:
        """POST /groups; the new group's id. A group of that name made meanwhile (409 code 4132) is the one wanted:
        its id is returned."""
        try:
            body = self._api.request_json("POST", "/groups", json={"name": name})
        except ConflictError as exc:
            if not is_zoom_code(exc, ZOOM_GROUP_NAME_TAKEN):
                raise
            return self._groups.id_for(name)
        if not isinstance(body, Mapping) or not body.get("id"):
            raise PermanentError(f"Zoom created group {name!r} but returned no id", api="zoom", code="bad_response")
        group_id = str(body["id"])
        self._groups.remember(group_id, str(body.get("name") or name))
        return group_id

    # -- ports.ZoomWriter ---------------------------------------------------------------------------

    def create_user(self, *, action: str, email: str, first_name: str, last_name: str, license_type: int) -> str:
        """The new user's id. EmailTakenError when the address is in the account already (1005)."""
        user_info = {"email": email, "type": license_type, "first_name": first_name, "last_name": last_name}
        with _typed_errors():
            body = self._api.request_json("POST", "/users", json={"action": action, "user_info": user_info})
        if not isinstance(body, Mapping) or not body.get("id"):
            raise PermanentError(f"Zoom created {email} but returned no id", api="zoom", code="bad_response")
        return str(body["id"])

    def update_user(self, zoom_id: str, fields: Mapping[str, Any]) -> None:
        """Profile fields (custom attributes as `custom_attributes.<name>`) or the license `type`."""
        refused = sorted(f for f in fields if f not in UPDATABLE_FIELDS and not f.startswith(CUSTOM_PREFIX))
        if refused:
            raise ValueError(
                f"update_user cannot change {', '.join(refused)} (only {', '.join(sorted(UPDATABLE_FIELDS))})"
            )
        if fields:
            self._api.request("PATCH", f"/users/{_q(zoom_id)}", json=self.profile.body(fields))

    def set_status(self, zoom_id: str, action: str) -> None:
        if action not in STATUS_ACTIONS:
            raise ValueError(f"unknown Zoom status action {action!r}")
        try:
            self._api.request("PUT", f"/users/{_q(zoom_id)}/status", json={"action": action})
        except NotFoundError as exc:
            if action == "deactivate" and is_zoom_code(exc, ZOOM_USER_NOT_FOUND):
                return  # already gone: nothing left to deactivate
            raise

    def change_email(self, zoom_id: str, email: str) -> None:
        """EmailTakenError when another user holds the address (1005)."""
        with _typed_errors():
            self._api.request("PUT", f"/users/{_q(zoom_id)}/email", json={"email": email})

    def assign_role(self, zoom_id: str, role_name: str) -> None:
        role_id = self._role_id(role_name)
        self._api.request("POST", f"/roles/{_q(role_id)}/members", json={"members": [{"id": zoom_id}]})

    def remove_role(self, zoom_id: str, role_name: str) -> None:
        role_id = self._role_id(role_name)
        try:
            self._api.request("DELETE", f"/roles/{_q(role_id)}/members/{_q(zoom_id)}")
        except (PermanentError, NotFoundError):
            # Zoom has no "not a member of this role" code (a retried DELETE that was applied gets a 400):
            # look at the user; a user who is gone or no longer holds the role means the removal is done.
            user = self.get_user(zoom_id)
            if user is None or (user.role is not None and user.role.casefold() != role_name.strip().casefold()):
                return
            raise

    def add_to_group(self, zoom_id: str, group_name: str) -> None:
        group_id = self._group_id(group_name)
        self._api.request("POST", f"/groups/{_q(group_id)}/members", json={"members": [{"id": zoom_id}]})

    def remove_from_group(self, zoom_id: str, group_name: str) -> None:
        group_id = self._group_id(group_name)
        try:
            self._api.request("DELETE", f"/groups/{_q(group_id)}/members/{_q(zoom_id)}")
        except NotFoundError as exc:
            if is_zoom_code(exc, ZOOM_MEMBER_NOT_IN_GROUP):
                return  # not a member: already done
            raise

    def delete_user(self, zoom_id: str, action: str, *, transfer_email: str | None = None) -> None:
        """Done when the user is gone already. ManagedDomainUserError when Zoom refuses to disassociate a user of
        a managed domain (1107): such a user can only be deleted. With `transfer_email`, the user's meetings,
        webinars and recordings move to that user in the same call; TransferTargetError when Zoom refuses the
        target (missing: 404 1001; inactive, the user itself, or recordings to a user without a license: 400 300)."""
        if action not in DELETE_ACTIONS:
            raise ValueError(f"unknown Zoom delete action {action!r}")
        params = {"action": action}
        if transfer_email:
            params |= {"transfer_email": transfer_email, **dict.fromkeys(TRANSFER_FLAGS, "true")}
        try:
            with _typed_errors():
                self._api.request("DELETE", f"/users/{_q(zoom_id)}", params=params)
        except NotFoundError as exc:
            if not is_zoom_code(exc, ZOOM_USER_NOT_FOUND):
                raise
            # 1001 names either user: only a user that is gone is "already done"; else the target is missing.
            if transfer_email and self.get_user(zoom_id) is not None:
                raise TransferTargetError(
                    f"the transfer target {transfer_email} is not a Zoom user of this account: {exc.message}",
                    api="zoom",
                    status=exc.status,
                ) from exc
            return  # already gone
        except PermanentError as exc:
            if is_zoom_code(exc, ZOOM_INVITATION_EXPIRED):
                return  # an invitation that expired: nothing left that anyone could accept
            if transfer_email and is_zoom_code(exc, ZOOM_VALIDATION_FAILED):
                raise TransferTargetError(
                    f"Zoom refused to transfer meetings, webinars and recordings to {transfer_email}: {exc.message}",
                    api="zoom",
                    status=exc.status,
                ) from exc
            raise

    def upload_picture(self, zoom_id: str, image: bytes) -> None:
        """POST /users/{id}/picture (multipart field `pic_file`). PictureRefusedError when Zoom refuses the image
        (400 code 120: empty, too big or not a jpg/png; 300: explicit content)."""
        kind = "png" if image.startswith(PNG_SIGNATURE) else "jpeg"
        files = {"pic_file": (f"picture.{'png' if kind == 'png' else 'jpg'}", image, f"image/{kind}")}
        try:
            self._api.request("POST", f"/users/{_q(zoom_id)}/picture", files=files)
        except PermanentError as exc:
            if is_zoom_code(exc, ZOOM_PICTURE_REFUSED) or is_zoom_code(exc, ZOOM_VALIDATION_FAILED):
                raise PictureRefusedError(
                    f"Zoom refused the picture: {exc.message}", api="zoom", status=exc.status
                ) from exc
            raise

    # -- internals ------------------------------------------------------------------------------------

    def _pages(
        self, path: str, key: str, params: Mapping[str, str], counter: _Count | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Every item under `key`, following `next_page_token` until it is empty. `counter` learns the
        listing's `total_records` and how many items came."""
        token = ""
        seen: set[str] = set()
        while True:
            query = {**params, "page_size": str(self.page_size)}
            if token:
                query["next_page_token"] = token
            body = self._api.request_json("GET", path, params=query)
            if not isinstance(body, Mapping):
                raise PermanentError(f"Zoom returned a page that is not an object for {path}", api="zoom")
            if counter is not None and counter.total is None:
                counter.total = _int_or_none(body.get("total_records"))
            for item in body.get(key) or []:
                if isinstance(item, Mapping):
                    if counter is not None:
                        counter.seen += 1
                    yield item
            token = str(body.get("next_page_token") or "")
            if not token:
                return
            if token in seen:
                raise PermanentError(f"Zoom repeated a next_page_token for {path}", api="zoom", code="page_loop")
            seen.add(token)

    def _user(self, row: Mapping[str, Any], *, status: str) -> ZoomUser:
        # GET /users/{id} names the role itself; a listing only gives role_id. Neither: the role is unknown
        # (None), never assumed to be Member — the user might be the Owner.
        role_id = row.get("role_id")
        role: str | None
        if row.get("role_name"):
            role = str(row["role_name"]).strip()
        else:
            known = self._roles.known_name(role_id) if role_id not in (None, "") else None
            role = known.strip() if known else None
        group_ids = [g for g in row.get("group_ids") or [] if g not in (None, "")]
        groups = frozenset(self._groups.name(g) for g in group_ids) if group_ids else frozenset()
        zoom_id = row.get("id")
        try:
            user_type = int(row.get("type") or 1)
        except (TypeError, ValueError):
            user_type = 1
        return ZoomUser(
            zoom_id=str(zoom_id) if zoom_id else None,
            email=str(row.get("email") or "").strip(),
            first_name=str(row.get("first_name") or ""),
            last_name=str(row.get("last_name") or ""),
            type=user_type,
            status=status,
            role=role,
            groups=groups,
            profile=self.profile.read(row),
        )

    def _load_roles(self) -> dict[str, str]:
        try:
            body = self._api.request_json("GET", "/roles")
        except PermissionDeniedError as exc:
            logger.warning(
                "zoom_roles_unreadable",
                extra={"error": str(exc), "fallback": FALLBACK_ROLES, "hint": "grant role:read:list_roles:admin"},
            )
            self._roles_fallback = True
            return dict(FALLBACK_ROLES)
        roles = body.get("roles") if isinstance(body, Mapping) else None
        return {
            str(r["id"]): str(r.get("name") or r["id"]) for r in roles or [] if isinstance(r, Mapping) and "id" in r
        }

    def _load_groups(self) -> dict[str, str]:
        return {str(g["id"]): str(g.get("name") or g["id"]) for g in self._pages("/groups", "groups", {}) if "id" in g}

    def _role_id(self, name: str) -> str:
        return self._roles.id_for(name)

    def _group_id(self, name: str) -> str:
        return self._groups.id_for(name)


class _Count:
    """What one listing said it holds (`total_records`) and what it gave."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.seen = 0


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _q(value: str) -> str:
    # `@` is a legal path character and Zoom takes an email as the user id.
    return quote(value, safe="@")


@contextmanager
def _typed_errors() -> Iterator[None]:
    """Raise the Zoom answers the engine acts on (1005, 1107) as their own types (`errors.typed_error`)."""
    try:
        yield
    except ApiError as exc:
        typed = typed_error(exc)
        if typed is None:
            raise
        raise typed from exc
