"""`{"mode": "status"}`: what the sync knows, read from the state table alone (contract: Invocation events).

Each test ends the same way: the status call made no Okta or Zoom request and changed nothing in the table.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.conftest import SECRET_ID, TABLE, Stack, add_person, total

ZERO_RESULT_KEYS = ("planned", "applied", "failed", "held")


def status(stack: Stack, event: dict[str, Any] | None = None) -> dict[str, Any]:
    """The status result, with the proof that it read the table only: no request to either simulator, no item
    changed."""
    stack.okta.clear_log()
    stack.zoom.clear_log()
    before = stack.table_items()
    result = stack.invoke(event or {"mode": "status"})
    assert stack.okta.requests == [] and stack.zoom.requests == []
    assert stack.table_items() == before
    return result


def put_lease(stack: Stack, holder: str, expires_at: int) -> None:
    stack.dynamodb.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "LEASE"}, "sk": {"S": "sync"}, "holder": {"S": holder}, "expires_at": {"N": str(expires_at)}},
    )


def test_status_of_an_empty_table(stack: Stack) -> None:
    # When status is asked of a table no run has written to
    result = status(stack)

    # Then it succeeds with the contract's keys, zero counts, and an empty state
    assert result["mode"] == "status" and result["status"] == "succeeded" and result["run_id"]
    assert all(total(result[key]) == 0 for key in ZERO_RESULT_KEYS)
    assert result["state"] == {
        "cursor_saved_at": None,
        "lease": None,
        "links": 0,
        "pending": [],
        "pending_total": 0,
        "quarantined": [],
        "quarantined_total": 0,
        "held": [],
        "held_total": 0,
        "last_runs": [],
        "last_success": None,
    }


def test_status_after_runs_counts_links_and_lists_the_last_ten_runs_newest_first(stack: Stack) -> None:
    # Given three synced users, then eleven more runs (twelve in all)
    for index in range(3):
        add_person(stack, f"s{index}@acme.example")
    first = stack.invoke({"mode": "full"})
    later = [stack.invoke({"mode": "incremental"}) for _ in range(11)]

    # When status is asked
    state = status(stack)["state"]

    # Then the links are counted, the cursor's time is given, and the last ten runs are listed newest first
    assert state["links"] == 3
    assert state["cursor_saved_at"] and datetime.fromisoformat(state["cursor_saved_at"]) <= datetime.now(UTC)
    newest_first = [run["run_id"] for run in reversed([first, *later])]
    assert [run["run_id"] for run in state["last_runs"]] == newest_first[:10]
    oldest_listed = state["last_runs"][-1]
    assert oldest_listed["mode"] == "incremental" and oldest_listed["status"] == "succeeded"
    assert oldest_listed["started_at"] == later[1]["started_at"]
    # The first run's counts (not listed any more) were three creates; later runs changed nothing: no zeros listed
    assert all(run["counts"] == {} for run in state["last_runs"])
    assert state["last_success"]["run_id"] == later[-1]["run_id"]


def test_status_lists_the_first_run_with_its_non_zero_counts(stack: Stack) -> None:
    # Given one run that created two users
    add_person(stack, "a@acme.example")
    add_person(stack, "b@acme.example")
    run = stack.invoke({"mode": "full"})

    # When status is asked, Then the run is listed with only its non-zero counts
    (listed,) = status(stack)["state"]["last_runs"]
    assert listed["run_id"] == run["run_id"] and listed["mode"] == "full"
    assert listed["counts"] == {"planned": {"create": 2}, "applied": {"create": 2}}


def test_status_lists_a_quarantined_user(stack: Stack) -> None:
    # Given a user whose create fails for good (no seat, no fallback to Basic)
    stack.set_policy("default_license: licensed\nlicense_fallback: none\n")
    stack.zoom.licensed_seats = 0
    uid = add_person(stack, "noseat@acme.example")
    stack.invoke({"mode": "full"})

    # When status is asked, Then the user is listed as quarantined, with the reason and since when
    (entry,) = status(stack)["state"]["quarantined"]
    assert entry["email"] == "noseat@acme.example" and entry["key"] == uid
    assert entry["reason"].startswith("create failed: 2034")
    assert entry["since"] and entry["attempts"] == 1 and entry["next_attempt_at"] > entry["since"]


def test_status_lists_held_deprovisions(stack: Stack) -> None:
    # Given at most 1 deprovision per run, and 2 of 4 synced users unassigned
    stack.set_policy("max_deprovisions: {count: 1, percent: 100}\n")
    users = [add_person(stack, f"h{i}@acme.example") for i in range(4)]
    stack.invoke({"mode": "full"})
    for uid in users[:2]:
        stack.okta.unassign_user(uid)
    blocked = stack.invoke({"mode": "full"})
    assert blocked["status"] == "blocked"

    # When status is asked, Then both users are listed as held, with the brake and since when
    state = status(stack)["state"]
    held = {entry["email"]: entry for entry in state["held"]}
    assert set(held) == {"h0@acme.example", "h1@acme.example"} and state["held_total"] == 2
    assert all(entry["ops"] == ["deactivate"] and entry["since"] for entry in held.values())
    assert all("max_deprovisions" in entry["reason"] for entry in held.values())
    assert state["last_runs"][0]["counts"]["held"] == {"deactivate": 2}


def test_status_shows_a_lease_held_by_another_run_and_answers_anyway(stack: Stack) -> None:
    # Given a run holding the lease for another ten minutes
    expires = int(time.time()) + 600
    put_lease(stack, "other-run", expires)

    # When status is asked, Then it answers (it takes no lease) and names the holder and the expiry
    result = status(stack)
    assert result["status"] == "succeeded"
    assert result["state"]["lease"] == {
        "holder": "other-run",
        "expires_at": datetime.fromtimestamp(expires, UTC).isoformat(),
    }


def test_a_lease_whose_time_is_up_is_no_lease(stack: Stack) -> None:
    # Given a lease left by a run that stopped without releasing it, expired a minute ago
    put_lease(stack, "crashed-run", int(time.time()) - 60)
    # Then status says nobody holds it (the next run takes it)
    assert status(stack)["state"]["lease"] is None


def test_status_needs_neither_the_secret_nor_the_policy_and_accepts_dry_run_and_force(stack: Stack) -> None:
    # Given a synced user, then the credentials secret deleted and the policy file broken
    add_person(stack, "c@acme.example")
    stack.invoke({"mode": "full"})
    stack.secrets.delete_secret(SecretId=SECRET_ID, ForceDeleteWithoutRecovery=True)
    stack.set_policy("max_deprovisions: [not, a, mapping]\n")

    # When status is asked, with dry_run and force (accepted, as on any event)
    result = status(stack, {"mode": "status", "dry_run": True, "force": True})

    # Then it still answers from the table
    assert result["status"] == "succeeded", result["errors"]
    assert result["state"]["links"] == 1 and result["dry_run"] is True


def test_status_emits_no_run_metric(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a run (its metrics flushed), then a status call
    add_person(stack, "m@acme.example")
    stack.invoke({"mode": "full"})
    assert "CloudWatchMetrics" in capsys.readouterr().out  # the run's EMF line: the capture sees metrics
    status(stack)
    # Then the status call flushed no metric: it is not a run, and must not count as a success for the alarms
    assert "CloudWatchMetrics" not in capsys.readouterr().out
