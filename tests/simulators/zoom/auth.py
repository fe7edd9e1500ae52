"""Zoom authentication: Server-to-Server OAuth (``POST /oauth/token`` with HTTP Basic client id/secret and
``grant_type=account_credentials&account_id=...`` in a form body or the query string) minting bearer tokens that
carry ``granted_scopes``, and the check of the bearer token of every ``/v2`` request. Control API:
``revoke_tokens``; read access: ``token_count``.

Expired tokens: 401 code 124 "Access token is expired."; unknown/revoked/absent: 401 code 124 "Invalid access
token.".
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from typing import Any

import jwt

from ..http import ApiError, Request, Response
from .formats import zoom_error

__all__ = ["DEFAULT_ZOOM_SCOPES", "AuthMixin"]

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
    "user:write:profile_picture:admin",
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


class AuthMixin:
    """Credentials of the :class:`~tests.simulators.zoom.ZoomSimulator` (state set up by ``_init_auth``)."""

    _lock: threading.RLock
    account_id: str
    client_id: str
    client_secret: str
    granted_scopes: set[str]
    token_lifetime: int

    def _init_auth(self) -> None:
        self._tokens: dict[str, dict[str, Any]] = {}
        self._token_secret = secrets.token_bytes(32)
        self._token_count = 0

    def revoke_tokens(self) -> None:
        """Every access token minted so far becomes invalid (401 code 124)."""
        with self._lock:
            self._tokens.clear()

    @property
    def token_count(self) -> int:
        with self._lock:
            return self._token_count

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
