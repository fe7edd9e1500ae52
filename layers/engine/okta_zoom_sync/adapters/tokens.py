"""Credential providers for `ApiTransport`: a static Okta API token, and cached OAuth access tokens.

An OAuth provider mints lazily (on the first request), caches the token until five minutes before it
expires, and mints again after `invalidate()` (the transport calls it on a 401). Token requests go
through their own `ApiTransport` (same session, retry policy and stats as the API they serve) with an
error parser for the OAuth error shape `{"error","error_description"}`.

Token-endpoint errors are mapped here (429 and 5xx still go through `errors.classify_*`): the OAuth
`error` string names what is wrong with the credential rather than the request, so a 400
`invalid_client` is an AuthError and an `invalid_scope` a PermissionDeniedError.
"""

from __future__ import annotations

import base64
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from ..errors import (
    ApiError,
    AuthError,
    InvalidSecretError,
    PermanentError,
    PermissionDeniedError,
    classify_okta,
    classify_zoom,
)
from ..observability import logger
from ..secrets import load_private_key
from .http import ApiTransport, okta_error, zoom_error

RENEW_BEFORE = 300.0  # re-mint five minutes before expiry
ASSERTION_LIFETIME = 300  # seconds; Okta accepts at most one hour
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DPOP_HINT = (
    "this client does not send DPoP proofs: untick 'Require Demonstrating Proof of Possession (DPoP)' "
    "on the Okta API service app"
)
OKTA_PERMISSION_ERRORS = frozenset({"invalid_scope", "access_denied", "insufficient_scope"})


class StaticToken:
    """Okta SSWS API token: `Authorization: SSWS <token>`. Nothing to renew."""

    renewable = False

    def __init__(self, scheme: str, token: str) -> None:
        if not token:
            raise InvalidSecretError("the API token is empty")
        self._header = f"{scheme} {token}"

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": self._header}

    def invalidate(self) -> None:
        return None

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"


@dataclass(frozen=True)
class MintedToken:
    access_token: str
    token_type: str
    expires_in: float
    scope: str

    def __repr__(self) -> str:
        return f"MintedToken(type={self.token_type!r}, expires_in={self.expires_in}, scope={self.scope!r})"


