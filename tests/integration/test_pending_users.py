"""Pending users (`create_action: create`): Zoom invites the user, who is pending until they accept.

A pending user is never created twice (Zoom's list gives no id for it: it is matched by the link's email), its
updates wait until it accepts, and an invitation that expired is sent again (the pending user is removed with
action=disassociate and created again) at most once per re-send period, remembered in the link (`invited_at`).
Whether Zoom lets an expired invitation be removed is not documented: both simulator modes are covered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from okta_zoom_sync.core.invitations import RESEND_PERIOD

from tests.integration.conftest import TABLE, Stack, add_person

INVITE = "create_action: create\n"


def age_invitation(stack: Stack, okta_id: str, by: timedelta = RESEND_PERIOD + timedelta(days=1)) -> None:
    """Make the link's last invitation older (what the days between runs would do)."""
    link = stack.links()[okta_id]
    older = (datetime.fromisoformat(link["invited_at"]) - by).isoformat()
    stack.dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "LINK"}, "sk": {"S": okta_id}},
        UpdateExpression="SET invited_at = :t",
        ExpressionAttributeValues={":t": {"S": older}},
    )


def zoom_writes(stack: Stack, method: str) -> int:
    return stack.zoom.request_count(method=method, path_prefix="/v2/users")


def test_a_pending_user_is_not_created_twice_and_is_updated_once_it_accepts(stack: Stack) -> None:
    # Given invitations, and one person
    stack.set_policy(INVITE)
    uid = add_person(stack, "invited@acme.example", "Ann", "Old")

    # When a run creates the user
    first = stack.invoke({"mode": "full"})

    # Then Zoom invited it, and the link remembers when
    assert first["applied"]["create"] == 1
    assert stack.zoom.invitations_sent("invited@acme.example") == 1
    assert stack.zoom_user("invited@acme.example")["status"] == "pending"  # type: ignore[index]
    assert stack.links()[uid]["invited_at"]

    # When the person's name and license change in Okta while the invitation waits, and a run goes
    stack.okta.update_profile(uid, lastName="New")
    stack.set_policy(INVITE + "default_license: licensed\n")
    stack.zoom.clear_log()
    second = stack.invoke({"mode": "full"})

    # Then nothing is created again, and the updates wait (Zoom would accept them and apply nothing)
    assert sum(second["planned"].values()) == 0, second["planned"]
    assert zoom_writes(stack, "POST") == 0 and zoom_writes(stack, "PATCH") == 0
    assert stack.zoom.invitations_sent("invited@acme.example") == 1

    # When the person accepts, and a run goes
    stack.zoom.accept_invitation("invited@acme.example")
    third = stack.invoke({"mode": "full"})

    # Then the updates go through, on the same Zoom user
    assert third["applied"]["update"] == 1 and third["applied"]["license"] == 1 and third["planned"]["create"] == 0
    user = stack.zoom_user("invited@acme.example")
    assert user is not None and (user["last_name"], user["type"], user["id"]) == (
        "New",
        2,
        stack.links()[uid]["zoom_id"],
    )


def test_an_expired_invitation_is_sent_again_once_per_period(stack: Stack) -> None:
    # Given a user invited by an earlier run, whose invitation then expired; Zoom lets it be removed
    stack.set_policy(INVITE)
    stack.zoom.expired_invitations_removable = True
    uid = add_person(stack, "late@acme.example")
    stack.invoke({"mode": "full"})
    stack.zoom.expire_invitation("late@acme.example")

    # When a run comes within the period of that invitation
    stack.zoom.clear_log()
    soon = stack.invoke({"mode": "full"})

    # Then nothing is asked nor sent: the invitation is too recent to be checked
    assert sum(soon["planned"].values()) == 0
    assert stack.zoom.request_count(method="GET", path_prefix="/v2/users/late") == 0

    # When the period has passed
    age_invitation(stack, uid)
    later = stack.invoke({"mode": "full"})

    # Then the invitation is sent again (removed, then created again), with a note, and the link follows
    assert later["status"] == "succeeded" and later["applied"]["reinvite"] == 1, later["errors"]
    assert stack.zoom.invitations_sent("late@acme.example") == 2
    deletes = [r for r in stack.zoom.requests if r.method == "DELETE"]
    assert [r.query.get("action") for r in deletes] == ["disassociate"]
    assert any("late@acme.example: the invitation had expired; sent again" in n for n in later["notes"])
    user = stack.zoom_user("late@acme.example")
    assert user is not None and user["status"] == "pending" and stack.links()[uid]["zoom_id"] == user["id"]

    # When the new invitation expires too, before the period is over
    stack.zoom.expire_invitation("late@acme.example")
    again = stack.invoke({"mode": "full"})

    # Then it is not sent again yet
    assert sum(again["planned"].values()) == 0
    assert stack.zoom.invitations_sent("late@acme.example") == 2

    # And once the period has passed, it is (once more)
    age_invitation(stack, uid)
    assert stack.invoke({"mode": "full"})["applied"]["reinvite"] == 1
    assert stack.zoom.invitations_sent("late@acme.example") == 3

    # And a user who accepts is no longer asked about
    stack.zoom.accept_invitation("late@acme.example")
    age_invitation(stack, uid)
    stack.zoom.clear_log()
    assert sum(stack.invoke({"mode": "full"})["planned"].values()) == 0
    assert stack.zoom.request_count(method="GET", path_prefix="/v2/users/late") == 0


