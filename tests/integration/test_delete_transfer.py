"""Deletion with transfer (policy `deprovision: delete`, `transfer_to`): meetings, webinars and recordings move to a
named address or to the Okta manager in the same DELETE, and a target that cannot take them stops the delete."""

from __future__ import annotations

from typing import Any

from .conftest import Stack, add_person

POLICY = """\
deprovision: delete
delete_after_days: 0
default_license: licensed
max_deprovisions: {{count: 10, percent: 100}}
transfer_to: "{target}"
"""
ASSETS = {"meetings": 2, "webinars": 1, "recordings": 3}


def leaver_with_assets(stack: Stack, email: str = "ann@acme.example") -> str:
    """An Okta user synced to Zoom, given meetings, webinars and recordings, then unassigned and deactivated in
    Zoom by a run (with delete_after_days: 0 the next run deletes)."""
    okta_id = add_person(stack, email, "Ann", "Lee")
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    stack.zoom.set_assets(email, **ASSETS)
    stack.okta.unassign_user(okta_id)
    deactivated = stack.invoke({"mode": "full"})
    assert deactivated["applied"]["deactivate"] == 1, deactivated
    assert stack.zoom_user(email)["status"] == "inactive"
    return okta_id


def failed_deletes(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in result["errors"] if e["op"] == "delete"]


def test_delete_moves_meetings_webinars_and_recordings_to_the_named_address(stack: Stack) -> None:
    # Given a policy that transfers to a named (licensed, active) Zoom user, and a leaver with data
    stack.set_policy(POLICY.format(target="Boss@ACME.example"))
    add_person(stack, "boss@acme.example", "Bo", "Ss")
    ann = leaver_with_assets(stack)

    # When the next run deletes the leaver
    result = stack.invoke({"mode": "full"})

    # Then one DELETE moved everything to the target, and the user and its link are gone
    assert result["status"] == "succeeded", result
    assert result["applied"]["delete"] == 1
    assert stack.zoom_user("ann@acme.example") is None
    assert ann not in stack.links()
    [transfer] = stack.zoom.transfers
    assert transfer["from_email"] == "ann@acme.example" and transfer["to_email"] == "boss@acme.example"
    assert transfer["action"] == "delete"
    assert {k: transfer[k] for k in ASSETS} == ASSETS
    assert stack.zoom.assets("boss@acme.example") == ASSETS


def test_delete_transfers_to_the_okta_manager_by_manager_id_or_profile_email(stack: Stack) -> None:
    # Given transfer_to: manager; Ann's manager set by managerId, Cid's by an email in the profile's `manager`
    stack.set_policy(POLICY.format(target="manager"))
    boss = add_person(stack, "boss@acme.example", "Bo", "Ss")
    add_person(stack, "chief@acme.example", "Chi", "Ef")
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    cid = add_person(stack, "cid@acme.example", "Cid", "Ray")
    stack.okta.set_manager(ann, boss)
    stack.okta.update_profile(cid, manager="chief@acme.example")
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    for email in ("ann@acme.example", "cid@acme.example"):
        stack.zoom.set_assets(email, **ASSETS)
    stack.okta.unassign_user(ann)
    stack.okta.set_status(cid, "DEPROVISIONED")
    assert stack.invoke({"mode": "full"})["applied"]["deactivate"] == 2

    # When the next run deletes them
    result = stack.invoke({"mode": "full"})

    # Then each one's data went to their own manager
    assert result["status"] == "succeeded", result
    assert result["applied"]["delete"] == 2
    moved = {t["from_email"]: t["to_email"] for t in stack.zoom.transfers}
    assert moved == {"ann@acme.example": "boss@acme.example", "cid@acme.example": "chief@acme.example"}
    assert stack.zoom.assets("boss@acme.example") == ASSETS
    assert stack.zoom.assets("chief@acme.example") == ASSETS


