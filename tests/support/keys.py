"""PEM text of test key pairs: the private key for the sync's secret, the public key for the Okta simulator."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization


def pem(key: Any) -> str:
    data: bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return data.decode()


def public_pem(key: Any) -> str:
    data: bytes = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode()
