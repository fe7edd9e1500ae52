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
