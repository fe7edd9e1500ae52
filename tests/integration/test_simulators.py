"""The Okta and Zoom simulators, driven over real loopback HTTP with ``requests``.

They stand in for the real services in every integration, fault and demo run, so their wire behaviour (auth,
error bodies, pagination, rate-limit headers) and their fault injection are tested here on their own.
"""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.simulators import OktaSimulator, ZoomSimulator, load_org
from tests.simulators.seed import DEMO_ORG
from tests.support.keys import public_pem

APP = "0oazoom1"
SSWS = {"Authorization": "SSWS ssws-test-token", "Accept": "application/json"}
ERROR_KEYS = {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}


# ---------------------------------------------------------------------------------------------- fixtures & helpers


@pytest.fixture
def okta() -> Iterator[OktaSimulator]:
    with OktaSimulator(app_id=APP) as sim:
        yield sim


@pytest.fixture
def zoom() -> Iterator[ZoomSimulator]:
    with ZoomSimulator(owner_email="owner@acme.example") as sim:
        yield sim


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def okta_get(sim: OktaSimulator, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{sim.url}{path}", headers=SSWS, params=params, timeout=5)


def link_lines(response: requests.Response) -> list[str]:
    """The Link header lines exactly as sent (requests folds them into one value)."""
    return list(response.raw.headers.getlist("Link"))


def zoom_token(sim: ZoomSimulator) -> str:
    r = requests.post(
        f"{sim.url}/oauth/token",
        auth=(sim.client_id, sim.client_secret),
        data={"grant_type": "account_credentials", "account_id": sim.account_id},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def zoom_session(sim: ZoomSimulator) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {zoom_token(sim)}"
    return session


def assertion(
    key: Any, sim: OktaSimulator, *, client_id: str = "0oaservice", kid: str | None = "key-1", **claims: Any
) -> str:
    now = int(time.time())
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{sim.url}/oauth2/v1/token",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid} if kid else None)


def okta_token_request(sim: OktaSimulator, client_assertion: str, scope: str = "okta.apps.read") -> requests.Response:
    return requests.post(
        f"{sim.url}/oauth2/v1/token",
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion,
        },
        timeout=5,
    )


# ---------------------------------------------------------------------------------------------- Okta: auth


def test_okta_ssws_auth_rotation_and_401_body(okta: OktaSimulator) -> None:
    r = requests.get(f"{okta.url}/api/v1/apps/{APP}", timeout=5)
    assert r.status_code == 401
    body = r.json()
    assert (
        set(body) == ERROR_KEYS and body["errorCode"] == "E0000011" and body["errorSummary"] == "Invalid token provided"
    )
    assert (
        requests.get(f"{okta.url}/api/v1/apps/{APP}", headers={"Authorization": "SSWS nope"}, timeout=5).status_code
        == 401
    )

    app = okta_get(okta, f"/api/v1/apps/{APP}")
    assert app.status_code == 200
    assert app.json()["name"] == "zoomus" and app.json()["label"] == "Zoom" and app.json()["status"] == "ACTIVE"
    assert app.headers["Content-Type"].startswith("application/json")
    for header in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "X-Okta-Request-Id"):
        assert header in app.headers
    assert abs(int(app.headers["X-Rate-Limit-Reset"]) - time.time()) < 5  # epoch seconds

    okta.api_token = "rotated"
    assert okta_get(okta, f"/api/v1/apps/{APP}").status_code == 401
    assert requests.get(f"{okta.url}/api/v1/apps/{APP}", headers={"Authorization": "SSWS rotated"}, timeout=5).ok
    assert okta.requests
    assert all("rotated" not in str(entry.headers) for entry in okta.requests)


def test_okta_oauth_private_key_jwt_happy_path_scopes_and_revocation(rsa_key: Any) -> None:
    with OktaSimulator(
        app_id=APP, oauth_client_id="0oaservice", oauth_public_key_pem=public_pem(rsa_key), oauth_key_id="key-1"
    ) as okta:
        scope = "okta.apps.read okta.users.read"
        r = okta_token_request(okta, assertion(rsa_key, okta), scope)
        assert r.status_code == 200, r.text
        token = r.json()
        assert token["token_type"] == "Bearer" and token["expires_in"] == 3600 and token["scope"] == scope
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        assert requests.get(f"{okta.url}/api/v1/apps/{APP}/users", headers=bearer, timeout=5).status_code == 200

        denied = requests.get(f"{okta.url}/api/v1/logs", headers=bearer, timeout=5)
        assert denied.status_code == 403 and denied.json()["errorCode"] == "E0000006"
        assert 'error="insufficient_scope"' in denied.headers["WWW-Authenticate"]

        not_granted = okta_token_request(okta, assertion(rsa_key, okta), "okta.users.manage")
        assert not_granted.status_code == 400 and not_granted.json()["error"] == "invalid_scope"

        okta.revoke_tokens()
        revoked = requests.get(f"{okta.url}/api/v1/apps/{APP}/users", headers=bearer, timeout=5)
        assert revoked.status_code == 401 and revoked.json()["errorCode"] == "E0000011"
        assert okta.token_count == 1


@pytest.mark.parametrize(
    "problem",
    ["replay", "wrong_audience", "wrong_key", "no_kid", "wrong_issuer", "exp_too_far", "client_secret", "expired"],
)
def test_okta_oauth_bad_assertions_are_invalid_client(rsa_key: Any, problem: str) -> None:
    with OktaSimulator(
        app_id=APP, oauth_client_id="0oaservice", oauth_public_key_pem=public_pem(rsa_key), oauth_key_id="key-1"
    ) as okta:
        other_key = ec.generate_private_key(ec.SECP256R1())
        if problem == "replay":
            signed = assertion(rsa_key, okta)
            assert okta_token_request(okta, signed).status_code == 200
        elif problem == "wrong_audience":
            signed = assertion(rsa_key, okta, aud=f"{okta.url}/oauth2/default/v1/token")
        elif problem == "wrong_key":
            signed = assertion(other_key, okta)
        elif problem == "no_kid":
            signed = assertion(rsa_key, okta, kid=None)
        elif problem == "wrong_issuer":
            signed = assertion(rsa_key, okta, client_id="0oaother")
        elif problem == "exp_too_far":
            signed = assertion(rsa_key, okta, exp=int(time.time()) + 7200)
        elif problem == "expired":
            signed = assertion(rsa_key, okta, exp=int(time.time()) - 10)
        if problem == "client_secret":
            r = requests.post(
                f"{okta.url}/oauth2/v1/token",
                data={
                    "grant_type": "client_credentials",
                    "scope": "okta.apps.read",
                    "client_id": "0oaservice",
                    "client_secret": "s",
                },
                timeout=5,
            )
        else:
            r = okta_token_request(okta, signed)
        assert r.status_code == 401, r.text
        assert r.json()["error"] == "invalid_client" and r.json()["error_description"]


