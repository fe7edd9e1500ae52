"""Okta Management API reader: `OktaClient` implements `ports.OktaReader`.

Every collection is read by following `Link: <…>; rel="next"` until there is none; cursors are never
built. Authentication is an SSWS API token or an OAuth 2.0 service app (`auth.py`); either way
retries, 429 waits, the pause before a rate-limit bucket runs dry and the one-time re-mint on 401 live
in `ApiTransport`, with Okta's headers from its dialect (`errors.py`). Rows become records in
`records.py`. A refused call names the scope it needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests

from okta_zoom_sync.adapters.http.limiter import RateLimiter
from okta_zoom_sync.adapters.http.links import next_link
from okta_zoom_sync.adapters.http.oauth import StaticToken
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.http.sessions import new_session
from okta_zoom_sync.adapters.http.stats import RequestStats
from okta_zoom_sync.adapters.http.transport import ApiTransport
from okta_zoom_sync.adapters.okta.auth import (
    OktaApiToken,
    OktaCredentials,
    OktaPrivateKeyJwtToken,
    OktaServiceApp,
    okta_token_error,
)
from okta_zoom_sync.adapters.okta.errors import okta_error, scope_hint
from okta_zoom_sync.adapters.okta.records import assignment_from_row, assignment_from_user, group_ref, text
from okta_zoom_sync.core.desired import zoom_email
from okta_zoom_sync.core.model import Listing, LogRead, OktaGroupRef, OktaUser
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    ConfigurationError,
    CursorRefusedError,
    InvalidPolicyError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
)
from okta_zoom_sync.observability import Progress, logger

APP_USERS_MAX_LIMIT = 500
GROUPS_LIMIT = 200  # Okta's recommended page for group searches; the users search's maximum
# /groups/{id}/users declares no maximum (its default is 1000): pages of 500, like the app's users
GROUP_MEMBERS_LIMIT = 500
LOG_PAGE_LIMIT = 1000  # the System Log's maximum page
_GROUP_ID = re.compile(r"^00g[0-9A-Za-z]{17}$")
APP_GROUPS_LIMIT = 200  # /apps/{id}/groups: the maximum page


def okta_bucket(method: str, path: str) -> str:
    """The Okta rate-limit bucket of a request (fact sheet §5b), to report requests per bucket."""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    if parts[:1] == ["oauth2"]:
        return "oauth2/v1/token"
    if parts[:2] != ["api", "v1"] or len(parts) < 3:
        return "other"
    family = parts[2]
    if family in ("apps", "groups"):
        return f"/api/v1/{family}/{{id}}" if len(parts) == 4 else f"/api/v1/{family}*"
    if family == "users":
        if len(parts) == 4 and method.upper() == "GET":
            return "GET /api/v1/users/{id}"
        return "/api/v1/users" if len(parts) == 3 else "/api/v1/users/{id}*"
    if family == "logs":
        return "/api/v1/logs"
    return "other"


class OktaClient:
    """Reads one Okta app's assignments, users and groups."""

    def __init__(
        self,
        org_url: str,
        app_id: str,
        credentials: OktaCredentials,
        *,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        page_limit: int = APP_USERS_MAX_LIMIT,
        limiter: RateLimiter | None = None,
        picture_attribute: str = "",
    ) -> None:
        """`limiter`: the per-family buckets every API request goes through (`limits.OktaRateLimiter`); None pauses
        only before a bucket runs dry (the transport's own throttle). `picture_attribute`: the profile attribute
        read into each user's `picture_url` (the policy's; "" reads none)."""
        if not app_id or "/" in app_id:
            raise ConfigurationError("OKTA_APP_ID must be an Okta app id (0oa…)")
        if not 1 <= page_limit <= APP_USERS_MAX_LIMIT:
            raise ConfigurationError(f"page_limit must be between 1 and {APP_USERS_MAX_LIMIT}")
        self.app_id = app_id
        self.page_limit = page_limit
        self.picture_attribute = picture_attribute
        self.stats = RequestStats("okta")
        session = session or new_session(org_url)  # the org's origin serves the API and its OAuth token endpoint
        common: dict[str, Any] = {"setting_name": "OKTA_ORG_URL", "retry": retry, "session": session}
        self._oauth: OktaPrivateKeyJwtToken | None = None
        auth: StaticToken | OktaPrivateKeyJwtToken
        if isinstance(credentials, OktaApiToken):
            auth = StaticToken("SSWS", credentials.token)
        elif isinstance(credentials, OktaServiceApp):
            token_transport = ApiTransport("okta", org_url, error_parser=okta_token_error, stats=self.stats, **common)
            auth = self._oauth = OktaPrivateKeyJwtToken(
                token_transport,
                client_id=credentials.client_id,
                private_key_pem=credentials.private_key_pem,
                key_id=credentials.key_id,
                scopes=tuple(credentials.scopes),
            )
        else:  # pragma: no cover - the type checker rules this out
            raise ConfigurationError("unsupported Okta credentials")
        self._api = ApiTransport(
            "okta",
            org_url,
            error_parser=okta_error,
            auth=auth,
            stats=self.stats,
            bucket_of=okta_bucket,
            limiter=limiter,
            **common,
        )
        self.org_url = self._api.base_url
        self._app_path = f"/api/v1/apps/{_q(app_id)}"
        self.profile_attributes: frozenset[str] = frozenset()

    def keep_profile(self, attributes: frozenset[str]) -> None:
        """The profile attributes the policy's templates name (core/attributes.okta_attributes): kept in each
        OktaUser read, and no others."""
        self.profile_attributes = frozenset(attributes)

    # -- connection check -------------------------------------------------------------------------

    @property
    def granted_scopes(self) -> frozenset[str]:
        """Scopes Okta granted to the service app's token (empty for an API token or before minting)."""
        scope = self._oauth.granted_scope if self._oauth else None
        return frozenset((scope or "").split())

    @property
    def auth_mode(self) -> str:
        """ "api_token", "private_key_jwt" or "private_key_jwt+dpop" (known once a token was minted)."""
        if self._oauth is None:
            return "api_token"
        return "private_key_jwt+dpop" if self._oauth.dpop else "private_key_jwt"

    def verify_credentials(self) -> None:
        """Prove Okta accepts the credential, whatever the app id: a service app mints a token; an API
        token reads its own admin user (GET /api/v1/users/me). Raises AuthError or PermissionDeniedError."""
        if self._oauth is not None:
            self._oauth.token()
            return
        try:
            self._api.request("GET", "/api/v1/users/me")
        except NotFoundError:
            return  # Okta authenticates before it routes: any answer but 401/403 means the token was accepted

    # -- ports.OktaReader ---------------------------------------------------------------------------

    def list_assigned_users(self) -> Listing[OktaUser]:
        """Every app user. A list that fails after the first page is returned incomplete (`complete` False);
        app users with neither a username nor an email are skipped with a note (some apps answer
        `credentials: null, profile: {}`), never ending the listing."""
        out: list[OktaUser] = []
        skipped: list[str] = []
        without_user = 0
        params = {"limit": str(self.page_limit), "expand": "user"}
        progress = Progress("okta_read")
        try:
            for row in self._items(f"{self._app_path}/users", params):
                progress.tick()
                if not isinstance(row, Mapping):
                    continue
                try:
                    assignment, embedded = assignment_from_row(
                        row, self.profile_attributes, picture_attribute=self.picture_attribute
                    )
                except PermanentError as exc:
                    skipped.append(exc.message)
                    continue
                without_user += not embedded
                out.append(assignment)
        except ApiError as exc:
            if not out or isinstance(exc, AuthError | PermissionDeniedError):
                raise  # nothing read, or the credential is refused: the run fails
            reason = f"Okta's list of app users failed after {len(out)} users: {exc.message}"
            return Listing(out, complete=False, reason=reason, skipped=skipped)
        if without_user:
            logger.warning(
                "okta_app_users_without_user",
                extra={
                    "count": without_user,
                    "hint": "expand=user returned no _embedded.user (okta.users.read scope missing?); "
                    "names and status taken from the app assignment",
                },
            )
        if skipped:
            logger.warning("okta_app_users_skipped", extra={"count": len(skipped), "first": skipped[0]})
        return Listing(out, skipped=skipped)

    def list_app_group_ids(self) -> frozenset[str]:
        """Ids of the groups assigned to the app."""
        params = {"limit": str(APP_GROUPS_LIMIT)}
        rows = self._items(f"{self._app_path}/groups", params)
        return frozenset(str(row["id"]) for row in rows if isinstance(row, Mapping) and row.get("id"))

    def find_users_by_email(self, email: str) -> list[OktaUser]:
        """Okta users whose profile email is `email` (whatever their login), through Okta's `search`."""
        wanted = email.strip().casefold()
        params = {"search": f'profile.email eq "{_search_literal(email.strip())}"', "limit": str(GROUPS_LIMIT)}
        found = []
        for user in self._items("/api/v1/users", params):
            if not isinstance(user, Mapping) or not user.get("id"):
                continue
            if text((user.get("profile") or {}).get("email")).casefold() != wanted:
                continue  # search is eventually consistent: check what came back
            try:
                found.append(
                    assignment_from_user(user, okta_id=str(user["id"]), picture_attribute=self.picture_attribute)
                )
            except PermanentError:
                continue
        return found

    def find_groups(self, refs: Iterable[str]) -> dict[str, OktaGroupRef]:
        found: dict[str, OktaGroupRef] = {}
        for ref in dict.fromkeys(r.strip() for r in refs if r and r.strip()):
            group = self._group_by_id(ref) if _GROUP_ID.match(ref) else self._group_by_name(ref)
            if group is not None:
                found[ref] = group
        return found

    def list_group_member_ids(self, group_id: str) -> frozenset[str]:
        params = {"limit": str(min(self.page_limit, GROUP_MEMBERS_LIMIT))}
        return frozenset(
            str(u["id"])
            for u in self._items(f"/api/v1/groups/{_q(group_id)}/users", params)
            if isinstance(u, Mapping) and u.get("id")
        )

    def get_user(self, id_or_login: str) -> OktaUser | None:
        user = self._user_row(id_or_login)
        if user is None:
            return None
        return assignment_from_user(
            user,
            okta_id=str(user.get("id") or ""),
            keep=self.profile_attributes,
            picture_attribute=self.picture_attribute,
        )

    def manager_email(self, okta_id: str) -> str | None:
        """The manager's email: the Okta user the profile's `managerId` names (its login when that is an email,
        as the sync names Zoom users), else the profile's `manager` when it holds an email (Okta's base profile
        keeps a display name there, some orgs an email). Read by id, so a user no longer assigned is found."""
        user = self._user_row(okta_id)
        profile = (user.get("profile") if user else None) or {}
        manager_id = text(profile.get("managerId"))
        manager = self.get_user(manager_id) if manager_id else None
        if manager is not None:
            return zoom_email(manager)
        named = text(profile.get("manager"))
        return named if "@" in named else None

    def _user_row(self, id_or_login: str) -> Mapping[str, Any] | None:
        path = f"/api/v1/users/{_q(id_or_login, safe='@')}"
        try:
            with scope_hint(path):
                user = self._api.request_json("GET", path)
        except NotFoundError:
            return None
        if not isinstance(user, Mapping):
            raise PermanentError("Okta returned a user that is not an object", api="okta", code="bad_response")
        return user

    def get_assignment(self, okta_id: str) -> OktaUser | None:
        """The user's assignment to the app with its Okta user, in one request; None when not assigned."""
        path = f"{self._app_path}/users/{_q(okta_id)}"
        try:
            with scope_hint(path):
                row = self._api.request_json("GET", path, params={"expand": "user"})
        except NotFoundError:
            return None
        if not isinstance(row, Mapping):
            raise PermanentError("Okta returned an app user that is not an object", api="okta", code="bad_response")
        return assignment_from_row(row, self.profile_attributes, picture_attribute=self.picture_attribute)[0]

    def read_log(
        self,
        position: str,
        event_types: Iterable[str] | None = None,
        *,
        page_limit: int = LOG_PAGE_LIMIT,
        max_pages: int = 20,
    ) -> LogRead:
        """System Log events after `position` (a saved `next` link, or a start URL from `log_start`).

        Polling queries always answer with a `next` link; reading stops at a page shorter than the
        limit (nothing more is there yet) or after `max_pages`, and `LogRead.position` is where the next
        run carries on. Raises CursorRefusedError when the position cannot be followed: it points at
        another org URL (the operator moved to a custom domain), it filters on other event types than
        `event_types` (an older version of the sync saved it), or Okta refuses it."""
        self._check_position(position, event_types)
        events: list[Mapping[str, Any]] = []
        url = position
        for page_number in range(max_pages):
            try:
                with scope_hint("/api/v1/logs"):
                    response = self._api.request("GET", url)
            except (NotFoundError, PermanentError) as exc:
                if page_number == 0 and exc.status in (400, 404):
                    raise CursorRefusedError(f"Okta refused the saved System Log cursor ({exc.code})") from exc
                raise
            page = self._api.json_of(response)
            if not isinstance(page, list):
                raise PermanentError(
                    "Okta returned a System Log page that is not a list", api="okta", code="bad_response"
                )
            events.extend(e for e in page if isinstance(e, Mapping))
            following = next_link(response)
            if following is None:
                raise PermanentError("Okta's System Log answered without a next link", api="okta", code="no_cursor")
            url = following
            if len(page) < page_limit:
                break
        return LogRead(events=tuple(events), position=url)

    def log_start(self, since: datetime, event_types: Iterable[str], *, page_limit: int = LOG_PAGE_LIMIT) -> str:
        """The polling query that starts at `since`, filtered to `event_types`."""
        query = urlencode(
            {
                "since": _okta_time(since),
                "sortOrder": "ASCENDING",
                "limit": str(page_limit),
                "filter": _log_filter(event_types),
            }
        )
        return f"{self.org_url}/api/v1/logs?{query}"

    def _check_position(self, position: str, event_types: Iterable[str] | None) -> None:
        parts, org = urlsplit(position), urlsplit(self.org_url)
        if (parts.scheme, parts.netloc.lower()) != (org.scheme, org.netloc.lower()):
            raise CursorRefusedError(
                f"the saved System Log cursor belongs to another Okta URL ({parts.scheme}://{parts.hostname}); "
                f"OKTA_ORG_URL is now {self.org_url}"
            )
        saved_filter = parse_qs(parts.query).get("filter")
        if event_types is not None and saved_filter and saved_filter[0] != _log_filter(event_types):
            raise CursorRefusedError("the saved System Log cursor follows other event types (the sync was upgraded)")

    def list_user_groups(self, okta_id: str) -> frozenset[OktaGroupRef]:
        refs = (group_ref(g) for g in self._items(f"/api/v1/users/{_q(okta_id)}/groups", None))
        return frozenset(g for g in refs if g is not None)

    def probe_scopes(self) -> dict[str, str | None]:
        """One cheap read per scope the sync needs (the connection check): scope -> why Okta refused it, or None.
        Reads only: a group and a user that do not exist, the app's first group, the newest System Log event."""
        probes: dict[str, Callable[[], object]] = {
            "okta.groups.read": lambda: self.find_groups(["okta-zoom-sync-connection-check"]),
            "okta.users.read": lambda: self.get_user("okta-zoom-sync-connection-check@invalid.example"),
            "okta.apps.read": lambda: self._api.request("GET", f"{self._app_path}/groups", params={"limit": "20"}),
            "okta.logs.read": lambda: self._api.request(
                "GET", "/api/v1/logs", params={"limit": "1", "sortOrder": "DESCENDING"}
            ),
        }
        found: dict[str, str | None] = {}
        for scope, probe in probes.items():
            try:
                with scope_hint(f"/api/v1/{scope.split('.')[1]}"):
                    probe()
                found[scope] = None
            except (PermissionDeniedError, NotFoundError) as exc:
                found[scope] = exc.message
        return found

    def get_app(self) -> Mapping[str, Any]:
        app = self._api.request_json("GET", self._app_path)
        if not isinstance(app, Mapping):
            raise PermanentError("Okta returned an app that is not an object", api="okta", code="bad_response")
        return app

    # -- internals ------------------------------------------------------------------------------------

    def _items(self, path: str, params: Mapping[str, str] | None) -> Iterator[Any]:
        """Every item of a collection, following `rel="next"` links."""
        url: str | None = path
        seen: set[str] = set()
        while url is not None:
            with scope_hint(path):
                response = self._api.request("GET", url, params=params)
            body = self._api.json_of(response)
            if not isinstance(body, list):
                raise PermanentError(
                    f"Okta returned a page that is not a list for {path}", api="okta", code="bad_response"
                )
            yield from body
            seen.add(response.url or url)
            url, params = next_link(response), None
            if url is not None and url in seen:
                raise PermanentError(f"Okta returned a next link that loops for {path}", api="okta", code="link_loop")

    def _group_by_id(self, group_id: str) -> OktaGroupRef | None:
        path = f"/api/v1/groups/{_q(group_id)}"
        try:
            with scope_hint(path):
                group = self._api.request_json("GET", path)
        except NotFoundError:
            return None
        return group_ref(group)

    def _group_by_name(self, name: str) -> OktaGroupRef | None:
        wanted = name.casefold()
        params = {"q": name, "limit": str(min(self.page_limit, GROUPS_LIMIT))}
        matches = [g for g in (group_ref(row) for row in self._items("/api/v1/groups", params)) if g is not None]
        matches = [g for g in matches if g.name.casefold() == wanted]
        if len(matches) > 1:
            exact = [g for g in matches if g.name == name]
            if len(exact) != 1:
                ids = ", ".join(sorted(g.id for g in matches))
                raise InvalidPolicyError(f"Okta group name '{name}' is ambiguous ({ids}): use the group id")
            matches = exact
        return matches[0] if matches else None


def _q(value: str, safe: str = "") -> str:
    return quote(value, safe=safe)


def _okta_time(moment: datetime) -> str:
    """ISO-8601 the way Okta writes it: 2026-11-28T21:40:01.123Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _log_filter(event_types: Iterable[str]) -> str:
    return " or ".join(f'eventType eq "{t}"' for t in sorted(event_types))


def _search_literal(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
