"""The fault-injection suite's shared pieces: a small organisation, a convergence loop and the report table.

Each test injects one kind of fault into the simulators, runs the real handler at most three times and
checks the final Zoom state. The table printed at the end of the test session (fault, runs needed,
requests retried, anything lost) is the suite's report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.simulators import Fault, OktaSimulator, ZoomSimulator
from tests.support.fixtures import add_person
from tests.support.stack import ZOOM_SECRET, Stack

OKTA_SECRET_TOKEN = "ssws-integration-token"
USERS = [f"f{i}@acme.example" for i in range(8)]
LEFTOVER = "leftover@acme.example"


@dataclass
class FaultRow:
    fault: str
    runs: int | None  # None: not a convergence case (the run must fail clearly)
    retried: int
    rate_limited: int
    lost: str


ROWS: list[FaultRow] = []


@pytest.fixture
def org(stack: Stack) -> Stack:
    """Eight assigned users (one already in Zoom, to adopt) and a managed-domain leftover to deprovision."""
    stack.set_policy("managed_domains: [acme.example]\nmax_deprovisions: {count: 10, percent: 100}\n")
    for email in USERS:
        add_person(stack, email, "Fault", email.split("@")[0].upper())
    stack.zoom.add_user(USERS[0], first_name="Fault", last_name="F0")
    stack.zoom.add_user(LEFTOVER, first_name="Left", last_name="Over")
    return stack


def converged(target: Stack) -> bool:
    users = list(target.zoom.users.values())
    emails = [u["email"].casefold() for u in users]
    if len(emails) != len(set(emails)):
        return False
    for email in USERS:
        user = target.zoom_user(email)
        if user is None or user["status"] != "active" or user["last_name"] != email.split("@")[0].upper():
            return False
    leftover = target.zoom_user(LEFTOVER)
    return leftover is not None and leftover["status"] == "inactive"


def run_until_converged(
    target: Stack, event: dict[str, Any] | None = None, max_runs: int = 3
) -> tuple[int, list[dict[str, Any]]]:
    """Run the handler until the Zoom account matches Okta; return the runs it took (0: never) and their results."""
    results = []
    for run in range(1, max_runs + 1):
        results.append(target.invoke(event or {"mode": "full"}))
        assert_no_duplicate_emails(target)
        if converged(target):
            return run, results
    return 0, results


def assert_no_duplicate_emails(target: Stack) -> None:
    emails = [u["email"].casefold() for u in target.zoom.users.values()]
    duplicates = {e for e in emails if emails.count(e) > 1}
    assert not duplicates, f"two Zoom users for one email: {duplicates}"


def assert_fired(*faults: Fault, every_time: bool = True) -> None:
    """Each injected fault answered at least one request; with `every_time`, one injected for `times` requests
    answered them all."""
    for fault in faults:
        assert fault.hits > 0, f"the injected fault never fired: {fault}"
        left = fault.remaining
        assert not every_time or left in (None, 0), f"the fault fired {fault.hits} times, {left} left: {fault}"


def answered(simulator: OktaSimulator | ZoomSimulator, status: int | None, path_prefix: str = "/") -> int:
    """Requests the simulator answered with `status` (None: dropped without an answer), from its request log."""
    return sum(1 for r in simulator.requests if r.status == status and r.path.startswith(path_prefix))


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in (ZOOM_SECRET, OKTA_SECRET_TOKEN):
            assert secret not in text, "a secret reached the output"


def record(fault: str, runs: int | None, results: list[dict[str, Any]], lost: str = "nothing") -> None:
    retried = sum(r.get("requests", {}).get(api, {}).get("retries", 0) for r in results for api in ("okta", "zoom"))
    limited = sum(
        r.get("requests", {}).get(api, {}).get("rate_limited", 0) for r in results for api in ("okta", "zoom")
    )
    ROWS.append(FaultRow(fault, runs, retried, limited, lost))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not ROWS:
        return
    terminalreporter.section("fault-injection report")
    header = f"{'fault':<58} {'runs':>4} {'retried':>8} {'429s':>5}  lost"
    terminalreporter.write_line(header)
    for row in ROWS:
        runs = "-" if row.runs is None else str(row.runs)
        terminalreporter.write_line(f"{row.fault:<58} {runs:>4} {row.retried:>8} {row.rate_limited:>5}  {row.lost}")


@pytest.fixture
def output(capfd: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    yield capfd


def dump(results: list[dict[str, Any]]) -> str:
    return json.dumps(results, default=str)
