"""Attribute mapping (issue 10): Zoom profile fields and custom attributes follow Okta through the policy's templates,
against the simulators."""

from __future__ import annotations

from typing import Any

from .conftest import Stack, add_person, total

PROFILE_POLICY = """
attributes:
  dept: "{department}"
  job_title: "{title}"
  manager: "{managerId}"
  phone_numbers: "{mobilePhone}"
"""


def patches(stack: Stack) -> list[dict[str, Any]]:
    return [r.body for r in stack.zoom.requests if r.method == "PATCH" and r.path.startswith("/v2/users/")]


def test_department_title_manager_and_phone_follow_okta_and_a_rerun_writes_nothing(stack: Stack) -> None:
    # Given a policy mapping department, title, manager and phone, a manager and a report, both assigned
    stack.set_policy(PROFILE_POLICY)
    boss = add_person(stack, "boss@acme.example", "Bo", "Ss")
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.update_profile(ann, department="Engineering", title="Engineer", mobilePhone="+44 20 7946 0000")
    stack.okta.set_manager(ann, boss)
    stack.zoom.add_user("boss@acme.example", first_name="Bo", last_name="Ss")  # the manager is a Zoom user already

    # When the first full run goes
    first = stack.invoke({"mode": "full"})

    # Then Zoom holds Okta's values, the manager as the manager's email, the phone in Zoom's shape
    assert first["status"] == "succeeded", first
    zoom_ann = stack.zoom.user("ann@acme.example")
    assert zoom_ann["dept"] == "Engineering"
    assert zoom_ann["job_title"] == "Engineer"
    assert zoom_ann["manager"] == "boss@acme.example"
    assert [(p["code"], p["country"], p["number"]) for p in zoom_ann["phone_numbers"]] == [("+44", "GB", "2079460000")]
    # The manager is assigned: no Okta user read for them
    assert stack.okta.request_count("GET", f"/api/v1/users/{boss}") == 0

    # And a second run (Zoom's list does not show job_title, manager or phones) plans nothing and writes nothing
    stack.zoom.clear_log()
    second = stack.invoke({"mode": "full"})
    assert total(second["planned"]) == 0, second
    assert stack.zoom.write_count() == 0
    assert stack.zoom.request_count("GET", f"/v2/users/{zoom_ann['id']}") == 0  # no per-user read


def test_a_change_of_one_okta_attribute_sends_only_that_field(stack: Stack) -> None:
    stack.set_policy(PROFILE_POLICY)
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.update_profile(ann, department="Engineering", title="Engineer")
    stack.invoke({"mode": "full"})
    stack.zoom.clear_log()

    # When only the title changes in Okta
    stack.okta.update_profile(ann, title="Staff Engineer")
    result = stack.invoke({"mode": "full"})

    # Then one PATCH carries the title alone
    assert result["applied"]["update"] == 1, result
    assert patches(stack) == [{"job_title": "Staff Engineer"}]
    assert stack.zoom.user("ann@acme.example")["dept"] == "Engineering"

    # And a department change (a field Zoom's list shows) is found by comparing with Zoom, and sent alone
    stack.zoom.clear_log()
    stack.okta.update_profile(ann, department="Research")
    stack.invoke({"mode": "full"})
    assert patches(stack) == [{"dept": "Research"}]


def test_a_bad_value_is_one_error_for_that_user_and_the_rest_of_the_run_goes_on(stack: Stack) -> None:
    # Given a title over Zoom's 128 characters for one user, and good values for another
    stack.set_policy(PROFILE_POLICY)
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    bob = add_person(stack, "bob@acme.example", "Bob", "Ray")
    stack.okta.update_profile(ann, department="Engineering", title="T" * 129)
    stack.okta.update_profile(bob, department="Sales", title="Seller", mobilePhone="555-0100")

    result = stack.invoke({"mode": "full"})

    # Then each bad value is one error naming its field; nothing Zoom would refuse is sent
    errors = [e for e in result["errors"] if e["code"] == "invalid_attribute"]
    assert {(e["email"], e["message"].split(":")[0]) for e in errors} == {
        ("ann@acme.example", "job_title"),
        ("bob@acme.example", "phone_numbers"),
    }, result["errors"]
    assert result["status"] == "partial"
    assert result["failed"]["update"] == 0  # no call failed: the values were refused when planning
    # And the users' other values, and everything else, went through
    assert stack.zoom.user("ann@acme.example")["dept"] == "Engineering"
    assert stack.zoom.user("ann@acme.example")["job_title"] == ""
    assert stack.zoom.user("bob@acme.example")["job_title"] == "Seller"
    assert result["applied"]["create"] == 2


