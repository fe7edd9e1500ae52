"""OktaClient against the Okta simulator over loopback HTTP: paging, mapping, lookups, OAuth, faults."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.okta.auth import OktaApiToken, OktaServiceApp
from okta_zoom_sync.adapters.okta.client import OktaClient
from okta_zoom_sync.core.model import OktaGroupRef
from okta_zoom_sync.errors import AuthError, InvalidPolicyError, NotFoundError, PermissionDeniedError

from tests.simulators import OktaSimulator
from tests.support.keys import pem, public_pem

APP_ID = "0oazoomapp1"
TOKEN = "ssws-okta-client-test-token"
CLIENT_ID = "0oaserviceapp1"
APP_USERS = f"/api/v1/apps/{APP_ID}/users"

# Quick retries; waits on 429 resets are real but without the production one-second margin or jitter.
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, reset_margin=0.0, random=lambda: 0.0)


@pytest.fixture
def sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(app_id=APP_ID, api_token=TOKEN) as okta:
        yield okta


def client(sim: OktaSimulator, page_limit: int = 500, credentials: Any = None) -> OktaClient:
    return OktaClient(sim.url, APP_ID, credentials or OktaApiToken(TOKEN), retry=FAST, page_limit=page_limit)


def seed(sim: OktaSimulator, count: int, prefix: str = "user") -> list[str]:
    return [
        sim.add_user(f"{prefix}{i}@acme.example", first_name=f"First{i}", last_name=f"Last{i}") for i in range(count)
    ]


# -- app users ----------------------------------------------------------------------------------------


class WithoutExpand(requests.Session):
    """A session that drops `expand` from every request: the app users come without `_embedded.user`."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        params = dict(kwargs.get("params") or {})
        params.pop("expand", None)
        kwargs["params"] = params
        return super().request(method, url, *args, **kwargs)


def test_an_app_user_with_neither_username_nor_email_is_skipped_with_a_note(sim: OktaSimulator) -> None:
    # Given three assigned users, one of whose app-user rows Okta answers with credentials null and profile {}
    ids = seed(sim, 3)
    for uid in ids:
        sim.assign_user(uid)
    sim.blank_app_user(ids[1])
    okta = OktaClient(sim.url, APP_ID, OktaApiToken(TOKEN), retry=FAST, session=WithoutExpand())
    # When the list is read without the embedded users
    listing = okta.list_assigned_users()
    # Then that user is skipped with a note naming it, and the listing goes on (complete, the others read)
    assert sorted(a.okta_id for a in listing.items) == sorted([ids[0], ids[2]])
    assert listing.complete and len(listing.skipped) == 1 and ids[1] in listing.skipped[0]


def test_assigned_users_are_read_across_pages_by_following_next_links(sim: OktaSimulator) -> None:
    # Given 7 users assigned directly and 2 more through a group, and pages of 2
    direct = seed(sim, 7)
    for uid in direct:
        sim.assign_user(uid)
    via_group = seed(sim, 2, prefix="member")
    gid = sim.add_group("Zoom Users")
    for uid in via_group:
        sim.add_member(gid, uid)
    sim.assign_group(gid)
    seed(sim, 3, prefix="unassigned")

    # When
    okta = client(sim, page_limit=2)
    assigned = okta.list_assigned_users().items

    # Then every effective assignment is read once, over ceil(9 / 2) = 5 pages
    assert sorted(a.okta_id for a in assigned) == sorted(direct + via_group)
    pages = [r for r in sim.requests if r.path == APP_USERS]
    assert len(pages) == 5
    assert pages[0].query == {"limit": "2", "expand": "user"}
    assert all("after" in r.query and r.query["expand"] == "user" for r in pages[1:])  # the cursor came from Link
    assert okta.stats.by_method["GET"] == 5 and okta.stats.retries == 0


def test_expand_user_rows_map_to_assignments(sim: OktaSimulator) -> None:
    ann = sim.add_user("ann.login@acme.example", email="ann@acme.example", first_name="Ann", last_name="Lee")
    sue = sim.add_user("sue@acme.example", first_name="Sue", last_name="Ray", status="SUSPENDED")
    gone = sim.add_user("gone@acme.example")
    nameless = sim.add_user("nameless@acme.example")
    for uid in (ann, sue, gone, nameless):
        sim.assign_user(uid)
    sim.set_status(gone, "DEPROVISIONED")  # deactivation removes the assignment

    by_id = {a.okta_id: a for a in client(sim).list_assigned_users().items}

    assert set(by_id) == {ann, sue, nameless}
    a = by_id[ann]
    assert (a.login, a.email, a.first_name, a.last_name, a.status) == (
        "ann.login@acme.example",
        "ann@acme.example",
        "Ann",
        "Lee",
        "ACTIVE",
    )
    assert by_id[sue].status == "SUSPENDED"
    assert (by_id[nameless].first_name, by_id[nameless].last_name) == ("", "")  # Okta sends null names
    assert a.groups == frozenset()