def test_an_expired_invitation_zoom_will_not_remove_is_reported_once(stack: Stack) -> None:
    # Given an expired invitation Zoom refuses to remove (1120 on DELETE too: the spec's answer)
    stack.set_policy(INVITE)
    uid = add_person(stack, "stuck@acme.example")
    stack.invoke({"mode": "full"})
    stack.zoom.expire_invitation("stuck@acme.example")
    age_invitation(stack, uid)

    # When a run goes
    first = stack.invoke({"mode": "full"})

    # Then the re-send fails, saying what to do, and no second invitation went out
    assert first["status"] == "partial" and first["failed"]["reinvite"] == 1
    [error] = first["errors"]
    assert error["code"] == "invitation_not_removable" and "web portal" in error["message"]
    assert stack.zoom.invitations_sent("stuck@acme.example") == 1

    # When the next runs go (within the period)
    stack.zoom.clear_log()
    runs = [stack.invoke({"mode": "full"}) for _ in range(2)]

    # Then they do not try again (no removal, no create), and the error is not repeated
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"]
    assert all(r["errors"] == [] and sum(r["planned"].values()) == 0 for r in runs)
    assert zoom_writes(stack, "DELETE") == 0 and zoom_writes(stack, "POST") == 0

    # When an admin deletes the pending user in Zoom, Then the next run invites the person afresh
    stack.zoom.remove_user("stuck@acme.example")
    fresh = stack.invoke({"mode": "full"})
    assert fresh["applied"]["create"] == 1 and stack.zoom.invitations_sent("stuck@acme.example") == 2


@pytest.mark.parametrize("removable", [True, False], ids=["removable", "not removable"])
def test_an_expired_invitation_found_in_zoom_is_adopted_then_handled(stack: Stack, removable: bool) -> None:
    # Given a pending user someone invited by hand, whose invitation expired, and the Okta person it belongs to
    stack.set_policy(INVITE)
    stack.zoom.expired_invitations_removable = removable
    stack.zoom.add_user("hand@acme.example", status="pending")
    stack.zoom.expire_invitation("hand@acme.example")
    uid = add_person(stack, "hand@acme.example")

    # When a run goes
    result = stack.invoke({"mode": "full"})

    # Then the user is adopted (never created twice) and its invitation sent again, or the refusal reported
    assert result["applied"]["adopt"] == 1 and result["planned"]["create"] == 0
    assert stack.links()[uid]["invited_at"]
    if removable:
        assert result["applied"]["reinvite"] == 1 and stack.zoom.invitations_sent("hand@acme.example") == 1
    else:
        assert [e["code"] for e in result["errors"]] == ["invitation_not_removable"]
        assert stack.zoom.invitations_sent("hand@acme.example") == 0


def test_a_users_run_sees_the_expired_invitation_too(stack: Stack) -> None:
    # Given an expired invitation older than the period
    stack.set_policy(INVITE)
    stack.zoom.expired_invitations_removable = True
    uid = add_person(stack, "named@acme.example")
    stack.invoke({"mode": "full"})
    stack.zoom.expire_invitation("named@acme.example")
    age_invitation(stack, uid)

    # When an operator names the user
    result = stack.invoke({"mode": "users", "users": ["named@acme.example"]})

    # Then its invitation is sent again
    assert result["applied"]["reinvite"] == 1, result["errors"]
    assert stack.zoom.invitations_sent("named@acme.example") == 2
