"""The real handler, end to end, against the Okta and Zoom simulators and moto."""

from __future__ import annotations

from .conftest import Stack, add_person, total


def test_initial_sync_creates_and_adopts_then_rerun_makes_no_zoom_writes(stack: Stack) -> None:
    # Given two assigned Okta users, one of whom is already in Zoom (in another case)
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    bob = add_person(stack, "bob@acme.example", "Bob", "Ray")
    existing = stack.zoom.add_user("Bob@ACME.example", first_name="Bob", last_name="Ray")

    # When the first full run goes
    first = stack.invoke({"mode": "full"})

    # Then the new one is created and the existing one adopted (linked, not duplicated)
    assert first["status"] == "succeeded", first
    assert first["applied"]["create"] == 1 and first["applied"]["adopt"] == 1
    assert stack.zoom_user("ann@acme.example")["status"] == "active"
    links = stack.links()
    assert links[bob]["zoom_id"] == existing  # adopted, not duplicated
    assert links[ann]["zoom_id"] == stack.zoom_user("ann@acme.example")["id"]
    assert first["unmanaged"] == 1  # the Owner

    # And a second full run plans nothing and writes nothing to Zoom
    stack.zoom.clear_log()
    second = stack.invoke({"mode": "full"})
    assert second["status"] == "succeeded"
    assert total(second["planned"]) == 0
    assert stack.zoom.write_count() == 0


def test_unassignment_and_okta_deactivation_deactivate_in_zoom(stack: Stack) -> None:
    # 2 of 20 managed users is within the default max_deprovisions (10 %).
    # Given 20 synced users
    users = [add_person(stack, f"u{i}@acme.example") for i in range(20)]
    stack.invoke({"mode": "full"})

    # When one is unassigned and one deprovisioned in Okta
    stack.okta.unassign_user(users[0])
    stack.okta.set_status(users[1], "DEPROVISIONED")
    result = stack.invoke({"mode": "full"})

    # Then both, and only they, are deactivated in Zoom
    assert result["status"] == "succeeded", result
    assert result["applied"]["deactivate"] == 2
    assert stack.zoom_user("u0@acme.example")["status"] == "inactive"
    assert stack.zoom_user("u1@acme.example")["status"] == "inactive"
    assert stack.zoom_user("u2@acme.example")["status"] == "active"


def test_suspension_deactivates_and_unsuspension_reactivates(stack: Stack) -> None:
    # Given a synced user
    uid = add_person(stack, "sue@acme.example")
    stack.invoke({"mode": "full"})

    # When Okta suspends them, Then Zoom deactivates them
    stack.okta.set_status(uid, "SUSPENDED")
    assert stack.invoke({"mode": "full"})["applied"]["deactivate"] == 1
    assert stack.zoom_user("sue@acme.example")["status"] == "inactive"

    # When Okta unsuspends them, Then Zoom reactivates them
    stack.okta.set_status(uid, "ACTIVE")
    result = stack.invoke({"mode": "full"})
    assert result["applied"]["reactivate"] == 1
    assert stack.zoom_user("sue@acme.example")["status"] == "active"


def test_suspended_keep_leaves_the_zoom_user_active(stack: Stack) -> None:
    # Given the policy keeps suspended users, and a synced user
    stack.set_policy("suspended_users: keep\n")
    uid = add_person(stack, "kim@acme.example")
    stack.invoke({"mode": "full"})
    # When Okta suspends them
    stack.okta.set_status(uid, "SUSPENDED")
    result = stack.invoke({"mode": "full"})
    # Then nothing is planned and the Zoom user stays active
    assert total(result["planned"]) == 0
    assert stack.zoom_user("kim@acme.example")["status"] == "active"


def test_rename_updates_the_zoom_user(stack: Stack) -> None:
    # Given a synced user
    uid = add_person(stack, "ren@acme.example", "Ren", "Old")
    stack.invoke({"mode": "full"})
    # When their last name changes in Okta
    stack.okta.update_profile(uid, lastName="New")
    result = stack.invoke({"mode": "full"})
    # Then the Zoom user is updated
    assert result["applied"]["update"] == 1
    assert stack.zoom_user("ren@acme.example")["last_name"] == "New"


def test_email_change_keeps_the_same_zoom_user(stack: Stack) -> None:
    # Given a synced user
    uid = add_person(stack, "old.name@acme.example")
    stack.invoke({"mode": "full"})
    zoom_id = stack.zoom_user("old.name@acme.example")["id"]

    # When their login and email change in Okta
    stack.okta.update_profile(uid, login="new.name@acme.example", email="new.name@acme.example")
    result = stack.invoke({"mode": "full"})

    # Then the same Zoom user gets the new email (no new user) and the link follows
    assert result["applied"]["email"] == 1 and result["applied"]["create"] == 0
    assert stack.zoom_user("old.name@acme.example") is None
    assert stack.zoom_user("new.name@acme.example")["id"] == zoom_id
    assert stack.links()[uid]["email"] == "new.name@acme.example"


