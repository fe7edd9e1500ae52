"""The handler's return value: what was planned, applied, held and failed, as a JSON-serialisable dict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .applier import OperationResult, Outcome
from .model import OP_KINDS, Plan


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

    def settle_status(self, *, guard_held: bool) -> None:
        if any(r.outcome in (Outcome.FAILED, Outcome.DEFERRED) for r in self.results):
            self.status = RunStatus.PARTIAL
        elif guard_held:
            self.status = RunStatus.BLOCKED
        else:
            self.status = RunStatus.SUCCEEDED

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
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "force": self.force,
            "status": self.status.value,
            "planned": op_counts(results),
            "applied": op_counts(results, frozenset({Outcome.APPLIED})),
            "failed": op_counts(results, frozenset({Outcome.FAILED})),
            "held": op_counts(results, frozenset({Outcome.HELD})),
            "skipped": op_counts(results, frozenset({Outcome.SKIPPED})),
            "deferred": op_counts(results, frozenset({Outcome.DEFERRED})),
            "unmanaged": self.plan.unmanaged if self.plan else 0,
            "managed": self.plan.managed if self.plan else 0,
            "errors": errors,
            "notes": list(self.notes),
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
        }
        if self.dry_run:
            out["operations"] = [r.operation.to_dict() for r in results]
        if self.checks is not None:
            out["checks"] = self.checks
        return out
