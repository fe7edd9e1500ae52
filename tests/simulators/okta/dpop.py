"""DPoP (RFC 9449; fact sheet §1c, §6a) for the Okta simulator: nonces, proof checks at the token endpoint and on
resources, and Okta's answers to a missing or wrong proof.

Off unless ``dpop_required = True`` (the app's "Require Demonstrating Proof of Possession (DPoP) header in token
requests"); without it a ``DPoP`` header is ignored and tokens are Bearer. With it, ``POST /oauth2/v1/token``
(after the client assertion was accepted, its ``jti`` spent) needs a ``DPoP`` proof: none -> 400
``invalid_dpop_proof`` "The DPoP proof JWT header is missing."; a malformed or wrong one (``typ`` not ``dpop+jwt``,
a symmetric ``alg``, a ``jwk`` that is private or does not verify the signature, ``htm`` not POST, ``htu`` not the
token URL, ``iat`` more than 5 min away, a ``jti`` seen before) -> 400 ``invalid_dpop_proof``; then no nonce, or one
not handed out in the last 3 days -> 400 ``use_dpop_nonce`` "Authorization server requires nonce in DPoP proof."
with ``DPoP-Nonce`` (the nonce rotates every 24 h of the simulator clock; the proof's ``jti`` is spent either way).
A valid proof -> ``token_type: "DPoP"``, the token bound to the RFC 7638 thumbprint of the proof's ``jwk``
(``cnf.jkt``). Resources: ``Authorization: DPoP <token>`` needs a valid proof signed by the bound key, with ``htm``,
``htu`` (scheme://host/path, no query, the *decoded* path: an encoded ``%40`` in ``htu`` is refused,
okta-sdk-python #541), ``ath``, a fresh ``jti`` and a recent ``iat``; no nonce (Okta requires none for its
resources). Proof failures follow the recorded traffic (Okta developer blog "Angular DPoP", okta-sdk-dotnet #875):
400 with an *empty body* and ``WWW-Authenticate: DPoP algs="...", ..., error="invalid_dpop_proof",
error_description="'htu' claim in the DPoP proof JWT is invalid."`` (replays: "The DPoP proof JWT has already been
used."). A DPoP-bound token sent as ``Bearer`` gets what that blog recorded too: 400 (empty body) ``WWW-Authenticate:
Bearer ..., error="invalid_request", error_description="The resource request requires a DPoP proof."`` -- not a 401.
An unknown or expired token under the DPoP scheme: 401 ``E0000011`` with a ``DPoP`` challenge
``error="invalid_token"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import jwt

from ..http import ApiError, Request, Response
from .auth import JWT_ALGS
from .formats import okta_error

__all__ = ["DpopMixin"]


def _normal_htu(url: str) -> str:
    """An ``htu`` for comparison: scheme and host lower-cased, a default port dropped, no query or fragment. The path
    is compared as it is: Okta matches it against the *decoded* request path (okta-sdk-python #541)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    netloc = host if port is None or port == {"http": 80, "https": 443}.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path}"


def _jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of a public EC or RSA JWK."""
    members = ("crv", "kty", "x", "y") if jwk.get("kty") == "EC" else ("e", "kty", "n")
    canonical = json.dumps({m: jwk.get(m) for m in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")


class DpopMixin:
    """DPoP of the :class:`~tests.simulators.okta.OktaSimulator` (state set up by ``_init_dpop``)."""

    def _init_dpop(self) -> None:
        self._dpop_secret = secrets.token_bytes(32)
        self._dpop_jtis: set[str] = set()

    @property
    def dpop_nonce(self) -> str:
        """The DPoP nonce the token endpoint hands out now (it rotates every 24 h of the simulator clock)."""
        return self._dpop_nonce_of(int(self.now() // 86400))

    def _dpop_nonce_of(self, day: int) -> str:
        digest = hashlib.sha256(self._dpop_secret + str(day).encode()).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def _dpop_nonce_ok(self, nonce: object) -> bool:
        """A nonce handed out in the last 3 days (fact sheet: an old nonce stays valid 3 days)."""
        day = int(self.now() // 86400)
        return isinstance(nonce, str) and any(
            secrets.compare_digest(nonce, self._dpop_nonce_of(day - back)) for back in range(4)
        )

    def _check_dpop_proof(
        self, request: Request, *, access_token: str | None = None, nonce_required: bool = False
    ) -> str | tuple[str, str]:
        """The RFC 7638 thumbprint of the proof's key if the ``DPoP`` header proves this request, else
        ``(error, error_description)``. Spends the proof's ``jti``."""
        proof = str(request.headers.get("dpop") or "").strip()
        bad = "invalid_dpop_proof"
        if not proof:
            return bad, "The DPoP proof JWT header is missing."
        try:
            header = jwt.get_unverified_header(proof)
        except jwt.PyJWTError:
            return bad, "DPoP proof JWT cannot be parsed."
        if header.get("typ") != "dpop+jwt":
            return bad, "The DPoP proof JWT 'typ' header is invalid."
        alg = header.get("alg")
        if alg not in JWT_ALGS:
            return bad, "The DPoP proof JWT 'alg' header is invalid."
        jwk = header.get("jwk")
        if not isinstance(jwk, dict) or jwk.get("kty") not in ("EC", "RSA") or "d" in jwk or "p" in jwk:
            return bad, "The DPoP proof JWT 'jwk' header is invalid."
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            claims = jwt.decode(
                proof,
                key,
                algorithms=[alg],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            return bad, "The DPoP proof JWT signature is invalid."
        for claim in ("htm", "htu", "iat", "jti"):
            if claim not in claims:
                return bad, f"The DPoP proof JWT is missing the '{claim}' claim."
        if claims["htm"] != request.method:
            return bad, "'htm' claim in the DPoP proof JWT is invalid."
        if _normal_htu(str(claims["htu"])) != _normal_htu(self._href(request.path)):
            return bad, "'htu' claim in the DPoP proof JWT is invalid."
        try:
            iat = float(claims["iat"])
        except (TypeError, ValueError):
            iat = math.nan
        if not abs(time.time() - iat) <= 300:  # real time, like the client assertion's checks
            return bad, "'iat' claim in the DPoP proof JWT is invalid."
        if access_token is not None:
            expected = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).decode().rstrip("=")
            if claims.get("ath") != expected:
                return bad, "'ath' claim in the DPoP proof JWT is invalid."
        jti = str(claims["jti"])
        if jti in self._dpop_jtis:
            return bad, "The DPoP proof JWT has already been used."
        self._dpop_jtis.add(jti)
        if nonce_required and not self._dpop_nonce_ok(claims.get("nonce")):
            return "use_dpop_nonce", "Authorization server requires nonce in DPoP proof."
        return _jwk_thumbprint(jwk)

    def _dpop_refusal(self, request: Request, scheme: str, error: str, description: str) -> Response:
        """Okta's answer to a resource request whose DPoP proof is missing or wrong: 400, empty body, the reason in
        ``WWW-Authenticate`` (recorded traffic, see the module docstring)."""
        algs = ' algs="RS256 RS384 RS512 ES256 ES384 ES512",' if scheme == "DPoP" else ""
        response = Response(400, None)
        return response.header(
            "WWW-Authenticate",
            f'{scheme}{algs} authorization_uri="{self._href("/oauth2/v1/authorize")}", realm="{self._href("")}", '
            f'scope="", error="{error}", error_description="{description}", resource="{request.path}"',
        )

    def _authenticate_dpop(self, request: Request, credential: str) -> set[str]:
        token = self._tokens.get(credential)
        if token is None or token["expires_at"] <= self.now() or not token.get("jkt"):
            response = okta_error(401, "E0000011", "Invalid token provided")
            response.header(
                "WWW-Authenticate",
                'DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", '
                f'authorization_uri="{self._href("/oauth2/v1/authorize")}", realm="{self._href("")}", scope="", '
                'error="invalid_token", '
                f'error_description="The access token is invalid.", resource="{request.path}"',
            )
            raise ApiError(response)
        checked = self._check_dpop_proof(request, access_token=credential)
        if isinstance(checked, tuple):
            raise ApiError(self._dpop_refusal(request, "DPoP", *checked))
        if not secrets.compare_digest(checked, token["jkt"]):
            raise ApiError(
                self._dpop_refusal(
                    request, "DPoP", "invalid_dpop_proof", "The DPoP proof JWT key does not match the access token."
                )
            )
        return set(token["scopes"])
