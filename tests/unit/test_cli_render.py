"""The operator CLI's rendering (okta_zoom_sync.cli.render): results as tables, only the counts that are not zero.

The results are made the way the function makes them (RunReport.to_dict, core.status.state_view), not typed by
hand, so that a change of the result's shape shows here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from okta_zoom_sync.cli.render import PER_OPERATION, age, render
from okta_zoom_sync.core.model import Change, FailureRecord, HeldRecord, Operation, OpKind
from okta_zoom_sync.core.outcome import OperationResult, Outcome
from okta_zoom_sync.core.report import RunReport, RunStatus
from okta_zoom_sync.core.status import Lease, PendingRecord, StateSnapshot, state_view

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def operation(kind: OpKind, email: str, *changes: Change) -> Operation:
    return Operation(kind, email, f"00u-{email}", None, changes)


def report(mode: str = "full", *, dry_run: bool = False, results: list[OperationResult] | None = None) -> RunReport:
    return RunReport(run_id="run-1", mode=mode, dry_run=dry_run, force=False, results=results or [])


COUNTER_LINE = re.compile(r"^  (planned|applied|failed|held|skipped|deferred) +\d+: ")


def counter_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if COUNTER_LINE.match(line)]


def test_a_check_lists_each_check_with_its_detail_and_says_how_many_failed() -> None:
    # Given a check where Zoom's token was refused
    run = report("check")
    run.checks = [
        {"name": "secret", "ok": True, "detail": "secret okta-zoom-sync/credentials holds valid credentials"},
        {"name": "state_table", "ok": True, "detail": "table okta-zoom-sync-state is reachable"},
        {"name": "zoom.token", "ok": False, "detail": "Zoom refused the client credentials: fix zoom_client_secret"},
    ]
    run.status = RunStatus.FAILED

    # When it is rendered
    text = render(run.to_dict())

    # Then each check has its own line, failures marked with their fix, and none of the zero counters shows
    assert text.splitlines()[0].startswith("connection check: FAILED")
    assert "1 of 3 checks failed" in text
    zoom = next(line for line in text.splitlines() if "zoom.token" in line)
    assert zoom.lstrip().startswith("FAIL") and "fix zoom_client_secret" in zoom
    assert next(line for line in text.splitlines() if "state_table" in line).lstrip().startswith("ok")
    assert counter_lines(text) == [] and " 0" not in text


def test_a_plan_is_grouped_by_operation_with_counts_and_the_first_operations_of_each() -> None:
    # Given a dry run that plans 25 creates and one deactivation
    creates = [
        OperationResult(operation(OpKind.CREATE, f"u{i:02}@acme.example", Change("email", None, "x")), Outcome.PLANNED)
        for i in range(25)
    ]
    leaver_op = operation(OpKind.DEACTIVATE, "leaver@acme.example", Change("status", "active", "inactive"))
    leaver = OperationResult(leaver_op, Outcome.PLANNED)
    result = report(dry_run=True, results=[*creates, leaver]).to_dict()

    # When it is rendered
    text = render(result)
    lines = text.splitlines()

    # Then it says it is a plan, counts each kind, lists the first operations of each kind, and how many more
    assert lines[0].startswith("plan (dry run: nothing was changed): SUCCEEDED, mode full")
    assert "26 operations planned" in text
    assert counter_lines(text) == ["  planned      26: create 25, deactivate 1"]
    assert "create (25)" in lines and "deactivate (1)" in lines
    assert f"  ... and {25 - PER_OPERATION} more" in lines
    assert sum("@acme.example" in line and line.lstrip().startswith("u") for line in lines) == PER_OPERATION
    assert any("leaver@acme.example" in line and "status: active -> inactive" in line for line in lines)


def test_a_sync_run_shows_only_the_counts_that_are_not_zero_and_its_errors() -> None:
    # Given a run that applied two creates and failed one update
    results = [
        OperationResult(operation(OpKind.CREATE, "a@acme.example"), Outcome.APPLIED),
        OperationResult(operation(OpKind.CREATE, "b@acme.example"), Outcome.APPLIED),
        OperationResult(operation(OpKind.UPDATE, "c@acme.example"), Outcome.FAILED, "1001", "User does not exist"),
    ]
    run = report("incremental", results=results)
    run.status = RunStatus.PARTIAL
    result = run.to_dict()
    assert sum(value == 0 for key in ("planned", "applied", "failed") for value in result[key].values()) > 20

    # When it is rendered
    text = render(result)

    # Then the counters are one line per kind of count, with only the operations that happened
    assert text.splitlines()[0].startswith("sync run: PARTIAL, mode incremental, run run-1")
    assert counter_lines(text) == [
        "  planned       3: create 2, update 1",
        "  applied       2: create 2",
        "  failed        1: update 1",
    ]
    assert "delete" not in text and "group_add" not in text
    # And the failure is listed with its code and message
    error = next(line for line in text.splitlines() if "c@acme.example" in line)
    assert "update" in error and "1001" in error and "User does not exist" in error


def test_a_run_with_nothing_to_do_says_so() -> None:
    text = render(report().to_dict())
    assert "nothing to do" in text and counter_lines(text) == []


def test_a_run_lists_what_a_brake_held() -> None:
    run = report(results=[OperationResult(operation(OpKind.DEACTIVATE, "held@acme.example"), Outcome.HELD)])
    run.status = RunStatus.BLOCKED
    text = render(run.to_dict())
    assert counter_lines(text) == ["  planned       1: deactivate 1", "  held          1: deactivate 1"]
    assert "--force" in text and any("held@acme.example" in line for line in text.splitlines())


def test_status_shows_cursor_age_lease_links_the_lists_and_the_last_runs() -> None:
    # Given a state with a cursor saved 12 minutes ago, a lease held for 5 more minutes, and one of each list
    finished = report(results=[OperationResult(operation(OpKind.CREATE, "a@acme.example"), Outcome.APPLIED)])
    finished.started_at = (NOW - timedelta(hours=1)).isoformat()
    finished.duration_ms = 4200
    snapshot = StateSnapshot(
        cursor=None,
        lease=Lease(holder="scheduled-run", expires_at=int((NOW + timedelta(minutes=5)).timestamp())),
        links=1234,
        pending=[PendingRecord("00upending", attempts=2, since=(NOW - timedelta(minutes=30)).isoformat())],
        quarantined=[
            FailureRecord("00uq", "q@acme.example", "create", "2034", "no seat", 3, NOW.isoformat(), NOW.isoformat())
        ],
        held=[HeldRecord("00uh", "h@acme.example", ("deactivate",), "max_deprovisions", NOW.isoformat())],
        runs=[finished.record()],
    )
    state = state_view(snapshot, NOW)
    state["cursor_saved_at"] = (NOW - timedelta(minutes=12)).isoformat()
    status = report("status")
    status.state = state

    # When it is rendered
    text = render(status.to_dict(), now=NOW)
    lines = text.splitlines()

    # Then the head says how old the cursor is, who holds the lease and how many links there are
    assert lines[0] == "status: SUCCEEDED, run run-1"
    assert "  cursor        saved 2026-12-02 11:48:00Z (12 min ago)" in lines
    assert "  lease         held by run scheduled-run until 2026-12-02 12:05:00Z (in 5 min)" in lines
    assert "  links         1234 Okta users linked to Zoom users" in lines
    # And each list has its rows
    assert any("00upending" in line and line.rstrip().endswith("2") for line in lines)
    assert any("q@acme.example" in line and "create failed: 2034 no seat" in line for line in lines)
    assert any("h@acme.example" in line and "deactivate" in line and "max_deprovisions" in line for line in lines)
    # And the last runs, with their non-zero totals
    run_line = next(line for line in lines if "run-1" in line and "full" in line)
    assert "succeeded" in run_line and "4.2 s" in run_line and run_line.endswith("planned 1, applied 1")
    assert counter_lines(text) == []


def test_status_of_an_empty_table() -> None:
    status = report("status")
    status.state = state_view(StateSnapshot(None, None, 0, [], [], [], []), NOW)
    text = render(status.to_dict(), now=NOW)
    assert "none yet: the next run reads everyone" in text
    assert "free: no run is going" in text
    assert "Pending: none" in text and "Quarantined: none" in text and "Held by a brake: none" in text
    assert "Last runs: none recorded yet" in text


def test_ages_read_like_a_person_would_say_them() -> None:
    assert age(NOW - timedelta(seconds=45), NOW) == "45 s"
    assert age(NOW - timedelta(minutes=12, seconds=5), NOW) == "12 min"
    assert age(NOW - timedelta(hours=3, minutes=5), NOW) == "3 h 5 min"
    assert age(NOW - timedelta(days=2, hours=4), NOW) == "2 d 4 h"
    assert age("not a time", NOW) == "?"
