"""Executing a plan: the Applier runs its operations against Zoom and records links; a dry run only lists them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from okta_zoom_sync.core.model import (
    MEMBER_ROLE,
    RESTORE_ROLE,
    Link,
    Operation,
    OpKind,
    Plan,
    UserPlan,
    ZoomStatus,
    same_role,
)
from okta_zoom_sync.core.outcome import OperationResult, Outcome, never
from okta_zoom_sync.core.planner import may_take_over
from okta_zoom_sync.core.ports import LinkWriter, ZoomReader, ZoomWriter
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    ConflictError,
    EmailTakenError,
    ManagedDomainUserError,
    PermanentError,
    StateError,
    SyncError,
    TokenUnavailableError,
)
from okta_zoom_sync.observability import logger

# Errors after which no further operation can succeed: the run stops and fails, naming the cause.
FATAL_ERRORS = (AuthError, StateError, TokenUnavailableError)


class Executor:
    """Live (Applier) or dry (DryRunExecutor): chosen once when the run is wired, with the state store and the
    checkpoint."""

    def execute(self, plan: Plan, should_stop: Callable[[], bool] = never) -> list[OperationResult]:
        raise NotImplementedError


class DryRunExecutor(Executor):
    """Applies nothing: every operation is reported as planned (or held), and logged on its own line, since a dry
    run's result lists only the first operations of a large plan."""

    def execute(self, plan: Plan, should_stop: Callable[[], bool] = never) -> list[OperationResult]:
        results = []
        for user in plan.users:
            for op in user.operations:
                outcome = Outcome.HELD if op.held else Outcome.PLANNED
                logger.info(
                    "operation planned",
                    extra={"op": op.op.value, "email": op.email, "okta_id": op.okta_id, "zoom_id": op.zoom_id,
                           "held": op.held, "changes": op.to_dict()["changes"]},
                )  # fmt: skip
                results.append(OperationResult(op, outcome))
        return results