def test_okta_oauth_accepts_ec_keys_and_key_rotation_by_kid(rsa_key: Any) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with OktaSimulator(app_id=APP, oauth_client_id="0oaservice", oauth_public_key_pem=public_pem(rsa_key)) as okta:
        assert okta_token_request(okta, assertion(rsa_key, okta, kid=None)).status_code == 200
        okta.add_oauth_key(public_pem(ec_key), "key-ec")
        assert okta_token_request(okta, assertion(ec_key, okta, kid="key-ec")).status_code == 200
        assert okta_token_request(okta, assertion(ec_key, okta, kid=None)).status_code == 401  # two keys: kid needed


# ---------------------------------------------------------------------------------------------- Okta: app users


def test_okta_app_users_paging_by_link_next(okta: OktaSimulator) -> None:
    ids = [okta.add_user(f"user{i}@acme.example", first_name=f"U{i}", last_name="Test") for i in range(7)]
    for uid in ids:
        okta.assign_user(uid)

    seen: list[str] = []
    url: str | None = f"{okta.url}/api/v1/apps/{APP}/users?limit=2"
    pages = 0
    while url:
        r = requests.get(url, headers=SSWS, timeout=5)
        assert r.status_code == 200
        lines = link_lines(r)
        assert any(line.endswith('rel="self"') for line in lines)
        assert all(line.startswith(f"<{okta.url}/") for line in lines)  # absolute URLs
        next_lines = [line for line in lines if line.endswith('rel="next"')]
        assert len(lines) == 1 + len(next_lines)  # separate header lines, not one folded value
        seen += [row["id"] for row in r.json()]
        pages += 1
        url = r.links.get("next", {}).get("url")
    assert pages == 4 and seen == sorted(ids)
    assert len(link_lines(r)) == 1  # last page: self only

    huge = okta_get(okta, f"/api/v1/apps/{APP}/users", limit=10_000)  # above the maximum: clamped, not an error
    assert huge.status_code == 200 and len(huge.json()) == 7

    bad = okta_get(okta, f"/api/v1/apps/{APP}/users", after="not-a-cursor")
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000054"


def test_okta_app_users_expand_scope_and_effective_assignment(okta: OktaSimulator) -> None:
    direct = okta.add_user("direct@acme.example", first_name="Dee", last_name="Rect")
    member = okta.add_user("member@acme.example", first_name="Mem", last_name="Ber")
    gone = okta.add_user("gone@acme.example")
    away = okta.add_user("away@acme.example")
    group = okta.add_group("Everyone")
    for uid in (member, gone, away):
        okta.add_member(group, uid)
    okta.assign_group(group)
    okta.assign_user(direct)
    okta.set_status(gone, "DEPROVISIONED")
    okta.set_status(away, "SUSPENDED")

    rows = {row["id"]: row for row in okta_get(okta, f"/api/v1/apps/{APP}/users", expand="user").json()}
    assert set(rows) == {direct, member, away}  # DEPROVISIONED excluded, SUSPENDED kept
    assert rows[direct]["scope"] == "USER" and rows[member]["scope"] == "GROUP"
    assert rows[member]["_links"]["group"]["href"].endswith(f"/api/v1/groups/{group}")
    assert rows[direct]["credentials"]["userName"] == "direct@acme.example"
    assert rows[direct]["profile"] == {"email": "direct@acme.example", "firstName": "Dee", "lastName": "Rect"}
    assert rows[away]["_embedded"]["user"]["status"] == "SUSPENDED"
    assert rows[direct]["_embedded"]["user"]["profile"]["login"] == "direct@acme.example"
    assert "_embedded" not in okta_get(okta, f"/api/v1/apps/{APP}/users").json()[0]

    one = okta_get(okta, f"/api/v1/apps/{APP}/users/{member}", expand="user")
    assert one.status_code == 200 and one.json()["_embedded"]["user"]["id"] == member
    missing = okta_get(okta, f"/api/v1/apps/{APP}/users/{gone}")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E0000007"

    members = okta_get(okta, f"/api/v1/groups/{group}/users").json()  # Okta keeps deactivated users in groups
    assert {u["id"]: u["status"] for u in members}[gone] == "DEPROVISIONED"
    assigned_groups = okta_get(okta, f"/api/v1/apps/{APP}/groups").json()
    assert [(g["id"], g["priority"]) for g in assigned_groups] == [(group, 0)]

    okta.set_status(gone, "reactivate")  # group-derived access comes back; a direct assignment would not
    assert okta.app_user_scope(gone) == "GROUP"


def test_okta_not_found_and_lookups(okta: OktaSimulator) -> None:
    uid = okta.add_user("Jane.Doe@acme.example", first_name="Jane", last_name="Doe")
    gid = okta.add_group("Engineering")
    okta.add_member(gid, uid)
    for path in ("/api/v1/apps/0oawrong/users", "/api/v1/users/nobody@acme.example", "/api/v1/groups/00gmissing"):
        r = okta_get(okta, path)
        assert r.status_code == 404 and set(r.json()) == ERROR_KEYS and r.json()["errorCode"] == "E0000007"

    by_login = okta_get(okta, "/api/v1/users/jane.doe%40ACME.example")  # URL-encoded, case-insensitive
    assert by_login.status_code == 200 and by_login.json()["id"] == uid
    assert uid.startswith("00u") and len(uid) == 20 and gid.startswith("00g") and len(gid) == 20
    assert [g["profile"]["name"] for g in okta_get(okta, f"/api/v1/users/{uid}/groups").json()] == ["Engineering"]
    found = okta_get(okta, "/api/v1/groups", q="eng").json()
    assert [g["id"] for g in found] == [gid] and found[0]["type"] == "OKTA_GROUP"


# ---------------------------------------------------------------------------------------------- Okta: System Log


