"""Credential providers for `ApiTransport`: a static Okta API token, and cached OAuth access tokens.

An OAuth provider mints lazily (on the first request), caches the token until five minutes before it
expires, and mints again after `invalidate()` (the transport calls it on a 401). Token requests go
through their own `ApiTransport` (same session, retry policy and stats as the API they serve) with an
error parser for the OAuth error shape `{"error","error_description"}`.

Token-endpoint errors are mapped here (429 and 5xx still go through `errors.classify_*`): the OAuth
`error` string names what is wrong with the credential rather than the request, so a 400
`invalid_client` is an AuthError and an `invalid_scope` a PermissionDeniedError.

DPoP (RFC 9449): an Okta service app may require DPoP-bound tokens ("Require Demonstrating Proof of
Possession (DPoP) header in token requests", on by default for new API service apps). The first token
request goes without a proof; if Okta answers `invalid_dpop_proof` (the DPoP header is missing), the
provider switches to DPoP for good: each mint then signs proofs with a fresh ephemeral key
(`dpop.DPoPKey`, never the client-assertion key), answers `use_dpop_nonce` with the `DPoP-Nonce` Okta
sent (at most `DPOP_NONCE_RETRIES` times, each with a fresh proof and client assertion), and every API
request carries `Authorization: DPoP <token>` plus a proof of its own (`auth_headers(method, url)`).
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

from okta_zoom_sync.adapters.http.transport import ApiTransport, okta_error, zoom_error
from okta_zoom_sync.adapters.okta.dpop import DPoPKey
from okta_zoom_sync.core.keys import load_private_key
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    InvalidSecretError,
    PermanentError,
    PermissionDeniedError,
    RateLimitedError,
    RetryableError,
    TokenRateLimitedError,
    TokenUnavailableError,
    classify_okta,
    classify_zoom,
)
from okta_zoom_sync.observability import logger

RENEW_BEFORE = 300.0  # re-mint five minutes before expiry
ASSERTION_LIFETIME = 300  # seconds; Okta accepts at most one hour
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DPOP_NONCE_RETRIES = 2  # use_dpop_nonce answers followed per mint (Okta's SDK retries twice too)
OKTA_PERMISSION_ERRORS = frozenset({"invalid_scope", "access_denied", "insufficient_scope"})


class StaticToken:
    """Okta SSWS API token: `Authorization: SSWS <token>`. Nothing to renew."""

    renewable = False

    def __init__(self, scheme: str, token: str) -> None:
        if not token:
            raise InvalidSecretError("the API token is empty")
        self._header = f"{scheme} {token}"

    def auth_headers(self, method: str, url: str) -> Mapping[str, str]:
        return {"Authorization": self._header}

    def invalidate(self) -> None:
        return None

    def accept_dpop_nonce(self, nonce: str) -> bool:
        return False

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"


@dataclass(frozen=True)
class MintedToken:
    access_token: str
    token_type: str
    expires_in: float
    scope: str
    dpop_key: DPoPKey | None = None  # set for a DPoP-bound token: the key it is bound to

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
        self._resource_nonce: str | None = None  # a DPoP-Nonce an API answered with (RFC 9449 §9)

    @abstractmethod
    def _mint(self) -> MintedToken: ...

    def token(self) -> MintedToken:
        clock = self.transport.retry.clock
        with self._lock:
            if self._token is None or clock() >= self._expires_at:
                try:
                    token = self._mint()
                except RetryableError as exc:
                    if isinstance(exc, TokenUnavailableError):
                        raise
                    unavailable = TokenRateLimitedError if isinstance(exc, RateLimitedError) else TokenUnavailableError
                    raise unavailable(
                        f"{self.transport.display} token endpoint unavailable: {exc.message}",
                        api=self.transport.api,
                        code=exc.code,
                        status=exc.status,
                        retry_after=exc.retry_after,
                    ) from exc
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

    def auth_headers(self, method: str, url: str) -> Mapping[str, str]:
        token = self.token()
        if token.dpop_key is None:
            return {"Authorization": f"Bearer {token.access_token}"}
        proof = token.dpop_key.proof(
            method,
            url,
            now=self.transport.retry.wall_clock(),
            access_token=token.access_token,
            nonce=self._resource_nonce,
        )
        return {"Authorization": f"DPoP {token.access_token}", "DPoP": proof}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def accept_dpop_nonce(self, nonce: str) -> bool:
        """An API asked for a DPoP nonce: keep it for the next proofs; True if the request is worth retrying."""
        with self._lock:
            if self._token is None or self._token.dpop_key is None or nonce == self._resource_nonce:
                return False
            self._resource_nonce = nonce
            return True

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
    if error in OKTA_PERMISSION_ERRORS:
        return PermissionDeniedError(text, api="okta", code=error, status=status)
    return AuthError(text, api="okta", code=error, status=status)


class OktaPrivateKeyJwtToken(CachedOAuthToken):
    """Access tokens for an Okta API service app (client credentials, private_key_jwt), DPoP-bound when
    Okta requires it (see the module docstring)."""

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
        self.dpop = False  # becomes True for good once Okta asks this app for DPoP proofs

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
        if not self.dpop:
            try:
                token = self._request_token(None, None)
            except AuthError as exc:
                if exc.code != "invalid_dpop_proof":
                    raise
                # "The DPoP proof JWT header is missing": the app requires DPoP-bound tokens.
                self.dpop = True
                logger.info("okta_dpop_required", extra={"api": "okta", "hint": "minting DPoP-bound tokens"})
            else:
                if token.token_type.lower() == "dpop":
                    raise AuthError(
                        "Okta issued a DPoP-bound token to a request without a DPoP proof",
                        api="okta",
                        code="dpop_token",
                    )
                return token
        return self._mint_dpop()

    def _mint_dpop(self) -> MintedToken:
        key = DPoPKey()  # a fresh key per token: the token is bound to it
        nonce = self.transport.dpop_nonce  # the latest nonce Okta handed out, if any (valid for days)
        retries = 0
        while True:
            try:
                token = self._request_token(key, nonce)
            except AuthError as exc:
                fresh = self.transport.dpop_nonce
                if exc.code != "use_dpop_nonce" or retries >= DPOP_NONCE_RETRIES or not fresh or fresh == nonce:
                    raise
                retries += 1
                nonce = fresh
                continue
            if token.token_type.lower() != "dpop":
                return token  # a Bearer token after all: the proof's key is not needed
            return MintedToken(token.access_token, token.token_type, token.expires_in, token.scope, dpop_key=key)

    def _request_token(self, key: DPoPKey | None, nonce: str | None) -> MintedToken:
        """One token request: a fresh client assertion and, with `key`, a fresh DPoP proof."""
        assertion = self.client_assertion()
        headers: dict[str, str] = {}
        if key is not None:
            now = self.transport.retry.wall_clock()
            headers["DPoP"] = key.proof("POST", self.token_url, now=now, nonce=nonce)
        body = self.transport.request_json(
            "POST",
            "/oauth2/v1/token",
            data={
                "grant_type": "client_credentials",
                "scope": " ".join(self.scopes),
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
            headers=headers,
            redact=(assertion, *headers.values()),
        )
        return self._parse(body)


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
