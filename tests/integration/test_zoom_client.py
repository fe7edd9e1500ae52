"""ZoomClient against the Zoom simulator over loopback HTTP: tokens, listings, name resolution, writes, faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.zoom.client import ZoomClient
from okta_zoom_sync.core.model import ZoomUser
from okta_zoom_sync.errors import (
    AuthError,
    BasicSeatLimitError,
    ConflictError,
    LicenseLimitError,
    NotFoundError,
    PermanentError,
)

from tests.simulators import ZoomSimulator

ACCOUNT = "acct-zoom-client"
CLIENT = "zoom-client-id"
SECRET = "zoom-client-secret-value"

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, reset_margin=0.0, random=lambda: 0.0)


@pytest.fixture
def sim() -> Iterator[ZoomSimulator]:
    with ZoomSimulator(
        account_id=ACCOUNT, client_id=CLIENT, client_secret=SECRET, owner_email="owner@acme.example"
    ) as z:
        yield z


def client(sim: ZoomSimulator, *, secret: str = SECRET, page_size: int = 300) -> ZoomClient:
    return ZoomClient(
        f"{sim.url}/v2", f"{sim.url}/oauth/token", ACCOUNT, CLIENT, secret, retry=FAST, page_size=page_size
    )


def api_requests(sim: ZoomSimulator) -> list[tuple[str, str, int | None]]:
    return [(r.method, r.path, r.status) for r in sim.requests if r.path != "/oauth/token"]


# -- tokens -------------------------------------------------------------------------------------------


def test_one_token_serves_many_calls_and_nothing_is_minted_before_the_first(sim: ZoomSimulator) -> None:
    zoom = client(sim)
    assert sim.request_count() == 0 and zoom.granted_scopes == frozenset()

    zoom.list_users()
    zoom.get_user("owner@acme.example")
    zoom.list_users()

    assert sim.token_count == 1
    token_request = sim.requests[0]
    assert token_request.path == "/oauth/token"
    assert token_request.body == {"grant_type": "account_credentials", "account_id": ACCOUNT}
    assert token_request.headers["authorization"] == "Basic <redacted>"
    assert "user:read:list_users:admin" in zoom.granted_scopes


def test_a_revoked_token_is_reminted_once(sim: ZoomSimulator) -> None:
    zoom = client(sim)
    zoom.verify_credentials()
    sim.revoke_tokens()

    assert zoom.get_user("owner@acme.example") is not None

    assert sim.token_count == 2 and zoom.stats.token_renewals == 1
    assert api_requests(sim) == [
        ("GET", "/v2/users/owner@acme.example", 401),
        ("GET", "/v2/users/owner@acme.example", 200),
    ]


def test_wrong_credentials_are_reported_without_the_secret(sim: ZoomSimulator) -> None:
    zoom = client(sim, secret="wrong-secret-value")
    with pytest.raises(
        AuthError, match=r"^Zoom rejected the Server-to-Server OAuth credentials: invalid_client"
    ) as info:
        zoom.verify_credentials()
    assert "wrong-secret-value" not in str(info.value)
    with pytest.raises(AuthError):
        zoom.list_users()  # an API call surfaces the same error
    assert sim.token_count == 0


# -- reads --------------------------------------------------------------------------------------------


def test_list_users_reads_every_status_across_pages_and_resolves_names(sim: ZoomSimulator) -> None:
    sim.add_role("Auditor")
    sim.add_group("Sales")
    sim.add_group("Eng")
    for i in range(3):
        sim.add_user(f"a{i}@acme.example", "A", str(i), type=2, groups=["Sales", "Eng"] if i == 0 else [])
    sim.add_user("aud@acme.example", "Aud", "Itor", role="Auditor", groups=["Eng"])
    sim.add_user("off@acme.example", "Off", "Line", status="inactive")
    sim.add_user("new@acme.example", "New", "Comer", status="pending")

    users = {u.email: u for u in client(sim, page_size=2).list_users().items}

    assert set(users) == {
        "owner@acme.example",
        "a0@acme.example",
        "a1@acme.example",
        "a2@acme.example",
        "aud@acme.example",
        "off@acme.example",
        "new@acme.example",
    }
    assert users["owner@acme.example"].role == "Owner"
    assert users["a0@acme.example"] == ZoomUser(
        zoom_id=sim.user("a0@acme.example")["id"],
        email="a0@acme.example",
        first_name="A",
        last_name="0",
        type=2,
        status="active",
        role="Member",
        groups=frozenset({"Sales", "Eng"}),
    )
    assert users["aud@acme.example"].role == "Auditor" and users["aud@acme.example"].groups == {"Eng"}
    assert users["off@acme.example"].status == "inactive"
    pending = users["new@acme.example"]
    assert pending.status == "pending" and pending.zoom_id is None  # Zoom lists pending users without an id
    listings = [r for r in sim.requests if r.path == "/v2/users"]
    assert [r.query["status"] for r in listings] == ["active", "active", "active", "inactive", "pending"]
    assert all(r.query["page_size"] == "2" for r in listings)
    # the catalogues are read once
    assert sim.request_count("GET", "/v2/roles") == 1 and sim.request_count("GET", "/v2/groups") == 1


def test_roles_fall_back_to_the_builtin_ids_when_they_cannot_be_read(sim: ZoomSimulator) -> None:
    sim.granted_scopes.discard("role:read:list_roles:admin")
    sim.add_user("adm@acme.example", role="Admin")
    users = {u.email: u.role for u in client(sim).list_users().items}
    assert users == {"owner@acme.example": "Owner", "adm@acme.example": "Admin"}


def test_get_user_by_email_or_id_and_none_when_missing(sim: ZoomSimulator) -> None:
    uid = sim.add_user("ann@acme.example", "Ann", "Lee", type=2, status="inactive")
    zoom = client(sim)
    by_email = zoom.get_user("ann@acme.example")
    assert by_email is not None and by_email == zoom.get_user(uid)
    assert (by_email.zoom_id, by_email.status, by_email.type, by_email.role) == (uid, "inactive", 2, "Member")
    assert zoom.get_user("nobody@acme.example") is None


# -- writes -------------------------------------------------------------------------------------------


def test_create_update_status_email_and_delete(sim: ZoomSimulator) -> None:
    zoom = client(sim)

    uid = zoom.create_user(
        action="ssoCreate", email="kim@acme.example", first_name="Kim", last_name="Ito", license_type=2
    )
    created = sim.user(uid)
    assert (created["email"], created["status"], created["type"]) == ("kim@acme.example", "active", 2)
    invited = zoom.create_user(action="create", email="inv@acme.example", first_name="I", last_name="V", license_type=1)
    assert sim.user(invited)["status"] == "pending"

    zoom.update_user(uid, {"first_name": "Kimberly", "type": 1})
    assert (sim.user(uid)["first_name"], sim.user(uid)["type"]) == ("Kimberly", 1)
    zoom.update_user(uid, {})  # nothing to change: no request

    zoom.set_status(uid, "deactivate")
    assert sim.user(uid)["status"] == "inactive"
    zoom.set_status(uid, "activate")
    assert sim.user(uid)["status"] == "active"

    zoom.change_email(uid, "kim.ito@acme.example")
    assert sim.user(uid)["email"] == "kim.ito@acme.example"

    zoom.delete_user(uid, "delete")
    assert sim.user_by_email("kim.ito@acme.example") is None
    bodies = {(r.method, r.path): r.body for r in sim.requests}
    assert bodies[("POST", "/v2/users")] == {
        "action": "create",
        "user_info": {"email": "inv@acme.example", "type": 1, "first_name": "I", "last_name": "V"},
    }
    assert bodies[("PATCH", f"/v2/users/{uid}")] == {"first_name": "Kimberly", "type": 1}
    assert bodies[("PUT", f"/v2/users/{uid}/email")] == {"email": "kim.ito@acme.example"}
    delete = next(r for r in sim.requests if r.method == "DELETE")
    assert delete.query == {"action": "delete"}
    assert sim.write_count() == 7


def test_update_user_refuses_fields_that_are_not_patch_fields(sim: ZoomSimulator) -> None:
    uid = sim.add_user("x@acme.example")
    zoom = client(sim)
    for field in ("role_id", "email", "status"):
        with pytest.raises(ValueError, match=field):
            zoom.update_user(uid, {"first_name": "X", field: "1"})
    assert sim.request_count() == 0


def test_typed_errors_from_writes(sim: ZoomSimulator) -> None:
    sim.add_user("taken@acme.example")
    sim.licensed_seats = 0
    zoom = client(sim)
    with pytest.raises(ConflictError, match="1005"):
        zoom.create_user(action="ssoCreate", email="taken@acme.example", first_name="T", last_name="K", license_type=1)
    with pytest.raises(LicenseLimitError) as refused:
        zoom.create_user(action="ssoCreate", email="lic@acme.example", first_name="L", last_name="C", license_type=2)
    assert not isinstance(refused.value, BasicSeatLimitError)  # a paid seat: Basic is there to fall back to
    sim.basic_seats = 1  # the user already there holds it
    with pytest.raises(BasicSeatLimitError, match="2033"):  # the Basic cap: nothing lower
        zoom.create_user(action="ssoCreate", email="bas@acme.example", first_name="B", last_name="C", license_type=1)
    with pytest.raises(NotFoundError):
        zoom.set_status("no-such-user", "activate")


def test_roles_are_assigned_and_removed_by_name(sim: ZoomSimulator) -> None:
    sim.add_role("Auditor")
    uid = sim.add_user("r@acme.example")
    zoom = client(sim)

    zoom.assign_role(uid, "auditor")  # names compare case-insensitively
    assert sim.user(uid)["role_name"] == "Auditor"
    assert next(r for r in sim.requests if r.method == "POST" and r.path.startswith("/v2/roles/")).body == {
        "members": [{"id": uid}]
    }

    zoom.remove_role(uid, "Auditor")
    assert sim.user(uid)["role_name"] == "Member"
    zoom.remove_role(uid, "Auditor")  # already removed: done

    with pytest.raises(PermanentError, match="Zoom role 'Janitor' does not exist"):
        zoom.assign_role(uid, "Janitor")


def test_groups_are_joined_and_left_by_name_and_leaving_twice_is_fine(sim: ZoomSimulator) -> None:
    gid = sim.add_group("Sales")
    uid = sim.add_user("g@acme.example")
    zoom = client(sim)

    zoom.add_to_group(uid, "sales")
    assert sim.user(uid)["group_ids"] == [gid]
    zoom.add_to_group(uid, "Sales")  # Zoom answers 201 again

    zoom.remove_from_group(uid, "Sales")
    assert sim.user(uid)["group_ids"] == []
    zoom.remove_from_group(uid, "Sales")  # 404 code 4131: not a member any more

    assert ("DELETE", f"/v2/groups/{gid}/members/{uid}", 404) in api_requests(sim)
    with pytest.raises(PermanentError, match="Zoom group 'Marketing' does not exist"):
        zoom.add_to_group(uid, "Marketing")


def test_a_group_created_after_the_catalogue_was_read_is_found(sim: ZoomSimulator) -> None:
    uid = sim.add_user("late@acme.example")
    zoom = client(sim)
    zoom.list_users()
    gid = sim.add_group("Late")
    zoom.add_to_group(uid, "Late")
    assert sim.user(uid)["group_ids"] == [gid]


def test_list_roles_names_custom_roles_and_says_when_only_the_builtin_ones_are_known(sim: ZoomSimulator) -> None:
    sim.add_role("Webinar Host")
    listed = client(sim).list_roles()
    assert listed.complete and set(listed.items) == {"Owner", "Admin", "Member", "Webinar Host"}

    sim.granted_scopes.discard("role:read:list_roles:admin")
    refused = client(sim).list_roles()
    assert not refused.complete and "role:read:list_roles:admin" in (refused.reason or "")
    assert set(refused.items) == {"Owner", "Admin", "Member"}


def test_create_group_returns_its_id_and_the_group_is_usable_at_once(sim: ZoomSimulator) -> None:
    uid = sim.add_user("new@acme.example")
    zoom = client(sim)
    assert zoom.list_groups() == {}

    gid = zoom.create_group("Support")

    assert sim.groups[gid]["name"] == "Support"
    assert zoom.list_groups() == {gid: "Support"}  # known without reading the catalogue again
    zoom.add_to_group(uid, "Support")
    assert sim.user(uid)["group_ids"] == [gid]
    assert sim.request_count("GET", "/v2/groups") == 1


def test_create_group_of_a_name_made_meanwhile_returns_that_group(sim: ZoomSimulator) -> None:
    zoom = client(sim)
    zoom.list_groups()
    gid = sim.add_group("Support")  # made by someone else after the catalogue was read

    assert zoom.create_group("Support") == gid  # 409 code 4132: the group wanted exists
    assert ("POST", "/v2/groups", 409) in api_requests(sim)
    assert len(sim.groups) == 1


def test_deprovisioning_a_user_who_is_gone_counts_as_done(sim: ZoomSimulator) -> None:
    uid = sim.add_user("bye@acme.example")
    zoom = client(sim)
    zoom.delete_user(uid, "disassociate")
    zoom.delete_user(uid, "disassociate")  # 404 code 1001
    zoom.set_status(uid, "deactivate")  # 404 code 1001
    assert [s for _, _, s in api_requests(sim)] == [204, 404, 404]


# -- faults and rate limits ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_429_with_an_absolute_retry_after_is_waited_out(sim: ZoomSimulator) -> None:
    sim.inject("GET", "/v2/users", status=429, times=1)
    zoom = client(sim)
    assert [u.email for u in zoom.list_users().items] == ["owner@acme.example"]
    assert [s for _, p, s in api_requests(sim) if p == "/v2/users"] == [429, 200, 200, 200]
    assert zoom.stats.rate_limited == 1


@pytest.mark.slow
def test_rate_limited_writes_recover(sim: ZoomSimulator) -> None:
    sim.rate_limit("/v2/users", 2)
    zoom = client(sim)
    ids = [
        zoom.create_user(
            action="ssoCreate", email=f"u{i}@acme.example", first_name="U", last_name=str(i), license_type=1
        )
        for i in range(4)
    ]
    assert len(set(ids)) == 4
    assert zoom.stats.rate_limited >= 1
    assert 429 in [s for _, _, s in api_requests(sim)]  # the simulator did answer 429


def test_503_and_dropped_connections_are_retried(sim: ZoomSimulator) -> None:
    uid = sim.add_user("r@acme.example")
    sim.inject("PATCH", "/v2/users", status=503, times=2)
    sim.inject("PATCH", "/v2/users", status=None, drop=True, times=1)
    zoom = client(sim)
    zoom.update_user(uid, {"last_name": "Retried"})
    assert sim.user(uid)["last_name"] == "Retried"
    assert [s for m, _, s in api_requests(sim) if m == "PATCH"] == [503, 503, None, 204]


def test_a_create_whose_answer_was_lost_surfaces_as_a_conflict_for_the_caller(sim: ZoomSimulator) -> None:
    # Zoom applied the POST but the answer was lost: the retry meets 409 code 1005, which the caller adopts.
    lost = sim.inject("POST", "/v2/users", status=None, drop=True, after_apply=True, times=1)
    zoom = client(sim)
    with pytest.raises(ConflictError):
        zoom.create_user(action="ssoCreate", email="once@acme.example", first_name="O", last_name="N", license_type=1)
    assert lost.hits == 1
    assert sim.user_by_email("once@acme.example") is not None
    assert sim.write_count() == 2


def test_a_role_removal_whose_answer_was_lost_is_done_on_retry(sim: ZoomSimulator) -> None:
    sim.add_role("Auditor")
    uid = sim.add_user("aud@acme.example", role="Auditor")
    lost = sim.inject("DELETE", "/v2/roles", status=None, drop=True, after_apply=True, times=1)
    client(sim).remove_role(uid, "Auditor")
    assert lost.hits == 1
    assert sim.user(uid)["role_name"] == "Member"
