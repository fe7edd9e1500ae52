"""The `status` mode's view of the state table: what the sync knows, as the result's `state` holds it. Pure.

The state reader (core.ports.StateReader) gives the records; this module shapes them for an operator: a lease
whose time is up is no lease (nobody holds it: the next run takes it), each list is cut to its first
MAX_LISTED entries with its total kept (a Lambda answer is at most 6 MB), and a run record keeps its counts
without the zeros.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from okta_zoom_sync.core.model import Cursor, FailureRecord, HeldRecord

LAST_RUNS = 10  # the contract's "up to 10, newest first"
MAX_LISTED = 1000  # per list (pending, quarantined, held); `<list>_total` gives how many there are
RUN_COUNTS = ("planned", "applied", "failed", "held", "skipped", "deferred")


@dataclass(frozen=True, slots=True)
class Lease:
    """The run lease as the table holds it."""

    holder: str  # the run id
    expires_at: int  # epoch seconds


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """A user carried over to the next run (cut off by the deadline, or failed for a passing reason)."""

    key: str  # Okta id or email
    attempts: int
    since: str  # ISO-8601 UTC, "" when the record predates it


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    """Everything `status` reads, as the table holds it."""

    cursor: Cursor | None
    lease: Lease | None
    links: int
    pending: Sequence[PendingRecord]
    quarantined: Iterable[FailureRecord]
    held: Iterable[HeldRecord]
    runs: Sequence[Mapping[str, Any]]  # run records (the report's `record()`), newest first
    last_success: Mapping[str, str] | None = None  # run_id, at, mode of the last succeeded run


def state_view(snapshot: StateSnapshot, now: datetime) -> dict[str, Any]:
    """The result's `state` (contract: `status` mode)."""
    pending = sorted(snapshot.pending, key=lambda p: (p.since, p.key))
    quarantined = sorted(snapshot.quarantined, key=lambda q: (q.first_failed_at, q.key))
    held = sorted(snapshot.held, key=lambda h: (h.since, h.key))
    view: dict[str, Any] = {
        "cursor_saved_at": snapshot.cursor.saved_at if snapshot.cursor else None,
        "lease": _lease(snapshot.lease, now),
        "links": snapshot.links,
        "pending": [{"key": p.key, "since": p.since or None, "attempts": p.attempts} for p in pending[:MAX_LISTED]],
        "pending_total": len(pending),
        "quarantined": [_quarantined(q) for q in quarantined[:MAX_LISTED]],
        "quarantined_total": len(quarantined),
        "held": [_held(h) for h in held[:MAX_LISTED]],
        "held_total": len(held),
        "last_runs": [run_summary(run) for run in snapshot.runs[:LAST_RUNS]],
        "last_success": dict(snapshot.last_success) if snapshot.last_success else None,
    }
    return view


def run_summary(record: Mapping[str, Any]) -> dict[str, Any]:
    """One of `last_runs`: who, what, when, and the counts that are not zero."""
    counts: dict[str, dict[str, int]] = {}
    for name in RUN_COUNTS:
        by_op = record.get(name)
        if isinstance(by_op, Mapping):
            non_zero = {op: int(n) for op, n in by_op.items() if isinstance(n, int) and n}
            if non_zero:
                counts[name] = non_zero
    errors = record.get("errors_total", len(record.get("errors") or ()))
    return {
        "run_id": record.get("run_id"),
        "mode": record.get("mode"),
        "status": record.get("status"),
        "started_at": record.get("started_at"),
        "duration_ms": record.get("duration_ms"),
        "counts": counts,
        "errors": errors,
    }


def _lease(lease: Lease | None, now: datetime) -> dict[str, Any] | None:
    if lease is None or lease.expires_at <= now.timestamp():
        return None
    return {"holder": lease.holder, "expires_at": datetime.fromtimestamp(lease.expires_at, UTC).isoformat()}


def _quarantined(record: FailureRecord) -> dict[str, Any]:
    return {
        "email": record.email,
        "key": record.key,
        "reason": f"{record.op} failed: {record.code} {record.message}".strip(),
        "since": record.first_failed_at,
        "attempts": record.attempts,
        "next_attempt_at": record.next_attempt_at,
    }


def _held(record: HeldRecord) -> dict[str, Any]:
    return {
        "email": record.email,
        "key": record.key,
        "ops": list(record.ops),
        "reason": record.reason,
        "since": record.since,
    }
