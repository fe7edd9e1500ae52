"""One run of the sync: take the lease, read Okta and Zoom, plan, guard, execute, checkpoint, record.

Adapters come in through ports. Every read happens before the first write. A list that fails at once
fails the run with nothing written; a list that fails part way is used, but nothing is deprovisioned;
one user's read failing sets that user aside. Unfinished work (users cut off by the deadline or failed
for a passing reason, held operations) is made durable before the System Log cursor moves past it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from okta_zoom_sync.boundary.request import Mode, SyncEvent
from okta_zoom_sync.core.desired import desired_users, zoom_email
from okta_zoom_sync.core.guardrail import apply_guardrail
from okta_zoom_sync.core.model import (
    Cursor,
    DesiredUser,
    FailureRecord,
    HeldRecord,
    Link,
    OktaAssignment,
    OktaGroupRef,
    Plan,
    ZoomUser,
    fold,
    user_key,
)
from okta_zoom_sync.core.outcome import OperationResult, Outcome
from okta_zoom_sync.core.planner import email_domain
from okta_zoom_sync.core.planner import plan as make_plan
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.core.ports import OktaReader, StateStore, ZoomReader
from okta_zoom_sync.core.quarantine import due_for_retry, failure_record, hold_quarantined, settle_failures
from okta_zoom_sync.core.report import RunReport, RunStatus
from okta_zoom_sync.core.system_log import RELEVANT_EVENTS, Affected, affected_by
from okta_zoom_sync.engine.budget import TimeBudget
from okta_zoom_sync.engine.executor import Executor
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    CursorRefusedError,
    InvalidPolicyError,
    NotFoundError,
    StateError,
    SyncError,
    TokenUnavailableError,
)
from okta_zoom_sync.observability import logger

# Okta keeps System Log events 90 days; a cursor older than this (with a margin) may have lost events.
LOG_RETENTION = timedelta(days=85)
# Okta may persist an event a little after it happened: a new cursor starts this far back.
LOG_LAG = timedelta(minutes=2)
# Above this many affected users, one full read is cheaper than reading them one by one.
INCREMENTAL_LIMIT = 250
RECENT_UUIDS_KEPT = 200
# A user failed for a passing reason (5xx or 429 after the retries) this many runs in a row is quarantined.
MAX_PASSING_FAILURES = 3


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Picture:
    """Everything the planner needs, read before any write."""

    desired: Sequence[DesiredUser]
    actual: Sequence[ZoomUser]
    links: dict[str, Link]
    refs: tuple[str, ...] = ()  # the users a partial read covered (users mode, incremental)
    incomplete: tuple[str, ...] = ()  # why a list could not be read whole: then nothing is deprovisioned
    unreadable: Mapping[str, SyncError] = field(default_factory=dict)  # refs whose read failed, set aside
    notes: tuple[str, ...] = ()

    def scope(self, plan: Plan) -> frozenset[str] | None:
        """The user keys this picture speaks for; None for a full picture (everyone)."""
        if not self.refs:
            return None
        actual_ids = {u.zoom_id for u in self.actual if u.zoom_id}
        actual_emails = {fold(u.email) for u in self.actual}
        linked = {
            okta_id
            for okta_id, link in self.links.items()
            if link.zoom_id in actual_ids or fold(link.email) in actual_emails
        }
        keys = set(self.refs) | {d.okta_id for d in self.desired} | linked | actual_emails
        keys |= {user_key(u.okta_id, u.email) for u in plan.users}
        return frozenset(keys)


@dataclass(frozen=True)
class Work:
    """The state table's records of work still to do, read once per run."""

    pending: Mapping[str, int]  # user key -> runs in a row that failed it for a passing reason
    failures: Mapping[str, FailureRecord]
    held: Mapping[str, HeldRecord]


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
        self._resolved_rule_groups: dict[str, OktaGroupRef] | None = None

    # --- one run -------------------------------------------------------------------------------------------

    def run(self, event: SyncEvent, report: RunReport) -> RunReport:
        """Run once and fill in `report` (made by the caller): what was planned, applied, held and failed."""
        started = time.monotonic()
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
                self._reconcile(picture, event, report, self._work(), respect_quarantine=False)
            else:
                self._reconcile(self._read_all(event), event, report, self._work())
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
            read = self.okta.read_log(cursor.position, RELEVANT_EVENTS)
        except CursorRefusedError as exc:
            report.notes.append(f"{exc.message}: full reconcile and a new cursor")
            self._full_then_cursor(event, report, now)
            return
        affected = affected_by(read.events, self.app_id, cursor.recent_uuids)
        pending = self.state.load_pending()
        failures = self.state.load_failures()
        held = self.state.load_held()
        # Work still to do is part of every run: users carried over, quarantined users now due, held operations.
        refs = set(pending) | set(affected.users) | set(due_for_retry(failures, now)) | set(held)
        everything = affected.everything
        if affected.memberships or affected.groups_assigned or affected.groups_unassigned:
            app_groups = self._app_groups(affected, dry_run=event.dry_run)
        if affected.memberships:
            # Membership changes matter only in groups assigned to the app or named by a rule.
            matter = app_groups | {group.id for group in self._rule_groups().values()}
            for group_id, members in affected.memberships.items():
                if group_id in matter:
                    refs |= members
        for group_id in sorted(affected.groups):
            try:
                refs |= self.okta.list_group_member_ids(group_id)
            except NotFoundError:
                # A group unassigned and then deleted: its members cannot be listed any more. The app's own
                # list still says who is assigned.
                report.notes.append(f"Okta group {group_id} no longer exists: full reconcile")
                everything = True
                break
        logger.info(
            "system log read",
            extra={
                "events": len(read.events),
                "users": len(affected.users),
                "groups": len(affected.groups),
                "pending": len(pending),
                "held": len(held),
            },
        )
        work = Work(pending=pending, failures=failures, held=held)
        if everything or len(refs) > INCREMENTAL_LIMIT:
            report.notes.append(f"{len(refs)} users affected or the app changed: full reconcile")
            self._reconcile(self._read_all(event), event, report, work)
        elif refs:
            self._reconcile(self._read_users(sorted(refs), report.notes, explicit=False), event, report, work)
        if not event.dry_run:
            recent = (*cursor.recent_uuids, *affected.handled)[-RECENT_UUIDS_KEPT:]
            self.state.save_cursor(Cursor(read.position, now.isoformat(), tuple(recent)))

    def _full_then_cursor(self, event: SyncEvent, report: RunReport, now: datetime) -> None:
        # Take the position before reading, so that nothing that happens during the run is missed.
        start = self.okta.log_start(now - LOG_LAG, RELEVANT_EVENTS)
        self._reconcile(self._read_all(event), event, report, self._work())
        if not event.dry_run:
            self.state.save_cursor(Cursor(start, now.isoformat()))

    def _work(self) -> Work:
        return Work(self.state.load_pending(), self.state.load_failures(), self.state.load_held())

    def _app_groups(self, affected: Affected, *, dry_run: bool) -> frozenset[str]:
        """The groups assigned to the app: the stored list with this batch's assignment events applied."""
        cached = self.state.load_app_groups()
        app_groups = cached if cached is not None else self.okta.list_app_group_ids()
        updated = (app_groups | affected.groups_assigned) - affected.groups_unassigned
        if not dry_run and updated != cached:
            self.state.save_app_groups(updated)
        return updated

    def _reconcile(
        self,
        picture: Picture,
        event: SyncEvent,
        report: RunReport,
        work: Work,
        *,
        respect_quarantine: bool = True,
    ) -> None:
        now = self.clock()
        report.notes.extend(picture.notes)
        for ref, error in picture.unreadable.items():
            email = ref if "@" in ref else None
            report.errors.append({"op": "read", "email": email, "okta_id": None if email else ref,
                                  "code": error.code, "message": error.message})  # fmt: skip
        plan = make_plan(picture.desired, picture.actual, picture.links, self.policy, now)
        if respect_quarantine and work.failures:
            plan, report.quarantined = hold_quarantined(plan, work.failures, now)
        dropped: set[str] = set()
        if picture.incomplete:
            # Never act on a partial picture: someone missing from a list that failed has not left.
            dropped = {user_key(u.okta_id, u.email) for u in plan.users if u.deprovision}
            plan = replace(plan, users=tuple(user for user in plan.users if not user.deprovision))
            for reason in picture.incomplete:
                report.notes.append(f"{reason}: no deprovision this run ({len(dropped)} not applied)")
                report.errors.append({"op": None, "email": None, "code": "incomplete_read", "message": reason})
        managed_base = max(plan.managed, len(picture.links))
        if picture.refs and any(user.deprovision for user in plan.users):
            managed_base = max(managed_base, self.state.count_links())  # a partial read sees few users
        plan, decision = apply_guardrail(
            plan,
            self.policy.max_deprovisions,
            force=event.force,
            managed_base=managed_base,
            downgrade_limits=self.policy.max_license_downgrades,
        )
        for reason in decision.reasons:
            logger.warning("guardrail", extra={"reason": reason, "held": decision.any_held})
            report.notes.append(reason)
        report.plan = plan
        report.notes.extend(plan.notes)
        report.results = self.executor.execute(plan, should_stop=self.budget.exhausted)
        scope = picture.scope(plan)
        report.still_held = [] if scope is None else [r for k, r in work.held.items() if k not in scope]
        report.settle_status(
            guard_held=decision.any_held or bool(report.still_held),
            incomplete=bool(picture.incomplete or picture.unreadable),
        )
        if event.dry_run:
            return
        self._checkpoint(picture, plan, report, work, now, scope=scope, keep_held=dropped | set(report.q_keys))

    def _checkpoint(
        self,
        picture: Picture,
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
            failed = next((r for r in results if r.outcome is Outcome.FAILED and (r.retryable or r.fatal)), None)
            if failed is not None:
                op = failed.operation
                code, message = failed.error_code or "error", failed.error_message or ""
                passing_failure(key, op.email, op.op.value, code, message, counts=not failed.fatal)
        for key, error in picture.unreadable.items():
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
        finished = (covered | set(picture.refs)) - carry.keys()
        if finished:
            self.state.clear_pending(sorted(finished))
        planned = {user_key(u.okta_id, u.email) for u in plan.users} | set(report.q_keys)
        seen = (set(picture.refs) - set(picture.unreadable)) if picture.refs else set(work.failures)
        to_put, to_clear = settle_failures(report.results, work.failures, now, in_sync=seen - planned)
        to_put = [r for r in to_put if r.key not in quarantined_now] + new_failures
        report.failures_recorded = len(to_put)
        for record in to_put:
            self.state.put_failure(record)
        to_clear = sorted(set(to_clear) - quarantined_now)
        if to_clear:
            self.state.clear_failures(to_clear)
        self._settle_held(report, work, now, scope=scope, keep=keep_held | set(picture.unreadable))

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

    # --- reading the picture -------------------------------------------------------------------------------

    def _read_all(self, event: SyncEvent) -> Picture:
        incomplete: list[str] = []
        assignments = self.okta.list_assigned_users()
        if not assignments.complete:
            incomplete.append(assignments.reason or "Okta's list of app users is incomplete")
        notes = [f"skipped an Okta app user: {note}" for note in assignments.skipped]
        with_groups = self._with_rule_groups(list(assignments.items))
        actual = self.zoom.list_users()
        if not actual.complete:
            incomplete.append(actual.reason or "Zoom's user list is incomplete")
        links = self.state.load_links()
        if not event.dry_run:
            self._refresh_app_groups()
        return Picture(
            desired_users(with_groups, self.policy),
            list(actual.items),
            links,
            incomplete=tuple(incomplete),
            notes=tuple(notes),
        )

    def _refresh_app_groups(self) -> None:
        """Remember which groups are assigned to the app (which membership events matter). Best effort: the
        incremental path keeps the list current from group-assignment events anyway."""
        try:
            self.state.save_app_groups(self.okta.list_app_group_ids())
        except ApiError as exc:
            if isinstance(exc, AuthError):
                raise
            logger.warning("could not refresh the app's group assignments", extra={"error": exc.message})

    def _rule_groups(self) -> dict[str, OktaGroupRef]:
        """The Okta groups the policy's rules name, resolved once per run. Every mode resolves them the same
        way, so a renamed group fails every run safely instead of changing licenses or roles in some."""
        if self._resolved_rule_groups is None:
            refs = self.policy.rule_groups
            groups = self.okta.find_groups(sorted(refs)) if refs else {}
            missing = sorted(refs - groups.keys())
            if missing:
                raise InvalidPolicyError(
                    "policy rules name Okta groups that do not exist: " + ", ".join(repr(m) for m in missing)
                )
            self._resolved_rule_groups = groups
        return self._resolved_rule_groups

    def _with_rule_groups(self, assignments: list[OktaAssignment]) -> list[OktaAssignment]:
        """Attach to each assignment the policy-rule groups its user belongs to."""
        groups = self._rule_groups()
        if not groups:
            return assignments
        members: dict[str, set[OktaGroupRef]] = {}
        for group in set(groups.values()):
            for okta_id in self.okta.list_group_member_ids(group.id):
                members.setdefault(okta_id, set()).add(group)
        return [replace(a, groups=frozenset(members.get(a.okta_id, ()))) for a in assignments]

    def _user_rule_groups(self, okta_id: str) -> frozenset[OktaGroupRef]:
        groups = self._rule_groups()
        if not groups:
            return frozenset()
        member_of = {group.id for group in self.okta.list_user_groups(okta_id)}
        return frozenset(group for group in groups.values() if group.id in member_of)

    def _read_users(self, refs: Iterable[str], notes: list[str], *, explicit: bool) -> Picture:
        """Read just these users (an email or an Okta id each) from Okta, the links and Zoom.

        One user's read failing (a deleted user, an expired invitation, an error) never fails the others:
        it is set aside in `Picture.unreadable` and handled on its own. A credential refused, or the state
        table unreachable, still fails the run."""
        reader = _UserReader(self, explicit=explicit)
        read: list[str] = []
        unreadable: dict[str, SyncError] = {}
        for ref in dict.fromkeys(refs):
            try:
                reader.read(ref, notes)
                read.append(ref)
            except (AuthError, StateError, TokenUnavailableError, InvalidPolicyError):
                raise  # not this user's problem: the run stops
            except SyncError as exc:
                logger.warning("user read failed", extra={"ref": ref, "error_code": exc.code, "error": exc.message})
                notes.append(f"{ref}: could not be read ({exc.code}); set aside")
                unreadable[ref] = exc
        passing = [e for e in unreadable.values() if isinstance(e, ApiError) and e.retryable]
        if unreadable and not read and len(passing) == len(unreadable):
            # Every read failed for a passing reason: the API is down, not these users. Fail the run (the cursor
            # stays where it was) instead of counting an outage against each of them.
            raise passing[0]
        return Picture(
            desired_users(reader.assignments.values(), self.policy),
            list(reader.actual.values()),
            reader.links,
            refs=tuple(read) + tuple(unreadable),
            unreadable=unreadable,
        )

    # --- recording -----------------------------------------------------------------------------------------

    def _record(self, report: RunReport) -> None:
        summary: dict[str, Any] = report.to_dict()
        summary.pop("operations", None)
        try:
            self.state.record_run(summary)
        except SyncError as exc:
            logger.error("could not record the run", extra={"error": exc.message})


class _UserReader:
    """Reads named users one at a time for `SyncEngine._read_users`, sharing the links it loaded.

    A ref is an Okta id or an email. For an email, every Okta user it could mean is considered (the login,
    the profile email through Okta's search, and any Okta user whose link carries it), and the assignment
    of each is read before anything is decided: an assigned user is never deprovisioned because one lookup
    missed. `explicit` (a `users` run) also looks up Zoom users that are neither assigned nor linked, so a
    managed-domain leftover can be deprovisioned by name; an incremental run skips those."""

    def __init__(self, engine: SyncEngine, *, explicit: bool) -> None:
        self.engine = engine
        self.okta, self.zoom, self.state = engine.okta, engine.zoom, engine.state
        self.explicit = explicit
        self.managed_domains = frozenset(engine.policy.managed_domains)
        self.links: dict[str, Link] = {}
        self._all_links: dict[str, Link] | None = None
        self.assignments: dict[str, OktaAssignment] = {}
        self.actual: dict[str, ZoomUser] = {}
        self.owners_read: set[str] = set()  # Okta users read because their link holds a Zoom user in the picture

    def all_links(self) -> dict[str, Link]:
        if self._all_links is None:
            self._all_links = self.state.load_links()
            self.links = {**self._all_links, **self.links}
        return self._all_links

    def link(self, okta_id: str) -> Link | None:
        link = self.links.get(okta_id) if self._all_links is not None else self.state.get_link(okta_id)
        if link is not None:
            self.links[okta_id] = link
        return link

    def read(self, ref: str, notes: list[str]) -> None:
        """Read one ref; what it found joins the picture only if the whole read succeeded."""
        assignments, actual, links = dict(self.assignments), dict(self.actual), dict(self.links)
        owners_read = set(self.owners_read)
        try:
            self._read(ref, notes)
        except BaseException:
            # A half-read user must not reach the planner: an assignment without its Zoom user looks like
            # someone to create, and the create would then take over whoever holds the email.
            self.assignments, self.actual, self.owners_read = assignments, actual, owners_read
            self.links = {**links, **(self._all_links or {})} if self._all_links is not None else links
            raise

    def _read(self, ref: str, notes: list[str]) -> None:
        candidates: dict[str, OktaAssignment | None] = {}  # Okta id -> the Okta user, when already read
        if "@" in ref:
            by_login = self.okta.get_user(ref)
            for user in [by_login] if by_login else self.okta.find_users_by_email(ref):
                candidates[user.okta_id] = user
            for linked in self.all_links().values():
                if fold(linked.email) == fold(ref):
                    candidates.setdefault(linked.okta_id, None)
            if not candidates and self.explicit:
                notes.append(f"{ref}: no such Okta user")
        else:
            candidates[ref] = None
        lookups: list[tuple[str, bool]] = []  # (email, assigned) of users whose Zoom user no link gave
        for okta_id, okta_user in candidates.items():
            link = self.link(okta_id)
            assignment = self.okta.get_assignment(okta_id)
            email: str | None = None
            if assignment is not None:
                assignment = replace(assignment, groups=self.engine._user_rule_groups(okta_id))
                self.assignments[okta_id] = assignment
                email = zoom_email(assignment)
            elif okta_user is not None:
                email = zoom_email(okta_user)
            elif "@" not in ref and (self.explicit or self.managed_domains):
                other = self.okta.get_user(okta_id)
                email = zoom_email(other) if other else None
                if other is None and self.explicit:
                    notes.append(f"{ref}: no such Okta user")
            zoom_user = self.zoom.get_user(link.zoom_id) if link else None
            if zoom_user is not None and link is not None:
                self.add(zoom_user, link.email)
                if email and fold(zoom_user.email) != fold(email):
                    lookups.append((email, assignment is not None))  # the email it moves to: who holds it?
            elif email:
                lookups.append((email, assignment is not None))
        if "@" in ref and not lookups and not self.has(ref):
            lookups.append((ref, False))
        for email, assigned in lookups:
            if self.has(email):
                continue
            if assigned or self.explicit or email_domain(email) in self.managed_domains:
                zoom_user = self.zoom.get_user(email)
                if zoom_user is not None:
                    self.add(zoom_user, email)
                    self.read_link_owners(zoom_user)

    def read_link_owners(self, user: ZoomUser) -> None:
        """Put in the picture every Okta user whose link holds this Zoom user. A partial picture that left them out
        would take their link for a stale one, and hand their Zoom user to whoever else has its email."""
        for link in list(self.all_links().values()):
            holds = (user.zoom_id and link.zoom_id == user.zoom_id) or fold(link.email) == fold(user.email)
            if not holds or link.okta_id in self.assignments or link.okta_id in self.owners_read:
                continue
            self.owners_read.add(link.okta_id)
            assignment = self.okta.get_assignment(link.okta_id)
            if assignment is not None:
                groups = self.engine._user_rule_groups(link.okta_id)
                self.assignments[link.okta_id] = replace(assignment, groups=groups)

    def has(self, email: str) -> bool:
        return any(fold(user.email) == fold(email) for user in self.actual.values())

    def add(self, user: ZoomUser, known_email: str) -> None:
        if not user.email:
            user = replace(user, email=known_email)  # Zoom refused to show an expired invitation
        self.actual[user.zoom_id or fold(user.email)] = user