def test_okta_system_log_polling_always_has_next_and_mutations_log_events(okta: OktaSimulator) -> None:
    start = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    first = okta_get(okta, "/api/v1/logs", since=start)
    assert first.status_code == 200 and first.json() == []
    next_url = first.links["next"]["url"]
    assert "since=" not in next_url

    uid = okta.add_user("ann@acme.example", first_name="Ann", last_name="Lee")
    group = okta.add_group("Everyone")
    okta.add_member(group, uid)
    okta.assign_group(group)
    okta.set_status(uid, "SUSPENDED")
    okta.update_profile(uid, lastName="Lee-Smith")

    page = requests.get(next_url, headers=SSWS, timeout=5)
    types = [e["eventType"] for e in page.json()]
    assert types == [
        "user.lifecycle.create",
        "user.lifecycle.activate",
        "group.lifecycle.create",
        "group.user_membership.add",
        "group.application_assignment.add",
        "application.user_membership.add",
        "user.lifecycle.suspend",
        "user.account.update_profile",
    ]
    add = page.json()[5]
    assert [t["type"] for t in add["target"]] == ["AppUser", "AppInstance", "User"]
    assert add["target"][1]["id"] == APP and add["target"][2]["id"] == uid
    assert set(add) >= {"uuid", "published", "displayMessage", "severity", "actor", "outcome", "transaction"}

    empty = requests.get(page.links["next"]["url"], headers=SSWS, timeout=5)  # caught up: empty page, still a next
    assert empty.json() == [] and "next" in empty.links

    okta.unassign_group(group)
    flt = 'eventType eq "application.user_membership.remove" or eventType eq "group.application_assignment.remove"'
    filtered = requests.get(empty.links["next"]["url"], headers=SSWS, params={"filter": flt}, timeout=5)
    assert sorted(e["eventType"] for e in filtered.json()) == [
        "application.user_membership.remove",
        "group.application_assignment.remove",
    ]
    bad = okta_get(okta, "/api/v1/logs", filter='published gt "2020-01-01T00:00:00Z"')
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000053"


def test_okta_system_log_late_events_and_retention(okta: OktaSimulator) -> None:
    uid = okta.add_user("late@acme.example")
    cursor = okta_get(okta, "/api/v1/logs", limit=1000).links["next"]["url"]
    old = time.time() - 600
    okta.add_log_event("application.user_membership.add", [uid, APP], published=old, delay_visibility=30)
    assert requests.get(cursor, headers=SSWS, timeout=5).json() == []  # not persisted yet

    okta.advance_clock(31)
    late = requests.get(cursor, headers=SSWS, timeout=5)
    events = late.json()
    assert [e["eventType"] for e in events] == ["application.user_membership.add"]  # older published, still seen
    assert events[0]["published"] < datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")

    okta.expire_logs_before(time.time() + 3600)  # everything expired: the old cursor keeps working, no error
    again = requests.get(cursor, headers=SSWS, timeout=5)
    assert again.status_code == 200 and again.json() == [] and "next" in again.links


# ---------------------------------------------------------------------------------------------- Okta: real-org quirks


def test_okta_delete_group_404s_and_takes_its_app_assignment_along(okta: OktaSimulator) -> None:
    only_group = okta.add_user("only@acme.example")
    also_direct = okta.add_user("direct@acme.example")
    group = okta.add_group("Zoom Users")
    for uid in (only_group, also_direct):
        okta.add_member(group, uid)
    okta.assign_group(group)
    okta.assign_user(also_direct)
    cursor = okta_get(okta, "/api/v1/logs", limit=1000).links["next"]["url"]

    okta.delete_group(group)
    for path in (f"/api/v1/groups/{group}", f"/api/v1/groups/{group}/users"):
        gone = okta_get(okta, path)
        assert gone.status_code == 404 and set(gone.json()) == ERROR_KEYS
        assert gone.json()["errorCode"] == "E0000007"
        assert gone.json()["errorSummary"] == f"Not found: Resource not found: {group} (UserGroup)"
    assert okta_get(okta, f"/api/v1/apps/{APP}/groups/{group}").status_code == 404
    assert okta_get(okta, f"/api/v1/apps/{APP}/groups").json() == []
    rows = okta_get(okta, f"/api/v1/apps/{APP}/users").json()
    assert [(r["id"], r["scope"]) for r in rows] == [(also_direct, "USER")]  # the group-only member lost the app
    assert okta_get(okta, f"/api/v1/apps/{APP}/users/{only_group}").status_code == 404
    assert okta_get(okta, f"/api/v1/users/{only_group}/groups").json() == []

    events = requests.get(cursor, headers=SSWS, timeout=5).json()
    assert [e["eventType"] for e in events] == ["group.lifecycle.delete", "application.user_membership.remove"]
    assert [(t["id"], t["type"]) for t in events[0]["target"]] == [(group, "UserGroup")]
    remove = events[1]
    assert [t["type"] for t in remove["target"]] == ["AppUser", "AppInstance", "User"]
    assert remove["target"][2]["id"] == only_group and remove["transaction"]["type"] == "JOB"

    unassigned = okta.add_group("Not assigned")
    okta.add_member(unassigned, only_group)
    cursor = requests.get(cursor, headers=SSWS, timeout=5).links["next"]["url"]
    okta.delete_group(unassigned)
    assert [e["eventType"] for e in requests.get(cursor, headers=SSWS, timeout=5).json()] == ["group.lifecycle.delete"]

    # A group made again under a deleted group's name is another group: Okta never reuses an id.
    again = okta.add_group("Not assigned")
    assert again != unassigned and okta.group_id("Not assigned") == again


