"""Recorded Okta error bodies and OAuth token-endpoint answers, through okta_error and the real OktaClient."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.okta.auth import OktaServiceApp
from okta_zoom_sync.adapters.okta.errors import okta_error
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    TokenRateLimitedError,
)

from tests.contract.conftest import (
    OKTA_APP_ID,
    OKTA_TOKEN,
    ReplayServer,
    load,
    okta_client,
    with_headers,
)

APP_USERS = f"/api/v1/apps/{OKTA_APP_ID}/users"
TOKEN = "/oauth2/v1/token"
CLIENT_ID = "0oacontractserviceapp"


@pytest.mark.parametrize(
    ("recording", "kind", "retryable"),
    [
        ("okta/error_E0000006_access_denied.spec.json", PermissionDeniedError, False),
        ("okta/error_E0000007_not_found.spec.json", NotFoundError, False),
        ("okta/error_E0000007_not_found.okta-sdk-dotnet.json", NotFoundError, False),
        ("okta/error_E0000011_invalid_token.catalogue.json", AuthError, False),
        # E0000015 "You do not have permission to access the feature you are requesting": the token is good,
        # the org or the token lacks a feature -> a permission problem, not a refused credential.
        ("okta/error_E0000015_feature_not_enabled.catalogue.json", PermissionDeniedError, False),
        ("okta/error_E0000047_rate_limited.spec.json", RateLimitedError, True),
        ("okta/oauth_error_E0000047_rate_limited.spec.json", RateLimitedError, True),
    ],
)
def test_error_bodies_are_classified(recording: str, kind: type[ApiError], retryable: bool) -> None:
    answer = load(recording)

    error = okta_error(answer.status, answer.json(), None)

    assert type(error) is kind
    assert error.retryable is retryable
    assert (error.code, error.status, error.api) == (answer.json()["errorCode"], answer.status, "okta")
    assert answer.json()["errorSummary"] in str(error)


def test_a_refused_read_of_app_users_fails_the_run(replay: ReplayServer) -> None:
    replay.add("GET", APP_USERS, load("okta/error_E0000006_access_denied.spec.json"))

    with pytest.raises(PermissionDeniedError) as caught:
        okta_client(replay).list_assigned_users()

    assert caught.value.code == "E0000006"


def test_a_rate_limited_read_waits_for_okta_reset_then_reads_the_page(replay: ReplayServer) -> None:
    # Given Okta's documented 429 body, with the X-Rate-Limit headers Okta sends with it, then the page
    reset = int(time.time()) + 30
    limited = with_headers(
        load("okta/error_E0000047_rate_limited.spec.json"),
        X_Rate_Limit_Limit="600",
        X_Rate_Limit_Remaining="0",
        X_Rate_Limit_Reset=str(reset),
    )
    replay.add("GET", APP_USERS, limited, load("okta/app_users_no_embedded_user.okta-sdk-python.json"))
    slept: list[float] = []
    policy = RetryPolicy(max_attempts=2, random=lambda: 0.0, reset_margin=0.0, sleep=slept.append)

    # When
    assigned = okta_client(replay, retry=policy).list_assigned_users().items

    # Then it slept until the reset Okta named (not a blind backoff) and read the page
    assert [a.okta_id for a in assigned] == ["00uoiiw2bJ1GTFKCX4x6", "00uoioxbtx4iA8h8X4x6"]
    assert len(slept) == 1 and 27 <= slept[0] <= 32


def test_a_rate_limited_read_without_retries_is_retryable(replay: ReplayServer) -> None:
    replay.add("GET", APP_USERS, load("okta/error_E0000047_rate_limited.spec.json"))

    with pytest.raises(RateLimitedError) as caught:
        okta_client(replay).list_assigned_users()

    assert caught.value.retryable and caught.value.code == "E0000047"


def test_a_refused_api_token_is_an_auth_error_that_does_not_quote_the_token(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/users/me", load("okta/error_E0000011_invalid_token.catalogue.json"))

    with pytest.raises(AuthError) as caught:
        okta_client(replay).verify_credentials()

    assert caught.value.code == "E0000011" and OKTA_TOKEN not in str(caught.value)


# -- OAuth 2.0 service app (private_key_jwt) -------------------------------------------------------------


@pytest.fixture(scope="module")
def service_app() -> Iterator[OktaServiceApp]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    yield OktaServiceApp(CLIENT_ID, pem, key_id="contract-kid", scopes=("okta.apps.read", "okta.users.read"))


def _token_requests(replay: ReplayServer) -> list[dict[str, str]]:
    return [
        {k: v[0] for k, v in parse_qs(r.body.decode()).items()} | {"_dpop": r.headers.get("dpop", "")}
        for r in replay.requests_to(TOKEN, "POST")
    ]


def test_documented_token_response_is_used_as_a_bearer_token(replay: ReplayServer, service_app: OktaServiceApp) -> None:
    replay.add("POST", TOKEN, load("okta/oauth_token.spec.json"))
    replay.add("GET", APP_USERS, load("okta/app_users_no_embedded_user.okta-sdk-python.json"))
    okta = okta_client(replay, credentials=service_app)

    assigned = okta.list_assigned_users().items

    assert len(assigned) == 2
    assert okta.granted_scopes == frozenset({"openid", "email", "offline_access"})
    (form,) = _token_requests(replay)
    assert form["grant_type"] == "client_credentials" and form["scope"] == "okta.apps.read okta.users.read"
    claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
    assert claims["iss"] == claims["sub"] == CLIENT_ID and claims["aud"] == replay.url + TOKEN
    assert replay.requests_to(APP_USERS)[0].headers["authorization"] == "Bearer"


def test_an_app_that_requires_dpop_gets_proofs_and_the_nonce_okta_hands_out(
    replay: ReplayServer, service_app: OktaServiceApp
) -> None:
    # Given Okta's three documented answers: proof missing, then "use_dpop_nonce" (dpop-nonce header), then a
    # DPoP-bound token
    replay.add(
        "POST",
        TOKEN,
        load("okta/oauth_error_invalid_dpop_proof.okta-support.json"),
        load("okta/oauth_error_use_dpop_nonce.okta-docs.json"),
        load("okta/oauth_token_dpop_bound.okta-docs.json"),
    )
    replay.add("GET", APP_USERS, load("okta/app_users_no_embedded_user.okta-sdk-python.json"))
    okta = okta_client(replay, credentials=service_app)

    # When
    assigned = okta.list_assigned_users().items

    # Then the token requests went: no proof, a proof, a proof carrying Okta's nonce; the API call is DPoP
    assert len(assigned) == 2
    first, second, third = _token_requests(replay)
    assert first["_dpop"] == "" and second["_dpop"] and third["_dpop"]
    assert "nonce" not in jwt.decode(second["_dpop"], options={"verify_signature": False})
    proof = jwt.decode(third["_dpop"], options={"verify_signature": False})
    assert proof["nonce"] == "8NLZUUhVawx1ns8AjrC4F6j8D2phvaw7" and proof["htm"] == "POST"
    api_call = replay.requests_to(APP_USERS)[0]
    assert api_call.headers["authorization"] == "DPoP" and api_call.headers["dpop"]


def test_a_dpop_bound_token_to_a_request_without_proof_is_refused(
    replay: ReplayServer, service_app: OktaServiceApp
) -> None:
    # Okta's documented DPoP token, answered to a token request that carried no proof: unusable
    replay.add("POST", TOKEN, load("okta/oauth_token_dpop_bound.okta-docs.json"))

    with pytest.raises(AuthError):
        okta_client(replay, credentials=service_app).verify_credentials()


@pytest.mark.parametrize(
    ("recording", "kind", "code"),
    [
        ("okta/oauth_error_invalid_client_no_creds.spec.json", AuthError, "invalid_client"),
        ("okta/oauth_error_invalid_scope.spec.json", PermissionDeniedError, "invalid_scope"),
        ("okta/oauth_error_access_denied_network_zone.spec.json", PermissionDeniedError, "access_denied"),
        # A rate-limited token endpoint stops the run (no user is blamed for it): still a RateLimitedError.
        ("okta/oauth_error_E0000047_rate_limited.spec.json", TokenRateLimitedError, "E0000047"),
    ],
)
def test_token_endpoint_errors(
    replay: ReplayServer, service_app: OktaServiceApp, recording: str, kind: type[ApiError], code: str
) -> None:
    replay.add("POST", TOKEN, load(recording))

    with pytest.raises(ApiError) as caught:
        okta_client(replay, credentials=service_app).verify_credentials()

    assert type(caught.value) is kind and caught.value.code == code
    assert kind is not TokenRateLimitedError or isinstance(caught.value, RateLimitedError)
    form = _token_requests(replay)[0]
    assert form["client_assertion"] not in str(caught.value)
