"""DPoP proofs (RFC 9449): the `DPoP:` header that binds an Okta access token to a key pair of our own.

`DPoPKey` is an ephemeral EC P-256 key pair (never the service app's client-assertion key, as Okta asks)
that signs one proof per HTTP request: header `typ: dpop+jwt`, `alg: ES256`, `jwk` = the public key;
claims `htm`, `htu`, `iat`, `jti` (fresh each proof), plus `nonce` when the server handed one out and
`ath` when the proof accompanies an access token. `server_nonce` reads the nonce a server hands out.

`htu` is the request URL without query or fragment, with the path percent-DECODED: Okta compares it
with the path it decoded itself, so `/users/alice%40acme.example` must be proved as
`/users/alice@acme.example` (okta/okta-sdk-python#541).

Nothing here logs; a proof, a token or a key never appears in a repr or an exception message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
PROOF_TYPE = "dpop+jwt"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def access_token_hash(access_token: str) -> str:
    """The `ath` claim: base64url(SHA-256(access token)), without padding."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def htu(url: str) -> str:
    """The `htu` claim of a request URL: scheme://host[:port]/path, no query or fragment, path decoded.

    Scheme and host are lower-cased and a default port is dropped (RFC 3986 §6.2.2-6.2.3 normalisation)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{unquote(parts.path) or '/'}"


def server_nonce(headers: Mapping[str, str]) -> str | None:
    """The `DPoP-Nonce` a server handed out in its answer's headers (RFC 9449 §8-9), if any."""
    value = (headers.get("DPoP-Nonce") or "").strip().strip('"')
    return value or None


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of a public EC or RSA JWK (what a DPoP-bound token's `cnf.jkt` holds)."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}[str(jwk["kty"])]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


class DPoPKey:
    """An ephemeral EC P-256 key pair signing DPoP proofs. Create one per minted token."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        self.jwk: dict[str, str] = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    @property
    def thumbprint(self) -> str:
        return jwk_thumbprint(self.jwk)

    def proof(
        self,
        method: str,
        url: str,
        *,
        now: float,
        access_token: str | None = None,
        nonce: str | None = None,
    ) -> str:
        """A signed proof for one request (`now`: epoch seconds for `iat`)."""
        claims: dict[str, Any] = {
            "htm": method.upper(),
            "htu": htu(url),
            "iat": int(now),
            "jti": str(uuid.uuid4()),
        }
        if nonce:
            claims["nonce"] = nonce
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"typ": PROOF_TYPE, "jwk": self.jwk})

    def __repr__(self) -> str:
        return "DPoPKey(<redacted>)"
