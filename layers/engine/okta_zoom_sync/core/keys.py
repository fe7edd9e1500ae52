"""Parses the Okta service app's private key (PEM) and names its JWS algorithm. Pure: no I/O."""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from okta_zoom_sync.errors import InvalidSecretError


def load_private_key(pem: str) -> tuple[Any, str]:
    """The key object and its JWS algorithm: RS256 for RSA (2048 bits or more), ES256/384/512 for EC P-256/384/521."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The message of a parse failure can quote the input: never chain it into ours.
        raise InvalidSecretError(
            "invalid secret: okta_private_key is not an unencrypted PEM private key (PKCS#8 or PKCS#1)"
        ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise InvalidSecretError("invalid secret: okta_private_key is an RSA key shorter than 2048 bits")
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}.get(key.curve.name)
        if alg:
            return key, alg
    raise InvalidSecretError(
        "invalid secret: okta_private_key must be an RSA key or an EC key on P-256, P-384 or P-521"
    )