def test_rows_without_an_embedded_user_fall_back_to_the_app_user(sim: OktaSimulator) -> None:
    rows = [
        {
            "id": "00uaaaaaaaaaaaaaaaaa",
            "scope": "USER",
            "status": "PROVISIONED",
            "credentials": {"userName": "kim@acme.example"},
            "profile": {"email": "kim@acme.example", "firstName": "Kim", "lastName": "Ito"},
        },
        {
            "id": "00ubbbbbbbbbbbbbbbbb",
            "scope": "GROUP",
            "status": "SUSPENDED",
            "credentials": {"userName": "lo@a.example"},
        },
    ]
    sim.inject("GET", APP_USERS, status=200, body=rows)

    kim, lo = client(sim).list_assigned_users().items

    assert (kim.okta_id, kim.login, kim.email, kim.first_name, kim.status) == (
        "00uaaaaaaaaaaaaaaaaa",
        "kim@acme.example",
        "kim@acme.example",
        "Kim",
        "ACTIVE",
    )
    assert (lo.email, lo.status) == ("lo@a.example", "SUSPENDED")


# -- groups -------------------------------------------------------------------------------------------


def test_groups_resolve_by_id_and_by_exact_name_ignoring_case(sim: OktaSimulator) -> None:
    eng = sim.add_group("Engineering")
    sim.add_group("Engineering Managers")  # a startsWith match that must not win
    sales = sim.add_group("Sales")

    found = client(sim).find_groups(["engineering", sales, "Marketing", "00gzzzzzzzzzzzzzzzzz", "  "])

    assert found == {
        "engineering": OktaGroupRef(eng, "Engineering"),
        sales: OktaGroupRef(sales, "Sales"),
    }
    name_search = next(r for r in sim.requests if r.path == "/api/v1/groups" and r.query.get("q") == "engineering")
    assert name_search.query["limit"] == "200"


def test_an_ambiguous_group_name_must_be_given_by_id(sim: OktaSimulator) -> None:
    sim.add_group("Zoom")
    sim.add_group("ZOOM")
    okta = client(sim)
    assert okta.find_groups(["Zoom"])["Zoom"].name == "Zoom"  # the exact-case match settles it
    with pytest.raises(InvalidPolicyError, match="ambiguous"):
        okta.find_groups(["zoom"])


def test_group_members_are_read_across_pages(sim: OktaSimulator) -> None:
    members = seed(sim, 5)
    gid = sim.add_group("Big")
    for uid in members:
        sim.add_member(gid, uid)
    okta = client(sim, page_limit=2)

    assert okta.list_group_member_ids(gid) == frozenset(members)
    assert sum(1 for r in sim.requests if r.path == f"/api/v1/groups/{gid}/users") == 3
    with pytest.raises(NotFoundError):
        okta.list_group_member_ids("00gzzzzzzzzzzzzzzzzz")


def test_a_users_groups(sim: OktaSimulator) -> None:
    uid = sim.add_user("g@acme.example")
    a, b = sim.add_group("A"), sim.add_group("B")
    sim.add_group("C")
    sim.add_member(a, uid)
    sim.add_member(b, uid)
    assert client(sim).list_user_groups(uid) == {OktaGroupRef(a, "A"), OktaGroupRef(b, "B")}


# -- single lookups ---------------------------------------------------------------------------------------


def test_get_user_by_id_or_login_and_none_when_missing(sim: OktaSimulator) -> None:
    uid = sim.add_user("pat@acme.example", first_name="Pat", last_name="Doe", status="PROVISIONED")
    okta = client(sim)

    by_id = okta.get_user(uid)
    by_login = okta.get_user("pat@acme.example")

    assert by_id is not None and by_id == by_login
    assert (by_id.okta_id, by_id.email, by_id.status) == (uid, "pat@acme.example", "PROVISIONED")
    assert okta.get_user("nobody@acme.example") is None


def test_assignment_directly_through_a_group_or_not(sim: OktaSimulator) -> None:
    direct, member, outsider = seed(sim, 3)
    sim.assign_user(direct)
    gid = sim.add_group("G")
    sim.add_member(gid, member)
    sim.assign_group(gid)
    okta = client(sim)
    assert okta.get_assignment(direct) is not None and okta.get_assignment(member) is not None
    assert okta.get_assignment(outsider) is None
    assert okta.get_assignment("00unknownnnnnnnnnnnn") is None


def test_get_app_and_verify_credentials(sim: OktaSimulator) -> None:
    okta = client(sim)
    okta.verify_credentials()
    app = okta.get_app()
    assert app["id"] == APP_ID and app["status"] == "ACTIVE"
    with pytest.raises(NotFoundError):
        OktaClient(sim.url, "0oawrongapp", OktaApiToken(TOKEN), retry=FAST).get_app()


