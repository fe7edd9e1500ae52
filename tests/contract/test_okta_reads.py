"""OktaClient reads recorded Okta payloads: app users (with and without _embedded.user), users, groups, members."""

from __future__ import annotations

from okta_zoom_sync.core.model import OktaGroupRef, OktaUser

from tests.contract.conftest import OKTA_APP_ID, ReplayServer, load, okta_client

APP_USERS = f"/api/v1/apps/{OKTA_APP_ID}/users"


def test_app_users_recorded_without_embedded_user_are_read_from_the_app_user(replay: ReplayServer) -> None:
    # Given the page Okta returned for two users assigned directly (no _embedded.user, empty app profile)
    replay.add("GET", APP_USERS, load("okta/app_users_no_embedded_user.okta-sdk-python.json"))

    # When
    assigned = list(okta_client(replay).list_assigned_users().items)

    # Then each row is its Okta user id with the app user name as email; names are unknown (the app profile is {})
    assert assigned == [
        OktaUser("00uoiiw2bJ1GTFKCX4x6", "John.Doe-Get@example.com", "John.Doe-Get@example.com", "", "", "ACTIVE"),
        OktaUser("00uoioxbtx4iA8h8X4x6", "John.Doe-List@example.com", "John.Doe-List@example.com", "", "", "ACTIVE"),
    ]
    (request,) = replay.requests_to(APP_USERS)
    assert request.query == {"limit": "500", "expand": "user"}
    assert request.headers["authorization"] == "SSWS"


def test_app_users_with_embedded_user_take_the_okta_user_and_follow_the_next_link(replay: ReplayServer) -> None:
    # Given Okta's documented expand=user page, with a next link to a second (recorded) page
    after = {"after": "00u1dnq5S0CfjlkpABCD", "limit": "500", "expand": "user"}
    replay.add(
        "GET",
        APP_USERS,
        load("okta/app_users_expand_user.spec.json"),
        query={"limit": "500", "expand": "user"},
        next_link=f"{APP_USERS}?after=00u1dnq5S0CfjlkpABCD&limit=500&expand=user",
    )
    replay.add("GET", APP_USERS, load("okta/app_users_no_embedded_user.okta-sdk-python.json"), query=after)

    # When
    assigned = okta_client(replay).list_assigned_users().items

    # Then the embedded Okta user gives login, email, names and the *user's* status (ACTIVE), not the
    # assignment's (PROVISIONED); the second page is read too, and nothing else is requested
    assert assigned[0] == OktaUser(
        "00u1dnq5S0CfjlkpABCD", "saml.test@example.com", "saml.test@example.com", "Saml", "Test", "ACTIVE"
    )
    assert [a.okta_id for a in assigned] == ["00u1dnq5S0CfjlkpABCD", "00uoiiw2bJ1GTFKCX4x6", "00uoioxbtx4iA8h8X4x6"]
    assert [r.query for r in replay.requests_to(APP_USERS)] == [{"limit": "500", "expand": "user"}, after]
    assert replay.misses == []


def test_one_assignment_with_embedded_user(replay: ReplayServer) -> None:
    path = f"{APP_USERS}/00u1dnq5S0CfjlkpABCD"
    replay.add("GET", path, load("okta/app_user_expand_user.spec.json"))

    found = okta_client(replay).get_assignment("00u1dnq5S0CfjlkpABCD")

    assert found == OktaUser(
        "00u1dnq5S0CfjlkpABCD", "saml.test@example.com", "saml.test@example.com", "Saml", "Test", "ACTIVE"
    )
    assert replay.requests_to(path)[0].query == {"expand": "user"}


def test_one_assignment_recorded_without_embedded_user(replay: ReplayServer) -> None:
    path = f"{APP_USERS}/00uoiiw2bJ1GTFKCX4x6"
    replay.add("GET", path, load("okta/app_user_no_embedded_user.okta-sdk-python.json"))

    found = okta_client(replay).get_assignment("00uoiiw2bJ1GTFKCX4x6")

    assert found is not None
    assert (found.okta_id, found.email, found.status) == (
        "00uoiiw2bJ1GTFKCX4x6",
        "John.Doe-Get@example.com",
        "ACTIVE",
    )


def test_an_assignment_okta_does_not_know_is_none(replay: ReplayServer) -> None:
    # Okta's 404 E0000007 body, as quoted in its .NET SDK migration guide
    replay.add("GET", f"{APP_USERS}/00ufoo", load("okta/error_E0000007_not_found.okta-sdk-dotnet.json"))
    replay.add("GET", f"{APP_USERS}/00ubar", load("okta/error_E0000007_not_found.spec.json"))

    okta = okta_client(replay)

    assert okta.get_assignment("00ufoo") is None
    assert okta.get_assignment("00ubar") is None


