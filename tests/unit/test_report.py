"""The run's report: a dry run's result stays bounded, and a run record fits in one DynamoDB item."""

from __future__ import annotations

import json

from okta_zoom_sync.core.model import Change, Operation, OpKind
from okta_zoom_sync.core.outcome import OperationResult, Outcome
from okta_zoom_sync.core.report import MAX_OPERATIONS_IN_RESULT, RunReport

DYNAMODB_ITEM_LIMIT = 400 * 1024


def create(i: int) -> Operation:
    return Operation(OpKind.CREATE, f"user{i:05}@acme.example", f"00u{i:05}", None, (Change("email", None, "x"),))


def report(*, dry_run: bool, results: list[OperationResult]) -> RunReport:
    return RunReport(run_id="r1", mode="full", dry_run=dry_run, force=False, results=results)


def test_a_dry_run_of_twenty_thousand_operations_lists_the_first_thousand_and_the_total() -> None:
    # Given a dry run that planned 20,000 creates
    planned = [OperationResult(create(i), Outcome.PLANNED) for i in range(20_000)]
    # When its result is made
    result = report(dry_run=True, results=planned).to_dict()
    # Then it lists the first 1,000, in plan order, and says how many there are
    assert len(result["operations"]) == MAX_OPERATIONS_IN_RESULT == 1000
    assert result["operations"][0]["email"] == "user00000@acme.example"
    assert result["operations"][-1]["email"] == "user00999@acme.example"
    assert result["operations_total"] == 20_000
    assert result["planned"]["create"] == 20_000


def test_a_small_dry_run_lists_every_operation() -> None:
    planned = [OperationResult(create(i), Outcome.PLANNED) for i in range(3)]
    result = report(dry_run=True, results=planned).to_dict()
    assert [op["email"] for op in result["operations"]] == [f"user{i:05}@acme.example" for i in range(3)]
    assert result["operations_total"] == 3


def test_the_record_of_a_run_with_twenty_thousand_failures_fits_in_one_item() -> None:
    # Given a live run where 20,000 operations failed with long messages, and as many notes
    failed = [OperationResult(create(i), Outcome.FAILED, "2034", "x" * 300) for i in range(20_000)]
    run = report(dry_run=False, results=failed)
    run.notes.extend(f"note {i} " + "y" * 200 for i in range(20_000))
    # When it is recorded
    record = run.record()
    # Then the item is well below DynamoDB's limit, the lists are cut, and their totals are kept
    assert len(json.dumps(record).encode()) < DYNAMODB_ITEM_LIMIT
    assert record["errors_total"] == 20_000 and record["notes_total"] == 20_000
    assert len(record["errors"]) <= 100 and "operations" not in record
    assert record["failed"]["create"] == 20_000  # the counts stay whole


def test_a_small_run_is_recorded_whole() -> None:
    failed = [OperationResult(create(i), Outcome.FAILED, "2034", "no seat") for i in range(3)]
    record = report(dry_run=False, results=failed).record()
    assert len(record["errors"]) == 3 and "errors_total" not in record