def test_a_missing_target_fails_the_delete_and_a_later_run_completes_it(stack: Stack) -> None:
    # Given a transfer target that is not (yet) a Zoom user
    stack.set_policy(POLICY.format(target="heir@acme.example"))
    ann = leaver_with_assets(stack)

    # When the run that would delete goes
    result = stack.invoke({"mode": "full"})

    # Then the delete fails naming the target, and nothing is deleted or moved
    assert result["status"] == "partial", result
    [error] = failed_deletes(result)
    assert error["code"] == "transfer_target_missing" and "heir@acme.example" in error["message"]
    assert error["email"] == "ann@acme.example"
    assert stack.zoom_user("ann@acme.example")["status"] == "inactive"
    assert stack.zoom.assets("ann@acme.example") == ASSETS
    assert stack.zoom.transfers == []
    assert ann in stack.links()

    # And the next full run holds the user back (quarantined with a growing delay), still deleting nothing
    held = stack.invoke({"mode": "full"})
    assert [q["email"] for q in held["quarantined"]] == ["ann@acme.example"]
    assert stack.zoom_user("ann@acme.example") is not None

    # When the target exists and the user is tried again (a users run tries quarantined users now)
    stack.zoom.add_user("heir@acme.example", first_name="He", last_name="Ir", type=2)
    retried = stack.invoke({"mode": "users", "users": ["ann@acme.example"]})

    # Then the delete goes through with the transfer
    assert retried["status"] == "succeeded", retried
    assert retried["applied"]["delete"] == 1
    assert stack.zoom_user("ann@acme.example") is None
    assert stack.zoom.assets("heir@acme.example") == ASSETS


def test_an_inactive_target_fails_the_delete_until_it_is_active(stack: Stack) -> None:
    # Given a transfer target that is a deactivated Zoom user
    stack.set_policy(POLICY.format(target="heir@acme.example"))
    stack.zoom.add_user("heir@acme.example", type=2, status="inactive")
    leaver_with_assets(stack)

    # When the run that would delete goes, the delete fails naming the target and its state
    result = stack.invoke({"mode": "full"})
    [error] = failed_deletes(result)
    assert error["code"] == "transfer_target_inactive"
    assert "heir@acme.example" in error["message"] and "inactive" in error["message"]
    assert stack.zoom.assets("ann@acme.example") == ASSETS

    # When the target is active again, a later run deletes with the transfer
    stack.zoom.set_status("heir@acme.example", "active")
    retried = stack.invoke({"mode": "users", "users": ["ann@acme.example"]})
    assert retried["applied"]["delete"] == 1, retried
    assert stack.zoom.assets("heir@acme.example") == ASSETS


def test_no_manager_fails_the_delete_rather_than_delete_without_transfer(stack: Stack) -> None:
    # Given transfer_to: manager and a leaver with no manager in Okta
    stack.set_policy(POLICY.format(target="manager"))
    leaver_with_assets(stack)

    # When the run that would delete goes
    result = stack.invoke({"mode": "full"})

    # Then the user is not deleted, and the error says there is no manager
    [error] = failed_deletes(result)
    assert error["code"] == "transfer_no_manager" and "manager" in error["message"]
    assert stack.zoom_user("ann@acme.example")["status"] == "inactive"
    assert stack.zoom.assets("ann@acme.example") == ASSETS


def test_without_transfer_to_the_delete_moves_nothing(stack: Stack) -> None:
    # Given deprovision: delete with no transfer_to
    stack.set_policy(POLICY.format(target=""))
    leaver_with_assets(stack)

    # When the next run deletes, it deletes as before: no transfer asked
    result = stack.invoke({"mode": "full"})
    assert result["applied"]["delete"] == 1, result
    assert stack.zoom_user("ann@acme.example") is None
    assert stack.zoom.transfers == []


def test_zoom_refusing_the_target_fails_the_delete_with_its_reason(stack: Stack) -> None:
    # Given a target that is active but Basic: Zoom refuses to give it recordings (400 code 300)
    stack.set_policy(POLICY.format(target="heir@acme.example"))
    stack.zoom.add_user("heir@acme.example", type=1)
    leaver_with_assets(stack)

    # When the run that would delete goes
    result = stack.invoke({"mode": "full"})

    # Then the delete fails with Zoom's reason and the target's name, and nothing moved
    [error] = failed_deletes(result)
    assert error["code"] == "transfer_target"
    assert "heir@acme.example" in error["message"] and "license" in error["message"].lower()
    assert stack.zoom_user("ann@acme.example")["status"] == "inactive"
    assert stack.zoom.assets("ann@acme.example") == ASSETS
