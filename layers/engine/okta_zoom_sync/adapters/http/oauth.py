"""Credentials for `ApiTransport`, vendor-neutral: the `AuthProvider` protocol, a static token, and a cache
of OAuth access tokens.

`CachedOAuthToken` mints lazily (on the first request), caches the token until five minutes before it
expires, and mints again after `invalidate()` (the transport calls it on a 401). How a token is minted
is the vendor's: `adapters/okta/auth.py` and `adapters/zoom/auth.py` subclass it. Token requests go
through their own `ApiTransport` (same session, retry policy and stats as the API they serve).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import requests

from okta_zoom_sync.errors import (
    InvalidSecretError,
    PermanentError,
    RateLimitedError,
    RetryableError,
    TokenRateLimitedError,
    TokenUnavailableError,
)
from okta_zoom_sync.observability import logger

if TYPE_CHECKING:
    from okta_zoom_sync.adapters.http.transport import ApiTransport

RENEW_BEFORE = 300.0  # re-mint five minutes before expiry


class AuthProvider(Protocol):
    """Supplies the credential headers of each request and owns the token's cache."""

    @property
    def renewable(self) -> bool:
        """Whether `invalidate()` can lead to a different credential (OAuth yes, a static token no)."""
        ...

    def auth_headers(self, method: str, url: str) -> Mapping[str, str]:
        """Headers carrying the credential for a `method` request to `url` (a proof of possession may be
        bound to both); may mint a token (and raise AuthError) on first use."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token; the next `auth_headers()` mints a new one."""
        ...

    def answer_challenge(self, response: requests.Response) -> bool:
        """The API refused a request (400 or 401) with a `WWW-Authenticate` challenge: True if the provider
        took what the challenge asks for (e.g. a DPoP nonce) into its next headers, so that the same request
        is worth sending once more."""
        ...


class StaticToken:
    """A token that never changes (Okta's SSWS API token): `Authorization: <scheme> <token>`."""

    renewable = False

    def __init__(self, scheme: str, token: str) -> None:
        if not token:
            raise InvalidSecretError("the API token is empty")
        self._header = f"{scheme} {token}"

    def auth_headers(self, method: str, url: str) -> Mapping[str, str]:
        return {"Authorization": self._header}

    def invalidate(self) -> None:
        return None

    def answer_challenge(self, response: requests.Response) -> bool:
        return False

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"


@dataclass(frozen=True)
class MintedToken:
    access_token: str
    token_type: str
    expires_in: float
    scope: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}(type={self.token_type!r}, expires_in={self.expires_in}, scope={self.scope!r})"


class CachedOAuthToken(ABC):
    """Mint on first use, reuse until `RENEW_BEFORE` seconds before expiry, mint again after `invalidate()`.

    A mint that fails for a passing reason (5xx, 429, no connection) surfaces as `TokenUnavailableError`
    (`TokenRateLimitedError` for a 429): nothing can be read or written with that API until it answers."""

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
        return self._headers_for(self.token(), method, url)

    def _headers_for(self, token: MintedToken, method: str, url: str) -> Mapping[str, str]:
        """The credential headers that carry `token` (a Bearer token here; a subclass may bind it to a key)."""
        return {"Authorization": f"Bearer {token.access_token}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def answer_challenge(self, response: requests.Response) -> bool:
        return False

    def _parse(self, body: Any) -> MintedToken:
        """A token endpoint's success answer (RFC 6749 §5.1) as a `MintedToken`."""
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