def test_dry_run_plans_but_writes_nothing(stack: Stack) -> None:
    # Given one user to create and one to adopt
    add_person(stack, "dry@acme.example")
    stack.zoom.add_user("wet@acme.example")
    add_person(stack, "wet@acme.example")
    stack.zoom.clear_log()

    # When a dry run goes
    result = stack.invoke({"mode": "full", "dry_run": True})

    # Then it reports the plan and writes nothing: not to Zoom, not to the table
    assert result["dry_run"] is True and result["status"] == "succeeded"
    assert result["planned"]["create"] == 1 and result["planned"]["adopt"] == 1
    assert total(result["applied"]) == 0
    ops = {(o["op"], o["email"]) for o in result["operations"]}
    assert ("create", "dry@acme.example") in ops and ("adopt", "wet@acme.example") in ops
    create = next(o for o in result["operations"] if o["op"] == "create")
    assert create["okta_id"] and create["changes"]["email"]["to"] == "dry@acme.example"
    assert stack.zoom.write_count() == 0
    assert stack.zoom_user("dry@acme.example") is None
    assert stack.table_items() == []  # no link, no run record


def test_guardrail_holds_mass_deprovisioning_and_force_releases_it(stack: Stack) -> None:
    # Given at most 2 deprovisions per run, and 3 of 5 synced users unassigned (one renamed)
    stack.set_policy("max_deprovisions: {count: 2, percent: 100}\n")
    users = [add_person(stack, f"g{i}@acme.example") for i in range(5)]
    stack.invoke({"mode": "full"})
    for uid in users[:3]:
        stack.okta.unassign_user(uid)
    stack.okta.update_profile(users[4], firstName="Still")

    # When a full run goes, Then the 3 deactivations are held and the rest applied
    blocked = stack.invoke({"mode": "full"})
    assert blocked["status"] == "blocked", blocked
    assert blocked["held"]["deactivate"] == 3 and blocked["applied"]["deactivate"] == 0
    assert blocked["applied"]["update"] == 1  # everything else still applied
    assert all(stack.zoom_user(f"g{i}@acme.example")["status"] == "active" for i in range(3))

    # When a forced full run goes, Then they are deactivated
    forced = stack.invoke({"mode": "full", "force": True})
    assert forced["status"] == "succeeded"
    assert forced["applied"]["deactivate"] == 3
    assert all(stack.zoom_user(f"g{i}@acme.example")["status"] == "inactive" for i in range(3))


def test_protected_unmanaged_and_owner_are_left_alone(stack: Stack) -> None:
    # Given a managed domain, a protected admin, an outside partner, a leftover; Okta users named like the first two
    stack.set_policy("managed_domains: [acme.example]\nprotected_users: [breakglass@acme.example]\n")
    stack.zoom.add_user("breakglass@acme.example", role="Admin")
    stack.zoom.add_user("partner@other.example")
    stack.zoom.add_user("old.contractor@acme.example")
    add_person(stack, "owner@acme.example", "Changed", "Name")
    add_person(stack, "breakglass@acme.example", "Changed", "Name")

    # When a full run goes
    result = stack.invoke({"mode": "full"})

    # Then only the managed-domain leftover is touched (deactivated)
    assert result["status"] == "succeeded", result
    assert result["unmanaged"] == 3  # owner, break-glass, external partner
    assert result["applied"]["deactivate"] == 1  # the managed-domain leftover
    assert stack.zoom_user("old.contractor@acme.example")["status"] == "inactive"
    assert stack.zoom_user("partner@other.example")["status"] == "active"
    assert stack.zoom_user("breakglass@acme.example")["first_name"] != "Changed"
    assert stack.zoom_user("owner@acme.example")["first_name"] != "Changed"


def test_without_managed_domains_unlinked_zoom_users_are_unmanaged(stack: Stack) -> None:
    stack.zoom.add_user("manual@acme.example")
    result = stack.invoke({"mode": "full"})
    assert total(result["planned"]) == 0 and result["unmanaged"] == 2
    assert stack.zoom_user("manual@acme.example")["status"] == "active"