def test_okta_org_rate_limits_give_each_credential_its_share(rsa_key: Any) -> None:
    with OktaSimulator(
        app_id=APP, oauth_client_id="0oaservice", oauth_public_key_pem=public_pem(rsa_key), oauth_key_id="key-1"
    ) as okta:
        nominal = okta_get(okta, f"/api/v1/apps/{APP}/users")
        assert nominal.headers["X-Rate-Limit-Limit"] == "100"  # off by default: the nominal bucket, never enforced

        okta.enforce_org_rate_limits(share=0.05, window_seconds=30)
        codes, remaining = [], []
        for _ in range(6):
            r = okta_get(okta, f"/api/v1/apps/{APP}/users")
            codes.append(r.status_code)
            remaining.append(r.headers["X-Rate-Limit-Remaining"])
            assert r.headers["X-Rate-Limit-Limit"] == "5"  # 5 % of the /api/v1/apps* bucket (100)
        assert codes == [200] * 5 + [429] and remaining == ["4", "3", "2", "1", "0", "0"]
        assert set(r.json()) == ERROR_KEYS and r.json()["errorCode"] == "E0000047"
        assert 29 <= int(r.headers["X-Rate-Limit-Reset"]) - time.time() <= 31  # epoch seconds, end of the window

        app = okta_get(okta, f"/api/v1/apps/{APP}")  # /api/v1/apps/{id} exactly: its own bucket (500)
        assert app.status_code == 200 and app.headers["X-Rate-Limit-Limit"] == "25"
        logs = okta_get(okta, "/api/v1/logs")
        assert logs.headers["X-Rate-Limit-Limit"] == "6"  # 120 per minute
        users = okta_get(okta, "/api/v1/users")
        assert users.headers["X-Rate-Limit-Limit"] == "30"  # 600
        assert okta_get(okta, "/api/v1/users/nobody").headers["X-Rate-Limit-Limit"] == "100"  # GET users/{id}: 2000
        assert okta_get(okta, "/api/v1/groups").headers["X-Rate-Limit-Limit"] == "25"  # 500
        assert okta_get(okta, "/api/v1/groups/00gnone").headers["X-Rate-Limit-Limit"] == "50"  # 1000

        token = okta_token_request(okta, assertion(rsa_key, okta), "okta.apps.read").json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        oauth = [requests.get(f"{okta.url}/api/v1/apps/{APP}/users", headers=bearer, timeout=5) for _ in range(6)]
        assert [r.status_code for r in oauth] == [200] * 5 + [429]  # the service app has a share of its own

        okta.enforce_org_rate_limits(share=0.01, window_seconds=0.5)  # 1 per window: windows end and restart
        assert [okta_get(okta, f"/api/v1/apps/{APP}/users").status_code for _ in range(2)] == [200, 429]
        time.sleep(0.6)
        assert okta_get(okta, f"/api/v1/apps/{APP}/users").status_code == 200

        okta.enforce_org_rate_limits(share=0.6, window_seconds=30)  # 60 each, but only 100 for the whole org
        ssws = [okta_get(okta, f"/api/v1/apps/{APP}/groups").status_code for _ in range(61)]
        assert ssws == [200] * 60 + [429]
        first = requests.get(f"{okta.url}/api/v1/apps/{APP}/groups", headers=bearer, timeout=5)
        assert first.headers["X-Rate-Limit-Limit"] == "60" and first.headers["X-Rate-Limit-Remaining"] == "39"
        rest = [requests.get(f"{okta.url}/api/v1/apps/{APP}/groups", headers=bearer, timeout=5) for _ in range(40)]
        assert [r.status_code for r in rest] == [200] * 39 + [429]
        assert rest[-1].headers["X-Rate-Limit-Remaining"] == "0"

        okta.enforce_org_rate_limits(None)
        back = okta_get(okta, f"/api/v1/apps/{APP}/groups")
        assert back.status_code == 200 and back.headers["X-Rate-Limit-Limit"] == "100"


def test_okta_bucket_counts_follow_the_request_log(okta: OktaSimulator) -> None:
    uid = okta.add_user("count@acme.example")
    okta_get(okta, f"/api/v1/apps/{APP}/users")
    okta_get(okta, f"/api/v1/apps/{APP}/groups")
    okta_get(okta, f"/api/v1/apps/{APP}")
    okta_get(okta, f"/api/v1/users/{uid}")
    okta_get(okta, "/api/v1/logs")
    counts = okta.bucket_counts()
    assert counts["apps"] == 2 and counts["apps-id"] == 1 and counts["users-id-get"] == 1 and counts["logs"] == 1
    assert counts["groups"] == 0 and sum(counts.values()) == 5
    okta.clear_log()
    okta_get(okta, "/api/v1/groups")
    assert okta.bucket_counts()["apps"] == 0 and okta.bucket_counts()["groups"] == 1


def test_okta_blank_app_user_has_null_credentials_and_empty_profile(okta: OktaSimulator) -> None:
    blank = okta.add_user("blank@acme.example", first_name="Bea", last_name="Lank")
    normal = okta.add_user("normal@acme.example")
    okta.assign_user(blank)
    okta.assign_user(normal)
    okta.blank_app_user(blank)

    rows = {r["id"]: r for r in okta_get(okta, f"/api/v1/apps/{APP}/users").json()}
    assert rows[blank]["credentials"] is None and rows[blank]["profile"] == {}
    assert "blank@acme.example" not in json.dumps(rows[blank])  # no username, no email without expand
    assert rows[normal]["credentials"]["userName"] == "normal@acme.example"
    expanded = {r["id"]: r for r in okta_get(okta, f"/api/v1/apps/{APP}/users", expand="user").json()}
    assert expanded[blank]["credentials"] is None and expanded[blank]["profile"] == {}
    assert expanded[blank]["_embedded"]["user"]["profile"]["login"] == "blank@acme.example"
    one = okta_get(okta, f"/api/v1/apps/{APP}/users/{blank}", expand="user").json()
    assert one["credentials"] is None and one["_embedded"]["user"]["id"] == blank
    assert okta_get(okta, f"/api/v1/apps/{APP}/users", q="blank").json() == []

    okta.blank_app_user(blank, blank=False)
    assert okta_get(okta, f"/api/v1/apps/{APP}/users/{blank}").json()["credentials"]["userName"] == "blank@acme.example"


def test_okta_disabled_feature_answers_e0000015(okta: OktaSimulator) -> None:
    okta.disable_feature("/api/v1/logs")
    denied = okta_get(okta, "/api/v1/logs", since="2024-01-01T00:00:00.000Z")
    assert denied.status_code == 401 and set(denied.json()) == ERROR_KEYS
    assert denied.json()["errorCode"] == "E0000015"
    assert denied.json()["errorSummary"] == "You do not have permission to access the feature you are requesting"
    assert "X-Rate-Limit-Remaining" in denied.headers
    unauthenticated = requests.get(f"{okta.url}/api/v1/logs", timeout=5)
    assert unauthenticated.status_code == 401 and unauthenticated.json()["errorCode"] == "E0000011"
    assert okta_get(okta, f"/api/v1/apps/{APP}/users").status_code == 200  # other paths unaffected
    okta.disable_feature("/api/v1/logs", disabled=False)
    assert okta_get(okta, "/api/v1/logs").status_code == 200


def test_okta_restore_assignment_logs_a_restore_event(okta: OktaSimulator) -> None:
    uid = okta.add_user("back@acme.example")
    okta.assign_user(uid)
    okta.unassign_user(uid)
    cursor = okta_get(okta, "/api/v1/logs", limit=1000).links["next"]["url"]

    okta.restore_assignment(uid)
    events = requests.get(cursor, headers=SSWS, timeout=5).json()
    assert [e["eventType"] for e in events] == ["application.user_membership.restore"]
    targets = events[0]["target"]
    assert [t["type"] for t in targets] == ["AppUser", "AppInstance", "User"]
    assert targets[1]["id"] == APP and targets[2]["id"] == uid and targets[0]["id"].startswith("0ua")
    row = okta_get(okta, f"/api/v1/apps/{APP}/users/{uid}")
    assert row.status_code == 200 and row.json()["scope"] == "USER"
    with pytest.raises(ValueError):
        okta.restore_assignment(uid)  # already an app user: nothing to restore


