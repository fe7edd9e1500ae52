"""One run of the sync: take the lease, run the mode (full, users, incremental or queued events), record the run,
release.

Adapters come in through ports. Wiring decides once whether the run acts: a dry run gets an executor, a state
store, a checkpoint and a Zoom group maker that write nothing, so the engine never asks.

Every mode first checks the Okta groups the policy's rules name, and, before it reads what it plans from, the Zoom
roles and groups they name (`zoom_rules.py`; a run with nothing to reconcile asks Zoom nothing): a name that does not
exist fails the run before anything is written. Then the Zoom groups `create_missing_groups`
allows are created and each rule's Zoom group id is remembered (the only writes before the plan's).

What the plan is made from is read before the first Zoom user write (the executor reads again only when a create
meets a 409); before that point the state table is written only for the lease, the rules' Zoom group ids and the
app's group list. A list that fails at once fails the run with nothing written to Zoom and the cursor left where
it was; a list that fails part way is used, but nothing is deprovisioned; one user's read failing sets that user
aside (every named user's read failing for a passing reason fails the run). Unfinished work (users cut off by the
deadline or failed for a passing reason, held operations) is made durable before the cursor moves past it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from okta_zoom_sync.boundary.request import Mode, SyncEvent
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.core.ports import OktaReader, StateStore, ZoomReader
from okta_zoom_sync.core.report import RunReport, RunStatus
from okta_zoom_sync.engine.budget import TimeBudget
from okta_zoom_sync.engine.checkpoint import Checkpoint, Work
from okta_zoom_sync.engine.executor import Executor
from okta_zoom_sync.engine.incremental import IncrementalSync
from okta_zoom_sync.engine.lease import Lease
from okta_zoom_sync.engine.reconcile import Reconciler
from okta_zoom_sync.engine.snapshot import ReadFailed, RuleGroups, Snapshot, SnapshotReader
from okta_zoom_sync.engine.zoom_rules import ZoomRules
from okta_zoom_sync.errors import SyncError
from okta_zoom_sync.observability import logger


def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncEngine:
    def __init__(
        self,
        *,
        okta: OktaReader,
        zoom: ZoomReader,
        state: StateStore,
        executor: Executor,
        checkpoint: Checkpoint,
        policy: Policy,
        app_id: str,
        clock: Callable[[], datetime] = utc_now,
        budget: TimeBudget | None = None,
        request_stats: Callable[[], dict[str, Any]] | None = None,
        zoom_rules: ZoomRules | None = None,
    ) -> None:
        budget = budget or TimeBudget.unlimited()
        self.okta = okta
        self.zoom = zoom
        self.executor = executor
        self.app_id = app_id
        self.clock = clock
        self.budget = budget
        self.state = state
        self.checkpoint = checkpoint
        self.request_stats = request_stats
        self.lease = Lease(state, budget)
        self.policy = policy
        self.zoom_rules = zoom_rules
        self.rule_groups = RuleGroups(okta, policy)  # resolved once per run, before anything is written
        self._rules_checked = zoom_rules is None
        self._assemble(policy)
        self.incremental = IncrementalSync(
            okta=okta,
            state=state,
            app_id=app_id,
            rule_groups=self.rule_groups,
            planning=self._planning,
            read_all=self._read_all,
            clock=clock,
        )

    def _assemble(self, policy: Policy) -> None:
        """The steps that plan from the policy: made again when the Zoom groups the rules name are found renamed."""
        self.snapshots = SnapshotReader(
            okta=self.okta,
            zoom=self.zoom,
            links=self.state,
            policy=policy,
            rule_groups=self.rule_groups,
            clock=self.clock,
        )
        self.reconciler = Reconciler(
            policy=policy,
            links=self.state,
            executor=self.executor,
            checkpoint=self.checkpoint,
            clock=self.clock,
            budget=self.budget,
        )

    def run(self, event: SyncEvent, report: RunReport) -> RunReport:
        """Run once and fill in `report` (made by the caller): what was planned, applied, held and failed."""
        started = time.monotonic()
        logger.append_keys(run_id=report.run_id, mode=report.mode, dry_run=report.dry_run)
        logger.info("run started", extra={"force": event.force})
        holds_lease = False
        try:
            holds_lease = self.lease.acquire(report.run_id)
            if not holds_lease:
                report.status = RunStatus.SKIPPED
                report.notes.append("another run holds the lease")
                logger.info("run skipped: another run holds the lease")
                return report
            self._run_mode(event, report)
        except ReadFailed as failed:
            report.notes.extend(failed.notes)
            self._fail(report, failed.error)
        except SyncError as exc:
            self._fail(report, exc)
        finally:
            report.duration_ms = int((time.monotonic() - started) * 1000)
            report.requests = self.request_stats() if self.request_stats else {}
            if holds_lease:
                self._record(report)
                self.lease.release(report.run_id)
        summary = report.to_dict()
        logger.info(
            "run finished",
            extra={
                "status": report.status.value,
                "duration_ms": report.duration_ms,
                "applied": summary["applied"],
                "failed": summary["failed"],
                "deferred": summary["deferred"],
            },
        )
        return report

    def _run_mode(self, event: SyncEvent, report: RunReport) -> None:
        self.rule_groups.resolve()  # the Okta groups the rules name: a name that does not exist fails the run here
        if event.mode is Mode.INCREMENTAL:
            self.incremental.run(report, force=event.force)
        elif event.mode is Mode.QUEUE:
            self.incremental.reconcile_events(event.events or (), report, force=event.force)
        elif event.mode is Mode.USERS and event.users:
            # Named users are tried now, even if quarantined: an operator is asking.
            snapshots, reconciler = self._planning(report)
            snapshot = snapshots.read_users(event.users, explicit=True)
            work = Work.load(self.state)
            reconciler.reconcile(snapshot, work, report, force=event.force, respect_quarantine=False)
        else:
            _, reconciler = self._planning(report)
            reconciler.reconcile(self._read_all(), Work.load(self.state), report, force=event.force)

    def _planning(self, report: RunReport) -> tuple[SnapshotReader, Reconciler]:
        """The snapshot reader and reconciler to plan with. The first call checks the Zoom roles and groups the
        rules name (a name that does not exist fails the run here, before anything is read for the plan or
        written) and, when a rule's Zoom group was renamed, makes them again for its Zoom name. A run with nothing
        to reconcile (most incremental runs) never calls it, so it asks Zoom nothing."""
        if not self._rules_checked:
            assert self.zoom_rules is not None
            resolved = self.zoom_rules.resolve()
            self._rules_checked = True
            report.notes.extend(resolved.notes)
            if resolved.policy is not self.policy:
                self._assemble(resolved.policy)
        return self.snapshots, self.reconciler

    def _read_all(self) -> Snapshot:
        """A full read, then the app's group list remembered (which membership events matter)."""
        snapshot = self.snapshots.read_all()
        self.checkpoint.refresh_app_groups()
        return snapshot

    @staticmethod
    def _fail(report: RunReport, exc: SyncError) -> None:
        logger.error("run failed", extra={"error_code": exc.code, "error": exc.message})
        report.fail(exc)

    def _record(self, report: RunReport) -> None:
        try:
            self.state.record_run(report.record())
        except SyncError as exc:
            logger.error("could not record the run", extra={"error": exc.message})
