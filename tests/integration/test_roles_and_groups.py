"""Role and group rules end to end: custom roles, names that do not exist, Zoom groups created, renamed and reconciled
both ways for the users the sync manages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Stack, add_person, total

RULES = (
    "role_rules: [{group: Zoom Hosts, role: Webinar Host}, {group: Zoom Admins, role: admin}]\n"
    "group_rules: [{group: Engineering, zoom_group: Engineering}, {group: Sales, zoom_group: Sales}]\n"
)


def _state_items(stack: Stack) -> list[dict[str, Any]]:
    """The state table's items other than run records (which every run adds)."""
    return sorted(
        (item for item in stack.table_items() if item["pk"]["S"] != "RUN"), key=lambda i: (i["pk"]["S"], i["sk"]["S"])
    )


def _groups_of(stack: Stack, email: str) -> set[str]:
    names = {gid: group["name"] for gid, group in stack.zoom.groups.items()}
    return {names[gid] for gid in stack.zoom_user(email)["group_ids"]}


def _role_of(stack: Stack, email: str) -> str:
    return stack.zoom.roles[stack.zoom_user(email)["role_id"]]


def _people(stack: Stack) -> dict[str, str]:
    """Okta groups named by RULES, and one user in Zoom Hosts and Engineering."""
    groups = {name: stack.okta.add_group(name) for name in ("Zoom Hosts", "Zoom Admins", "Engineering", "Sales")}
    ada = add_person(stack, "ada@acme.example", "Ada", "King")
    stack.okta.add_member(groups["Zoom Hosts"], ada)
    stack.okta.add_member(groups["Engineering"], ada)
    return {**groups, "ada": ada}


def test_a_custom_role_is_given_by_rule_and_role_names_compare_case_insensitively(stack: Stack) -> None:
    # Given a custom role in Zoom, rules naming it and Admin in another case, and the Zoom groups the rules name
    stack.zoom.add_role("Webinar Host")
    stack.zoom.add_group("Engineering")
    stack.zoom.add_group("Sales")
    stack.set_policy(RULES.replace("role: Webinar Host", "role: WEBINAR host"))
    groups = _people(stack)
    bob = add_person(stack, "bob@acme.example")
    stack.okta.add_member(groups["Zoom Admins"], bob)

    # When a full run goes
    result = stack.invoke({"mode": "full"})

    # Then each user holds the role their rule gives, found whatever its case
    assert result["status"] == "succeeded", result
    assert _role_of(stack, "ada@acme.example") == "Webinar Host"
    assert _role_of(stack, "bob@acme.example") == "Admin"
    assert _groups_of(stack, "ada@acme.example") == {"Engineering"}
    # And GET /roles was read once for the run
    assert stack.zoom.request_count(method="GET", path_prefix="/v2/roles") == 1

    # And a second run changes nothing
    stack.zoom.clear_log()
    again = stack.invoke({"mode": "full"})
    assert again["status"] == "succeeded" and total(again["planned"]) == 0
    assert stack.zoom.write_count() == 0


def _first_run_then(stack: Stack, policy: str) -> dict[str, str]:
    """A synced account (so a cursor and links exist), then `policy` put in place."""
    stack.zoom.add_role("Webinar Host")
    stack.zoom.add_group("Engineering")
    stack.zoom.add_group("Sales")
    stack.set_policy(RULES)
    groups = _people(stack)
    assert stack.invoke({})["status"] == "succeeded"  # no cursor yet: a full run, then the cursor
    stack.set_policy(policy)
    return groups


def test_an_incremental_run_with_nothing_to_do_asks_zoom_nothing_even_with_role_and_group_rules(stack: Stack) -> None:
    # Given a synced account whose policy has role and group rules (the first incremental run goes over the events of
    # the set-up again: the cursor starts a little before the first run)
    _first_run_then(stack, RULES)
    assert stack.invoke({})["status"] == "succeeded"
    stack.zoom.clear_log()
    # When an incremental run finds no change in Okta
    result = stack.invoke({})
    # Then it succeeds without reading Zoom's roles or groups (they are checked only when there is work to plan)
    assert result["status"] == "succeeded" and total(result["planned"]) == 0, result
    assert stack.zoom.request_count() == 0, [(r.method, r.path) for r in stack.zoom.requests]


def _queue_event(stack: Stack) -> dict[str, Any]:
    """An SQS batch holding the System Log event of a change to a user (as the event hook queues it)."""
    carl = add_person(stack, "carl@acme.example")
    event = next(e for e in reversed(stack.okta.log_events) if any(t.get("id") == carl for t in e["target"]))
    return {"Records": [{"messageId": "m1", "body": json.dumps(event), "eventSource": "aws:sqs"}]}