def test_manager_by_manager_id_is_read_once_per_run_and_a_missing_manager_is_left_with_a_note(stack: Stack) -> None:
    # Given two reports of a manager who is not assigned to the app, and one whose manager id names nobody
    stack.set_policy(PROFILE_POLICY)
    boss = add_person(stack, "boss@acme.example", "Bo", "Ss", assign=False)
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    bob = add_person(stack, "bob@acme.example", "Bob", "Ray")
    cy = add_person(stack, "cy@acme.example", "Cy", "Low")
    stack.okta.set_manager(ann, boss)
    stack.okta.set_manager(bob, boss)
    stack.okta.update_profile(cy, managerId="00unobody0000000000")
    stack.zoom.add_user("boss@acme.example", first_name="Bo", last_name="Ss")  # in Zoom, not assigned in Okta
    stack.zoom.add_user("cy@acme.example", first_name="Cy", last_name="Low", manager="old.boss@acme.example")

    result = stack.invoke({"mode": "full"})

    # Then the manager's email comes from one read of the manager
    assert result["status"] == "succeeded", result
    assert stack.okta.request_count("GET", f"/api/v1/users/{boss}") == 1
    assert stack.zoom.user("ann@acme.example")["manager"] == "boss@acme.example"
    assert stack.zoom.user("bob@acme.example")["manager"] == "boss@acme.example"
    # And the one whose manager is not found keeps Zoom's value, with a note
    assert stack.zoom.user("cy@acme.example")["manager"] == "old.boss@acme.example"
    assert any("cy@acme.example" in note and "00unobody0000000000" in note for note in result["notes"])


def test_custom_attributes_follow_okta(stack: Stack) -> None:
    # Given a custom attribute some user already holds (so Zoom's list names its key), and one named by its key
    employee_id = stack.zoom.define_custom_attribute("Employee ID")
    cost_key = stack.zoom.define_custom_attribute("Cost centre")
    held_by_one = [{"key": employee_id, "name": "Employee ID", "value": "1"}]
    stack.zoom.add_user("old@acme.example", custom_attributes=held_by_one)
    stack.set_policy(f'custom_attributes:\n  Employee ID: "{{employeeNumber}}"\n  {cost_key}: "{{costCenter}}"\n')
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.update_profile(ann, employeeNumber="E-42", costCenter="CC-7")

    first = stack.invoke({"mode": "full"})

    assert first["status"] == "succeeded", first
    held = {a["name"]: a["value"] for a in stack.zoom.user("ann@acme.example")["custom_attributes"]}
    assert held == {"Employee ID": "E-42", "Cost centre": "CC-7"}

    # And a rerun compares with Zoom's list (include_fields=custom_attributes) and writes nothing
    stack.zoom.clear_log()
    assert total(stack.invoke({"mode": "full"})["planned"]) == 0
    assert stack.zoom.write_count() == 0

    # And a change in Okta sends that attribute
    stack.okta.update_profile(ann, employeeNumber="E-43")
    stack.invoke({"mode": "full"})
    assert [a["value"] for a in stack.zoom.user("ann@acme.example")["custom_attributes"] if a["key"] == employee_id]
    assert patches(stack) == [{"custom_attributes": [{"key": employee_id, "name": "Employee ID", "value": "E-43"}]}]


def test_a_custom_attribute_whose_key_zoom_never_showed_fails_that_users_update_with_the_reason(stack: Stack) -> None:
    stack.zoom.define_custom_attribute("Badge")
    stack.set_policy('custom_attributes:\n  Badge: "{badge}"\n')
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.update_profile(ann, badge="B1")

    result = stack.invoke({"mode": "full"})

    [error] = [e for e in result["errors"] if e["email"] == "ann@acme.example"]
    assert error["code"] == "custom_attribute_unknown" and "Badge" in error["message"], error
    assert stack.zoom.user("ann@acme.example")["status"] == "active"  # created all the same


def test_a_hand_edit_of_an_unlisted_field_is_corrected_by_a_users_run(stack: Stack) -> None:
    stack.set_policy(PROFILE_POLICY)
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.update_profile(ann, title="Engineer")
    stack.invoke({"mode": "full"})
    zoom_id = stack.zoom.user("ann@acme.example")["id"]
    stack.zoom.update_user(zoom_id, job_title="Typed by hand")

    # A full run cannot see it (the list has no job_title): left until Okta's value changes
    assert total(stack.invoke({"mode": "full"})["planned"]) == 0
    # A users run reads the user whole and puts Okta's value back
    result = stack.invoke({"mode": "users", "users": ["ann@acme.example"]})
    assert result["applied"]["update"] == 1, result
    assert stack.zoom.user("ann@acme.example")["job_title"] == "Engineer"


