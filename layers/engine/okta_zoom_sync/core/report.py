"""The run's report: made once by the service, filled in by the engine, returned by the handler as a dict.

It says what was planned, applied, held and failed, and why; `to_dict` is the contract's result shape. Pure."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from okta_zoom_sync.core.model import OP_KINDS, FailureRecord, HeldRecord, Plan
from okta_zoom_sync.core.outcome import OperationResult, Outcome
from okta_zoom_sync.errors import AuthError, SyncError

# A dry run's result lists at most this many operations (contract), with `operations_total`.
MAX_OPERATIONS_IN_RESULT = 1000
# A run record must fit in one DynamoDB item (400 KB): its lists are cut to these lengths until it is this small.
RECORD_MAX_BYTES = 300_000
RECORD_LIST_LIMITS = (100, 20, 0)
RECORD_LISTS = ("errors", "notes", "quarantined", "held_users")


class RunStatus(StrEnum):
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    BLOCKED = "blocked"
    SKIPPED = "skipped"
    FAILED = "failed"


def op_counts(results: Iterable[OperationResult], outcomes: frozenset[Outcome] | None = None) -> dict[str, int]:
    counts = Counter(r.operation.op.value for r in results if outcomes is None or r.outcome in outcomes)
    return {kind.value: counts.get(kind.value, 0) for kind in OP_KINDS}


@dataclass
class RunReport:
    run_id: str
    mode: str
    dry_run: bool
    force: bool
    status: RunStatus = RunStatus.SUCCEEDED
    plan: Plan | None = None
    results: Sequence[OperationResult] = ()
    errors: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)
    started_at: str = ""
    duration_ms: int = 0
    credential_refused: bool = False  # Okta or Zoom refused the credential: a rotated secret may help
    quarantined: list[FailureRecord] = field(default_factory=list)
    # Operations held by a brake in an earlier run, for users this run did not read: still held.
    still_held: list[HeldRecord] = field(default_factory=list)
    failures_recorded: int = 0  # users whose failure this run recorded (quarantined for a while)
    requests: dict[str, Any] = field(default_factory=dict)  # per API: requests, retries, 429s, token renewals
    unread: list[str] = field(default_factory=list)  # users (as named) whose read failed: set aside this run
    incomplete: bool = False  # a list was read only in part: nothing was deprovisioned
    state: dict[str, Any] | None = None  # status mode only: what the state table knows (core.status.state_view)
    # Queue runs only: the message ids of the SQS records not handled, for SQS to deliver again (the service sets it).
    item_failures: list[str] | None = None

    def fail(self, exc: SyncError) -> None:
        self.status = RunStatus.FAILED
        self.errors.append({"op": None, "email": None, "code": exc.code, "message": exc.message})
        self.credential_refused = self.credential_refused or isinstance(exc, AuthError)

    @property
    def q_keys(self) -> list[str]:
        return [record.key for record in self.quarantined]

    def settle_status(self, *, guard_held: bool, incomplete: bool = False) -> None:
        if any(r.fatal for r in self.results):
            self.status = RunStatus.FAILED
            self.credential_refused = any(r.credential_refused for r in self.results)
        elif incomplete or any(r.outcome in (Outcome.FAILED, Outcome.DEFERRED) for r in self.results):
            self.status = RunStatus.PARTIAL
        elif guard_held:
            self.status = RunStatus.BLOCKED
        else:
            self.status = RunStatus.SUCCEEDED

    def _held_users(self, results: list[OperationResult]) -> list[dict[str, Any]]:
        """Who has operations held by a brake: this run's, then those held earlier that this run did not read."""
        users: dict[str, dict[str, Any]] = {}
        for r in results:
            if r.outcome is Outcome.HELD:
                op = r.operation
                entry = users.setdefault(op.okta_id or op.email, {"email": op.email, "okta_id": op.okta_id, "ops": []})
                entry["ops"].append(op.op.value)
        for record in self.still_held:
            users.setdefault(record.key, {"email": record.email, "ops": list(record.ops), "since": record.since})
        return list(users.values())

    def to_dict(self) -> dict[str, Any]:
        results = list(self.results)
        errors = list(self.errors) + [
            {
                "op": r.operation.op.value,
                "email": r.operation.email,
                "okta_id": r.operation.okta_id,
                "zoom_id": r.operation.zoom_id,
                "code": r.error_code,
                "message": r.error_message,
            }
            for r in results
            if r.outcome is Outcome.FAILED
        ]
        held = op_counts(results, frozenset({Outcome.HELD}))
        for record in self.still_held:
            for op in record.ops:
                held[op] = held.get(op, 0) + 1
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "force": self.force,
            "status": self.status.value,
            "planned": op_counts(results),
            "applied": op_counts(results, frozenset({Outcome.APPLIED})),
            "failed": op_counts(results, frozenset({Outcome.FAILED})),
            "held": held,
            "skipped": op_counts(results, frozenset({Outcome.SKIPPED})),
            "deferred": op_counts(results, frozenset({Outcome.DEFERRED})),
            "quarantined": [
                {
                    "email": q.email,
                    "key": q.key,
                    "op": q.op,
                    "code": q.code,
                    "message": q.message,
                    "attempts": q.attempts,
                    "next_attempt_at": q.next_attempt_at,
                }
                for q in self.quarantined
            ],
            "held_users": self._held_users(results),
            "unmanaged": self.plan.unmanaged if self.plan else 0,
            "managed": self.plan.managed if self.plan else 0,
            "errors": errors,
            "notes": list(self.notes),
            "requests": self.requests,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
        }
        if self.dry_run:
            # A dry run of a large organisation must still answer: the first operations, and how many there are
            # (every one of them is logged on its own line).
            out["operations"] = [r.operation.to_dict() for r in results[:MAX_OPERATIONS_IN_RESULT]]
            out["operations_total"] = len(results)
        if self.checks is not None:
            out["checks"] = self.checks
        if self.state is not None:
            out["state"] = self.state
        if self.item_failures is not None:
            out["batchItemFailures"] = [{"itemIdentifier": message_id} for message_id in self.item_failures]
        return out

    def record(self) -> dict[str, Any]:
        """The run as the state table keeps it: the result without its operations, each long list cut (with its
        total kept as `<list>_total`) so that the item stays well below DynamoDB's 400 KB."""
        summary = self.to_dict()
        summary.pop("operations", None)
        summary.pop("operations_total", None)
        full = {key: summary[key] for key in RECORD_LISTS}
        for limit in RECORD_LIST_LIMITS:
            for key, items in full.items():
                summary[key] = items[:limit]
                if len(items) > limit:
                    summary[f"{key}_total"] = len(items)
            if len(json.dumps(summary, default=str)) <= RECORD_MAX_BYTES:
                break
        return summary
