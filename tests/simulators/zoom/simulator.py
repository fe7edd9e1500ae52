"""The :class:`ZoomSimulator` class: its constructor (the knobs tests set), its route table (scope and rate-limit
category of each endpoint) and the dispatch of a request (token endpoint, authentication, route, scope check). Its
behaviour comes from one mixin per job, each in its own module (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..http import Request, Response, SimulatorBase
from .assets import AssetsMixin
from .auth import DEFAULT_ZOOM_SCOPES, AuthMixin
from .faults import ZoomFaultsMixin
from .formats import zoom_error
from .paging import PagingMixin
from .routes_groups import GroupRoutesMixin
from .routes_picture import PictureRoutesMixin
from .routes_roles import RoleRoutesMixin
from .routes_users import UserRoutesMixin
from .views import ViewsMixin
from .world import WorldMixin

__all__ = ["ZoomSimulator"]


class ZoomSimulator(
    WorldMixin,
    ViewsMixin,
    AuthMixin,
    ZoomFaultsMixin,
    PagingMixin,
    UserRoutesMixin,
    AssetsMixin,
    PictureRoutesMixin,
    GroupRoutesMixin,
    RoleRoutesMixin,
    SimulatorBase,
):
    """One Zoom account with an Owner. See the package docstring and its modules for the HTTP behaviour and
    documented choices.

    Control API (thread-safe; users may be named by id or email, groups/roles by id or name): ``add_user``,
    ``update_user``, ``set_status``, ``set_role``, ``accept_invitation``, ``remove_user``, ``add_group``,
    ``add_group_member``, ``remove_group_member``, ``add_role``, ``rename_role``, ``rename_group``,
    ``define_custom_attribute``, ``set_assets``, ``expire_invitation``, ``omit_role_id``, ``hide_from_list``,
    ``revoke_tokens``, ``expire_page_tokens``; read access: ``users``, ``user``, ``user_by_email``, ``groups``,
    ``group_by_name``, ``roles`` (id -> name), ``role``, ``role_by_name``, ``custom_attributes``,
    ``invitations_sent``, ``assets``, ``transfers``, ``picture``, ``licensed_seats_used``, ``owner_id``,
    ``owner_email``, ``token_count``. Plain attributes: ``account_id``, ``client_id``, ``client_secret`` (rotate
    it), ``granted_scopes``, ``token_lifetime``, ``licensed_seats``, ``basic_seats``, ``seat_error_with_count``,
    ``known_manager_required``, ``expired_invitations_removable``, ``sso_create_enabled``, ``managed_domains``,
    ``other_account_emails``, ``page_size_max``.
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
        self.licensed_seats: int | None = None  # paid (type 2) seats besides the Owner's; None = unlimited
        self.basic_seats: int | None = None  # Basic (type 1) user cap; None = unlimited
        self.seat_error_with_count = False  # True: seat refusals answer 3412 (the count-bearing text) not 2033/2034
        self.known_manager_required = False  # True: PATCH manager must be a user of the account (profile.py)
        self.expired_invitations_removable = False  # True: DELETE disassociate removes an expired pending user
        self.sso_create_enabled = True
        self.managed_domains: set[str] | None = None
        self.other_account_emails: set[str] = set()  # emails holding a Zoom account elsewhere (custCreate -> 1009)
        self._init_auth()
        self._init_paging()
        self._label_windows: dict[str, list[float]] = {}
        self._transfers: list[dict[str, Any]] = []
        self._init_world(owner_email, owner_first_name, owner_last_name)
        self._build_routes()

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
        r(
            "POST",
            "/v2/users/{userId}/picture",
            self._h_picture,
            scope="user:write:profile_picture:admin",
            category="Medium",
        )
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
