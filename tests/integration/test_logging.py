"""The function's log: structured JSON lines with the invocation's context, one line per operation, no secret."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.stack import OKTA_TOKEN, ZOOM_SECRET, Stack

from .conftest import add_person


def log_lines(text: str) -> list[dict[str, Any]]:
    """The Logger's lines (the metrics' EMF line is JSON too, without a level)."""
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if "level" in line]


def test_every_log_line_carries_the_invocation_context_and_each_operation_has_one_line(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two assigned users and no Zoom users yet
    add_person(stack, "ann@acme.example", "Ann", "Lee")
    add_person(stack, "bob@acme.example", "Bob", "Ray")
    capsys.readouterr()

    # When a full run creates them
    result = stack.invoke({"mode": "full"})
    lines = log_lines(capsys.readouterr().out)

    # Then every line names the function, the cold start and the run
    assert result["applied"]["create"] == 2, result
    assert lines, "the run logged nothing"
    for line in lines:
        assert line["function_name"] == "okta-zoom-sync", line
        assert "cold_start" in line and "function_request_id" in line, line
        assert line["run_id"] == result["run_id"], line
    # and each applied operation has exactly one line, naming the user
    applied = [line for line in lines if line["message"] == "operation applied"]
    assert sorted((line["op"], line["email"]) for line in applied) == [
        ("create", "ann@acme.example"),
        ("create", "bob@acme.example"),
    ]
    # and no credential reaches the log
    text = json.dumps(lines)
    assert OKTA_TOKEN not in text and ZOOM_SECRET not in text


def test_a_dry_run_of_a_large_plan_answers_with_the_first_thousand_operations_and_logs_every_one(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given 1,050 assigned users and no Zoom users
    for i in range(1050):
        stack.okta.assign_user(stack.okta.add_user(f"p{i:04}@acme.example", email=f"p{i:04}@acme.example"))
    capsys.readouterr()
    # When a dry run plans their creation
    result = stack.invoke({"mode": "full", "dry_run": True})
    lines = log_lines(capsys.readouterr().out)
    # Then the result lists the first 1,000 operations and the total, and the log has one line for each
    assert result["planned"]["create"] == 1050, result["status"]
    assert len(result["operations"]) == 1000 and result["operations_total"] == 1050
    planned = [line for line in lines if line["message"] == "operation planned"]
    assert len(planned) == 1050
    assert {line["email"] for line in planned} == {f"p{i:04}@acme.example" for i in range(1050)}
    assert stack.zoom.write_count() == 0


AUDIT_KEYS = {"run_id", "op", "okta_id", "zoom_id", "email", "changes", "outcome"}


def test_each_operation_line_is_an_audit_record_with_its_outcome(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two assigned users, and Zoom refusing the second one's create for good
    add_person(stack, "ann@acme.example", "Ann", "Lee")
    add_person(stack, "bob@acme.example", "Bob", "Ray")
    stack.zoom.inject(method="POST", path_prefix="/v2/users", status=400, times=1, skip=1)
    capsys.readouterr()

    # When a full run applies the plan
    result = stack.invoke({"mode": "full"})
    lines = log_lines(capsys.readouterr().out)

    # Then each operation has one line with the run, the user on both sides, the field changes and the outcome
    assert (result["applied"]["create"], result["failed"]["create"]) == (1, 1), result
    operations = [line for line in lines if line["message"] in ("operation applied", "operation failed")]
    assert len(operations) == 2
    for line in operations:
        # (the logger leaves out a key whose value is None: a create Zoom refused has no Zoom id)
        expected = AUDIT_KEYS - ({"zoom_id"} if line["outcome"] == "failed" else set())
        assert expected <= set(line), sorted(expected - set(line))
        assert line["run_id"] == result["run_id"] and line["op"] == "create" and line["okta_id"]
        assert line["changes"]["first_name"]["to"] in ("Ann", "Bob"), line["changes"]
    outcomes = {line["email"]: (line["message"], line["outcome"]) for line in operations}
    failed_email = next(line["email"] for line in operations if line["outcome"] == "failed")
    applied_email = next(line["email"] for line in operations if line["outcome"] == "applied")
    assert outcomes == {
        applied_email: ("operation applied", "applied"),
        failed_email: ("operation failed", "failed"),
    }
    applied = next(line for line in operations if line["outcome"] == "applied")
    assert applied["zoom_id"] == stack.zoom_user(applied_email)["id"]  # type: ignore[index]
    failed = next(line for line in operations if line["outcome"] == "failed")
    assert failed["error_code"] and "zoom_id" not in failed


def test_a_long_run_logs_its_progress_while_it_reads_okta_and_while_it_applies(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given seven assigned users, and a progress line every three users (500 in the deployed function)
    monkeypatch.setattr("okta_zoom_sync.observability.PROGRESS_EVERY", 3)
    for i in range(7):
        add_person(stack, f"p{i}@acme.example")
    capsys.readouterr()

    # When a full run reads and creates them
    result = stack.invoke({"mode": "full"})
    lines = log_lines(capsys.readouterr().out)

    # Then the log says how far each phase came, every three users, within the run (Okta's pages give no total)
    assert result["applied"]["create"] == 7, result
    progress = [(line["phase"], line["done"], line.get("total")) for line in lines if line["message"] == "progress"]
    assert progress == [("okta_read", 3, None), ("okta_read", 6, None), ("apply", 3, 7), ("apply", 6, 7)]
    assert all(line["run_id"] == result["run_id"] for line in lines if line["message"] == "progress")
