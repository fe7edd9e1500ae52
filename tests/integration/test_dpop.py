"""DPoP-bound tokens (RFC 9449) for the Okta service app, against the Okta simulator over loopback HTTP.

The simulator answers like Okta (fact sheet §1c): a token request without a proof gets `invalid_dpop_proof`, one
without a nonce `use_dpop_nonce` plus `DPoP-Nonce`; API requests need `Authorization: DPoP` and a proof per request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.http.transport import ApiTransport
from okta_zoom_sync.adapters.okta.auth import OktaApiToken, OktaPrivateKeyJwtToken, OktaServiceApp, okta_token_error
from okta_zoom_sync.adapters.okta.client import OktaClient
from okta_zoom_sync.adapters.okta.errors import okta_error
from okta_zoom_sync.engine.checks import check_okta
from okta_zoom_sync.errors import AuthError, PermanentError

from tests.simulators import OktaSimulator
from tests.simulators.http import RecordedRequest
from tests.support.keys import pem, public_pem

from .conftest import Stack, add_person, valid_secret

APP_ID = "0oazoomapp1"
CLIENT_ID = "0oaserviceapp1"
TOKEN_PATH = "/oauth2/v1/token"
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, reset_margin=0.0, random=lambda: 0.0)


@pytest.fixture
def app_key() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def sim(app_key: Any) -> Iterator[OktaSimulator]:
    with OktaSimulator(
        app_id=APP_ID, api_token=None, oauth_client_id=CLIENT_ID, oauth_public_key_pem=public_pem(app_key)
    ) as okta:
        okta.dpop_required = True
        yield okta


def client(sim: OktaSimulator, key: Any) -> OktaClient:
    return OktaClient(sim.url, APP_ID, OktaServiceApp(CLIENT_ID, pem(key)), retry=FAST)


def proof_of(request: RecordedRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (header, claims) of a recorded request's DPoP proof, its signature checked with the key it carries."""
    proof = request.headers["dpop"]
    header = jwt.get_unverified_header(proof)
    public = jwt.PyJWK(header["jwk"], algorithm=header["alg"]).key
    return header, jwt.decode(proof, public, algorithms=[header["alg"]], options={"verify_iat": False})


def token_requests(sim: OktaSimulator) -> list[RecordedRequest]:
    return [r for r in sim.requests if r.path == TOKEN_PATH]


def api_requests(sim: OktaSimulator) -> list[RecordedRequest]:
    return [r for r in sim.requests if r.path != TOKEN_PATH]


def assertion_jti(request: RecordedRequest) -> str:
    return str(jwt.decode(request.body["client_assertion"], options={"verify_signature": False})["jti"])


def thumbprint(jwk: dict[str, Any]) -> str:
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")


def ec_jwk(key: Any) -> dict[str, str]:
    numbers = key.public_key().public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).decode().rstrip("=")

    return {"kty": "EC", "crv": "P-256", "x": b64(numbers.x), "y": b64(numbers.y)}


# -- minting -----------------------------------------------------------------------------------------------


def test_a_dpop_required_app_gets_a_dpop_bound_token_after_the_nonce_dance(sim: OktaSimulator, app_key: Any) -> None:
    okta = client(sim, app_key)
    assert okta.auth_mode == "private_key_jwt"  # nothing minted yet: the first request goes without a proof

    okta.verify_credentials()

    assert okta.auth_mode == "private_key_jwt+dpop"
    assert sim.token_count == 1
    first, second, third = token_requests(sim)
    assert [r.status for r in (first, second, third)] == [400, 400, 200]
    assert "dpop" not in first.headers  # apps that do not require DPoP never see a proof
    (h2, c2), (h3, c3) = proof_of(second), proof_of(third)
    for header, claims in ((h2, c2), (h3, c3)):
        assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256" and "d" not in header["jwk"]
        assert claims["htm"] == "POST" and claims["htu"] == sim.url + TOKEN_PATH
        assert abs(claims["iat"] - time.time()) < 60
        assert "ath" not in claims
    assert "nonce" not in c2 and c3["nonce"] == sim.dpop_nonce
    assert c2["jti"] != c3["jti"]
    assert len({assertion_jti(r) for r in (first, second, third)}) == 3  # a fresh client assertion each time
    # The proof key is its own, not the client-assertion key.
    assert h2["jwk"] == h3["jwk"] != ec_jwk(app_key)
    assert okta.granted_scopes == {"okta.apps.read", "okta.users.read", "okta.groups.read", "okta.logs.read"}