def test_okta_users_search_by_profile_email(okta: OktaSimulator) -> None:
    short = okta.add_user("jdoe42", email="Jane.Doe@acme.example", first_name="Jane")  # login is not an email
    okta.add_user("other@acme.example")
    gone = okta.add_user("gone@acme.example", status="DEPROVISIONED")

    found = okta_get(okta, "/api/v1/users", search='profile.email eq "jane.doe@acme.example"')
    assert found.status_code == 200 and [u["id"] for u in found.json()] == [short]
    assert found.json()[0]["profile"]["login"] == "jdoe42"
    filtered = okta_get(okta, "/api/v1/users", filter='profile.email eq "Jane.Doe@acme.example"')
    assert [u["id"] for u in filtered.json()] == [short]
    assert [u["id"] for u in okta_get(okta, "/api/v1/users", search='profile.email eq "gone@acme.example"').json()] == [
        gone
    ]  # search includes DEPROVISIONED users
    assert okta_get(okta, "/api/v1/users", search='profile.email eq "nobody@acme.example"').json() == []
    bad = okta_get(okta, "/api/v1/users", search='profile.email eq "unterminated')
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000031"


# ---------------------------------------------------------------------------------------------- Okta: HTTP details


def test_okta_post_without_content_length_gets_411(okta: OktaSimulator) -> None:
    with socket.create_connection(("127.0.0.1", okta.port), timeout=5) as sock:
        sock.sendall(b"POST /oauth2/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reply = sock.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 411")


# ---------------------------------------------------------------------------------------------- Zoom: auth


