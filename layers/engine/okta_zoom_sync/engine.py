"""One run of the sync: take the lease, read Okta and Zoom, plan, guard, execute, checkpoint, record.

Adapters come in through ports. Every read happens before the first write. A read that fails at once
fails the run with nothing written; a list that fails part way is used, but nothing is deprovisioned.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .applier import Executor, Outcome
from .desired import desired_users, zoom_email
from .errors import ApiError, IncompleteReadError, InvalidPolicyError, SyncError
from .events import Mode, SyncEvent
from .guardrail import apply_guardrail
from .log_events import RELEVANT_EVENTS, affected_by
from .model import Cursor, DesiredUser, Link, OktaAssignment, OktaGroupRef, ZoomUser, user_key
from .observability import logger
from .planner import email_domain
from .planner import plan as make_plan
from .policy import Policy
from .ports import OktaReader, StateStore, ZoomReader
from .quarantine import hold_quarantined, settle_failures
from .result import RunReport, RunStatus

# Okta keeps System Log events 90 days; a cursor older than this (with a margin) may have lost events.
LOG_RETENTION = timedelta(days=85)
# Okta may persist an event a little after it happened: a new cursor starts this far back.
LOG_LAG = timedelta(minutes=2)
# Above this many affected users, one full read is cheaper than reading them one by one.
INCREMENTAL_LIMIT = 250
RECENT_UUIDS_KEPT = 200


def utc_now() -> datetime:
    return datetime.now(UTC)


def okta_time(moment: datetime) -> str:
    """ISO-8601 the way Okta writes it: 2026-11-28T21:40:01.123Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Picture:
    """Everything the planner needs, read before any write."""

    desired: Sequence[DesiredUser]
    actual: Sequence[ZoomUser]
    links: dict[str, Link]
    refs: tuple[str, ...] = ()  # the users a partial read covered (users mode, incremental)
    incomplete: tuple[str, ...] = ()  # why a list could not be read whole: then nothing is deprovisioned


@dataclass(frozen=True)
class TimeBudget:
    """The run's time: `left()` seconds remain; new work stops `margin` seconds before the end."""

    left: Callable[[], float]
    margin: float

    def exhausted(self) -> bool:
        return self.left() <= self.margin

    @classmethod
    def unlimited(cls) -> TimeBudget:
        return cls(left=lambda: float("inf"), margin=0.0)

    @classmethod
    def from_remaining(cls, remaining_ms: Callable[[], int]) -> TimeBudget:
        start = remaining_ms() / 1000
        # Keep back 15 % of the time (between 2 s and 60 s) to checkpoint and answer.
        return cls(left=lambda: remaining_ms() / 1000, margin=max(2.0, min(60.0, 0.15 * start)))


