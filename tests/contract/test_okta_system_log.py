"""Recorded System Log events: read through OktaClient.read_log, interpreted by log_events.affected_by."""

from __future__ import annotations

from datetime import UTC, datetime

from okta_zoom_sync.core.system_log import RELEVANT_EVENTS, Affected, affected_by

from tests.contract.conftest import ReplayServer, event, log_page, okta_client

APP_ADD = "okta/event_application_user_membership_add.demisto.json"
GROUP_ADD = "okta/event_group_user_membership_add.demisto.json"
GROUP_REMOVE = "okta/events_group_user_membership_remove.demisto.json"  # a recorded page of two events
DEACTIVATE = "okta/event_user_lifecycle_deactivate.okta-docs.json"
GROUP_APP_ADD = "okta/event_group_application_assignment_add.airbyte.json"
SESSION_START = "okta/log_events_session_start.spec.json"  # Okta's documented GET /api/v1/logs answer

ZOOM_APP = "0oabfkvxe1npBRdow0h7"  # the AppInstance of the recorded application.user_membership.add


def test_a_polling_page_is_read_and_the_next_link_kept(replay: ReplayServer) -> None:
    # Given a short page of recorded events, answered with Okta's polling next link
    okta = okta_client(replay)
    start = okta.log_start(datetime(2018, 7, 30, tzinfo=UTC), RELEVANT_EVENTS)
    next_path = "/api/v1/logs?after=1532963102936_1&limit=1000&sortOrder=ASCENDING"
    page = log_page(event(APP_ADD), event(GROUP_ADD), event(DEACTIVATE), event(SESSION_START))
    replay.add("GET", "/api/v1/logs", page, next_link=next_path)

    # When
    read = okta.read_log(start)

    # Then one request (the page is shorter than the limit), every event, and the cursor for the next run
    assert [e["uuid"] for e in read.events] == [
        "eef74c84-4e91-45b8-be35-51d3953ad2ac",
        "db8e9dda-62d2-458c-a311-9e18eec59c8e",
        "ab62c0bc-2837-11eb-9823-9fb8f750c5a9",
        "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a",
    ]
    assert read.position == replay.url + next_path
    (request,) = replay.requests_to("/api/v1/logs")
    assert request.query["sortOrder"] == "ASCENDING" and request.query["limit"] == "1000"
    assert 'eventType eq "application.user_membership.add"' in request.query["filter"]


def test_an_app_assignment_names_the_okta_user_not_the_app_user_or_the_actor() -> None:
    # target: AppUser 0uafuf6i7ardNkj7X0h7, AppInstance 0oabfkvxe1npBRdow0h7, User 00ued6gq9jItNhAsN0h7
    result = affected_by([event(APP_ADD)], ZOOM_APP)

    assert result.users == frozenset({"00ued6gq9jItNhAsN0h7"})
    assert (result.groups, result.everything) == (frozenset(), False)
    assert result.handled == ("eef74c84-4e91-45b8-be35-51d3953ad2ac",)


def test_an_assignment_to_another_app_is_ignored() -> None:
    result = affected_by([event(APP_ADD)], "0oaoitopiDhcTLdRE4x6")

    assert (result.users, result.groups, result.everything) == (frozenset(), frozenset(), False)


def _named_users(result: Affected) -> set[str]:
    """Users an event batch names: to reconcile now, or as members of a group whose membership changed."""
    return set(result.users) | {user for ids in result.memberships.values() for user in ids}


def test_a_group_membership_change_names_the_member_and_the_group() -> None:
    # target: User 00ued6gq9jItNhAsN0h7 and UserGroup 00g8mo0l5wuTxmoIC0h7 (a membership, not an app assignment)
    result = affected_by([event(GROUP_ADD)], ZOOM_APP)

    assert _named_users(result) == {"00ued6gq9jItNhAsN0h7"}
    assert result.memberships == {"00g8mo0l5wuTxmoIC0h7": frozenset({"00ued6gq9jItNhAsN0h7"})}
    assert result.groups == frozenset()  # the group was not assigned to (or removed from) the app


def test_a_recorded_removal_page_is_read_once_per_uuid() -> None:
    # Both recorded events carry uuid "123" (ids scrubbed by the publisher): the second is a duplicate
    result = affected_by(event(GROUP_REMOVE), ZOOM_APP)

    assert _named_users(result) == {"123"}
    assert result.handled == ("123",)


def test_a_deactivation_names_the_target_not_the_admin() -> None:
    # actor: the admin 00u2di94bAMSEPvAY1d6; target: User 00u3m90rxKjGQ0G6L1d6
    result = affected_by([event(DEACTIVATE)], ZOOM_APP)

    assert result.users == frozenset({"00u3m90rxKjGQ0G6L1d6"})


def test_a_group_assigned_to_our_app_names_the_group() -> None:
    result = affected_by([event(GROUP_APP_ADD)], "test_app_instance_id")

    assert result.groups == frozenset({"test_user_group_id"})
    assert result.groups_assigned == frozenset({"test_user_group_id"})
    assert (result.users, result.everything) == (frozenset(), False)


def test_a_group_assigned_to_another_app_is_ignored() -> None:
    result = affected_by([event(GROUP_APP_ADD)], ZOOM_APP)

    assert (result.users, result.groups) == (frozenset(), frozenset())


def test_a_sign_in_changes_nothing() -> None:
    # Okta's documented user.session.start (with an AppInstance target: the Admin Console)
    result = affected_by(event(SESSION_START), "0oatxlef9sQvvqInq5d6")

    assert (result.users, result.groups, result.everything) == (frozenset(), frozenset(), False)
