"""One reconcile of a snapshot: plan, hold quarantined users, guard, execute, settle the status, checkpoint.

The snapshot's notes, unreadable users and incomplete lists are copied into the report here. On an incomplete
snapshot nothing is deprovisioned: someone missing from a list that failed has not left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from okta_zoom_sync.core.guardrail import apply_guardrail
from okta_zoom_sync.core.invitations import reinvite_notes
from okta_zoom_sync.core.model import user_key
from okta_zoom_sync.core.planner import plan as make_plan
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.core.ports import LinkStore
from okta_zoom_sync.core.quarantine import hold_quarantined
from okta_zoom_sync.core.report import RunReport
from okta_zoom_sync.core.seats import shortage_notes
from okta_zoom_sync.engine.budget import TimeBudget
from okta_zoom_sync.engine.checkpoint import Checkpoint, Work
from okta_zoom_sync.engine.executor import Executor
from okta_zoom_sync.engine.snapshot import Snapshot
from okta_zoom_sync.observability import logger


class Reconciler:
    def __init__(
        self,
        *,
        policy: Policy,
        links: LinkStore,
        executor: Executor,
        checkpoint: Checkpoint,
        clock: Callable[[], datetime],
        budget: TimeBudget,
    ) -> None:
        self.policy = policy
        self.links = links
        self.executor = executor
        self.checkpoint = checkpoint
        self.clock = clock
        self.budget = budget

    def reconcile(
        self, snapshot: Snapshot, work: Work, report: RunReport, *, force: bool, respect_quarantine: bool = True
    ) -> None:
        """Act on the snapshot and fill in the report; `respect_quarantine` False tries quarantined users now."""
        now = self.clock()
        report.notes.extend(snapshot.notes)
        report.unread.extend(snapshot.unreadable)
        report.incomplete = report.incomplete or bool(snapshot.incomplete)
        for ref, error in snapshot.unreadable.items():
            email = ref if "@" in ref else None
            report.errors.append({"op": "read", "email": email, "okta_id": None if email else ref,
                                  "code": error.code, "message": error.message})  # fmt: skip
        whole = not snapshot.refs and not snapshot.incomplete  # every Zoom user was read
        plan = make_plan(snapshot.desired, snapshot.actual, snapshot.links, self.policy, now, zoom_complete=whole)
        if respect_quarantine and work.failures:
            plan, report.quarantined = hold_quarantined(plan, work.failures, now)
        dropped: set[str] = set()
        if snapshot.incomplete:
            # Never act on a partial snapshot: someone missing from a list that failed has not left.
            dropped = {user_key(u.okta_id, u.email) for u in plan.users if u.deprovision}
            plan = replace(plan, users=tuple(user for user in plan.users if not user.deprovision))
            for reason in snapshot.incomplete:
                report.notes.append(f"{reason}: no deprovision this run ({len(dropped)} not applied)")
                report.errors.append({"op": None, "email": None, "code": "incomplete_read", "message": reason})
        managed_base = max(plan.managed, len(snapshot.links))
        if snapshot.refs and any(user.deprovision for user in plan.users):
            managed_base = max(managed_base, self.links.count_links())  # a partial read sees few users
        plan, decision = apply_guardrail(
            plan,
            self.policy.max_deprovisions,
            force=force,
            managed_base=managed_base,
            downgrade_limits=self.policy.max_license_downgrades,
        )
        for reason in decision.reasons:
            logger.warning("guardrail", extra={"reason": reason, "held": decision.any_held})
            report.notes.append(reason)
        report.plan = plan
        report.notes.extend(plan.notes)
        for problem in plan.problems:  # a value Zoom would refuse: reported, never sent; the rest still runs
            report.errors.append(
                {"op": "update", "email": problem.email, "okta_id": problem.okta_id, "zoom_id": problem.zoom_id,
                 "code": problem.code, "message": problem.message}
            )  # fmt: skip
        report.results = self.executor.execute(plan, should_stop=self.budget.exhausted)
        report.notes.extend(shortage_notes(report.results) + reinvite_notes(report.results))
        scope = snapshot.scope(plan)
        report.still_held = [] if scope is None else [r for k, r in work.held.items() if k not in scope]
        report.settle_status(
            guard_held=decision.any_held or bool(report.still_held),
            incomplete=bool(snapshot.incomplete or snapshot.unreadable or plan.problems),
        )
        self.checkpoint.save(snapshot, plan, report, work, now, scope=scope, keep_held=dropped | set(report.q_keys))