def test_documented_user(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/users/00ub0oNGTSWTBKOLGLNR", load("okta/user.spec.json"))
    replay.add("GET", "/api/v1/users/isaac.brock@example.com", load("okta/user.spec.json"))

    okta = okta_client(replay)
    by_id = okta.get_user("00ub0oNGTSWTBKOLGLNR")
    by_login = okta.get_user("isaac.brock@example.com")

    # The id comes from the user's "id", not from its _links.self (which names another user in Okta's example)
    expected = OktaUser(
        "00ub0oNGTSWTBKOLGLNR", "isaac.brock@example.com", "isaac.brock@example.com", "Isaac", "Brock", "ACTIVE"
    )
    assert by_id == expected and by_login == expected
    assert replay.misses == []  # the login went into the path with its "@"


def test_recorded_user_matches_its_app_assignment(replay: ReplayServer) -> None:
    # The User object Okta returned for the user that the cassette then assigned to the app
    replay.add("GET", "/api/v1/users/00uoiiw2bJ1GTFKCX4x6", load("okta/user_active.okta-sdk-python.json"))

    user = okta_client(replay).get_user("00uoiiw2bJ1GTFKCX4x6")

    assert user == OktaUser(
        "00uoiiw2bJ1GTFKCX4x6", "John.Doe-Get@example.com", "John.Doe-Get@example.com", "John", "Doe-Get", "ACTIVE"
    )


def test_an_unknown_user_is_none(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/users/nobody@example.com", load("okta/error_E0000007_not_found.okta-sdk-dotnet.json"))

    assert okta_client(replay).get_user("nobody@example.com") is None


def test_group_members_recorded_page(replay: ReplayServer) -> None:
    # A staged member, as Okta listed it
    path = "/api/v1/groups/00gn81p2oWW4GF45z4x6/users"
    replay.add("GET", path, load("okta/group_users_staged.okta-sdk-python.json"))

    members = okta_client(replay).list_group_member_ids("00gn81p2oWW4GF45z4x6")

    assert members == frozenset({"00un80cs012BFqaDU4x6"})
    assert replay.requests_to(path)[0].query == {"limit": "500"}  # no declared maximum: pages of 500


def test_group_members_documented_page(replay: ReplayServer) -> None:
    path = "/api/v1/groups/00g1emaKYZTWRYYRRTSK/users"
    replay.add("GET", path, load("okta/group_users.spec.json"))

    assert okta_client(replay).list_group_member_ids("00g1emaKYZTWRYYRRTSK") == frozenset({"00u118oQYT4TBTemp0g4"})


def test_a_users_groups_include_app_groups(replay: ReplayServer) -> None:
    # Okta's documented list holds an OKTA_GROUP and an Active Directory APP_GROUP
    path = "/api/v1/users/00ub0oNGTSWTBKOLGLNR/groups"
    replay.add("GET", path, load("okta/groups_list.spec.json"))

    groups = okta_client(replay).list_user_groups("00ub0oNGTSWTBKOLGLNR")

    assert groups == frozenset(
        {
            OktaGroupRef("00g1emaKYZTWRYYRRTSK", "West Coast users"),
            OktaGroupRef("00garwpuyxHaWOkdV0g4", "Engineering users"),
        }
    )


def test_groups_are_found_by_exact_name_and_by_id(replay: ReplayServer) -> None:
    # q= is a prefix search: the documented answer holds more than the group asked for
    replay.add("GET", "/api/v1/groups", load("okta/groups_list.spec.json"))
    replay.add("GET", "/api/v1/groups/00gn81p2oWW4GF45z4x6", load("okta/group.okta-sdk-python.json"))

    found = okta_client(replay).find_groups(["West Coast users", "00gn81p2oWW4GF45z4x6", "No such group"])

    assert found == {
        "West Coast users": OktaGroupRef("00g1emaKYZTWRYYRRTSK", "West Coast users"),
        "00gn81p2oWW4GF45z4x6": OktaGroupRef("00gn81p2oWW4GF45z4x6", "Group-Target-Test"),
    }
    searches = [r.query for r in replay.requests_to("/api/v1/groups")]
    assert {"q": "West Coast users", "limit": "200"} in searches


def test_the_attributes_a_policy_names_come_from_the_user_profile_else_the_app_user_profile(
    replay: ReplayServer,
) -> None:
    # Given Okta's documented expand=user row: the app-user profile carries displayName and role, the embedded
    # user's profile does not; mobilePhone is null in both
    replay.add("GET", APP_USERS, load("okta/app_users_expand_user.spec.json"), query={"limit": "500", "expand": "user"})
    client = okta_client(replay)
    client.keep_profile(frozenset({"displayName", "role", "mobilePhone", "firstName"}))

    # When the listing is read
    [assigned] = client.list_assigned_users().items

    # Then only the named attributes with a value are kept, from the one row
    assert assigned.profile == (("displayName", "Saml O Test"), ("firstName", "Saml"), ("role", "Tester"))
    assert replay.misses == []