def test_a_wrong_api_token_is_refused_after_one_request(sim: OktaSimulator) -> None:
    okta = OktaClient(sim.url, APP_ID, OktaApiToken("not-the-token-at-all"), retry=FAST)
    with pytest.raises(AuthError, match=r"^Okta rejected the credential") as info:
        okta.verify_credentials()
    assert "not-the-token-at-all" not in str(info.value)
    assert sim.request_count() == 1
    assert sim.requests[0].headers["authorization"] == "SSWS <redacted>"


# -- OAuth service app ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [rsa.generate_private_key(public_exponent=65537, key_size=2048), ec.generate_private_key(ec.SECP256R1())]
)
def test_a_service_app_mints_one_token_for_many_calls(key: Any) -> None:
    with OktaSimulator(
        app_id=APP_ID,
        api_token=None,
        oauth_client_id=CLIENT_ID,
        oauth_public_key_pem=public_pem(key),
        oauth_key_id="k1",
    ) as sim:
        for uid in seed(sim, 5):
            sim.assign_user(uid)
        okta = client(sim, page_limit=2, credentials=OktaServiceApp(CLIENT_ID, pem(key), key_id="k1"))
        assert sim.request_count() == 0  # lazy

        okta.verify_credentials()
        assert len(okta.list_assigned_users().items) == 5
        okta.get_app()
        okta.find_groups(["nothing"])

        assert sim.token_count == 1
        assert okta.granted_scopes == {"okta.apps.read", "okta.users.read", "okta.groups.read", "okta.logs.read"}
        token_request = sim.requests[0]
        assert token_request.path == "/oauth2/v1/token"
        assert token_request.body["grant_type"] == "client_credentials"
        assert token_request.body["scope"] == "okta.apps.read okta.users.read okta.groups.read okta.logs.read"
        assert len(sim.requests) > 1
        assert all(r.headers["authorization"] == "Bearer <redacted>" for r in sim.requests[1:])


def test_a_revoked_token_is_reminted_once() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with OktaSimulator(
        app_id=APP_ID, api_token=None, oauth_client_id=CLIENT_ID, oauth_public_key_pem=public_pem(key)
    ) as sim:
        okta = client(sim, credentials=OktaServiceApp(CLIENT_ID, pem(key)))
        okta.get_app()
        sim.revoke_tokens()
        okta.get_app()
        assert sim.token_count == 2
        assert okta.stats.token_renewals == 1
        assert [r.status for r in sim.requests] == [200, 200, 401, 200, 200]


def test_service_app_errors_name_the_cause() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    with OktaSimulator(
        app_id=APP_ID,
        api_token=None,
        oauth_client_id=CLIENT_ID,
        oauth_public_key_pem=public_pem(key),
        granted_scopes=("okta.apps.read", "okta.users.read", "okta.groups.read"),
    ) as sim:
        with pytest.raises(PermissionDeniedError, match=r"invalid_scope.*okta\.logs\.read"):
            client(sim, credentials=OktaServiceApp(CLIENT_ID, pem(key))).verify_credentials()
        enough = OktaServiceApp(CLIENT_ID, pem(key), scopes=("okta.apps.read", "okta.users.read", "okta.groups.read"))
        client(sim, credentials=enough).verify_credentials()
        with pytest.raises(AuthError, match="invalid_client"):
            client(sim, credentials=OktaServiceApp(CLIENT_ID, pem(other), scopes=enough.scopes)).verify_credentials()


# -- faults and rate limits ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_429_is_waited_out_until_the_reset(sim: OktaSimulator) -> None:
    for uid in seed(sim, 3):
        sim.assign_user(uid)
    sim.inject("GET", APP_USERS, status=429, times=1)
    okta = client(sim)

    started = time.monotonic()
    assert len(okta.list_assigned_users().items) == 3

    assert [r.status for r in sim.requests] == [429, 200]
    assert okta.stats.rate_limited == 1 and okta.stats.retries == 1
    assert time.monotonic() - started < 5
    assert sim.requests[1].headers.get("x-okta-retry-for")  # the retry names the first attempt


def test_503_and_dropped_connections_are_retried(sim: OktaSimulator) -> None:
    uid = sim.add_user("x@acme.example")
    sim.assign_user(uid)
    sim.inject("GET", APP_USERS, status=503, times=2)
    sim.inject("GET", APP_USERS, status=None, drop=True, times=1)
    okta = client(sim)

    assert [a.okta_id for a in okta.list_assigned_users().items] == [uid]
    assert [r.status for r in sim.requests] == [503, 503, None, 200]
    assert okta.stats.retries == 3


@pytest.mark.slow
def test_an_empty_bucket_is_waited_for_instead_of_hitting_429(sim: OktaSimulator) -> None:
    for uid in seed(sim, 4):
        sim.assign_user(uid)
    sim.rate_limit("/api/v1/apps", 3)  # 3 requests per (1 s) window
    okta = client(sim, page_limit=1)

    assert len(okta.list_assigned_users().items) == 4

    assert len(sim.requests) >= 4
    assert all(r.status == 200 for r in sim.requests)  # never rate-limited
    assert okta.stats.throttled >= 1 and okta.stats.rate_limited == 0