def test_license_role_and_group_rules_and_admin_loses_role_before_deactivation(stack: Stack) -> None:
    # Given license, role and group rules, and a user in all three groups
    stack.set_policy(
        "default_license: basic\n"
        "license_rules: [{group: Zoom Licensed, license: licensed}]\n"
        "role_rules: [{group: Zoom Admins, role: Admin}]\n"
        "group_rules: [{group: Engineering, zoom_group: Engineering}]\n"
    )
    stack.zoom.add_group("Engineering")
    licensed = stack.okta.add_group("Zoom Licensed")
    admins = stack.okta.add_group("Zoom Admins")
    eng = stack.okta.add_group("Engineering")
    ada = add_person(stack, "ada@acme.example")
    for group in (licensed, admins, eng):
        stack.okta.add_member(group, ada)
    add_person(stack, "plain@acme.example")

    # When a full run goes, Then the user is licensed, an Admin and in the Zoom group
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded", result
    ada_zoom = stack.zoom_user("ada@acme.example")
    assert ada_zoom["type"] == 2
    assert stack.zoom.roles[ada_zoom["role_id"]] == "Admin"
    assert len(ada_zoom["group_ids"]) == 1
    assert stack.zoom_user("plain@acme.example")["type"] == 1

    # When they are unassigned, Then they lose the role, then are deactivated
    stack.okta.unassign_user(ada)
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded", result
    assert result["applied"]["role"] == 1 and result["applied"]["deactivate"] == 1
    assert stack.zoom_user("ada@acme.example")["status"] == "inactive"


def test_group_assignment_grants_and_removing_the_group_deprovisions(stack: Stack) -> None:
    # Given ten users assigned to the app through a group
    group = stack.okta.add_group("Everyone")
    members = [add_person(stack, f"e{i}@acme.example", assign=False) for i in range(10)]
    for uid in members:
        stack.okta.add_member(group, uid)
    stack.okta.assign_group(group)
    # Then a full run creates them all
    assert stack.invoke({"mode": "full"})["applied"]["create"] == 10
    # When one leaves the group, Then they are deactivated
    stack.okta.remove_member(group, members[0])
    result = stack.invoke({"mode": "full"})
    assert result["applied"]["deactivate"] == 1
    assert stack.zoom_user("e0@acme.example")["status"] == "inactive"


def test_staged_users_are_not_created(stack: Stack) -> None:
    add_person(stack, "staged@acme.example", status="STAGED")
    result = stack.invoke({"mode": "full"})
    assert total(result["planned"]) == 0
    assert stack.zoom_user("staged@acme.example") is None


def test_users_mode_syncs_only_the_named_users(stack: Stack) -> None:
    # Given two assigned users
    a = add_person(stack, "a@acme.example")
    add_person(stack, "b@acme.example")
    # When a users run names one, Then only that one is created
    result = stack.invoke({"mode": "users", "users": ["a@acme.example"]})
    assert result["applied"]["create"] == 1
    assert stack.zoom_user("b@acme.example") is None
    # When it is unassigned and named again (by Okta id), Then it is deactivated
    stack.okta.unassign_user(a)
    result = stack.invoke({"mode": "users", "users": [a]})
    assert result["applied"]["deactivate"] == 1
    assert stack.zoom_user("a@acme.example")["status"] == "inactive"


def test_incremental_and_scheduled_events_reconcile(stack: Stack) -> None:
    add_person(stack, "inc@acme.example")
    envelope = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
    result = stack.invoke(envelope)
    assert result["mode"] == "incremental" and result["applied"]["create"] == 1


def test_run_records_are_kept_with_a_ttl(stack: Stack) -> None:
    add_person(stack, "rec@acme.example")
    result = stack.invoke({"mode": "full"})
    runs = [i for i in stack.table_items() if i["pk"]["S"] == "RUN"]
    assert len(runs) == 1 and result["run_id"] in runs[0]["sk"]["S"]
    assert int(runs[0]["expires_at"]["N"]) > 0
    assert any(i["pk"]["S"] == "STATUS" for i in stack.table_items())


def test_zoom_failure_for_one_user_does_not_stop_the_others(stack: Stack) -> None:
    # Given one licensed seat and three users to create as licensed, with no fallback to Basic
    stack.zoom.licensed_seats = 1
    stack.set_policy("default_license: licensed\nlicense_fallback: none\n")
    for name in ("l1", "l2", "l3"):
        add_person(stack, f"{name}@acme.example")
    # When a full run goes
    result = stack.invoke({"mode": "full"})
    # Then one is created and the two others fail with their own error
    assert result["status"] == "partial", result
    assert result["applied"]["create"] == 1 and result["failed"]["create"] == 2
    assert {e["code"] for e in result["errors"]} == {"2034"}
    assert all(e["email"] and e["message"] for e in result["errors"])