class Applier(Executor):
    """Applies user by user; one user's failure never stops the others."""

    def __init__(
        self,
        writer: ZoomWriter,
        reader: ZoomReader,
        links: LinkWriter,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.writer = writer
        self.reader = reader
        self.links = links
        self.clock = clock
        self._linked: dict[str, str] | None = None  # Zoom id -> Okta id, loaded when a create meets a 409

    def execute(self, plan: Plan, should_stop: Callable[[], bool] = never) -> list[OperationResult]:
        """Apply user by user. Time is checked only between users, so a user is never left half done.

        A fatal error (a refused credential, an unreachable state table) stops the run: the users not
        reached yet are deferred to the next run."""
        results: list[OperationResult] = []
        stopped = False
        for user in plan.users:
            stopped = stopped or should_stop()
            if stopped:
                results.extend(
                    OperationResult(op, Outcome.HELD if op.held else Outcome.DEFERRED) for op in user.operations
                )
                continue
            user_results = self._apply_user(user)
            results.extend(user_results)
            stopped = any(r.fatal for r in user_results)
        return results

    def _apply_user(self, user: UserPlan) -> list[OperationResult]:
        results: list[OperationResult] = []
        zoom_id = user.zoom_id
        failed = False
        # The address the Zoom user has now, which its link records: the Okta address only once an email move went
        # through (a move refused because the address is taken leaves the link on the old one).
        email = user.email
        for op in user.operations:
            if op.held:
                results.append(OperationResult(op, Outcome.HELD))
                continue
            if failed:
                results.append(OperationResult(op, Outcome.SKIPPED))
                continue
            try:
                zoom_id, email = self._apply(op, zoom_id, email)
            except SyncError as exc:
                # An email move refused because the address is taken (1005) blocks nothing else of this user: the
                # other operations address the user by id. It is tried again by a later run, once the address is free.
                taken = op.op is OpKind.EMAIL and isinstance(exc, ConflictError)
                failed = not taken
                fatal = isinstance(exc, FATAL_ERRORS)
                logger.warning(
                    "operation failed",
                    extra={
                        "op": op.op.value,
                        "email": op.email,
                        "okta_id": op.okta_id,
                        "zoom_id": zoom_id,
                        "error_code": exc.code,
                        "error": exc.message,
                    },
                )
                retryable = (isinstance(exc, ApiError) and exc.retryable) or taken
                refused = isinstance(exc, AuthError)
                results.append(OperationResult(op, Outcome.FAILED, exc.code, exc.message, retryable, fatal, refused))
                continue
            logger.info(
                "operation applied",
                extra={
                    "op": op.op.value,
                    "email": op.email,
                    "okta_id": op.okta_id,
                    "zoom_id": zoom_id,
                    "changes": op.to_dict()["changes"],
                },
            )
            results.append(OperationResult(op, Outcome.APPLIED))
        return results

    def _apply(self, op: Operation, zoom_id: str | None, email: str) -> tuple[str | None, str]:
        """Apply one operation; return the user's Zoom id (a create learns it) and its address (a move changes it)."""
        target = zoom_id or op.email  # Zoom accepts an email wherever it takes a user id
        match op.op:
            case OpKind.CREATE:
                zoom_id = self._create(op)
                self._link(op, zoom_id, email)
            case OpKind.ADOPT:
                self._link(op, target, email)
                for change in op.changes:
                    if change.field == "previous_okta_id":  # that Okta user is gone; its link moves here
                        self.links.delete_link(str(change.old))
            case OpKind.EMAIL:
                email = str(op.new_value("email"))
                self.writer.change_email(target, email)
                self._link(op, target, email)
            case OpKind.REACTIVATE:
                self.writer.set_status(target, "activate")
                self._link(op, target, email, restore_role=_restore_role(op))
            case OpKind.UPDATE:
                self.writer.update_user(target, {c.field: c.new for c in op.changes})
            case OpKind.LICENSE:
                self.writer.update_user(target, {"type": op.new_value("type")})
            case OpKind.ROLE:
                change = op.changes[0]
                if same_role(str(change.new), MEMBER_ROLE):
                    self.writer.remove_role(target, str(change.old))
                else:
                    self.writer.assign_role(target, str(change.new))
                if _has(op, RESTORE_ROLE):
                    # A role taken away to deactivate (remembered) or given back (forgotten).
                    self._link(op, target, email, restore_role=_restore_role(op))
            case OpKind.GROUP_ADD:
                self.writer.add_to_group(target, str(op.new_value("group")))
            case OpKind.GROUP_REMOVE:
                self.writer.remove_from_group(target, str(op.changes[0].old))
            case OpKind.DEACTIVATE:
                self.writer.set_status(target, "deactivate")
                self._link(op, target, email, deactivated_at=self.clock().isoformat(), restore_role=_restore_role(op))
            case OpKind.DELETE:
                self._delete(op, target)
                if op.okta_id is not None:
                    self.links.delete_link(op.okta_id)
        return zoom_id, email

    def _create(self, op: Operation) -> str:
        try:
            return self.writer.create_user(
                action=str(op.new_value("action")),
                email=op.email,
                first_name=str(op.new_value("first_name")),
                last_name=str(op.new_value("last_name")),
                license_type=int(str(op.new_value("type"))),
            )
        except ConflictError as exc:
            # The email exists already: a create whose answer was lost, or a user invited meanwhile. Adopt it.
            if not isinstance(exc, EmailTakenError):
                raise
            existing = self.reader.get_user(op.email)
            if existing is None or existing.zoom_id is None:
                raise
            if not may_take_over(existing, self._owner(existing.zoom_id), op.okta_id):
                raise
            if self._linked is not None and op.okta_id is not None:
                self._linked[existing.zoom_id] = op.okta_id
            logger.info("create found the user already there; adopting it", extra={"email": op.email})
            return existing.zoom_id

    def _owner(self, zoom_id: str) -> str | None:
        """The Okta user whose link holds this Zoom user, if any."""
        if self._linked is None:  # read once per run, and only on this rare path (a create answered 409)
            self._linked = {link.zoom_id: owner for owner, link in self.links.load_links().items()}
        return self._linked.get(zoom_id)

    def _delete(self, op: Operation, target: str) -> None:
        action = str(op.new_value("action"))
        try:
            self.writer.delete_user(target, action)
        except PermanentError as exc:
            # Zoom refuses to disassociate a managed-domain user (1107). A pending invitation holds no data:
            # withdraw it by deleting it instead. (Active users are only ever deleted as the policy says.)
            pending = op.old_value("status") == ZoomStatus.PENDING
            if not (pending and action == "disassociate" and isinstance(exc, ManagedDomainUserError)):
                raise
            logger.info("invitation in a managed domain: deleting it instead", extra={"email": op.email})
            self.writer.delete_user(target, "delete")

    def _link(
        self,
        op: Operation,
        zoom_id: str,
        email: str,
        *,
        deactivated_at: str | None = None,
        restore_role: str | None = None,
    ) -> None:
        if op.okta_id is None:
            return  # a managed-domain user with no Okta user: nothing to link
        self.links.put_link(Link(op.okta_id, zoom_id, email, deactivated_at, restore_role))


def _has(op: Operation, name: str) -> bool:
    return any(change.field == name for change in op.changes)


def _restore_role(op: Operation) -> str | None:
    """The role to remember in the user's link after this operation (None: nothing to give back)."""
    if not _has(op, RESTORE_ROLE):
        return None
    value = op.new_value(RESTORE_ROLE)
    return str(value) if value else None