class CachedOAuthToken(ABC):
    """Mint on first use, reuse until `RENEW_BEFORE` seconds before expiry, mint again after `invalidate()`."""

    renewable = True

    def __init__(self, transport: ApiTransport) -> None:
        self.transport = transport
        self._token: MintedToken | None = None
        self._expires_at = 0.0  # transport.retry.clock() value
        self._lock = threading.Lock()
        self.mints = 0
        self.granted_scope: str | None = None

    @abstractmethod
    def _mint(self) -> MintedToken: ...

    def token(self) -> MintedToken:
        clock = self.transport.retry.clock
        with self._lock:
            if self._token is None or clock() >= self._expires_at:
                token = self._mint()
                lifetime = token.expires_in
                # Renew five minutes early; a very short-lived token is renewed at half its life.
                margin = RENEW_BEFORE if lifetime > 2 * RENEW_BEFORE else lifetime / 2
                self._token, self._expires_at = token, clock() + lifetime - margin
                self.granted_scope = token.scope
                self.mints += 1
                logger.debug(
                    "token_minted",
                    extra={"api": self.transport.api, "expires_in": lifetime, "scope": token.scope},
                )
            return self._token

    def auth_headers(self) -> Mapping[str, str]:
        token = self.token()
        return {"Authorization": f"Bearer {token.access_token}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _parse(self, body: Any) -> MintedToken:
        display = self.transport.display
        if not isinstance(body, Mapping) or not body.get("access_token"):
            raise PermanentError(
                f"{display} token endpoint answered without an access_token", api=self.transport.api, code="bad_token"
            )
        try:
            expires_in = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        return MintedToken(
            access_token=str(body["access_token"]),
            token_type=str(body.get("token_type") or "Bearer"),
            expires_in=expires_in,
            scope=str(body.get("scope") or ""),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted>)"


# ---------------------------------------------------------------------------------------------
# Okta: OAuth 2.0 client credentials with private_key_jwt against the org authorization server.


def okta_token_error(status: int, body: Any, retry_after: float | None) -> ApiError:
    if not isinstance(body, Mapping) or "error" not in body:
        return okta_error(status, body, retry_after)  # e.g. a 429 in the management shape
    error = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    if status == 429 or status >= 500:
        return classify_okta(status, error, description, retry_after)
    text = f"Okta rejected the service app's token request: {error}" + (f" ({description})" if description else "")
    if error in ("invalid_dpop_proof", "use_dpop_nonce"):
        return AuthError(f"{text}; {DPOP_HINT}", api="okta", code=error, status=status)
    if error in OKTA_PERMISSION_ERRORS:
        return PermissionDeniedError(text, api="okta", code=error, status=status)
    return AuthError(text, api="okta", code=error, status=status)


class OktaPrivateKeyJwtToken(CachedOAuthToken):
    """Access tokens for an Okta API service app (client credentials, private_key_jwt)."""

    def __init__(
        self,
        transport: ApiTransport,
        *,
        client_id: str,
        private_key_pem: str,
        key_id: str | None,
        scopes: tuple[str, ...],
    ) -> None:
        super().__init__(transport)
        if not client_id:
            raise InvalidSecretError("the Okta service app client_id is empty")
        self.client_id = client_id
        self.key_id = key_id
        self.scopes = scopes
        self._key, self.algorithm = load_private_key(private_key_pem)
        self.token_url = transport.base_url + "/oauth2/v1/token"

    def client_assertion(self) -> str:
        now = int(self.transport.retry.wall_clock())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.key_id} if self.key_id else None
        return jwt.encode(claims, self._key, algorithm=self.algorithm, headers=headers)

    def _mint(self) -> MintedToken:
        assertion = self.client_assertion()
        body = self.transport.request_json(
            "POST",
            "/oauth2/v1/token",
            data={
                "grant_type": "client_credentials",
                "scope": " ".join(self.scopes),
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
            redact=(assertion,),
        )
        token = self._parse(body)
        if token.token_type.lower() == "dpop":
            raise AuthError(f"Okta issued a DPoP-bound token; {DPOP_HINT}", api="okta", code="dpop_token")
        return token


# ---------------------------------------------------------------------------------------------
# Zoom: Server-to-Server OAuth (account_credentials grant, HTTP Basic client authentication).


def zoom_token_error(status: int, body: Any, retry_after: float | None) -> ApiError:
    if status == 429 or status >= 500:
        return zoom_error(status, body, retry_after)
    if isinstance(body, Mapping) and ("error" in body or "reason" in body):
        error = str(body.get("error") or "")
        reason = str(body.get("reason") or body.get("error_description") or "")
        detail = error + (f" ({reason})" if reason else "")
        code = error or str(status)
    elif isinstance(body, Mapping) and "code" in body:
        classified = classify_zoom(status, _int(body.get("code")), str(body.get("message") or ""))
        detail, code = str(classified), classified.code
    else:
        detail, code = f"HTTP {status}", str(status)
    return AuthError(
        f"Zoom rejected the Server-to-Server OAuth credentials: {detail}", api="zoom", code=code, status=status
    )


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class ZoomServerToServerToken(CachedOAuthToken):
    def __init__(
        self, transport: ApiTransport, *, token_url: str, account_id: str, client_id: str, secret: str
    ) -> None:
        super().__init__(transport)
        if not (account_id and client_id and secret):
            raise InvalidSecretError("the Zoom account_id, client_id and client_secret must all be set")
        self.token_url = token_url
        self.account_id = account_id
        self._basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self._secret = secret

    def _mint(self) -> MintedToken:
        body = self.transport.request_json(
            "POST",
            self.token_url,
            data={"grant_type": "account_credentials", "account_id": self.account_id},
            headers={"Authorization": f"Basic {self._basic}"},
            redact=(self._secret,),
        )
        return self._parse(body)
