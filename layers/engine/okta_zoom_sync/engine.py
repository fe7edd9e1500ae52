"""One run of the sync: read Okta and Zoom, plan, guard, execute, record. Adapters come in through ports."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from .applier import Executor
from .desired import desired_users
from .errors import InvalidPolicyError, SyncError
from .events import Mode, SyncEvent
from .guardrail import apply_guardrail
from .model import DesiredUser, Link, OktaAssignment, OktaGroupRef, ZoomUser
from .observability import logger
from .planner import plan as make_plan
from .policy import Policy
from .ports import OktaReader, StateStore, ZoomReader
from .result import RunReport, RunStatus

RUN_RECORD_DAYS = 30


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Picture:
    """Everything the planner needs, read before any write."""

    desired: Sequence[DesiredUser]
    actual: Sequence[ZoomUser]
    links: dict[str, Link]
    managed_base: int


class SyncEngine:
    def __init__(
        self,
        *,
        okta: OktaReader,
        zoom: ZoomReader,
        state: StateStore,
        executor: Executor,
        policy: Policy,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.okta = okta
        self.zoom = zoom
        self.state = state
        self.executor = executor
        self.policy = policy
        self.clock = clock

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
        try:
            picture = (
                self._read_users(event.users, report.notes)
                if event.mode is Mode.USERS and event.users
                else self._read_all()
            )
            plan = make_plan(picture.desired, picture.actual, picture.links, self.policy, self.clock())
            plan, decision = apply_guardrail(
                plan,
                self.policy.max_deprovisions,
                force=event.force,
                managed_base=max(plan.managed, picture.managed_base),
            )
            if decision.reason:
                logger.warning("guardrail", extra={"reason": decision.reason, "held": decision.held})
                report.notes.append(decision.reason)
            report.plan = plan
            report.notes.extend(plan.notes)
            report.results = self.executor.execute(plan)
            report.settle_status(guard_held=decision.held)
        except SyncError as exc:
            logger.error("run failed", extra={"error_code": exc.code, "error": exc.message})
            report.status = RunStatus.FAILED
            report.errors.append({"op": None, "email": None, "code": exc.code, "message": exc.message})
        report.duration_ms = int((time.monotonic() - started) * 1000)
        if not event.dry_run:
            self._record(report)
        logger.info(
            "run finished",
            extra={
                "status": report.status.value,
                "duration_ms": report.duration_ms,
                "applied": report.to_dict()["applied"],
                "failed": report.to_dict()["failed"],
            },
        )
        return report

    # --- reading the picture -------------------------------------------------------------------------------

    def _read_all(self) -> Picture:
        assignments = self.okta.list_assigned_users()
        assignments = self._with_rule_groups(assignments)
        actual = self.zoom.list_users()
        links = self.state.load_links()
        desired = desired_users(assignments, self.policy)
        return Picture(desired, actual, links, managed_base=len(links))

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

    def _read_users(self, refs: Iterable[str], notes: list[str]) -> Picture:
        links = self.state.load_links()
        assignments: list[OktaAssignment] = []
        actual: dict[str, ZoomUser] = {}
        for ref in refs:
            okta_user = self.okta.get_user(ref)
            zoom_user: ZoomUser | None = None
            if okta_user is not None:
                link = links.get(okta_user.okta_id)
                if link is not None:
                    zoom_user = self.zoom.get_user(link.zoom_id)
                if self.okta.is_assigned(okta_user.okta_id):
                    groups = self.okta.list_user_groups(okta_user.okta_id) if self.policy.rule_groups else frozenset()
                    assignments.append(replace(okta_user, groups=groups))
                email = okta_user.login if "@" in okta_user.login else okta_user.email
            else:
                notes.append(f"{ref}: no such Okta user")
                email = ref if "@" in ref else ""
            if zoom_user is None and email:
                zoom_user = self.zoom.get_user(email)
            if zoom_user is not None:
                actual[zoom_user.zoom_id or zoom_user.email.casefold()] = zoom_user
        desired = desired_users(assignments, self.policy)
        return Picture(desired, list(actual.values()), links, managed_base=len(links))

    # --- recording -----------------------------------------------------------------------------------------

    def _record(self, report: RunReport) -> None:
        summary: dict[str, Any] = report.to_dict()
        summary.pop("operations", None)
        try:
            self.state.record_run(summary)
        except SyncError as exc:
            logger.error("could not record the run", extra={"error": exc.message})
