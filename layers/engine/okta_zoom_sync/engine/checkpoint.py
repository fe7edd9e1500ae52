"""Making a live run's unfinished work durable (pending users, failures, held operations) and its app group list.

Unfinished work is recorded before the System Log cursor moves past it. A dry run records nothing: wiring
gives it a `DryRunCheckpoint`, which neither writes nor reports a record nor reads Okta to have one to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from okta_zoom_sync.core.model import FailureRecord, HeldRecord, OpKind, Plan, user_key
from okta_zoom_sync.core.outcome import OperationResult, Outcome
from okta_zoom_sync.core.ports import CursorStore, OktaReader, WorkStore
from okta_zoom_sync.core.quarantine import failure_record, settle_failures
from okta_zoom_sync.core.report import RunReport
from okta_zoom_sync.engine.snapshot import Snapshot
from okta_zoom_sync.errors import ApiError, AuthError
from okta_zoom_sync.observability import logger

# A user failed for a passing reason (5xx or 429 after the retries) this many runs in a row is quarantined.
MAX_PASSING_FAILURES = 3


@dataclass(frozen=True)
class Work:
    """The state table's records of work still to do, read once per run."""

    pending: Mapping[str, int]  # user key -> runs in a row that failed it for a passing reason
    failures: Mapping[str, FailureRecord]
    held: Mapping[str, HeldRecord]

    @classmethod
    def load(cls, store: WorkStore) -> Work:
        return cls(store.load_pending(), store.load_failures(), store.load_held())


class Checkpoint(Protocol):
    def refresh_app_groups(self) -> None:
        """After a full read: remember which groups are assigned to the app."""
        ...

    def save(
        self,
        snapshot: Snapshot,
        plan: Plan,
        report: RunReport,
        work: Work,
        now: datetime,
        *,
        scope: frozenset[str] | None,
        keep_held: set[str],
    ) -> None:
        """After the plan ran: record the run's unfinished work."""
        ...


class DryRunCheckpoint:
    """A dry run makes nothing durable."""

    def refresh_app_groups(self) -> None:
        pass

    def save(
        self,
        snapshot: Snapshot,
        plan: Plan,
        report: RunReport,
        work: Work,
        now: datetime,
        *,
        scope: frozenset[str] | None,
        keep_held: set[str],
    ) -> None:
        pass


class _Store(CursorStore, WorkStore, Protocol):
    pass