class SyncEngine:
    def __init__(
        self,
        *,
        okta: OktaReader,
        zoom: ZoomReader,
        state: StateStore,
        executor: Executor,
        policy: Policy,
        app_id: str,
        clock: Callable[[], datetime] = utc_now,
        budget: TimeBudget | None = None,
        request_stats: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.okta = okta
        self.zoom = zoom
        self.state = state
        self.executor = executor
        self.policy = policy
        self.app_id = app_id
        self.clock = clock
        self.budget = budget or TimeBudget.unlimited()
        self.request_stats = request_stats

    # --- one run -------------------------------------------------------------------------------------------

    def run(self, event: SyncEvent, run_id: str | None = None) -> RunReport:
        started = time.monotonic()
        report = RunReport(
            run_id=run_id or str(uuid.uuid4()),
            mode=event.mode.value,
            dry_run=event.dry_run,
            force=event.force,
            started_at=self.clock().isoformat(),
        )
        logger.append_keys(run_id=report.run_id, mode=report.mode, dry_run=report.dry_run)
        logger.info("run started", extra={"force": event.force})
        holds_lease = False
        try:
            # A dry run writes nothing, not even the lease.
            if not event.dry_run:
                holds_lease = self.state.acquire_lease(report.run_id, self._lease_seconds())
                if not holds_lease:
                    report.status = RunStatus.SKIPPED
                    report.notes.append("another run holds the lease")
                    logger.info("run skipped: another run holds the lease")
                    return report
            if event.mode is Mode.INCREMENTAL:
                self._incremental(event, report)
            elif event.mode is Mode.USERS and event.users:
                # Named users are tried now, even if quarantined: an operator is asking.
                picture = self._read_users(event.users, report.notes, explicit=True)
                self._reconcile(picture, event, report, respect_quarantine=False)
            else:
                self._reconcile(self._read_all(), event, report)
        except SyncError as exc:
            logger.error("run failed", extra={"error_code": exc.code, "error": exc.message})
            report.fail(exc)
        finally:
            report.duration_ms = int((time.monotonic() - started) * 1000)
            report.requests = self.request_stats() if self.request_stats else {}
            if holds_lease:
                self._record(report)
                self._release(report.run_id)
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

    def _lease_seconds(self) -> int:
        left = self.budget.left()
        # Outlive the run itself; a crashed run's lease then expires by itself.
        return int(min(left, 900.0)) + 60

    def _release(self, run_id: str) -> None:
        try:
            self.state.release_lease(run_id)
        except SyncError as exc:
            logger.error("could not release the lease; it expires by itself", extra={"error": exc.message})

    # --- modes ---------------------------------------------------------------------------------------------

    def _incremental(self, event: SyncEvent, report: RunReport) -> None:
        now = self.clock()
        cursor = self.state.load_cursor()
        if cursor is None or now - datetime.fromisoformat(cursor.saved_at) > LOG_RETENTION:
            report.notes.append(
                "no System Log cursor yet: full reconcile"
                if cursor is None
                else "the System Log cursor is older than Okta's retention: full reconcile"
            )
            self._full_then_cursor(event, report, now)
            return
        try:
            read = self.okta.read_log(cursor.position)
        except ApiError as exc:
            if exc.status not in (400, 404):
                raise
            report.notes.append(f"Okta refused the saved System Log cursor ({exc.code}): full reconcile")
            self._full_then_cursor(event, report, now)
            return
        affected = affected_by(read.events, self.app_id, cursor.recent_uuids)
        pending = self.state.load_pending()
        refs = set(pending) | set(affected.users)
        for group_id in sorted(affected.groups):
            refs |= self.okta.list_group_member_ids(group_id)
        logger.info(
            "system log read",
            extra={
                "events": len(read.events),
                "users": len(affected.users),
                "groups": len(affected.groups),
                "pending": len(pending),
            },
        )
        if affected.everything or len(refs) > INCREMENTAL_LIMIT:
            report.notes.append(f"{len(refs)} users affected or the app changed: full reconcile")
            self._reconcile(self._read_all(), event, report, done=pending)
        elif refs:
            self._reconcile(self._read_users(sorted(refs), report.notes, explicit=False), event, report, done=pending)
        if not event.dry_run:
            recent = (*cursor.recent_uuids, *affected.handled)[-RECENT_UUIDS_KEPT:]
            self.state.save_cursor(Cursor(read.position, now.isoformat(), tuple(recent)))

    def _full_then_cursor(self, event: SyncEvent, report: RunReport, now: datetime) -> None:
        # Take the position before reading, so that nothing that happens during the run is missed.
        start = self.okta.log_start(okta_time(now - LOG_LAG), RELEVANT_EVENTS)
        pending = self.state.load_pending()
        self._reconcile(self._read_all(), event, report, done=pending)
        if not event.dry_run:
            self.state.save_cursor(Cursor(start, now.isoformat()))

    def _reconcile(
        self,
        picture: Picture,
        event: SyncEvent,
        report: RunReport,
        done: Iterable[str] = (),
        *,
        respect_quarantine: bool = True,
    ) -> None:
        now = self.clock()
        plan = make_plan(picture.desired, picture.actual, picture.links, self.policy, now)
        failures = self.state.load_failures()
        if respect_quarantine and failures:
            plan, report.quarantined = hold_quarantined(plan, failures, now)
        if picture.incomplete:
            # Never act on a partial picture: someone missing from a list that failed has not left.
            dropped = sum(1 for user in plan.users if user.deprovision)
            plan = replace(plan, users=tuple(user for user in plan.users if not user.deprovision))
            for reason in picture.incomplete:
                report.notes.append(f"{reason}: no deprovision this run ({dropped} not applied)")
                report.errors.append({"op": None, "email": None, "code": "incomplete_read", "message": reason})
        managed_base = max(plan.managed, len(picture.links))
        if picture.refs and any(user.deprovision for user in plan.users):
            managed_base = max(managed_base, self.state.count_links())  # a partial read sees few users
        plan, decision = apply_guardrail(
            plan, self.policy.max_deprovisions, force=event.force, managed_base=managed_base
        )
        if decision.reason:
            logger.warning("guardrail", extra={"reason": decision.reason, "held": decision.held})
            report.notes.append(decision.reason)
        report.plan = plan
        report.notes.extend(plan.notes)
        report.results = self.executor.execute(plan, should_stop=self.budget.exhausted)
        report.settle_status(guard_held=decision.held, incomplete=bool(picture.incomplete))
        if event.dry_run:
            return
        # Checkpoint: users the deadline cut off are carried over; first save them, then clear the rest.
        deferred = {r.operation.okta_id or r.operation.email for r in report.results if r.outcome is Outcome.DEFERRED}
        if deferred:
            report.notes.append(f"the run's time ran out: {len(deferred)} users carried over to the next run")
            self.state.save_pending(sorted(deferred))
        finished = (set(done) | set(picture.refs)) - deferred
        if finished:
            self.state.clear_pending(sorted(finished))
        planned = {user_key(u.okta_id, u.email) for u in plan.users} | {r.key for r in report.quarantined}
        seen = set(picture.refs) if picture.refs else set(failures)
        to_put, to_clear = settle_failures(report.results, failures, now, in_sync=seen - planned)
        for record in to_put:
            self.state.put_failure(record)
        if to_clear:
            self.state.clear_failures(sorted(set(to_clear)))

    # --- reading the picture -------------------------------------------------------------------------------

    def _read_all(self) -> Picture:
        incomplete: list[str] = []
        try:
            assignments = self.okta.list_assigned_users()
        except IncompleteReadError as exc:
            assignments = exc.items
            incomplete.append(exc.message)
        assignments = self._with_rule_groups(assignments)
        try:
            actual = self.zoom.list_users()
        except IncompleteReadError as exc:
            actual = exc.items
            incomplete.append(exc.message)
        links = self.state.load_links()
        return Picture(desired_users(assignments, self.policy), actual, links, incomplete=tuple(incomplete))

    def _with_rule_groups(self, assignments: list[OktaAssignment]) -> list[OktaAssignment]:
        """Attach to each assignment the policy-rule groups its user belongs to."""
        refs = self.policy.rule_groups
        if not refs:
            return assignments
        groups = self.okta.find_groups(sorted(refs))
        missing = sorted(refs - groups.keys())
        if missing:
            raise InvalidPolicyError(
                "policy rules name Okta groups that do not exist: " + ", ".join(repr(m) for m in missing)
            )
        members: dict[str, set[OktaGroupRef]] = {}
        for group in set(groups.values()):
            for okta_id in self.okta.list_group_member_ids(group.id):
                members.setdefault(okta_id, set()).add(group)
        return [replace(a, groups=frozenset(members.get(a.okta_id, ()))) for a in assignments]

    def _read_users(self, refs: Iterable[str], notes: list[str], *, explicit: bool) -> Picture:
        """Read just these users (an email or an Okta id each) from Okta, the links and Zoom.

        `explicit` (a `users` run) also looks up Zoom users that are neither assigned nor linked, so a
        managed-domain leftover can be deprovisioned by name; an incremental run skips those. Links are
        read one by one; all of them only when a Zoom user was found by email, to know whether another
        Okta user owns it."""
        links: dict[str, Link] = {}
        all_links = False
        managed_domains = set(self.policy.managed_domains)
        assignments: list[OktaAssignment] = []
        actual: dict[str, ZoomUser] = {}
        refs = tuple(dict.fromkeys(refs))
        for ref in refs:
            okta_user = self.okta.get_user(ref) if "@" in ref else None
            okta_id = okta_user.okta_id if okta_user else (None if "@" in ref else ref)
            assignment = self.okta.get_assignment(okta_id) if okta_id else None
            link = None
            if okta_id:
                link = links.get(okta_id) if all_links else self.state.get_link(okta_id)
            else:
                if not all_links:
                    links, all_links = self.state.load_links(), True
                link = next((lk for lk in links.values() if lk.email.casefold() == ref.casefold()), None)
            if link is not None:
                links[link.okta_id] = link
            zoom_user = self.zoom.get_user(link.zoom_id) if link else None
            if assignment is not None:
                if self.policy.rule_groups:
                    assignment = replace(assignment, groups=self.okta.list_user_groups(assignment.okta_id))
                assignments.append(assignment)
                email: str | None = zoom_email(assignment)
            elif okta_user is not None:
                email = zoom_email(okta_user)
            elif "@" in ref:
                email = ref
                if explicit:
                    notes.append(f"{ref}: no such Okta user")
            elif explicit or managed_domains:
                other = self.okta.get_user(ref)
                email = zoom_email(other) if other else None
                if other is None and explicit:
                    notes.append(f"{ref}: no such Okta user")
            else:
                email = None
            in_managed_domain = email is not None and email_domain(email) in managed_domains
            if zoom_user is None and email and (assignment is not None or explicit or in_managed_domain):
                zoom_user = self.zoom.get_user(email)
                if zoom_user is not None and not all_links:
                    links, all_links = {**self.state.load_links(), **links}, True
            if zoom_user is not None:
                actual[zoom_user.zoom_id or zoom_user.email.casefold()] = zoom_user
        return Picture(desired_users(assignments, self.policy), list(actual.values()), links, refs=refs)

    # --- recording -----------------------------------------------------------------------------------------

    def _record(self, report: RunReport) -> None:
        summary: dict[str, Any] = report.to_dict()
        summary.pop("operations", None)
        try:
            self.state.record_run(summary)
        except SyncError as exc:
            logger.error("could not record the run", extra={"error": exc.message})