def test_use_dpop_nonce_is_followed_at_most_twice(sim: OktaSimulator, app_key: Any) -> None:
    sim.inject("POST", TOKEN_PATH, 400, body={"error": "invalid_dpop_proof", "error_description": "missing"})
    for n in range(3):
        sim.inject(
            "POST",
            TOKEN_PATH,
            400,
            body={"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof."},
            headers={"DPoP-Nonce": f"nonce-{n}"},
        )
    with pytest.raises(AuthError, match="use_dpop_nonce") as info:
        client(sim, app_key).verify_credentials()
    sent = token_requests(sim)
    assert len(sent) == 4  # without a proof, with one, then two nonce retries
    assert [proof_of(r)[1].get("nonce") for r in sent[1:]] == [None, "nonce-0", "nonce-1"]
    assert all(r.headers["dpop"] not in str(info.value) for r in sent[1:])


def test_a_non_dpop_app_is_unaffected(sim: OktaSimulator, app_key: Any) -> None:
    sim.dpop_required = False
    okta = client(sim, app_key)
    okta.get_app()
    okta.get_user("nobody@acme.example")

    assert okta.auth_mode == "private_key_jwt"
    assert [r.status for r in token_requests(sim)] == [200]
    assert all("dpop" not in r.headers for r in sim.requests)
    assert len(api_requests(sim)) >= 2  # get_app and get_user
    assert all(r.headers["authorization"] == "Bearer <redacted>" for r in api_requests(sim))


# -- API requests ------------------------------------------------------------------------------------------


def test_every_api_request_carries_a_fresh_proof_bound_to_the_token(sim: OktaSimulator, app_key: Any) -> None:
    alice = sim.add_user("alice@acme.example", first_name="Alice", last_name="Ng")
    for i in range(3):
        sim.assign_user(sim.add_user(f"user{i}@acme.example"))
    sim.assign_user(alice)
    sim.max_page_size = 2  # several pages: the next links carry query strings
    okta = client(sim, app_key)

    assert len(okta.list_assigned_users().items) == 4
    found = okta.get_user("alice@acme.example")  # a path with an "@"
    assert found is not None and found.okta_id == alice
    assert okta.get_app()["status"] == "ACTIVE"

    calls = api_requests(sim)
    assert all(r.status == 200 for r in calls) and len(calls) == 4
    assert all(r.headers["authorization"] == "DPoP <redacted>" for r in calls)
    token_key = proof_of(token_requests(sim)[-1])[0]["jwk"]
    seen_jti: set[str] = set()
    for request in calls:
        header, claims = proof_of(request)
        assert header["jwk"] == token_key  # signed by the key the token is bound to
        assert claims["htm"] == "GET"
        assert claims["htu"] == sim.url + request.path  # no query, decoded path
        assert claims["ath"] and claims["jti"] not in seen_jti
        seen_jti.add(claims["jti"])
    assert len({proof_of(r)[1]["ath"] for r in calls}) == 1  # one token for all of them
    assert any("after" in r.query for r in calls)  # a next link with its query was followed
    by_user = [r for r in calls if r.path == "/api/v1/users/alice@acme.example"]
    assert proof_of(by_user[0])[1]["htu"] == sim.url + "/api/v1/users/alice@acme.example"


def test_a_percent_encoded_path_is_proved_decoded(sim: OktaSimulator, app_key: Any) -> None:
    sim.add_user("alice@acme.example")
    session = requests.Session()
    tokens = OktaPrivateKeyJwtToken(
        ApiTransport("okta", sim.url, setting_name="OKTA_ORG_URL", error_parser=okta_token_error, session=session),
        client_id=CLIENT_ID,
        private_key_pem=pem(app_key),
        key_id=None,
        scopes=("okta.users.read",),
    )
    api = ApiTransport("okta", sim.url, setting_name="OKTA_ORG_URL", error_parser=okta_error, auth=tokens)

    user = api.request_json("GET", "/api/v1/users/alice%40acme.example")

    assert user["profile"]["login"] == "alice@acme.example"
    assert proof_of(sim.requests[-1])[1]["htu"] == sim.url + "/api/v1/users/alice@acme.example"


