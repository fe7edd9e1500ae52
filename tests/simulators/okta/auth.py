"""Okta authentication and authorisation: the SSWS API token, the OAuth 2.0 token endpoint
``POST /oauth2/v1/token`` (client credentials with a ``private_key_jwt`` client assertion, signed by a registered
key of the service app) and the scope check of every route. Control API: ``revoke_tokens``, ``add_oauth_key``,
``remove_oauth_key``; read access: ``token_count``. DPoP-bound tokens are in ``dpop.py``.

- ``Authorization: SSWS <api_token>`` (every scope) or ``Authorization: Bearer <token>`` minted by the token
  endpoint. Bad or absent credentials: 401 ``E0000011`` (never ``E0000005``); a bearer token lacking the endpoint's
  scope: 403 ``E0000006`` with ``WWW-Authenticate: Bearer error="insufficient_scope"``. A ``*.manage`` scope
  includes the matching ``*.read``.
- The token endpoint answers errors in the OAuth shape ``{error, error_description}``.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import jwt

from ..http import ApiError, Request, Response
from .formats import oauth_error, okta_error, random_id

__all__ = ["DEFAULT_OKTA_SCOPES", "JWT_ALGS", "AuthMixin"]

DEFAULT_OKTA_SCOPES = ("okta.apps.read", "okta.users.read", "okta.groups.read", "okta.logs.read")
JWT_ALGS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class AuthMixin:
    """Credentials of the :class:`~tests.simulators.okta.OktaSimulator` (state set up by ``_init_auth``)."""

    _lock: threading.RLock
    token_path: str
    api_token: str | None
    oauth_client_id: str | None
    granted_scopes: set[str]
    token_lifetime: int
    dpop_required: bool

    def _init_auth(self, oauth_public_key_pem: str | bytes | None, oauth_key_id: str | None) -> None:
        self._oauth_keys: list[tuple[str | None, str]] = []
        self._require_kid = oauth_key_id is not None
        if oauth_public_key_pem is not None:
            pem = oauth_public_key_pem.decode() if isinstance(oauth_public_key_pem, bytes) else oauth_public_key_pem
            self._oauth_keys.append((oauth_key_id, pem))
        self._used_jtis: set[str] = set()
        self._tokens: dict[str, dict[str, Any]] = {}
        self._token_secret = secrets.token_bytes(32)
        self._token_count = 0

    # ================================================================== control API

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

    # ================================================================== resources: who is calling, may they

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

    # ================================================================== the token endpoint

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
                "jti": "AT." + random_id(43),
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
        if alg not in JWT_ALGS:
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