@pytest.mark.parametrize("mode", ["full", "incremental", "users", "queue", "dry_run"])
def test_a_role_that_does_not_exist_fails_the_run_before_any_write(stack: Stack, mode: str) -> None:
    # Given a synced account, and then a rule naming a role Zoom does not have
    groups = _first_run_then(stack, RULES.replace("role: Webinar Host", "role: Webinar Hots"))
    stack.okta.add_member(groups["Sales"], groups["ada"])  # work for every mode: a group to join
    events: dict[str, Any] = {
        "full": {"mode": "full"},
        "incremental": {"mode": "incremental"},
        "users": {"mode": "users", "users": ["ada@acme.example"]},
        "queue": _queue_event(stack) if mode == "queue" else {},
        "dry_run": {"mode": "full", "dry_run": True},
    }
    before = _state_items(stack)
    stack.zoom.clear_log()

    # When the run goes
    result = stack.invoke(events[mode])

    # Then it fails naming the role, with nothing written to Zoom and the state table as it was (but the run record)
    assert result["status"] == "failed", result
    (error,) = result["errors"]
    assert error["code"] == "invalid_policy" and "'Webinar Hots'" in error["message"], error
    assert "Webinar Host" in error["message"]  # the account's roles are listed, to spot the typo
    assert stack.zoom.write_count() == 0
    assert _state_items(stack) == before
    if mode == "queue":
        assert result["batchItemFailures"] == [{"itemIdentifier": "m1"}]  # delivered again once the policy is fixed


def test_a_missing_zoom_group_fails_the_run_unless_create_missing_groups_creates_it(stack: Stack) -> None:
    # Given rules naming a Zoom group that does not exist, and create_missing_groups left false
    stack.zoom.add_role("Webinar Host")
    stack.zoom.add_group("Engineering")
    stack.set_policy(RULES)
    groups = _people(stack)
    stack.okta.add_member(groups["Sales"], groups["ada"])

    # When a run goes, Then it fails naming the group, and nothing is written
    failed = stack.invoke({"mode": "full"})
    assert failed["status"] == "failed", failed
    assert "'Sales'" in failed["errors"][0]["message"] and "create_missing_groups" in failed["errors"][0]["message"]
    assert stack.zoom.write_count() == 0 and stack.links() == {}

    # When a dry run goes with create_missing_groups: true, Then it plans the membership and says the group would be
    # created, creating nothing
    stack.set_policy(RULES + "create_missing_groups: true\n")
    dry = stack.invoke({"mode": "full", "dry_run": True})
    assert dry["status"] == "succeeded", dry
    assert any("'Sales'" in note and "a real run creates it" in note for note in dry["notes"]), dry["notes"]
    assert stack.zoom.group_by_name("Sales") is None and stack.zoom.write_count() == 0
    assert {"op": "group_add", "group": "Sales"} in [
        {"op": op["op"], "group": op["changes"]["group"]["to"]} for op in dry["operations"] if op["op"] == "group_add"
    ]

    # When a real run goes, Then the group is created before the memberships, and the user is in it
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded", result
    assert any("created Zoom group 'Sales'" in note for note in result["notes"])
    assert _groups_of(stack, "ada@acme.example") == {"Engineering", "Sales"}
    posts = [r.path for r in stack.zoom.requests if r.method == "POST" and "/groups" in r.path]
    assert posts[0] == "/v2/groups" and len([p for p in posts if p == "/v2/groups"]) == 1

    # And a later run creates nothing more and writes nothing
    stack.zoom.clear_log()
    again = stack.invoke({"mode": "full"})
    assert again["status"] == "succeeded" and stack.zoom.write_count() == 0


def test_a_user_moving_between_role_and_group_rules(stack: Stack) -> None:
    # Given a user synced as a Webinar Host in Engineering
    stack.zoom.add_role("Webinar Host")
    stack.zoom.add_group("Engineering")
    stack.zoom.add_group("Sales")
    stack.set_policy(RULES)
    groups = _people(stack)
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    assert _role_of(stack, "ada@acme.example") == "Webinar Host"

    # When they move in Okta from Zoom Hosts to Zoom Admins and from Engineering to Sales
    ada = groups["ada"]
    stack.okta.remove_member(groups["Zoom Hosts"], ada)
    stack.okta.add_member(groups["Zoom Admins"], ada)
    stack.okta.remove_member(groups["Engineering"], ada)
    stack.okta.add_member(groups["Sales"], ada)
    result = stack.invoke({})  # the incremental run follows the membership events

    # Then the role changes, the old group is left and the new one joined
    assert result["status"] == "succeeded", result
    assert result["applied"]["role"] == 1
    assert result["applied"]["group_add"] == 1 and result["applied"]["group_remove"] == 1
    assert _role_of(stack, "ada@acme.example") == "Admin"
    assert _groups_of(stack, "ada@acme.example") == {"Sales"}

    # When they leave every rule's group, Then the managed role goes back to Member and the managed group is left
    stack.okta.remove_member(groups["Zoom Admins"], ada)
    stack.okta.remove_member(groups["Sales"], ada)
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded", result
    assert _role_of(stack, "ada@acme.example") == "Member"
    assert _groups_of(stack, "ada@acme.example") == set()


