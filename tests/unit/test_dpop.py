"""DPoP proofs (RFC 9449), offline: the header, the claims, `htu` normalisation, `ath`, the JWK thumbprint."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jwt
import pytest
from okta_zoom_sync.adapters.okta.dpop import DPoPKey, access_token_hash, htu, jwk_thumbprint

NOW = 1_750_000_000.0


def decode(proof: str, key: DPoPKey) -> tuple[dict[str, Any], dict[str, Any]]:
    header = jwt.get_unverified_header(proof)
    public = jwt.PyJWK(header["jwk"], algorithm="ES256").key
    claims = jwt.decode(proof, public, algorithms=["ES256"], options={"verify_iat": False})
    return header, claims


def test_a_proof_is_an_es256_dpop_jwt_signed_by_the_public_key_in_its_header() -> None:
    key = DPoPKey()
    header, claims = decode(key.proof("post", "https://acme.okta.com/oauth2/v1/token", now=NOW), key)

    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert header["jwk"] == key.jwk
    assert set(header["jwk"]) == {"kty", "crv", "x", "y"}  # public only: no "d"
    assert (header["jwk"]["kty"], header["jwk"]["crv"]) == ("EC", "P-256")
    assert claims == {
        "htm": "POST",
        "htu": "https://acme.okta.com/oauth2/v1/token",
        "iat": int(NOW),
        "jti": claims["jti"],
    }


def test_each_proof_has_a_fresh_jti_and_each_key_is_its_own() -> None:
    key = DPoPKey()
    jtis = {decode(key.proof("GET", "https://a.example/x", now=NOW), key)[1]["jti"] for _ in range(20)}
    assert len(jtis) == 20
    assert DPoPKey().jwk != key.jwk


def test_nonce_and_ath_only_when_given() -> None:
    key = DPoPKey()
    _, claims = decode(key.proof("GET", "https://a.example/x", now=NOW, access_token="tok", nonce="n-1"), key)
    assert claims["nonce"] == "n-1"
    assert claims["ath"] == access_token_hash("tok")
    _, bare = decode(key.proof("GET", "https://a.example/x", now=NOW), key)
    assert "nonce" not in bare and "ath" not in bare


def test_ath_is_the_unpadded_base64url_sha256_of_the_token() -> None:
    # RFC 9449 §7.1's example access token and its ath.
    assert (
        access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
        == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    )
    token = "eyJhbGciOiJIUzI1NiJ9.e30.x"
    expected = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).decode().rstrip("=")
    assert access_token_hash(token) == expected and "=" not in expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The query and fragment are not part of htu.
        ("https://acme.okta.com/api/v1/logs?since=x&limit=1000#top", "https://acme.okta.com/api/v1/logs"),
        # Okta compares htu with the decoded path (okta-sdk-python #541).
        (
            "https://acme.okta.com/api/v1/users/alice%40acme.example",
            "https://acme.okta.com/api/v1/users/alice@acme.example",
        ),
        (
            "https://acme.okta.com/api/v1/users/alice@acme.example",
            "https://acme.okta.com/api/v1/users/alice@acme.example",
        ),
        ("https://acme.okta.com/api/v1/groups?q=Zoom%20Users", "https://acme.okta.com/api/v1/groups"),
        ("HTTPS://ACME.Okta.com:443/api/v1/apps/0oa1", "https://acme.okta.com/api/v1/apps/0oa1"),
        ("http://127.0.0.1:8443/oauth2/v1/token", "http://127.0.0.1:8443/oauth2/v1/token"),
        ("https://acme.okta.com", "https://acme.okta.com/"),
    ],
)
def test_htu_drops_query_and_fragment_and_decodes_the_path(url: str, expected: str) -> None:
    assert htu(url) == expected
    key = DPoPKey()
    assert decode(key.proof("GET", url, now=NOW), key)[1]["htu"] == expected


def test_jwk_thumbprint_follows_rfc_7638() -> None:
    # RFC 7638 §3.1's example key and thumbprint.
    rsa_jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjB"
            "ZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8"
            "KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_"
            "xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(rsa_jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    key = DPoPKey()
    canonical = json.dumps({k: key.jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")
    assert key.thumbprint == jwk_thumbprint(key.jwk) == expected


def test_the_key_never_shows_in_a_repr() -> None:
    key = DPoPKey()
    assert repr(key) == "DPoPKey(<redacted>)"
