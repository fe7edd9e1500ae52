"""The :class:`OktaSimulator` class: its constructor (the knobs tests set), its route table and the dispatch of a
request (token endpoint, authentication, disabled features, route, scope check). Its behaviour comes from one mixin
per job, each in its own module (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterable

from ..http import Request, Response, SimulatorBase
from .assignments import AssignmentsMixin
from .auth import DEFAULT_OKTA_SCOPES, AuthMixin
from .dpop import DpopMixin
from .faults import OktaFaultsMixin
from .formats import oauth_error, okta_error
from .log import LogMixin
from .paging import PagingMixin
from .routes_apps import AppRoutesMixin
from .routes_groups import GroupRoutesMixin
from .routes_logs import LogRoutesMixin
from .routes_users import UserRoutesMixin
from .views import ViewsMixin
from .world import WorldMixin

__all__ = ["OktaSimulator"]


class OktaSimulator(
    WorldMixin,
    AssignmentsMixin,
    LogMixin,
    ViewsMixin,
    AuthMixin,
    DpopMixin,
    OktaFaultsMixin,
    PagingMixin,
    AppRoutesMixin,
    GroupRoutesMixin,
    UserRoutesMixin,
    LogRoutesMixin,
    SimulatorBase,
):
    """Okta org with one Zoom app instance. See the package docstring and its modules for the HTTP behaviour.

    Control API (thread-safe; users and groups may be named by id, or by login / group name):
    ``add_user``, ``update_profile``, ``set_manager``, ``set_status``, ``add_group``, ``add_member``,
    ``remove_member``,
    ``assign_user``, ``unassign_user``, ``assign_group``, ``unassign_group``, ``add_log_event``,
    ``expire_logs_before``, ``revoke_tokens``, ``add_oauth_key``, ``remove_oauth_key``, ``set_app_status``,
    ``without_events``, ``delete_group``, ``restore_assignment``, ``blank_app_user``, ``disable_feature``,
    ``enforce_org_rate_limits``; read access: ``users``, ``groups``, ``user``, ``user_id``, ``group_id``,
    ``group_members``, ``assigned_user_ids``, ``log_events``, ``token_count``, ``bucket_counts``. Plain attributes:
    ``api_token`` (rotate it), ``granted_scopes``, ``oauth_client_id``, ``token_lifetime``, ``app_user_status``,
    ``username_attribute``, ``app_user_profile_attributes``, ``dpop_required`` (read: ``dpop_nonce``, the DPoP
    nonce handed out now).
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
        # The app's profile mappings (Okta user -> app user): app-user attribute -> Okta profile attribute, e.g.
        # {"department": "department", "title": "title"} for an app schema that carries them; okta-api.md §2a.
        self.app_user_profile_attributes: dict[str, str] = {
            "email": "email",
            "firstName": "firstName",
            "lastName": "lastName",
        }
        self.dpop_required = False  # the app's "Require DPoP header in token requests"; see dpop.py
        self._init_auth(oauth_public_key_pem, oauth_key_id)
        self._init_dpop()
        self._init_assignments(app_label)
        self._init_world()
        self._init_log()
        self._init_faults()
        self._build_routes()

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