def test_the_simulator_refuses_what_okta_refuses(sim: OktaSimulator, app_key: Any) -> None:
    """The simulator's own checks (so that the client tests above prove something): an encoded htu, a replayed
    proof, a proof for another token and a DPoP token sent as Bearer are refused as the recorded traffic shows."""
    okta = client(sim, app_key)
    okta.verify_credentials()
    sim.add_user("alice@acme.example")
    dpop_key = ec.generate_private_key(ec.SECP256R1())
    # The token the client holds is not readable from outside; mint our own with a key we control.
    nonce = sim.dpop_nonce
    assertion = jwt.encode(
        {
            "iss": CLIENT_ID,
            "sub": CLIENT_ID,
            "aud": sim.url + TOKEN_PATH,
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
            "jti": str(uuid.uuid4()),
        },
        app_key,
        algorithm="ES256",
    )

    def proof(htm: str, htu: str, **extra: Any) -> str:
        claims = {"htm": htm, "htu": htu, "iat": int(time.time()), "jti": str(uuid.uuid4()), **extra}
        return jwt.encode(claims, dpop_key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": ec_jwk(dpop_key)})

    minted = requests.post(
        sim.url + TOKEN_PATH,
        data={
            "grant_type": "client_credentials",
            "scope": "okta.users.read",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        headers={"DPoP": proof("POST", sim.url + TOKEN_PATH, nonce=nonce)},
        timeout=5,
    )
    assert minted.status_code == 200 and minted.json()["token_type"] == "DPoP"
    token = minted.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["cnf"]["jkt"] == thumbprint(ec_jwk(dpop_key))
    ath = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).decode().rstrip("=")
    url = sim.url + "/api/v1/users/alice%40acme.example"

    def get(headers: dict[str, str]) -> requests.Response:
        return requests.get(url, headers=headers, timeout=5)

    good = proof("GET", sim.url + "/api/v1/users/alice@acme.example", ath=ath)
    assert get({"Authorization": f"DPoP {token}", "DPoP": good}).status_code == 200
    replay = get({"Authorization": f"DPoP {token}", "DPoP": good})
    encoded = get({"Authorization": f"DPoP {token}", "DPoP": proof("GET", url, ath=ath)})
    other_ath = get({"Authorization": f"DPoP {token}", "DPoP": proof("GET", unquote(url), ath="x" * 43)})
    as_bearer = get({"Authorization": f"Bearer {token}"})
    for response, reason in (
        (replay, "The DPoP proof JWT has already been used."),
        (encoded, "'htu' claim in the DPoP proof JWT is invalid."),
        (other_ath, "'ath' claim in the DPoP proof JWT is invalid."),
    ):
        assert response.status_code == 400 and response.content == b""
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("DPoP algs=") and 'error="invalid_dpop_proof"' in challenge
        assert f'error_description="{reason}"' in challenge
    assert as_bearer.status_code == 400
    assert 'error="invalid_request"' in as_bearer.headers["WWW-Authenticate"]


def test_a_resource_nonce_challenge_is_answered_once(sim: OktaSimulator, app_key: Any) -> None:
    okta = client(sim, app_key)
    okta.verify_credentials()
    sim.inject(
        "GET",
        f"/api/v1/apps/{APP_ID}",
        401,
        headers={
            "WWW-Authenticate": 'DPoP algs="ES256", error="use_dpop_nonce", '
            'error_description="Resource server requires nonce in DPoP proof"',
            "DPoP-Nonce": "rs-nonce-1",
        },
    )
    okta.get_app()
    first, second = api_requests(sim)
    assert (first.status, second.status) == (401, 200)
    assert "nonce" not in proof_of(first)[1] and proof_of(second)[1]["nonce"] == "rs-nonce-1"
    assert proof_of(first)[1]["jti"] != proof_of(second)[1]["jti"]
    assert sim.token_count == 1 and okta.stats.token_renewals == 0


def test_a_dpop_proof_error_is_named_without_the_proof_or_token(
    sim: OktaSimulator, app_key: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    okta = client(sim, app_key)
    okta.verify_credentials()
    challenge = (
        'DPoP algs="ES256", error="invalid_dpop_proof", '
        "error_description=\"'htu' claim in the DPoP proof JWT is invalid.\""
    )
    sim.inject("GET", f"/api/v1/apps/{APP_ID}", 400, body=b"", headers={"WWW-Authenticate": challenge})
    with pytest.raises(PermanentError, match=r"invalid_dpop_proof \('htu' claim in the DPoP proof JWT is invalid\.\)"):
        okta.get_app()
    sent = api_requests(sim)[-1].headers["dpop"]
    out = capfd.readouterr()
    assert sent not in out.out + out.err
    assert sent.split(".")[1] not in out.out + out.err


# -- re-minting --------------------------------------------------------------------------------------------


def test_a_revoked_dpop_token_is_reminted_with_proofs_straight_away(sim: OktaSimulator, app_key: Any) -> None:
    okta = client(sim, app_key)
    okta.get_app()
    sim.revoke_tokens()
    okta.get_app()

    assert sim.token_count == 2 and okta.stats.token_renewals == 1
    statuses = [(r.path == TOKEN_PATH, r.status) for r in sim.requests]
    # mint (no proof, no nonce, nonce), call, 401, re-mint in DPoP mode with the nonce already known, call
    assert statuses == [(True, 400), (True, 400), (True, 200), (False, 200), (False, 401), (True, 200), (False, 200)]
    first_key = proof_of(token_requests(sim)[2])[0]["jwk"]
    remint = token_requests(sim)[3]
    assert proof_of(remint)[1]["nonce"] == sim.dpop_nonce
    assert proof_of(remint)[0]["jwk"] != first_key  # a fresh key per token
    assert proof_of(sim.requests[-1])[0]["jwk"] == proof_of(remint)[0]["jwk"]


def test_a_stale_nonce_is_replaced_when_reminting(sim: OktaSimulator, app_key: Any) -> None:
    okta = client(sim, app_key)
    okta.get_app()
    old = sim.dpop_nonce
    sim.advance_clock(5 * 86400)  # the token expired and the nonce is older than 3 days
    okta.get_app()

    remints = token_requests(sim)[3:]
    assert [r.status for r in remints] == [400, 200]
    assert [proof_of(r)[1]["nonce"] for r in remints] == [old, sim.dpop_nonce] and old != sim.dpop_nonce
    assert sim.token_count == 2


# -- check mode and the whole Lambda -----------------------------------------------------------------------


def test_check_names_the_authentication_method(sim: OktaSimulator, app_key: Any) -> None:
    sim.api_token = "ssws-token"
    ssws = OktaClient(sim.url, APP_ID, OktaApiToken("ssws-token"), retry=FAST)
    details = {}
    for name, okta in (("ssws", ssws), ("dpop", client(sim, app_key))):
        token_check = check_okta(okta, APP_ID)[0]
        assert token_check.name == "okta.token" and token_check.ok, token_check
        details[name] = token_check.detail
    sim.dpop_required = False
    details["plain"] = check_okta(client(sim, app_key), APP_ID)[0].detail

    assert details["ssws"].endswith(": SSWS API token")
    assert details["plain"].endswith(": OAuth service app (private_key_jwt)")
    assert details["dpop"].endswith(": OAuth service app (private_key_jwt, DPoP-bound tokens)")


def test_check_explains_a_refused_dpop_proof(sim: OktaSimulator, app_key: Any) -> None:
    refused = {"error": "invalid_dpop_proof", "error_description": "'iat' claim in the DPoP proof JWT is invalid."}
    sim.inject("POST", TOKEN_PATH, 400, times=2, body=refused)
    token_check = check_okta(client(sim, app_key), APP_ID)[0]
    assert not token_check.ok
    assert "invalid_dpop_proof ('iat' claim" in token_check.detail and "clock" in token_check.detail
    assert "dpop" in token_requests(sim)[1].headers  # the second request did carry a proof


@pytest.mark.parametrize("key", [ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(65537, 2048)])
def test_a_full_sync_through_the_handler_with_a_dpop_required_service_app(stack: Stack, key: Any) -> None:
    stack.okta.api_token = None
    stack.okta.oauth_client_id = CLIENT_ID
    stack.okta.add_oauth_key(public_pem(key), "key-1")
    stack.okta.dpop_required = True
    secret = {k: v for k, v in valid_secret().items() if k != "okta_api_token"}
    stack.set_secret({**secret, "okta_client_id": CLIENT_ID, "okta_private_key": pem(key), "okta_key_id": "key-1"})
    add_person(stack, "alice@acme.example", "Alice", "Ng")
    add_person(stack, "bob@acme.example", "Bob", "Ray")

    result = stack.invoke({"mode": "full"})

    assert result["status"] == "succeeded", result
    assert stack.zoom_user("alice@acme.example") is not None and stack.zoom_user("bob@acme.example") is not None
    okta_calls = api_requests(stack.okta)
    assert okta_calls and all(r.status == 200 for r in okta_calls)
    assert all(r.headers["authorization"] == "DPoP <redacted>" and r.headers.get("dpop") for r in okta_calls)
    assert [r.status for r in token_requests(stack.okta)] == [400, 400, 200]
    assert "eyJ" not in json.dumps(result)  # no token, proof or assertion in the run report

    checked = stack.invoke({"mode": "check"})
    token_check = next(c for c in checked["checks"] if c["name"] == "okta.token")
    assert token_check["ok"] and "DPoP-bound tokens" in token_check["detail"], checked["checks"]
