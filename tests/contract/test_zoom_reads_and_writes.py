"""ZoomClient against recorded Zoom payloads: token, user listings, role and group names, single users, create."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from okta_zoom_sync.core.model import MEMBER_ROLE
from okta_zoom_sync.errors import ApiError, AuthError, ConflictError

from tests.contract.conftest import ZOOM_ACCOUNT, ZOOM_SECRET, ReplayServer, load, zoom_client

USERS = "/v2/users"
KNOWN_GROUP_NAMES = {"Developers", "Engineering", "Sales", "Marketing"}
PSOXY_ID = "p~JzXCV2FA272NOeqHYQbR4PewwSZI9hznATn7Wse3j8GpsoD91NC0nDg1vNKrhPEc"


def _catalogues(replay: ReplayServer, roles: str = "zoom/roles_builtin.zoom-postman.json") -> None:
    """GET /roles, and GET /groups over two pages: Zoom's documented first page, then a terminal page."""
    replay.add("GET", "/v2/roles", load(roles))
    replay.add("GET", "/v2/groups", load("zoom/groups_page1.zoom-docs-via-zoomnet.json"))
    replay.add(
        "GET",
        "/v2/groups",
        load("zoom/groups_last_page.pszoom-fixture.json"),
        query={"next_page_token": "qUEQqB1V0HVhJmwKFQrGOD"},
    )


def _active_pages(replay: ReplayServer) -> None:
    """Active users: Zoom's documented page 1 (next_page_token 8V8…), then a recorded page without a token.
    Inactive and pending users have no recording: those listings fail (501 from the replay server)."""
    replay.add("GET", USERS, load("zoom/users_list_page1.zoom-docs-via-zoomnet.json"), query={"status": "active"})
    replay.add(
        "GET",
        USERS,
        load("zoom/users_list_no_role_id.psoxy-sanitized.json"),
        query={"status": "active", "next_page_token": "8V8HigQkzm2O5r9RUn31D9ZyJHgrmFfbLa2"},
    )
    # The recorded page has no role_id: a client that asks Zoom for that user's role is told it is gone.
    replay.add("GET", f"{USERS}/{PSOXY_ID}", load("zoom/error_1001_user_not_exist.baton-zoom.json"))


def test_documented_token_response(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)

    zoom.verify_credentials()

    assert zoom.granted_scopes == frozenset({"meeting:read", "meeting:write", "user:read"})
    (request,) = replay.requests_to("/oauth/token", "POST")
    assert {k: v[0] for k, v in parse_qs(request.body.decode()).items()} == {
        "grant_type": "account_credentials",
        "account_id": ZOOM_ACCOUNT,
    }
    assert request.headers["authorization"] == "Basic"


@pytest.mark.parametrize(
    ("recording", "code"),
    [
        ("zoom/token_error_invalid_client.psoxy.json", "invalid_client"),  # wrong client id or secret
        ("zoom/token_error_invalid_request.psoxy.json", "invalid_request"),  # wrong account id
    ],
)
def test_refused_s2s_credentials(replay: ReplayServer, recording: str, code: str) -> None:
    zoom = zoom_client(replay, token=recording)

    with pytest.raises(AuthError) as caught:
        zoom.verify_credentials()

    assert caught.value.code == code and caught.value.status == 400
    assert ZOOM_SECRET not in str(caught.value)


def test_a_listing_reads_every_recorded_page_and_says_it_is_incomplete(replay: ReplayServer) -> None:
    # Given the recorded active pages and role/group catalogues, and nothing recorded for inactive users
    zoom = zoom_client(replay)
    _catalogues(replay)
    _active_pages(replay)

    # When
    listing = zoom.list_users()

    # Then both recorded users are read...
    by_id = {u.zoom_id: u for u in listing.items}
    assert set(by_id) == {"KDcuGIm1QgePTO8WbOqwIQ", PSOXY_ID}
    jill = by_id["KDcuGIm1QgePTO8WbOqwIQ"]
    assert (jill.email, jill.first_name, jill.last_name, jill.type, jill.status) == (
        "jchill@example.com",
        "Jill",
        "Chill",
        1,
        "active",
    )
    assert jill.role == "Owner"  # role_id "0" in Zoom's own role list
    # her group t-_-d56CSWG-7BF15LLrOw is in neither catalogue page: it must not come back as another group's name
    assert len(jill.groups) == 1 and not jill.groups & KNOWN_GROUP_NAMES
    # ...and the listing does not claim to be whole (the inactive listing failed)
    assert listing.complete is False and listing.reason
    assert any("status=inactive" in miss for miss in replay.misses)
    queries = [r.query for r in replay.requests_to(USERS)]
    assert {"status": "active", "page_size": "300"} in queries
    assert all(q.get("page_size") == "300" for q in queries)
    group_pages = replay.requests_to("/v2/groups")
    assert group_pages
    assert all(r.query.get("page_size") == "300" for r in group_pages)


def test_a_row_without_role_id_is_not_taken_for_a_member(replay: ReplayServer) -> None:
    # The recorded (sanitised) page carries no role_id at all: the user might be the Owner
    zoom = zoom_client(replay)
    _catalogues(replay)
    _active_pages(replay)

    psoxy = {u.zoom_id: u for u in zoom.list_users().items}[PSOXY_ID]

    assert psoxy.role != MEMBER_ROLE
    assert (psoxy.type, psoxy.status, psoxy.groups) == (2, "active", frozenset())


