"""Okta's credentials, and the provider that turns a service app into access tokens.

`OktaApiToken` is an SSWS API token (a `StaticToken`); `OktaServiceApp` is an API service app whose
tokens `OktaPrivateKeyJwtToken` mints with OAuth 2.0 client credentials and private_key_jwt against the
org authorization server, through its own `ApiTransport` with the token endpoint's error dialect.

Token-endpoint errors are mapped here (429 and 5xx still go through `classify_okta`): the OAuth `error`
string names what is wrong with the credential rather than the request, so a 400 `invalid_client` is an
AuthError and an `invalid_scope` a PermissionDeniedError.

DPoP (RFC 9449): an Okta service app may require DPoP-bound tokens ("Require Demonstrating Proof of
Possession (DPoP) header in token requests", on by default for new API service apps). The first token
request goes without a proof; if Okta answers `invalid_dpop_proof` (the DPoP header is missing), the
provider switches to DPoP for good: each mint then signs proofs with a fresh ephemeral key
(`dpop.DPoPKey`, never the client-assertion key), answers `use_dpop_nonce` with the `DPoP-Nonce` Okta
sent (at most `DPOP_NONCE_RETRIES` times, each with a fresh proof and client assertion), and every API
request carries `Authorization: DPoP <token>` plus a proof of its own. An API's own `use_dpop_nonce`
challenge is answered once per request (`answer_challenge`), the next proofs carrying its nonce.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from okta_zoom_sync.adapters.http.oauth import CachedOAuthToken, MintedToken
from okta_zoom_sync.adapters.http.transport import ApiTransport, challenge_params
from okta_zoom_sync.adapters.okta.dpop import DPoPKey, server_nonce
from okta_zoom_sync.adapters.okta.errors import classify_okta, okta_dialect, parse_okta_error
from okta_zoom_sync.core.keys import load_private_key
from okta_zoom_sync.errors import ApiError, AuthError, InvalidSecretError, PermissionDeniedError
from okta_zoom_sync.observability import logger

DEFAULT_SCOPES: tuple[str, ...] = ("okta.apps.read", "okta.users.read", "okta.groups.read", "okta.logs.read")
ASSERTION_LIFETIME = 300  # seconds; Okta accepts at most one hour
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DPOP_NONCE_RETRIES = 2  # use_dpop_nonce answers followed per mint (Okta's SDK retries twice too)
OKTA_PERMISSION_ERRORS = frozenset({"invalid_scope", "access_denied", "insufficient_scope"})


@dataclass(frozen=True)
class OktaApiToken:
    """An SSWS API token."""

    token: str = field(repr=False)


@dataclass(frozen=True)
class OktaServiceApp:
    """An Okta API Services app: client credentials with private_key_jwt (RSA → RS256, EC P-256 → ES256)."""

    client_id: str
    private_key_pem: str = field(repr=False)
    key_id: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES


OktaCredentials = OktaApiToken | OktaServiceApp


def parse_okta_token_error(status: int, body: Any, retry_after: float | None) -> ApiError:
    """The org authorization server's errors: OAuth's `{"error","error_description"}`."""
    if not isinstance(body, Mapping) or "error" not in body:
        return parse_okta_error(status, body, retry_after)  # e.g. a 429 in the management shape
    error = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    if status == 429 or status >= 500:
        return classify_okta(status, error, description, retry_after)
    text = f"Okta rejected the service app's token request: {error}" + (f" ({description})" if description else "")
    if error in OKTA_PERMISSION_ERRORS:
        return PermissionDeniedError(text, api="okta", code=error, status=status)
    return AuthError(text, api="okta", code=error, status=status)


okta_token_error = okta_dialect(parse_okta_token_error)


@dataclass(frozen=True, repr=False)
class DPoPBoundToken(MintedToken):
    """An access token bound to `dpop_key`: every request proves possession of that key."""

    dpop_key: DPoPKey


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
        self._token_nonce: str | None = None  # the latest DPoP-Nonce the token endpoint handed out
        self._resource_nonce: str | None = None  # a DPoP-Nonce an API answered with (RFC 9449 §9)
        transport.on_response.append(self._note_token_nonce)

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

    def answer_challenge(self, response: requests.Response) -> bool:
        """An API asked for a DPoP nonce: keep it for the next proofs; True if the request is worth retrying."""
        nonce = server_nonce(response.headers)
        if not nonce or challenge_params(response).get("error") != "use_dpop_nonce":
            return False
        with self._lock:
            if not isinstance(self._token, DPoPBoundToken) or nonce == self._resource_nonce:
                return False
            self._resource_nonce = nonce
            return True

    def _headers_for(self, token: MintedToken, method: str, url: str) -> Mapping[str, str]:
        if not isinstance(token, DPoPBoundToken):
            return super()._headers_for(token, method, url)
        proof = token.dpop_key.proof(
            method,
            url,
            now=self.transport.retry.wall_clock(),
            access_token=token.access_token,
            nonce=self._resource_nonce,
        )
        return {"Authorization": f"DPoP {token.access_token}", "DPoP": proof}

    def _note_token_nonce(self, response: requests.Response) -> None:
        nonce = server_nonce(response.headers)
        if nonce:
            self._token_nonce = nonce

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
        nonce = self._token_nonce  # the latest nonce Okta handed out, if any (valid for days)
        retries = 0
        while True:
            try:
                token = self._request_token(key, nonce)
            except AuthError as exc:
                fresh = self._token_nonce
                if exc.code != "use_dpop_nonce" or retries >= DPOP_NONCE_RETRIES or not fresh or fresh == nonce:
                    raise
                retries += 1
                nonce = fresh
                continue
            if token.token_type.lower() != "dpop":
                return token  # a Bearer token after all: the proof's key is not needed
            return DPoPBoundToken(token.access_token, token.token_type, token.expires_in, token.scope, dpop_key=key)

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