class StateCheckpoint:
    """Records unfinished work and the app's group list in the state table."""

    def __init__(self, okta: OktaReader, state: _Store) -> None:
        self.okta = okta
        self.state = state

    def refresh_app_groups(self) -> None:
        """Remember which groups are assigned to the app (which membership events matter). Best effort: the
        incremental path keeps the list current from group-assignment events anyway."""
        try:
            self.state.save_app_groups(self.okta.list_app_group_ids())
        except ApiError as exc:
            if isinstance(exc, AuthError):
                raise
            logger.warning("could not refresh the app's group assignments", extra={"error": exc.message})

    def save(
        self,
        snapshot: Snapshot,
        plan: Plan,
        report: RunReport,
        work: Work,
        now: datetime,
        *,
        scope: frozenset[str] | None,
        keep_held: set[str],
    ) -> None:
        """Make the run's unfinished work durable before the cursor moves past it.

        Users the deadline cut off, and users whose reads or writes failed for a passing reason (retries ran
        out on a 5xx or 429, a credential refused), are carried over: the next run, incremental or full,
        takes them first. A user failed that way `MAX_PASSING_FAILURES` runs in a row is quarantined like a
        permanent failure, so that it never holds up the rest. Permanent failures are quarantined at once."""
        by_user: dict[str, list[OperationResult]] = {}
        for result in report.results:
            op = result.operation
            by_user.setdefault(user_key(op.okta_id, op.email), []).append(result)
        carry: dict[str, int] = {}
        new_failures: list[FailureRecord] = []

        def passing_failure(key: str, email: str, op: str, code: str, message: str, counts: bool) -> None:
            attempts = work.pending.get(key, 0) + (1 if counts else 0)
            if attempts >= MAX_PASSING_FAILURES:
                report.notes.append(f"{email or key}: failed {attempts} runs in a row ({code}); retried later")
                new_failures.append(failure_record(key, email, op, code, message, work.failures.get(key), now))
            else:
                carry[key] = attempts

        for key, results in by_user.items():
            if any(r.outcome is Outcome.DEFERRED for r in results):
                carry[key] = work.pending.get(key, 0)
                continue
            # A picture that failed for a passing reason is tried again by the next full run (its mark is unchanged);
            # carrying the user over would quarantine it after a few runs, holding back its other changes.
            failed = next(
                (
                    r
                    for r in results
                    if r.outcome is Outcome.FAILED
                    and (r.retryable or r.fatal)
                    and not (r.operation.op is OpKind.PICTURE and not r.fatal)
                ),
                None,
            )
            if failed is not None:
                op = failed.operation
                code, message = failed.error_code or "error", failed.error_message or ""
                passing_failure(key, op.email, op.op.value, code, message, counts=not failed.fatal)
        for key, error in snapshot.unreadable.items():
            email = key if "@" in key else ""
            if isinstance(error, ApiError) and error.retryable:
                passing_failure(key, email, "read", error.code, error.message, counts=True)
            else:
                new_failures.append(
                    failure_record(key, email, "read", error.code, error.message, work.failures.get(key), now)
                )
        deferred = sum(1 for key in carry if any(r.outcome is Outcome.DEFERRED for r in by_user.get(key, ())))
        if deferred:
            report.notes.append(f"the run's time ran out: {deferred} users carried over to the next run")
        changed = {key: n for key, n in carry.items() if work.pending.get(key) != n}
        if changed:
            self.state.save_pending(changed)
        quarantined_now = {record.key for record in new_failures}
        covered = set(work.pending) if scope is None else set(work.pending) & scope
        finished = (covered | set(snapshot.refs)) - carry.keys()
        if finished:
            self.state.clear_pending(sorted(finished))
        planned = {user_key(u.okta_id, u.email) for u in plan.users} | set(report.q_keys)
        seen = (set(snapshot.refs) - set(snapshot.unreadable)) if snapshot.refs else set(work.failures)
        to_put, to_clear = settle_failures(report.results, work.failures, now, in_sync=seen - planned)
        to_put = [r for r in to_put if r.key not in quarantined_now] + new_failures
        report.failures_recorded = len(to_put)
        for record in to_put:
            self.state.put_failure(record)
        to_clear = sorted(set(to_clear) - quarantined_now)
        if to_clear:
            self.state.clear_failures(to_clear)
        self._settle_held(report, work, now, scope=scope, keep=keep_held | set(snapshot.unreadable))

    def _settle_held(
        self, report: RunReport, work: Work, now: datetime, *, scope: frozenset[str] | None, keep: set[str]
    ) -> None:
        """Held operations stay recorded (and reported, and alarmed) until they go through or are not needed."""
        held_now: dict[str, list[OperationResult]] = {}
        for result in report.results:
            if result.outcome is Outcome.HELD:
                op = result.operation
                held_now.setdefault(user_key(op.okta_id, op.email), []).append(result)
        reason = "; ".join(n for n in report.notes if "exceed max_" in n) or "held by a brake"
        records = []
        for key, results in held_now.items():
            previous = work.held.get(key)
            ops = tuple(dict.fromkeys(r.operation.op.value for r in results))
            records.append(
                HeldRecord(
                    key, results[0].operation.email, ops, reason, previous.since if previous else now.isoformat()
                )
            )
        if records:
            self.state.put_held(records)
        release = [k for k in work.held if k not in held_now and k not in keep and (scope is None or k in scope)]
        if release:
            self.state.clear_held(release)