def test_a_role_id_missing_from_the_role_list_is_not_taken_for_a_member(replay: ReplayServer) -> None:
    # Zoom's documented GET /roles lists one custom role only: Jill's role_id "0" cannot be named
    zoom = zoom_client(replay)
    _catalogues(replay, roles="zoom/roles_custom_only.zoom-docs-via-zoomnet.json")
    _active_pages(replay)

    jill = {u.zoom_id: u for u in zoom.list_users().items}["KDcuGIm1QgePTO8WbOqwIQ"]

    assert jill.role != MEMBER_ROLE


def test_a_role_id_missing_from_the_role_list_is_unknown(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    _catalogues(replay, roles="zoom/roles_custom_only.zoom-docs-via-zoomnet.json")
    _active_pages(replay)

    jill = {u.zoom_id: u for u in zoom.list_users().items}["KDcuGIm1QgePTO8WbOqwIQ"]

    assert jill.role is None


def test_roles_unreadable_for_lack_of_scope_fall_back_to_the_builtin_ids(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    _catalogues(replay, roles="zoom/error_4700_roles_scope.zoom-spec.json")
    _active_pages(replay)

    jill = {u.zoom_id: u for u in zoom.list_users().items}["KDcuGIm1QgePTO8WbOqwIQ"]

    assert jill.role == "Owner"


def test_documented_pending_user(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    _catalogues(replay)
    replay.add("GET", f"{USERS}/zJKyaiAyTNC-MWjiWC18KQ", load("zoom/user_pending.zoom-docs-via-zoomnet.json"))

    user = zoom.get_user("zJKyaiAyTNC-MWjiWC18KQ")

    assert user is not None
    assert (user.zoom_id, user.email, user.first_name, user.last_name, user.type) == (
        "zJKyaiAyTNC-MWjiWC18KQ",
        "jchill@example.com",
        "Jill",
        "Chill",
        1,
    )
    assert user.status == "pending"  # from the body, not assumed active
    assert user.role == "Admin"  # role_name wins over role_id
    assert len(user.groups) == 1 and not user.groups & KNOWN_GROUP_NAMES


def test_documented_owner_looked_up_by_email(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("GET", f"{USERS}/harryg@dfkjdslfjkdsfjkdsf.fsdfdfd", load("zoom/user_owner.zoom-docs-apifox.json"))

    user = zoom.get_user("harryg@dfkjdslfjkdsfjkdsf.fsdfdfd")

    assert user is not None
    assert (user.zoom_id, user.email, user.role, user.type, user.status, user.groups) == (
        "z8dsdsdsdsdCfp8uQ",
        "harryg@dfkjdslfjkdsfjkdsf.fsdfdfd",
        "Owner",
        2,
        "active",
        frozenset(),
    )
    assert replay.requests_to("/v2/groups") == []  # no group to name: the catalogue is not read


def test_recorded_me_user(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("GET", f"{USERS}/me", load("zoom/user_me.django-allauth.json"))

    user = zoom.get_user("me")

    assert user is not None
    assert (user.zoom_id, user.email, user.first_name, user.last_name, user.role) == (
        "KdYKjnimT4KPd8FFgQt9FQ",
        "jane.dev@email.com",
        "Jane",
        "Dev",
        "Owner",
    )


def test_a_user_zoom_does_not_know_is_none(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("GET", f"{USERS}/gone@example.com", load("zoom/error_1001_user_not_exist.baton-zoom.json"))

    assert zoom.get_user("gone@example.com") is None


def test_a_route_not_found_is_not_a_missing_user(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("GET", f"{USERS}/someone@example.com", load("zoom/error_2300_route_not_found.baton-zoom.json"))

    with pytest.raises(ApiError):
        zoom.get_user("someone@example.com")


def test_a_user_not_on_this_account_is_none(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add(
        "GET", f"{USERS}/student@example.com", load("zoom/error_1010_user_not_found_on_account.moodle-issue-64.json")
    )

    assert zoom.get_user("student@example.com") is None


def test_a_pending_user_whose_invitation_expired(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("GET", f"{USERS}/late@example.com", load("zoom/error_1120_invitation_not_found.zoom-spec.json"))

    user = zoom.get_user("late@example.com")

    assert user is not None
    assert (user.email, user.status, user.invitation_expired) == ("late@example.com", "pending", True)


def test_create_user_returns_the_documented_id(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("POST", USERS, load("zoom/user_created.zoom-docs-via-zoomnet.json"))

    zoom_id = zoom.create_user(
        action="create", email="jchill@example.com", first_name="Jill", last_name="Chill", license_type=1
    )

    assert zoom_id == "KDcuGIm1QgePTO8WbOqwIQ"
    sent = json.loads(replay.requests_to(USERS, "POST")[0].body)
    assert sent == {
        "action": "create",
        "user_info": {"email": "jchill@example.com", "type": 1, "first_name": "Jill", "last_name": "Chill"},
    }


def test_create_user_for_an_email_already_in_the_account_is_a_conflict(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("POST", USERS, load("zoom/error_1005_user_already_in_account.baton-zoom.json"))

    with pytest.raises(ConflictError) as caught:
        zoom.create_user(action="create", email="taken@example.com", first_name="T", last_name="U", license_type=1)

    assert (caught.value.code, caught.value.status) == ("1005", 409)


def test_deprovisioning_a_user_zoom_no_longer_has_is_done(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("PUT", f"{USERS}/user-1/status", load("zoom/error_1001_user_not_exist.baton-zoom.json"))
    replay.add("DELETE", f"{USERS}/user-1", load("zoom/error_1001_user_not_exist.baton-zoom.json"))

    zoom.set_status("user-1", "deactivate")
    zoom.delete_user("user-1", "delete")

    assert [r.method for r in replay.seen if r.path.startswith(f"{USERS}/user-1")] == ["PUT", "DELETE"]
