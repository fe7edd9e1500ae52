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