def test_zoom_token_basic_auth_and_errors(zoom: ZoomSimulator) -> None:
    form = {"grant_type": "account_credentials", "account_id": "acct-test"}
    r = requests.post(f"{zoom.url}/oauth/token", auth=("zoom-client", "zoom-secret"), data=form, timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["api_url"] == zoom.url
    assert "user:write:user:admin" in body["scope"].split()
    basic = base64.b64encode(b"zoom-client:zoom-secret").decode()
    by_query = requests.post(
        f"{zoom.url}/oauth/token", params=form, headers={"Authorization": f"Basic {basic}"}, timeout=5
    )
    assert by_query.status_code == 200 and zoom.token_count == 2

    wrong = requests.post(f"{zoom.url}/oauth/token", auth=("zoom-client", "bad"), data=form, timeout=5)
    assert wrong.status_code == 400
    assert wrong.json() == {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    account = requests.post(
        f"{zoom.url}/oauth/token", auth=("zoom-client", "zoom-secret"), data={**form, "account_id": "x"}, timeout=5
    )
    assert account.status_code == 400 and account.json() == {"reason": "Invalid account_id", "error": "invalid_request"}

    zoom.client_secret = "rotated"
    assert (
        requests.post(f"{zoom.url}/oauth/token", auth=("zoom-client", "zoom-secret"), data=form, timeout=5).status_code
        == 400
    )


def test_zoom_invalid_expired_revoked_tokens_and_missing_scope(zoom: ZoomSimulator) -> None:
    assert requests.get(f"{zoom.url}/v2/users", timeout=5).json() == {"code": 124, "message": "Invalid access token."}
    session = zoom_session(zoom)
    assert session.get(f"{zoom.url}/v2/users").status_code == 200
    zoom.revoke_tokens()
    revoked = session.get(f"{zoom.url}/v2/users")
    assert revoked.status_code == 401 and revoked.json()["code"] == 124

    session = zoom_session(zoom)
    zoom.advance_clock(3601)
    expired = session.get(f"{zoom.url}/v2/users")
    assert expired.status_code == 401 and expired.json()["code"] == 124

    zoom.granted_scopes = {"user:read:list_users:admin"}
    session = zoom_session(zoom)
    denied = session.post(
        f"{zoom.url}/v2/users", json={"action": "ssoCreate", "user_info": {"email": "a@acme.example", "type": 1}}
    )
    assert denied.status_code == 400
    assert denied.json() == {
        "code": 4711,
        "message": "Invalid access token, does not contain scopes:[user:write:user:admin].",
    }


# ---------------------------------------------------------------------------------------------- Zoom: users


def test_zoom_users_paging_and_pending_users_without_id(zoom: ZoomSimulator) -> None:
    for i in range(6):
        zoom.add_user(f"u{i}@acme.example", first_name=f"U{i}")
    pending = zoom.add_user("invited@acme.example", status="pending")
    session = zoom_session(zoom)

    emails: list[str] = []
    token = ""
    pages = 0
    while True:
        r = session.get(f"{zoom.url}/v2/users", params={"page_size": 3, "next_page_token": token})
        body = r.json()
        assert (
            r.status_code == 200 and body["total_records"] == 7 and body["page_size"] == 3 and body["page_count"] == 3
        )
        emails += [u["email"] for u in body["users"]]
        pages += 1
        token = body["next_page_token"]
        if token == "":
            break
    assert pages == 3 and emails[0] == "owner@acme.example" and len(emails) == 7
    assert session.get(f"{zoom.url}/v2/users", params={"page_size": 5000}).json()["page_size"] == 300  # clamped

    listed = session.get(f"{zoom.url}/v2/users", params={"status": "pending"}).json()["users"]
    assert [u["email"] for u in listed] == ["invited@acme.example"] and "id" not in listed[0]
    by_email = session.get(f"{zoom.url}/v2/users/INVITED@acme.example")
    assert by_email.status_code == 200 and by_email.json()["id"] == pending and by_email.json()["status"] == "pending"
    missing = session.get(f"{zoom.url}/v2/users/nobody@acme.example")
    assert missing.status_code == 404 and missing.json()["code"] == 1001

    expired = session.get(f"{zoom.url}/v2/users", params={"next_page_token": "bogus"})
    assert expired.status_code == 400 and expired.json()["code"] == 300


def test_zoom_create_conflict_validation_and_seats(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    url = f"{zoom.url}/v2/users"
    created = session.post(
        url, json={"action": "ssoCreate", "user_info": {"email": "ann@acme.example", "type": 1, "first_name": "Ann"}}
    )
    assert created.status_code == 201
    assert set(created.json()) == {"id", "email", "first_name", "last_name", "type"}
    assert zoom.user_by_email("ann@acme.example")["status"] == "active"

    dup = session.post(url, json={"action": "ssoCreate", "user_info": {"email": "ANN@acme.example", "type": 1}})
    assert dup.status_code == 409 and dup.json() == {
        "code": 1005,
        "message": "User already in the account: ANN@acme.example",
    }

    invited = session.post(url, json={"action": "create", "user_info": {"email": "inv@acme.example", "type": 1}})
    assert invited.status_code == 201 and zoom.user_by_email("inv@acme.example")["status"] == "pending"

    invalid = session.post(url, json={"action": "ssoCreate", "user_info": {"email": "x@acme.example"}})
    assert invalid.status_code == 400 and invalid.json()["code"] == 300
    assert invalid.json()["errors"] == [{"field": "user_info.type", "message": "Invalid field."}]

    zoom.licensed_seats = 1
    licensed = {"action": "ssoCreate", "user_info": {"email": "lic1@acme.example", "type": 2}}
    assert session.post(url, json=licensed).status_code == 201
    full = session.post(url, json={"action": "ssoCreate", "user_info": {"email": "lic2@acme.example", "type": 2}})
    assert full.status_code == 400 and full.json()["code"] == 2034

    zoom.sso_create_enabled = False
    off = session.post(url, json={"action": "ssoCreate", "user_info": {"email": "s@acme.example", "type": 1}})
    assert off.status_code == 400 and off.json()["code"] == 2032


def test_zoom_patch_status_email_and_delete_rules(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    uid = zoom.add_user("bob@acme.example", "Bob", "Ray", type=2)
    admin = zoom.add_user("admin@acme.example", role="Admin")
    pending = zoom.add_user("pend@acme.example", "Pen", "Ding", status="pending")

    bad = session.patch(f"{zoom.url}/v2/users/{uid}", json={"role_id": "1"})
    assert bad.status_code == 400 and bad.json()["code"] == 300
    ok = session.patch(f"{zoom.url}/v2/users/BOB@acme.example", json={"last_name": "Roy", "dept": "Eng"})
    assert (
        ok.status_code == 204 and zoom.user(uid)["last_name"] == "Roy" and zoom.user(uid)["display_name"] == "Bob Roy"
    )
    assert session.patch(f"{zoom.url}/v2/users/{pending}", json={"first_name": "X"}).status_code == 204
    assert zoom.user(pending)["first_name"] == "Pen"  # accepted, not applied

    for target in (zoom.owner_id, admin):
        refused = session.put(f"{zoom.url}/v2/users/{target}/status", json={"action": "deactivate"})
        assert refused.status_code == 400
        assert refused.json() == {
            "code": 200,
            "message": "Zoom Room and Admin users' status cannot be activated or deactivated.",
        }
    assert session.put(f"{zoom.url}/v2/users/{uid}/status", json={"action": "deactivate"}).status_code == 204
    assert (zoom.user(uid)["status"], zoom.user(uid)["type"]) == ("inactive", 1)
    assert session.put(f"{zoom.url}/v2/users/{uid}/status", json={"action": "activate"}).status_code == 204
    assert (zoom.user(uid)["status"], zoom.user(uid)["type"]) == ("active", 1)

    taken = session.put(f"{zoom.url}/v2/users/{uid}/email", json={"email": "Admin@acme.example"})
    assert taken.status_code == 409 and taken.json()["code"] == 1005
    for n in range(3):
        assert (
            session.put(f"{zoom.url}/v2/users/{uid}/email", json={"email": f"bob{n}@acme.example"}).status_code == 204
        )
    fourth = session.put(f"{zoom.url}/v2/users/{uid}/email", json={"email": "bob9@acme.example"})
    assert fourth.status_code == 400 and fourth.json()["code"] == 300
    assert session.put(f"{zoom.url}/v2/users/{admin}/email", json={"email": "a2@acme.example"}).json()["code"] == 200

    assert session.delete(f"{zoom.url}/v2/users/{zoom.owner_id}").json()["code"] == 200
    assert session.delete(f"{zoom.url}/v2/users/{admin}", params={"action": "disassociate"}).json()["code"] == 1117
    assert session.delete(f"{zoom.url}/v2/users/{uid}", params={"action": "delete"}).status_code == 204
    assert session.get(f"{zoom.url}/v2/users/{uid}").json()["code"] == 1001


# ---------------------------------------------------------------------------------------------- Zoom: groups, roles


def test_zoom_groups_membership_is_idempotent_on_add(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    gid = zoom.add_group("Engineering")
    uid = zoom.add_user("eng@acme.example")
    add = {"members": [{"email": "ENG@acme.example"}]}
    first = session.post(f"{zoom.url}/v2/groups/{gid}/members", json=add)
    second = session.post(f"{zoom.url}/v2/groups/{gid}/members", json={"members": [{"id": uid}]})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["ids"] == uid and second.json()["ids"] == "" and "added_at" in second.json()
    assert zoom.user(uid)["group_ids"] == [gid]
    listing = session.get(f"{zoom.url}/v2/groups").json()
    assert (
        listing["groups"] == [{"id": gid, "name": "Engineering", "total_members": 1}] and listing["total_records"] == 1
    )
    members = session.get(f"{zoom.url}/v2/groups/{gid}/members").json()
    assert [m["email"] for m in members["members"]] == ["eng@acme.example"]

    assert session.delete(f"{zoom.url}/v2/groups/{gid}/members/{uid}").status_code == 204
    again = session.delete(f"{zoom.url}/v2/groups/{gid}/members/{uid}")
    assert again.status_code == 404 and again.json()["code"] == 4131
    unknown = session.post(f"{zoom.url}/v2/groups/nogroup/members", json=add)
    assert unknown.status_code == 404 and unknown.json()["code"] == 4130
    assert zoom.user(uid)["group_ids"] == []


def test_zoom_roles(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    uid = zoom.add_user("ada@acme.example", "Ada", "L")
    custom = zoom.add_role("Help Desk")
    roles = session.get(f"{zoom.url}/v2/roles").json()
    assert {r["name"] for r in roles["roles"]} == {"Owner", "Admin", "Member", "Help Desk"}
    assert roles["total_records"] == 4 and zoom.roles[custom] == "Help Desk"

    member_role = session.post(f"{zoom.url}/v2/roles/2/members", json={"members": [{"id": uid}]})
    assert member_role.status_code == 400
    assert member_role.json() == {"code": 300, "message": "Can't delete or add members for Normal/Owner roles."}
    assert session.post(f"{zoom.url}/v2/roles/nope/members", json={"members": [{"id": uid}]}).json()["code"] == 1034

    granted = session.post(f"{zoom.url}/v2/roles/1/members", json={"members": [{"email": "ada@acme.example"}]})
    assert granted.status_code == 201 and granted.json()["ids"] == uid and "add_at" in granted.json()
    assert zoom.user(uid)["role_id"] == "1" and zoom.user(uid)["role_name"] == "Admin"
    admins = session.get(f"{zoom.url}/v2/roles/1/members").json()
    assert [m["id"] for m in admins["members"]] == [uid] and admins["total_records"] == 1

    assert session.post(f"{zoom.url}/v2/roles/{custom}/members", json={"members": [{"id": uid}]}).status_code == 201
    assert zoom.user(uid)["role_id"] == custom  # replaced, not added
    wrong = session.delete(f"{zoom.url}/v2/roles/1/members/{uid}")
    assert wrong.status_code == 400 and wrong.json()["code"] == 300
    assert session.delete(f"{zoom.url}/v2/roles/{custom}/members/{uid}").status_code == 204
    assert zoom.user(uid)["role_id"] == "2"


def test_zoom_rate_limit_headers(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    listing = session.get(f"{zoom.url}/v2/users")
    single = session.get(f"{zoom.url}/v2/users/owner@acme.example")
    assert listing.headers["X-RateLimit-Category"] == "Medium" and single.headers["X-RateLimit-Category"] == "Light"
    assert int(listing.headers["X-RateLimit-Limit"]) > int(listing.headers["X-RateLimit-Remaining"]) >= 0
    missing = session.get(f"{zoom.url}/v2/users/none@acme.example")
    assert "X-RateLimit-Remaining" in missing.headers


# ---------------------------------------------------------------------------------------------- Zoom: account quirks


def test_zoom_expired_invitation_answers_1120_but_stays_listed_as_pending(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    uid = zoom.add_user("late@acme.example", "La", "Te", status="pending")
    zoom.expire_invitation("late@acme.example")
    expected = {"code": 1120, "message": "A valid invitation to join the Zoom account was not found for this user."}

    for key in ("late@acme.example", "LATE@acme.example", uid):
        got = session.get(f"{zoom.url}/v2/users/{key}")
        assert got.status_code == 400 and got.json() == expected
    patched = session.patch(f"{zoom.url}/v2/users/late@acme.example", json={"first_name": "X"})
    assert patched.status_code == 400 and patched.json() == expected
    for action in ("disassociate", "delete"):
        deleted = session.delete(f"{zoom.url}/v2/users/late@acme.example", params={"action": action})
        assert deleted.status_code == 400 and deleted.json() == expected
    assert session.delete(f"{zoom.url}/v2/users/late@acme.example").json()["code"] == 1120

    listed = session.get(f"{zoom.url}/v2/users", params={"status": "pending"}).json()
    assert [u["email"] for u in listed["users"]] == ["late@acme.example"] and "id" not in listed["users"][0]
    assert listed["total_records"] == 1
    again = session.post(
        f"{zoom.url}/v2/users",
        json={"action": "create", "user_info": {"email": "late@acme.example", "type": 1}},
    )
    assert again.status_code == 409 and again.json()["code"] == 1005
    assert zoom.user(uid)["status"] == "pending"
    with pytest.raises(ValueError):
        zoom.expire_invitation(zoom.owner_id)  # only pending users have an invitation


def test_zoom_omit_role_id_and_hide_from_list(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    ids = [zoom.add_user(f"u{i}@acme.example") for i in range(4)]
    zoom.omit_role_id(ids[0])
    zoom.hide_from_list(ids[1])

    rows = session.get(f"{zoom.url}/v2/users").json()
    by_email = {u["email"]: u for u in rows["users"]}
    assert "role_id" not in by_email["u0@acme.example"] and by_email["u2@acme.example"]["role_id"] == "2"
    single = session.get(f"{zoom.url}/v2/users/{ids[0]}").json()
    assert single["role_id"] == "2" and single["role_name"] == "Member"

    assert rows["total_records"] == 5 and len(rows["users"]) == 4 and "u1@acme.example" not in by_email
    listed: list[str] = []
    token = ""
    while True:
        page = session.get(f"{zoom.url}/v2/users", params={"page_size": 2, "next_page_token": token}).json()
        assert page["total_records"] == 5 and page["page_count"] == 3
        listed += [u["email"] for u in page["users"]]
        token = page["next_page_token"]
        if not token:
            break
    assert listed == ["owner@acme.example", "u0@acme.example", "u2@acme.example", "u3@acme.example"]
    assert session.get(f"{zoom.url}/v2/users/u1@acme.example").status_code == 200  # still there, just not listed

    zoom.omit_role_id(ids[0], omit=False)
    zoom.hide_from_list(ids[1], hidden=False)
    rows = session.get(f"{zoom.url}/v2/users").json()["users"]
    assert len(rows) == 5 and all("role_id" in u for u in rows)


def test_zoom_rename_role_lets_a_builtin_role_be_lower_case(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    uid = zoom.add_user("m@acme.example")
    zoom.rename_role("Member", "member")
    roles = {r["id"]: r["name"] for r in session.get(f"{zoom.url}/v2/roles").json()["roles"]}
    assert roles["2"] == "member" and zoom.roles["2"] == "member"
    assert session.get(f"{zoom.url}/v2/users/{uid}").json()["role_name"] == "member"
    assert session.get(f"{zoom.url}/v2/roles/2").json()["name"] == "member"
    custom = zoom.add_role("Help Desk")
    with pytest.raises(ValueError):
        zoom.rename_role(custom, "MEMBER")  # another role's name
    zoom.rename_role(custom, "Support")
    assert zoom.roles[custom] == "Support"


def test_zoom_pending_user_in_a_managed_domain_cannot_be_disassociated(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    zoom.managed_domains = {"acme.example"}
    pending = zoom.add_user("invited@acme.example", status="pending")
    zoom.add_user("active@acme.example")
    rows = session.get(f"{zoom.url}/v2/users", params={"status": "pending"}).json()["users"]
    assert [set(r) & {"id"} for r in rows] == [set()]  # pending rows never carry an id
    active_rows = session.get(f"{zoom.url}/v2/users").json()["users"]
    assert active_rows
    assert all("id" in r for r in active_rows)

    for params in ({"action": "disassociate"}, {}):
        refused = session.delete(f"{zoom.url}/v2/users/invited@acme.example", params=params)
        assert refused.status_code == 400
        assert refused.json() == {"code": 1107, "message": "You can not disassociate a user with managed domain."}
    assert zoom.user(pending)["status"] == "pending"
    deleted = session.delete(f"{zoom.url}/v2/users/invited@acme.example", params={"action": "delete"})
    assert deleted.status_code == 204 and zoom.user_by_email("invited@acme.example") is None


# ---------------------------------------------------------------------------------------------- faults


def test_inject_503_once_then_success_in_each_api_shape(okta: OktaSimulator, zoom: ZoomSimulator) -> None:
    fault = okta.inject("GET", "/api/v1/apps", status=503)
    failed = okta_get(okta, f"/api/v1/apps/{APP}/users")
    assert failed.status_code == 503 and set(failed.json()) == ERROR_KEYS and "X-Rate-Limit-Reset" in failed.headers
    assert okta_get(okta, f"/api/v1/apps/{APP}/users").status_code == 200
    assert (fault.hits, fault.remaining) == (1, 0)

    session = zoom_session(zoom)
    zoom.inject("GET", "/v2/users", status=502, times=2, headers={"X-Debug": "injected"})
    first, second = session.get(f"{zoom.url}/v2/users"), session.get(f"{zoom.url}/v2/users")
    assert (first.status_code, second.status_code) == (502, 502)
    assert set(first.json()) == {"code", "message"} and first.headers["X-Debug"] == "injected"
    assert session.get(f"{zoom.url}/v2/users").status_code == 200
    assert zoom.request_count("GET", "/v2/users") == 3


def test_inject_drop_closes_without_answer(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    zoom.inject("POST", "/v2/users", drop=True)
    with pytest.raises(requests.ConnectionError):
        session.post(
            f"{zoom.url}/v2/users", json={"action": "ssoCreate", "user_info": {"email": "d@acme.example", "type": 1}}
        )
    assert zoom.user_by_email("d@acme.example") is None  # dropped before the operation
    assert zoom.requests[-1].status is None and zoom.requests[-1].fault
    assert session.get(f"{zoom.url}/v2/users").status_code == 200


def test_inject_after_apply_models_a_lost_answer_to_an_applied_write(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    zoom.clear_log()
    zoom.inject("POST", "/v2/users", status=500, after_apply=True)
    body = {"action": "ssoCreate", "user_info": {"email": "lost@acme.example", "type": 1}}
    lost = session.post(f"{zoom.url}/v2/users", json=body)
    assert lost.status_code == 500 and lost.json()["code"] == 500
    assert zoom.user_by_email("lost@acme.example")["status"] == "active"  # applied anyway
    retry = session.post(f"{zoom.url}/v2/users", json=body)
    assert retry.status_code == 409 and retry.json()["code"] == 1005
    assert zoom.write_count() == 2  # the token endpoint is not a write
    assert zoom.requests[0].headers["Authorization"] == "Bearer <redacted>"


def test_inject_delay_lets_a_client_time_out(okta: OktaSimulator) -> None:
    okta.inject("GET", "/api/v1/logs", status=None, delay=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(f"{okta.url}/api/v1/logs", headers=SSWS, timeout=0.1)
    assert okta_get(okta, "/api/v1/logs").status_code == 200


def test_rate_limit_gives_429_with_the_real_headers(okta: OktaSimulator, zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    zoom.rate_limit("/v2/users", 2)
    codes = [session.get(f"{zoom.url}/v2/users").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = session.get(f"{zoom.url}/v2/users")
    assert limited.json() == {
        "code": 429,
        "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
    }
    retry_at = datetime.strptime(limited.headers["Retry-After"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 <= retry_at.timestamp() - time.time() <= 2.5
    assert limited.headers["X-RateLimit-Type"] == "QPS" and limited.headers["X-RateLimit-Remaining"] == "0"

    okta.rate_limit("/api/v1/logs", 1)
    assert okta_get(okta, "/api/v1/logs").status_code == 200
    over = okta_get(okta, "/api/v1/logs")
    assert over.status_code == 429 and over.json()["errorCode"] == "E0000047"
    assert over.headers["X-Rate-Limit-Remaining"] == "0"
    assert 0 <= int(over.headers["X-Rate-Limit-Reset"]) - time.time() <= 2.5
    assert okta_get(okta, f"/api/v1/apps/{APP}").status_code == 200  # other buckets unaffected


# ---------------------------------------------------------------------------------------------- seed and demo org


def test_demo_org_loads_deterministically_into_both_simulators() -> None:
    data = json.loads(DEMO_ORG.read_text())
    assert len(data["okta"]["users"]) == 60
    with OktaSimulator(app_id=APP) as okta, ZoomSimulator() as zoom:
        ids = load_org(DEMO_ORG, okta, zoom)
        assert okta.log_events == []  # seeding is silent by default
        assigned = set(okta.assigned_user_ids())
        statuses = {okta.users[uid]["status"] for uid in assigned}
        assert {"SUSPENDED", "STAGED"} <= statuses and "DEPROVISIONED" not in statuses
        assert len(assigned) < 60  # some users are not assigned
        assert (
            zoom.owner_email == "owner@acme.example"
            and zoom.user_by_email("jane.doe@acme.example")["email"] == "Jane.Doe@Acme.example"
        )
        assert zoom.user_by_email("breakglass@acme.example")["role_name"] == "Admin"
        assert {g["name"] for g in zoom.groups.values()} == {"Engineering", "Sales", "Everyone"}
        first_ids = ids
    with OktaSimulator(app_id=APP) as okta2, ZoomSimulator() as zoom2:
        assert load_org(DEMO_ORG, okta2, zoom2) == first_ids


def test_concurrent_clients_and_control_calls_are_consistent(okta: OktaSimulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    group = okta.add_group("Everyone")
    okta.assign_group(group)

    def client(_: int) -> int:
        with requests.Session() as session:
            session.headers.update(SSWS)
            return sum(session.get(f"{okta.url}/api/v1/apps/{APP}/users").status_code == 200 for _ in range(20))

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(client, n) for n in range(8)]
        for i in range(40):
            okta.add_member(group, okta.add_user(f"c{i}@acme.example"))
        assert sum(f.result() for f in futures) == 160
    assert okta.request_count("GET", f"/api/v1/apps/{APP}/users") == 160
    assert len(okta_get(okta, f"/api/v1/apps/{APP}/users", limit=500).json()) == 40
