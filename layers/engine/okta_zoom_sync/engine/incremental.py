"""The incremental run: follow the System Log cursor, reconcile the users its events affect, then move the cursor.

No cursor, one older than Okta's retention, or one Okta refuses: a full reconcile, then a new cursor. Work
still to do (carried-over users, quarantined users now due, held operations) joins every run. The cursor is
saved only after the reconcile has made its unfinished work durable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from okta_zoom_sync.core.model import Cursor
from okta_zoom_sync.core.ports import CursorStore, OktaReader, WorkStore
from okta_zoom_sync.core.quarantine import due_for_retry
from okta_zoom_sync.core.report import RunReport
from okta_zoom_sync.core.system_log import RELEVANT_EVENTS, Affected, affected_by
from okta_zoom_sync.engine.checkpoint import Work
from okta_zoom_sync.engine.reconcile import Reconciler
from okta_zoom_sync.engine.snapshot import RuleGroups, Snapshot, SnapshotReader
from okta_zoom_sync.errors import CursorRefusedError, NotFoundError
from okta_zoom_sync.observability import logger

# Okta keeps System Log events 90 days; a cursor older than this (with a margin) may have lost events.
LOG_RETENTION = timedelta(days=85)
# Okta may persist an event a little after it happened: a new cursor starts this far back.
LOG_LAG = timedelta(minutes=2)
# Above this many affected users, one full read is cheaper than reading them one by one.
INCREMENTAL_LIMIT = 250
RECENT_UUIDS_KEPT = 200


class _Store(CursorStore, WorkStore, Protocol):
    pass


class IncrementalSync:
    def __init__(
        self,
        *,
        okta: OktaReader,
        state: _Store,
        app_id: str,
        rule_groups: RuleGroups,
        planning: Callable[[RunReport], tuple[SnapshotReader, Reconciler]],
        read_all: Callable[[], Snapshot],
        clock: Callable[[], datetime],
    ) -> None:
        """`planning`: the snapshot reader and reconciler to plan with, asked for only when there is something to
        reconcile (the engine checks the rules' Zoom roles and groups then: a run with nothing to do asks Zoom
        nothing)."""
        self.okta = okta
        self.state = state
        self.app_id = app_id
        self.rule_groups = rule_groups
        self.planning = planning
        self.read_all = read_all  # a full read, with what follows it (the app's group list refreshed)
        self.clock = clock

    def run(self, report: RunReport, *, force: bool) -> None:
        now = self.clock()
        cursor = self.state.load_cursor()
        if cursor is None or now - datetime.fromisoformat(cursor.saved_at) > LOG_RETENTION:
            report.notes.append(
                "no System Log cursor yet: full reconcile"
                if cursor is None
                else "the System Log cursor is older than Okta's retention: full reconcile"
            )
            self._full_then_cursor(report, now, force=force)
            return
        try:
            read = self.okta.read_log(cursor.position, RELEVANT_EVENTS)
        except CursorRefusedError as exc:
            report.notes.append(f"{exc.message}: full reconcile and a new cursor")
            self._full_then_cursor(report, now, force=force)
            return
        affected = affected_by(read.events, self.app_id, cursor.recent_uuids)
        rule_groups = self._rule_group_ids()
        pending = self.state.load_pending()
        failures = self.state.load_failures()
        held = self.state.load_held()
        # Work still to do is part of every run: users carried over, quarantined users now due, held operations.
        named, everything = self._users_affected(affected, report)
        if cursor.rule_groups is not None and cursor.rule_groups != rule_groups:
            # The rules name other Okta groups: a policy change, or a group deleted and made again under its name
            # (its old members left no event). Who gets what may have changed for anyone.
            report.notes.append(
                "the Okta groups the rules name changed since the last run (a policy change, or a group deleted "
                "and made again): full reconcile"
            )
            everything = True
        refs = set(pending) | named | set(due_for_retry(failures, now)) | set(held)
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
        self._reconcile(refs, everything, work, report, force=force)
        # The reconcile made the run's unfinished work durable: the cursor may move past it now.
        recent = (*cursor.recent_uuids, *affected.handled)[-RECENT_UUIDS_KEPT:]
        self.state.save_cursor(Cursor(read.position, now.isoformat(), tuple(recent), rule_groups))

    def reconcile_events(self, events: Sequence[Mapping[str, Any]], report: RunReport, *, force: bool) -> None:
        """Reconcile the users these System Log events affect (events pushed by Okta's event hook), as the
        incremental run would, without the cursor: duplicates of events the cursor follows cost a second look
        at the same users, nothing more. Users carried over are left to the scheduled runs, and a quarantined user
        waits for its retry time, as in an incremental run."""
        affected = affected_by(events, self.app_id)
        refs, everything = self._users_affected(affected, report)
        logger.info("queued events read", extra={"events": len(events), "users": len(refs)})
        self._reconcile(refs, everything, Work.load(self.state), report, force=force)

    def _reconcile(self, refs: set[str], everything: bool, work: Work, report: RunReport, *, force: bool) -> None:
        """Everyone when the app changed or too many users are named, else the users named; nothing when none."""
        if not everything and not refs:
            return
        snapshots, reconciler = self.planning(report)
        if everything or len(refs) > INCREMENTAL_LIMIT:
            report.notes.append(f"{len(refs)} users affected or the app changed: full reconcile")
            reconciler.reconcile(self.read_all(), work, report, force=force)
        else:
            reconciler.reconcile(snapshots.read_users(sorted(refs), explicit=False), work, report, force=force)

    def _users_affected(self, affected: Affected, report: RunReport) -> tuple[set[str], bool]:
        """The Okta users the events name, the members of groups whose assignment changed, and the users whose
        membership changed in a group that matters; and whether a full reconcile is needed instead."""
        refs = set(affected.users)
        everything = affected.everything
        if affected.memberships or affected.groups_assigned or affected.groups_unassigned:
            app_groups = self._app_groups(affected)
        if affected.memberships:
            # Membership changes matter only in groups assigned to the app or named by a rule.
            matter = app_groups | {group.id for group in self.rule_groups.resolve().values()}
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
        return refs, everything

    def _full_then_cursor(self, report: RunReport, now: datetime, *, force: bool) -> None:
        # Take the position before reading, so that nothing that happens during the run is missed.
        start = self.okta.log_start(now - LOG_LAG, RELEVANT_EVENTS)
        rule_groups = self._rule_group_ids()
        _, reconciler = self.planning(report)
        reconciler.reconcile(self.read_all(), Work.load(self.state), report, force=force)
        self.state.save_cursor(Cursor(start, now.isoformat(), rule_groups=rule_groups))

    def _rule_group_ids(self) -> tuple[str, ...]:
        """The ids of the Okta groups the policy's rules name, as resolved this run."""
        return tuple(sorted({group.id for group in self.rule_groups.resolve().values()}))

    def _app_groups(self, affected: Affected) -> frozenset[str]:
        """The groups assigned to the app: the stored list with this batch's assignment events applied (and
        saved when they changed it)."""
        cached = self.state.load_app_groups()
        app_groups = cached if cached is not None else self.okta.list_app_group_ids()
        updated = (app_groups | affected.groups_assigned) - affected.groups_unassigned
        if updated != cached:
            self.state.save_app_groups(updated)
        return updated