def test_an_empty_okta_value_leaves_the_zoom_field_as_it_is(stack: Stack) -> None:
    stack.set_policy(PROFILE_POLICY)
    add_person(stack, "ann@acme.example", "Ann", "Lee")
    existing = stack.zoom.add_user("ann@acme.example", first_name="Ann", last_name="Lee")
    stack.zoom.update_user(existing, dept="Typed in Zoom")

    result = stack.invoke({"mode": "full"})

    assert result["applied"]["update"] == 0, result
    assert stack.zoom.user("ann@acme.example")["dept"] == "Typed in Zoom"


def test_an_okta_profile_change_reaches_zoom_in_one_incremental_run(stack: Stack) -> None:
    # Given a synced user and a System Log cursor
    stack.set_policy(PROFILE_POLICY)
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.update_profile(ann, department="Engineering", title="Engineer")
    stack.invoke({"mode": "incremental"})  # no cursor yet: a full reconcile that sets it
    stack.invoke({"mode": "incremental"})  # drains the start-up events
    stack.zoom.clear_log()

    # When the title changes in Okta, Then the next incremental run sends that field alone
    stack.okta.update_profile(ann, title="Staff Engineer")
    result = stack.invoke({"mode": "incremental"})
    assert result["applied"]["update"] == 1, result
    assert patches(stack) == [{"job_title": "Staff Engineer"}]
    # And a full run afterwards agrees: nothing to send
    stack.zoom.clear_log()
    assert total(stack.invoke({"mode": "full"})["planned"]) == 0


def test_an_attribute_only_the_app_user_profile_carries_is_read_from_the_same_row(stack: Stack) -> None:
    # Given the app's profile mappings put the department on the app user as zoomDept (the Okta user has no such
    # attribute), and a policy naming it
    stack.okta.app_user_profile_attributes["zoomDept"] = "department"
    stack.set_policy('attributes:\n  dept: "{zoomDept}"\n')
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.update_profile(ann, department="Research")

    result = stack.invoke({"mode": "full"})

    assert result["status"] == "succeeded", result
    assert stack.zoom.user("ann@acme.example")["dept"] == "Research"
    assert stack.okta.request_count("GET", f"/api/v1/users/{ann}") == 0  # no per-user read


def test_a_dry_run_lists_the_profile_changes_and_sends_nothing(stack: Stack) -> None:
    stack.set_policy(PROFILE_POLICY)
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.update_profile(ann, title="Engineer", mobilePhone="+1 415 555 0100")

    result = stack.invoke({"mode": "full", "dry_run": True})

    [update] = [op for op in result["operations"] if op["op"] == "update"]
    assert update["changes"]["job_title"]["to"] == "Engineer"
    assert update["changes"]["phone_numbers"]["to"] == "+1 US 4155550100"
    assert stack.zoom.write_count() == 0


def test_a_manager_who_is_not_a_zoom_user_is_one_error_and_the_field_is_left(stack: Stack) -> None:
    # Given Zoom refuses a manager that is not a user of the account, and Ann's manager has no Zoom user
    stack.zoom.known_manager_required = True
    stack.set_policy(PROFILE_POLICY)
    boss = add_person(stack, "boss@acme.example", "Bo", "Ss", assign=False)
    ann = add_person(stack, "ann@acme.example", "Ann", "Lee")
    stack.okta.set_manager(ann, boss)
    stack.okta.update_profile(ann, title="Engineer")

    result = stack.invoke({"mode": "full"})

    # Then it is one error naming the manager, and the rest of Ann's profile went through (no failed call)
    [error] = [e for e in result["errors"] if e["code"] == "invalid_attribute"]
    assert error["email"] == "ann@acme.example" and "boss@acme.example" in error["message"], error
    assert result["failed"]["update"] == 0
    assert stack.zoom.user("ann@acme.example")["job_title"] == "Engineer"

    # And once the manager is assigned, the run that creates their Zoom user says so, and the next sets the manager
    stack.okta.assign_user(boss)
    creating = stack.invoke({"mode": "full"})
    assert creating["status"] == "succeeded", creating
    assert any("boss@acme.example is created this run" in note for note in creating["notes"])
    stack.invoke({"mode": "full"})
    assert stack.zoom.user("ann@acme.example")["manager"] == "boss@acme.example"
