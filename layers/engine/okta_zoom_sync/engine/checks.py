"""`check` mode: the connection test. Each check is tried read-only and reports how to fix what failed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.core.ports import StatePing
from okta_zoom_sync.errors import AuthError, NotFoundError, PermissionDeniedError, SyncError

# OktaClient.auth_mode -> how the okta.token check names the method in use.
OKTA_AUTH_MODES = {
    "api_token": "SSWS API token",
    "private_key_jwt": "OAuth service app (private_key_jwt)",
    "private_key_jwt+dpop": "OAuth service app (private_key_jwt, DPoP-bound tokens)",
}

# (granular scope, classic scope that covers it) for every Zoom call the sync makes.
ZOOM_SCOPES: tuple[tuple[str, str], ...] = (
    ("user:read:list_users:admin", "user:read:admin"),
    ("user:read:user:admin", "user:read:admin"),
    ("user:write:user:admin", "user:write:admin"),
    ("user:update:user:admin", "user:write:admin"),
    ("user:update:status:admin", "user:write:admin"),
    ("user:update:email:admin", "user:write:admin"),
    ("user:delete:user:admin", "user:write:admin"),
    ("group:read:list_groups:admin", "group:read:admin"),
    ("group:write:member:admin", "group:write:admin"),
    ("group:delete:member:admin", "group:write:admin"),
    ("role:read:list_roles:admin", "role:read:admin"),
    ("role:write:member:admin", "role:write:admin"),
    ("role:delete:member:admin", "role:write:admin"),
)


class CheckableOkta(Protocol):
    @property
    def auth_mode(self) -> str: ...
    def verify_credentials(self) -> None: ...
    def get_app(self) -> Any: ...
    def probe_scopes(self) -> dict[str, str | None]: ...


class CheckableZoom(Protocol):
    def verify_credentials(self) -> None: ...
    @property
    def granted_scopes(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def _try(name: str, action: Callable[[], str], fix: Callable[[SyncError], str]) -> Check:
    try:
        return Check(name, True, action())
    except SyncError as exc:
        return Check(name, False, f"{exc.message}. {fix(exc)}")


def missing_zoom_scopes(granted: frozenset[str]) -> list[str]:
    return [granular for granular, classic in ZOOM_SCOPES if granular not in granted and classic not in granted]


def check_policy(load: Callable[[], Policy], source: str) -> Check:
    """The policy can be read from where the runs read it (the SSM parameter, when set) and is valid."""

    def read() -> str:
        load()
        return f"the policy from {source} is valid"

    def fix(exc: SyncError) -> str:
        if exc.message.startswith("cannot read"):
            return "Check that it exists and that the function may read it (ssm:GetParameter for a parameter)."
        return "Correct the key named (see the README's policy reference)."

    return _try("policy", read, fix)


def check_state(state: StatePing, table_name: str) -> Check:
    def ping() -> str:
        state.ping()
        return f"table {table_name} is reachable"

    return _try("state_table", ping, lambda _: "Check STATE_TABLE_NAME and the function's DynamoDB permissions.")


def check_okta(okta: CheckableOkta, app_id: str) -> list[Check]:
    def fix(exc: SyncError) -> str:
        if isinstance(exc, AuthError) and exc.code in ("invalid_dpop_proof", "use_dpop_nonce"):
            return (
                "Okta refused the DPoP proof of the service app's token request: check that the function's clock "
                "is right; if it persists, untick 'Require Demonstrating Proof of Possession (DPoP)' on the app."
            )
        if isinstance(exc, AuthError):
            return "Create a new API token (or check the service app's client id and key) and update the secret."
        if isinstance(exc, PermissionDeniedError):
            return (
                "Grant the scopes okta.apps.read okta.users.read okta.groups.read okta.logs.read and a read-only "
                "admin role to the service app."
            )
        return "Check OKTA_ORG_URL and that Okta is reachable."

    def verify_okta() -> str:
        okta.verify_credentials()
        return f"Okta accepted the credential: {OKTA_AUTH_MODES.get(okta.auth_mode, okta.auth_mode)}"

    token = _try("okta.token", verify_okta, fix)
    if not token.ok:
        return [token]

    def app() -> str:
        data = okta.get_app()
        status = data.get("status", "?")
        if status != "ACTIVE":
            raise SyncError(f"app {app_id} is {status}")
        return f"app {app_id} ({data.get('label') or data.get('name')}) is ACTIVE"

    def app_fix(exc: SyncError) -> str:
        if isinstance(exc, NotFoundError):
            return "OKTA_APP_ID must be the Zoom app instance id (0oa...) from the app's URL in the Okta admin console."
        return fix(exc)

    def scopes() -> str:
        refused = {scope: why for scope, why in okta.probe_scopes().items() if why}
        if refused:
            raise PermissionDeniedError(
                "Okta refused: " + "; ".join(f"{scope}: {why}" for scope, why in refused.items()), api="okta"
            )
        return "apps, groups, users and the System Log can be read"

    return [token, _try("okta.app", app, app_fix), _try("okta.scopes", scopes, fix)]


def check_zoom(zoom: CheckableZoom) -> list[Check]:
    def fix(exc: SyncError) -> str:
        if isinstance(exc, AuthError):
            return (
                "Check zoom_account_id, zoom_client_id and zoom_client_secret of the Server-to-Server OAuth app, and "
                "that the app is activated."
            )
        return "Check ZOOM_TOKEN_URL / ZOOM_API_URL and that Zoom is reachable."

    def verify_zoom() -> str:
        zoom.verify_credentials()
        return "Zoom issued a token"

    token = _try("zoom.token", verify_zoom, fix)
    if not token.ok:
        return [token]
    missing = missing_zoom_scopes(zoom.granted_scopes)
    if missing:
        scopes = Check(
            "zoom.scopes",
            False,
            "the Server-to-Server OAuth app lacks scopes: " + " ".join(missing) + ". Add them on the app's Scopes page "
            "in the Zoom App Marketplace and reactivate the app.",
        )
    else:
        scopes = Check("zoom.scopes", True, "every scope the sync needs is granted")
    return [token, scopes]
