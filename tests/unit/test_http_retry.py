"""ApiTransport's retry policy, offline: a scripted requests adapter and an injected clock and sleep."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from okta_zoom_sync.adapters.http.links import next_link
from okta_zoom_sync.adapters.http.retry import RetryPolicy, parse_retry_after
from okta_zoom_sync.adapters.http.transport import ApiTransport, require_https
from okta_zoom_sync.adapters.okta.auth import OktaApiToken, OktaServiceApp
from okta_zoom_sync.adapters.okta.client import OktaClient
from okta_zoom_sync.adapters.okta.errors import okta_error
from okta_zoom_sync.adapters.zoom.client import ZoomClient
from okta_zoom_sync.adapters.zoom.errors import zoom_error
from okta_zoom_sync.errors import (
    AuthError,
    ConfigurationError,
    InvalidSecretError,
    PermanentError,
    PermissionDeniedError,
    RateLimitedError,
    RetryableError,
)
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

EPOCH = 1_750_000_000.0  # the fake wall clock at monotonic 0
SECRET = "s3cr3t-token-value-0123456789"

Scripted = tuple[int, Mapping[str, str], Any] | Exception


class ScriptedAdapter(BaseAdapter):
    """Answers each request with the next scripted (status, headers, body) or raises the scripted error."""

    def __init__(self, script: list[Scripted]) -> None:
        super().__init__()
        self.script = list(script)
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        status, headers, body = item
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        return None


class FakeTime:
    def __init__(self, jitter: float = 0.0) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.jitter = jitter

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return EPOCH + self.now

    def policy(self, **kwargs: Any) -> RetryPolicy:
        return RetryPolicy(
            sleep=self.sleep, clock=self.clock, wall_clock=self.wall, random=lambda: self.jitter, **kwargs
        )


class FakeAuth:
    renewable = True

    def __init__(self) -> None:
        self.mints = 0
        self.invalidations = 0
        self._token: str | None = None

    def auth_headers(self, method: str, url: str) -> Mapping[str, str]:
        if self._token is None:
            self.mints += 1
            self._token = f"{SECRET}-{self.mints}"
        return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        self.invalidations += 1
        self._token = None


def make(
    script: list[Scripted],
    *,
    api: str = "okta",
    time: FakeTime | None = None,
    auth: FakeAuth | None = None,
    **policy: Any,
) -> tuple[ApiTransport, ScriptedAdapter, FakeTime]:
    time = time or FakeTime()
    adapter = ScriptedAdapter(script)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    transport = ApiTransport(
        api,
        "https://example.okta.com" if api == "okta" else "https://api.zoom.us/v2",
        setting_name="OKTA_ORG_URL" if api == "okta" else "ZOOM_API_URL",
        error_parser=okta_error if api == "okta" else zoom_error,
        auth=auth,
        retry=time.policy(**policy),
        session=session,
    )
    return transport, adapter, time


def date_at(time: FakeTime, offset: float = 0.0) -> str:
    return formatdate(time.wall() + offset, usegmt=True)


OK: Scripted = (200, {}, {"ok": True})


# -- 429 -----------------------------------------------------------------------------------------


def test_okta_429_waits_until_reset_measured_against_the_date_header() -> None:
    # Given a 429 whose X-Rate-Limit-Reset is 7 s after the server's Date (our own clock is 100 s off)
    time = FakeTime()
    time.now = 100.0
    server_now = EPOCH  # the server thinks it is 100 s earlier than we do
    limited: Scripted = (
        429,
        {
            "Date": formatdate(server_now, usegmt=True),
            "X-Rate-Limit-Reset": str(int(server_now + 7)),
            "X-Rate-Limit-Remaining": "0",
            "X-Okta-Request-Id": "req-1",
        },
        {"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."},
    )
    transport, adapter, _ = make([limited, OK], time=time)

    # When
    response = transport.request("GET", "/api/v1/apps/0oa1/users")

    # Then it waited reset - Date + 1 s margin (+ jitter 0), retried once and marked the retry for Okta
    assert response.status_code == 200
    assert time.sleeps == [8.0]
    assert adapter.sent[1].headers["X-Okta-Retry-For"] == "req-1"
    assert transport.stats.rate_limited == 1 and transport.stats.retries == 1 and transport.stats.total == 2


def test_okta_429_takes_the_smallest_of_repeated_reset_headers() -> None:
    time = FakeTime()
    limited: Scripted = (429, {"Date": date_at(time), "X-Rate-Limit-Reset": f"{int(EPOCH) + 30}, {int(EPOCH) + 4}"}, {})
    transport, _, _ = make([limited, OK], time=time)
    transport.request("GET", "/x")
    assert time.sleeps == [5.0]


@pytest.mark.parametrize(
    "retry_after",
    [
        datetime.fromtimestamp(EPOCH + 3, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),  # Zoom's documented ISO form
        formatdate(EPOCH + 3, usegmt=True),  # HTTP-date
        "3",  # delta-seconds
    ],
)
def test_zoom_429_honours_retry_after_in_every_form(retry_after: str) -> None:
    time = FakeTime()
    limited: Scripted = (429, {"Date": date_at(time), "Retry-After": retry_after}, {"code": 429, "message": "slow"})
    transport, _, _ = make([limited, OK], api="zoom", time=time)
    transport.request("GET", "/users")
    assert time.sleeps == [3.0]


def test_zoom_429_without_hint_backs_off_at_least_one_second() -> None:
    time = FakeTime(jitter=0.1)
    transport, _, _ = make([(429, {}, {"code": 429, "message": "per-second limit"}), OK], api="zoom", time=time)
    transport.request("GET", "/users")
    assert time.sleeps == [1.0]


def test_a_daily_limit_far_in_the_future_raises_at_once_with_retry_after() -> None:
    time = FakeTime()
    tomorrow = datetime.fromtimestamp(EPOCH + 36_000, UTC).isoformat()
    transport, adapter, _ = make(
        [(429, {"Date": date_at(time), "Retry-After": tomorrow}, {"code": 429, "message": "daily limit"})],
        api="zoom",
        time=time,
    )
    with pytest.raises(RateLimitedError) as info:
        transport.request("GET", "/users")
    assert info.value.retry_after == pytest.approx(36_000)
    assert time.sleeps == [] and len(adapter.sent) == 1


def test_the_deadline_stops_retrying() -> None:
    # Given a run with 10 s left and a 429 whose reset is 30 s away
    time = FakeTime()
    limited: Scripted = (429, {"Date": date_at(time), "X-Rate-Limit-Reset": str(int(EPOCH) + 30)}, {})
    transport, adapter, _ = make([limited], time=time, deadline=10.0)

    # Then it does not wait past the deadline: the RateLimitedError surfaces with the wait it would need
    with pytest.raises(RateLimitedError) as info:
        transport.request("GET", "/x")
    assert time.sleeps == [] and len(adapter.sent) == 1
    assert info.value.retry_after == pytest.approx(31.0)


def test_the_deadline_stops_5xx_retries_too() -> None:
    time = FakeTime(jitter=0.99)
    policy = time.policy().within(1.0)
    transport, adapter, _ = make([(503, {}, {}), (503, {}, {}), (503, {}, {})], time=time)
    transport.retry = policy
    with pytest.raises(RetryableError):
        transport.request("GET", "/x")
    # 0.495 s fits in the 1 s budget; the next backoff (0.99 s) does not.
    assert time.sleeps == [0.495] and len(adapter.sent) == 2


# -- proactive throttle --------------------------------------------------------------------------------


def test_an_empty_okta_bucket_pauses_the_next_request_until_reset() -> None:
    time = FakeTime()
    dry: Scripted = (
        200,
        {"Date": date_at(time), "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(EPOCH) + 5)},
        [],
    )
    transport, adapter, _ = make([dry, OK], time=time)
    transport.request("GET", "/a")
    assert time.sleeps == []
    transport.request("GET", "/b")
    assert time.sleeps == [6.0]
    assert transport.stats.throttled == 1 and len(adapter.sent) == 2


def test_a_full_bucket_does_not_pause() -> None:
    time = FakeTime()
    fine: Scripted = (
        200,
        {"Date": date_at(time), "X-Rate-Limit-Remaining": "40", "X-Rate-Limit-Reset": str(int(EPOCH) + 5)},
        [],
    )
    transport, _, _ = make([fine, OK], time=time)
    transport.request("GET", "/a")
    transport.request("GET", "/b")
    assert time.sleeps == []


# -- 5xx and dropped connections ----------------------------------------------------------------------


def test_503_then_200_retries_with_exponential_backoff() -> None:
    time = FakeTime(jitter=0.5)
    transport, adapter, _ = make([(503, {}, {}), (502, {}, {}), (500, {}, {}), OK], time=time)
    response = transport.request("GET", "/x")
    assert response.status_code == 200
    # full jitter with random() = 0.5: 0.5 * 0.5, 0.5 * 1, 0.5 * 2
    assert time.sleeps == [0.25, 0.5, 1.0]
    assert len(adapter.sent) == 4


def test_backoff_is_capped_and_attempts_are_bounded() -> None:
    time = FakeTime(jitter=0.999999)
    transport, adapter, _ = make([(504, {}, {})] * 5, time=time, base_delay=10.0, max_delay=15.0)
    with pytest.raises(RetryableError) as info:
        transport.request("GET", "/x")
    assert info.value.status == 504
    assert len(adapter.sent) == 5
    assert max(time.sleeps) <= 15.0 and len(time.sleeps) == 4


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectionError("connection reset by peer"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ChunkedEncodingError("connection broken"),
    ],
)
def test_a_dropped_connection_is_retried(failure: Exception) -> None:
    time = FakeTime(jitter=0.5)
    transport, adapter, _ = make([failure, OK], time=time)
    assert transport.request("POST", "/users", json={"a": 1}).status_code == 200  # writes are retried too
    assert time.sleeps == [0.25] and len(adapter.sent) == 2


def test_connections_that_keep_failing_raise_a_retryable_error() -> None:
    time = FakeTime()
    transport, _, _ = make([requests.exceptions.ConnectionError("nope")] * 5, time=time)
    with pytest.raises(RetryableError, match="Okta API GET /x failed: ConnectionError") as info:
        transport.request("GET", "/x")
    assert isinstance(info.value.__cause__, requests.exceptions.ConnectionError)


# -- errors that are not retried ------------------------------------------------------------------------


def test_400_is_not_retried() -> None:
    time = FakeTime()
    bad: Scripted = (400, {}, {"errorCode": "E0000001", "errorSummary": "Api validation failed: limit"})
    transport, adapter, _ = make([bad, OK], time=time)
    with pytest.raises(PermanentError, match="E0000001"):
        transport.request("GET", "/x")
    assert len(adapter.sent) == 1 and time.sleeps == []


def test_zoom_validation_errors_keep_their_field_details() -> None:
    body = {
        "code": 300,
        "message": "Validation Failed.",
        "errors": [{"field": "user_info.email", "message": "Invalid"}],
    }
    transport, _, _ = make([(400, {}, body)], api="zoom")
    with pytest.raises(PermanentError, match=r"code 300: Validation Failed\. \(user_info\.email: Invalid\)"):
        transport.request("POST", "/users", json={})


def test_redirects_are_not_followed() -> None:
    transport, adapter, _ = make([(302, {"Location": "https://elsewhere.example/"}, None)])
    with pytest.raises(PermanentError):
        transport.request("GET", "/x")
    assert len(adapter.sent) == 1


# -- 401 ------------------------------------------------------------------------------------------------


def test_401_remints_once_and_succeeds() -> None:
    auth = FakeAuth()
    transport, adapter, time = make(
        [(401, {}, {"code": 124, "message": "Invalid access token."}), OK], api="zoom", auth=auth
    )
    assert transport.request("GET", "/users").status_code == 200
    assert auth.invalidations == 1 and auth.mints == 2
    assert adapter.sent[0].headers["Authorization"] != adapter.sent[1].headers["Authorization"]
    assert time.sleeps == [] and transport.stats.token_renewals == 1


def test_a_second_401_raises_auth_error_naming_the_api() -> None:
    auth = FakeAuth()
    unauthorized: Scripted = (401, {}, {"errorCode": "E0000011", "errorSummary": "Invalid token provided"})
    transport, adapter, _ = make([unauthorized, unauthorized, OK], auth=auth)
    with pytest.raises(AuthError, match=r"^Okta rejected the credential") as info:
        transport.request("GET", "/api/v1/apps/0oa1")
    assert auth.invalidations == 1 and len(adapter.sent) == 2
    assert SECRET not in str(info.value)


def test_a_zoom_401_for_a_missing_scope_is_not_reminted() -> None:
    auth = FakeAuth()
    transport, adapter, _ = make(
        [(401, {}, {"code": 4711, "message": "Invalid access token, does not contain scopes"})], api="zoom", auth=auth
    )
    with pytest.raises(PermissionDeniedError):
        transport.request("GET", "/roles")
    assert auth.invalidations == 0 and len(adapter.sent) == 1


def test_a_static_token_is_refused_after_one_401() -> None:
    adapter = ScriptedAdapter([(401, {}, {"errorCode": "E0000011", "errorSummary": "Invalid token provided"})])
    session = requests.Session()
    session.mount("https://", adapter)
    client = OktaClient(
        "https://example.okta.com", "0oa1", OktaApiToken(SECRET), session=session, retry=FakeTime().policy()
    )
    with pytest.raises(AuthError, match="Okta rejected the credential") as info:
        client.get_app()
    assert len(adapter.sent) == 1
    assert adapter.sent[0].headers["Authorization"] == f"SSWS {SECRET}"
    assert SECRET not in str(info.value)


# -- secrets never reach messages ----------------------------------------------------------------------


def test_no_token_appears_in_exception_messages_even_when_the_server_echoes_it() -> None:
    auth = FakeAuth()
    echo: Scripted = (400, {}, {"errorCode": "E0000001", "errorSummary": f"bad header Bearer {SECRET}-1"})
    transport, _, _ = make([echo], auth=auth)
    with pytest.raises(PermanentError) as info:
        transport.request("GET", "/x")
    assert SECRET not in str(info.value)
    assert "[redacted]" in str(info.value)


def test_zoom_token_errors_name_the_problem_but_not_the_secret() -> None:
    adapter = ScriptedAdapter(
        [(400, {}, {"reason": f"Invalid client_id or client_secret {SECRET}", "error": "invalid_client"})]
    )
    session = requests.Session()
    session.mount("https://", adapter)
    client = ZoomClient("https://api.zoom.us/v2", "https://zoom.us/oauth/token", "acct", "cid", SECRET, session=session)
    assert adapter.sent == []  # lazy: nothing is minted before the first call
    with pytest.raises(
        AuthError, match=r"^Zoom rejected the Server-to-Server OAuth credentials: invalid_client"
    ) as info:
        client.verify_credentials()
    assert SECRET not in str(info.value)
    token_request = adapter.sent[0]
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_request.body == "grant_type=account_credentials&account_id=acct"
    assert token_request.headers["Authorization"].startswith("Basic ")


def test_credentials_do_not_show_in_reprs() -> None:
    assert SECRET not in repr(OktaApiToken(SECRET))
    assert SECRET not in repr(OktaServiceApp("cid", SECRET))


# -- Okta service app tokens --------------------------------------------------------------------------------


def _pem(key: Any) -> str:
    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


@pytest.mark.parametrize(
    ("key", "alg"),
    [
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
    ],
)
def test_the_client_assertion_is_signed_with_the_keys_algorithm(key: Any, alg: str) -> None:
    token: Scripted = (
        200,
        {},
        {"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "scope": "okta.apps.read"},
    )
    adapter = ScriptedAdapter([token, OK, OK])
    session = requests.Session()
    session.mount("https://", adapter)
    time = FakeTime()
    client = OktaClient(
        "https://example.okta.com",
        "0oa1",
        OktaServiceApp("cid", _pem(key), key_id="kid-1"),
        session=session,
        retry=time.policy(),
    )
    client.get_app()
    client.get_app()

    form = dict(pair.split("=", 1) for pair in str(adapter.sent[0].body).split("&"))
    assertion = unquote(form["client_assertion"])
    header = jwt.get_unverified_header(assertion)
    claims = jwt.decode(
        assertion,
        key.public_key(),
        algorithms=[alg],
        audience="https://example.okta.com/oauth2/v1/token",
        options={"verify_exp": False, "verify_iat": False},  # signed at the fake clock's time
    )
    assert header["alg"] == alg and header["kid"] == "kid-1"
    assert claims["iss"] == claims["sub"] == "cid"
    assert claims["iat"] == int(EPOCH) and claims["exp"] - claims["iat"] == 300 and claims["jti"]
    assert form["grant_type"] == "client_credentials"
    assert unquote(form["client_assertion_type"]) == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    # one token for both calls, sent as Bearer
    assert [r.headers["Authorization"] for r in adapter.sent[1:]] == ["Bearer at-1", "Bearer at-1"]
    assert client.granted_scopes == {"okta.apps.read"}


def test_okta_dpop_requirement_switches_to_dpop_proofs() -> None:
    missing: Scripted = (
        400,
        {},
        {"error": "invalid_dpop_proof", "error_description": "The DPoP proof JWT header is missing."},
    )
    refused: Scripted = (400, {}, {"error": "invalid_dpop_proof", "error_description": "Bad proof."})
    adapter = ScriptedAdapter([missing, refused])
    session = requests.Session()
    session.mount("https://", adapter)
    key = ec.generate_private_key(ec.SECP256R1())
    client = OktaClient("https://example.okta.com", "0oa1", OktaServiceApp("cid", _pem(key)), session=session)
    with pytest.raises(AuthError, match=r"invalid_dpop_proof \(Bad proof\.\)") as info:
        client.verify_credentials()
    assert "DPoP" not in adapter.sent[0].headers and adapter.sent[1].headers["DPoP"]
    assert adapter.sent[1].headers["DPoP"] not in str(info.value)


def test_okta_invalid_scope_is_a_permission_error() -> None:
    body = {"error": "invalid_scope", "error_description": "The following scopes are not allowed: okta.logs.read"}
    adapter = ScriptedAdapter([(400, {}, body)])
    session = requests.Session()
    session.mount("https://", adapter)
    key = ec.generate_private_key(ec.SECP256R1())
    client = OktaClient("https://example.okta.com", "0oa1", OktaServiceApp("cid", _pem(key)), session=session)
    with pytest.raises(PermissionDeniedError, match=r"invalid_scope.*okta\.logs\.read"):
        client.verify_credentials()


def test_a_bad_private_key_is_a_secret_error_without_the_key() -> None:
    with pytest.raises(InvalidSecretError) as info:
        OktaClient("https://example.okta.com", "0oa1", OktaServiceApp("cid", f"-----BEGIN PRIVATE KEY-----{SECRET}"))
    assert SECRET not in str(info.value) and info.value.__cause__ is None


# -- URLs and links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://example.okta.com", "http://10.0.0.1:8080", "ftp://example.okta.com", "example.okta.com"]
)
def test_plain_http_is_refused_for_non_loopback_hosts(url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^OKTA_ORG_URL must"):
        require_https(url, "OKTA_ORG_URL")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://x.okta.com/"]
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert require_https(url, "OKTA_ORG_URL") == url.rstrip("/")


def test_clients_refuse_plain_http_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="ZOOM_TOKEN_URL must use https"):
        ZoomClient("https://api.zoom.us/v2", "http://zoom.us/oauth/token", "a", "b", "c")
    with pytest.raises(ConfigurationError, match="OKTA_ORG_URL must use https"):
        OktaClient("http://example.okta.com", "0oa1", OktaApiToken("t"))


def test_a_next_link_to_another_origin_is_not_followed() -> None:
    transport, adapter, _ = make([])
    with pytest.raises(PermanentError, match="another origin"):
        transport.request("GET", "https://evil.example/api/v1/users?after=x")
    assert adapter.sent == []


SELF = "https://o.okta.com/api/v1/users?limit=2"
NEXT = "https://o.okta.com/api/v1/users?after=00u2&limit=2"


def _with_link(value: str) -> requests.Response:
    response = requests.Response()
    response.headers = CaseInsensitiveDict({"Link": value})
    return response


@pytest.mark.parametrize(
    "value",
    [
        # requests folds repeated Link lines into one comma-joined value
        f'<{SELF}>; rel="self", <{NEXT}>; rel="next"',
        f'<{NEXT}>; rel="next", <{SELF}>; rel="self"',
        f'<{SELF}>; rel="self",<{NEXT}>; rel="prev next"',
        f"<{NEXT}>;rel=next",
    ],
)
def test_next_link_is_found_in_any_link_layout(value: str) -> None:
    assert next_link(_with_link(value)) == NEXT


def test_a_comma_inside_a_link_url_does_not_break_parsing() -> None:
    groups = "https://o.okta.com/api/v1/groups?q=a,b"
    value = f'<{groups}>; rel="self", <{groups}&after=1>; rel="next"'
    assert next_link(_with_link(value)) == "https://o.okta.com/api/v1/groups?q=a,b&after=1"


def test_no_next_link_ends_the_collection() -> None:
    assert next_link(_with_link('<https://o.okta.com/api/v1/users?limit=2>; rel="self"')) is None
    assert next_link(requests.Response()) is None


def test_parse_retry_after_rejects_garbage() -> None:
    assert parse_retry_after("soon", EPOCH) is None
    assert parse_retry_after("-5", EPOCH) == 0.0
