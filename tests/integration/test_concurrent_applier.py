"""The concurrent applier on the simulators: the same end state and report as one user at a time, within Zoom's
per-category limits, and the deadline, fatal errors and links as they are for one user at a time.

Nothing here asserts a timing: speed is the benchmarks' business (tests/bench.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.stack import Stack, integration_stack

from .conftest import TABLE, add_person

POLICY = """\
license_rules:
  - {group: Licensed, license: licensed}
role_rules:
  - {group: Admins, role: Admin}
group_rules:
  - {group: Sales, zoom_group: Sales}
max_deprovisions: {count: 50, percent: 50}
"""
COUNTS = ("planned", "applied", "failed", "held", "skipped", "deferred")


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Sets APPLY_WORKERS for the runs that follow (the settings are read per distinct environment)."""

    def set_workers(count: int) -> None:
        monkeypatch.setenv("APPLY_WORKERS", str(count))

    yield set_workers


def seed(stack: Stack) -> None:
    """An org with work of every kind: creates (some licensed, admins, in a Zoom group), adoptions, updates, a
    deprovision of an unassigned user, a suspended user."""
    okta, zoom = stack.okta, stack.zoom
    licensed = okta.add_group("Licensed")
    admins = okta.add_group("Admins")
    sales = okta.add_group("Sales")
    zoom.add_group("Sales")
    for i in range(24):
        uid = add_person(stack, f"new{i:02}@acme.example", "New", f"N{i:02}")
        if i % 3 == 0:
            okta.add_member(licensed, uid)
        if i % 8 == 0:
            okta.add_member(admins, uid)
        if i % 4 == 0:
            okta.add_member(sales, uid)
    for i in range(8):  # already in Zoom: adopted, some with a stale name
        email = f"old{i:02}@acme.example"
        add_person(stack, email, "Old", f"O{i:02}")
        zoom.add_user(email, first_name="Old", last_name=f"O{i:02}" if i % 2 else "Stale")
    for i in range(3):
        add_person(stack, f"gone{i}@acme.example", assign=False)
        zoom.add_user(f"gone{i}@acme.example", first_name="Gone", last_name=str(i))
    suspended = add_person(stack, "susp@acme.example", status="SUSPENDED")
    assert suspended


def end_state(stack: Stack) -> dict[str, Any]:
    users = {
        u["email"]: (u["status"], u["type"], u["first_name"], u["last_name"], u.get("role_name"))
        for u in stack.zoom.users.values()
    }
    emails_by_zoom_id = {zid: u["email"] for zid, u in stack.zoom.users.items()}
    linked = sorted(emails_by_zoom_id.get(link["zoom_id"], link["email"]) for link in stack.links().values())
    return {"users": users, "links": linked}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": result["status"],
        **{key: result[key] for key in COUNTS},
        "errors": sorted((e["op"], e["email"], e["code"]) for e in result["errors"]),
    }


def test_concurrent_gives_the_same_end_state_and_report_as_one_at_a_time(workers: Any) -> None:
    outcomes = []
    for count in (1, 8):
        workers(count)
        with integration_stack(POLICY) as stack:
            seed(stack)
            first = stack.invoke({"mode": "full"})
            again = stack.invoke({"mode": "full"})
            outcomes.append((summary(first), summary(again), end_state(stack)))
    (one_first, one_again, one_state), (many_first, many_again, many_state) = outcomes
    assert many_first == one_first
    assert many_again == one_again
    assert many_state == one_state
    assert one_first["status"] == "succeeded" and one_first["applied"]["create"] == 24, one_first
    assert sum(one_again["applied"].values()) == 0  # converged in one run either way


def test_every_link_is_written(stack: Stack) -> None:
    ids = [add_person(stack, f"l{i:02}@acme.example") for i in range(30)]
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded" and result["applied"]["create"] == 30, result
    links = stack.links()
    assert sorted(links) == sorted(ids)
    assert {stack.zoom.users[link["zoom_id"]]["email"] for link in links.values()} == {
        f"l{i:02}@acme.example" for i in range(30)
    }