def test_membership_is_reconciled_for_managed_users_only(stack: Stack) -> None:
    # Given a managed Zoom group holding a Zoom user the sync does not manage, and a synced user who was also put by
    # hand in a Zoom group no rule names
    stack.zoom.add_role("Webinar Host")
    stack.zoom.add_group("Engineering")
    stack.zoom.add_group("Sales")
    stack.zoom.add_group("Book Club")
    stack.set_policy(RULES)
    _people(stack)
    outsider = stack.zoom.add_user("contractor@partner.example", groups=["Sales"])
    stack.invoke({"mode": "full"})
    stack.zoom.add_group_member("Book Club", "ada@acme.example")

    # When a run goes
    result = stack.invoke({"mode": "full"})

    # Then neither is touched: the outsider stays in the managed group, the user in the group no rule names
    assert result["status"] == "succeeded", result
    assert total(result["planned"]) == 0
    assert _groups_of(stack, "contractor@partner.example") == {"Sales"}
    assert stack.zoom.user(outsider)["status"] == "active"
    assert _groups_of(stack, "ada@acme.example") == {"Engineering", "Book Club"}


def test_a_zoom_group_renamed_in_zoom_is_still_used_by_id(stack: Stack) -> None:
    # Given a synced account whose Engineering group the sync has linked
    stack.zoom.add_role("Webinar Host")
    engineering = stack.zoom.add_group("Engineering")
    stack.zoom.add_group("Sales")
    stack.set_policy(RULES)
    groups = _people(stack)
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"

    # When an administrator renames it in Zoom, and a new user joins the rule's Okta group
    stack.zoom.rename_group("Engineering", "R&D")
    bea = add_person(stack, "bea@acme.example")
    stack.okta.add_member(groups["Engineering"], bea)
    result = stack.invoke({"mode": "full"})

    # Then the run still puts members in that group (by id), keeps the old member there, and says it was renamed
    assert result["status"] == "succeeded", result
    assert any("'Engineering' was renamed in Zoom to 'R&D'" in note for note in result["notes"]), result["notes"]
    assert engineering in stack.zoom.user_by_email("bea@acme.example")["group_ids"]
    assert _groups_of(stack, "ada@acme.example") == {"R&D"}
    assert stack.zoom.group_by_name("Engineering") is None  # not created again

    # When the policy names the new name too (another rule), Then both rules name that one group: no flapping
    stack.set_policy(
        RULES.replace(
            "{group: Sales, zoom_group: Sales}]", "{group: Sales, zoom_group: Sales}, {group: Sales, zoom_group: r&d}]"
        )
    )
    stack.okta.add_member(groups["Sales"], groups["ada"])
    merged = stack.invoke({"mode": "full"})
    assert merged["status"] == "succeeded", merged
    assert any("same Zoom group 'R&D'" in note for note in merged["notes"]), merged["notes"]
    assert _groups_of(stack, "ada@acme.example") == {"R&D", "Sales"}
    stack.zoom.clear_log()
    again = stack.invoke({"mode": "full"})
    assert total(again["planned"]) == 0 and stack.zoom.write_count() == 0


def test_a_rule_okta_group_deleted_and_made_again_under_its_name_is_noticed_by_the_incremental_run(
    stack: Stack,
) -> None:
    # Given a user who is a Webinar Host through a rule's Okta group, synced by incremental runs
    stack.zoom.add_role("Webinar Host")
    stack.zoom.add_group("Engineering")
    stack.zoom.add_group("Sales")
    stack.set_policy(RULES)
    groups = _people(stack)
    assert stack.invoke({})["status"] == "succeeded"  # a full run, then the cursor
    assert _role_of(stack, "ada@acme.example") == "Webinar Host"

    # When that Okta group is deleted (Okta logs no membership removal for its members) and made again, empty
    stack.okta.delete_group(groups["Zoom Hosts"])
    stack.okta.add_group("Zoom Hosts")
    result = stack.invoke({})

    # Then the incremental run sees the rule names another group now, reconciles everyone, and the role goes
    assert result["status"] == "succeeded", result
    assert any("the Okta groups the rules name changed" in note for note in result["notes"]), result["notes"]
    assert _role_of(stack, "ada@acme.example") == "Member"
    assert total(stack.invoke({})["planned"]) == 0  # and the next incremental run has nothing left


@pytest.mark.parametrize("path", ["/v2/roles", "/v2/groups"])
def test_zoom_roles_or_groups_that_cannot_be_read_fail_the_run_before_any_write(stack: Stack, path: str) -> None:
    # Given rules, users to create, and Zoom answering 500 to every read of the roles (or groups)
    stack.zoom.add_role("Webinar Host")
    stack.zoom.add_group("Engineering")
    stack.zoom.add_group("Sales")
    stack.set_policy(RULES)
    _people(stack)
    stack.zoom.inject("GET", path, status=500, times=None)

    # When a run goes, Then it fails (after the retries) with nothing written to Zoom or linked
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed", result
    assert stack.zoom.write_count() == 0 and stack.links() == {}