def test_a_zoom_category_limit_is_respected_then_the_run_converges(
    stack: Stack, workers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Zoom enforcing 5 requests a second on /users (both its categories there) and a Free plan's buckets
    workers(8)
    stack.zoom.rate_limit("/v2/users", 5)
    for i in range(12):
        add_person(stack, f"r{i:02}@acme.example")
    monkeypatch.setenv("ZOOM_PLAN", "free")
    # When a run creates twelve users on eight threads
    result = stack.invoke({"mode": "full"})
    # Then the buckets keep it (nearly) within the limit, and everyone is created once
    assert result["status"] == "succeeded" and result["applied"]["create"] == 12, result
    assert result["requests"]["zoom"]["rate_limited"] <= 3, result["requests"]
    emails = [u["email"] for u in stack.zoom.users.values()]
    assert len(emails) == len(set(emails)) == 13


def test_a_429_slows_the_bucket_for_every_thread(stack: Stack, workers: Any) -> None:
    # Given a limit far below the plan's rate: the first requests of a burst get 429s
    workers(8)
    stack.zoom.rate_limit("/v2/users", 4)
    for i in range(16):
        add_person(stack, f"s{i:02}@acme.example")
    # When a run creates sixteen users on eight threads
    result = stack.invoke({"mode": "full"})
    # Then it converges, every user created once, with fewer 429s than creates: a 429 paused every thread
    assert result["status"] == "succeeded" and result["applied"]["create"] == 16, result
    zoom = result["requests"]["zoom"]
    assert 0 < zoom["rate_limited"] < 16, zoom
    emails = [u["email"] for u in stack.zoom.users.values()]
    assert len(emails) == len(set(emails)) == 17


def test_the_deadline_defers_the_users_not_started(stack: Stack, workers: Any) -> None:
    # Given 40 users to create, each create slow (0.5 s), eight at a time, with 2 s to work in (4 s, 2 s kept back)
    workers(8)
    for i in range(40):
        add_person(stack, f"d{i:02}@acme.example")
    stack.zoom.inject(method="POST", path_prefix="/v2/users", status=None, delay=0.5, times=None)
    short = stack.invoke({"mode": "full"}, budget_s=4.0)
    # Then the users started are done (created and linked; one cut by the deadline's read timeout fails whole), the
    # others are deferred whole
    assert short["status"] == "partial", short
    done, failed, carried = (short[key]["create"] for key in ("applied", "failed", "deferred"))
    assert done >= 8 and carried >= 1 and done + failed + carried == 40, short
    assert sum(short["skipped"].values()) == 0
    assert len(stack.links()) == done
    stack.zoom.clear_faults()
    # And the next run creates the rest, each once
    rest = stack.invoke({"mode": "full"})
    assert rest["status"] == "succeeded" and rest["applied"]["create"] + rest["applied"]["adopt"] == 40 - done, rest
    emails = [u["email"] for u in stack.zoom.users.values()]
    assert len(emails) == len(set(emails)) == 41
    assert len(stack.links()) == 40


def test_a_fatal_error_mid_run_defers_the_rest(stack: Stack, workers: Any) -> None:
    # Given 30 users to create and Zoom refusing every credential after the first five creates
    workers(8)
    for i in range(30):
        add_person(stack, f"f{i:02}@acme.example")
    refused = stack.zoom.inject(method="POST", path_prefix="/v2/users", status=401, times=None, skip=5)
    result = stack.invoke({"mode": "full"})
    # Then the run stops starting users: those under way finish (failing), the rest are deferred
    assert refused.hits >= 1
    applied, failed, deferred = (result[key]["create"] for key in ("applied", "failed", "deferred"))
    assert applied == 5 and failed >= 1 and deferred >= 1, result
    assert applied + failed + deferred == 30
    assert failed <= 8  # at most the users under way when the credential was refused
    assert any(e["code"] == "124" for e in result["errors"]), result["errors"]
    assert len(stack.links()) == 5
    # And once Zoom takes the credential again, the next run does the rest, each once
    stack.zoom.clear_faults()
    rest = stack.invoke({"mode": "full"})
    assert rest["status"] == "succeeded" and rest["applied"]["create"] == 25, rest
    emails = [u["email"] for u in stack.zoom.users.values()]
    assert len(emails) == len(set(emails)) == 31
    assert len(stack.links()) == 30


def test_links_lost_before_their_batch_was_written_are_recovered_by_adoption(stack: Stack) -> None:
    # Given users created by a run whose buffered links never reached the table (the function died before the flush)
    for i in range(30):
        add_person(stack, f"c{i:02}@acme.example")
    first = stack.invoke({"mode": "full"})
    assert first["applied"]["create"] == 30, first
    for okta_id in stack.links():
        stack.dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "LINK"}, "sk": {"S": okta_id}})
    assert stack.links() == {}
    # When the next run goes, Then it adopts each Zoom user at its Okta user's address: no create, no duplicate
    again = stack.invoke({"mode": "full"})
    assert again["status"] == "succeeded" and again["applied"]["adopt"] == 30 and again["planned"]["create"] == 0
    emails = [u["email"] for u in stack.zoom.users.values()]
    assert len(emails) == len(set(emails)) == 31
    assert len(stack.links()) == 30
