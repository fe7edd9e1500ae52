"""Executing a plan: the Applier runs its operations against Zoom and records links; a dry run only lists them."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from okta_zoom_sync.core.model import (
    MEMBER_ROLE,
    RESTORE_ROLE,
    SENT,
    Link,
    Operation,
    OpKind,
    PictureMark,
    Plan,
    UserPlan,
    ZoomStatus,
    same_role,
)
from okta_zoom_sync.core.ordering import dependencies
from okta_zoom_sync.core.outcome import OperationResult, Outcome, never
from okta_zoom_sync.core.pictures import PICTURE
from okta_zoom_sync.core.planner import may_take_over
from okta_zoom_sync.core.policy import LicenseFallback
from okta_zoom_sync.core.ports import LinkBatchWriter, LinkWriter, PictureFetcher, ZoomReader, ZoomWriter
from okta_zoom_sync.core.seats import BASIC_TYPE
from okta_zoom_sync.engine.license_fallback import NoSeat, SeatMemory
from okta_zoom_sync.engine.link_buffer import LinkBuffer
from okta_zoom_sync.engine.transfer import TransferTargets, transfer_asked
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    ConflictError,
    EmailTakenError,
    LicenseLimitError,
    ManagedDomainUserError,
    PermanentError,
    PictureRefusedError,
    StateError,
    SyncError,
    TokenUnavailableError,
    TransferTargetError,
)
from okta_zoom_sync.observability import Progress, logger

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
                           "held": op.held, "changes": op.to_dict()["changes"], "outcome": outcome.value},
                )  # fmt: skip
                results.append(OperationResult(op, outcome))
        return results


class Applier(Executor):
    """Applies user by user; one user's failure never stops the others.

    Users are independent: with `workers` above 1 they are applied in parallel threads (the work is I/O), each
    user's operations in order on one thread, each link written right after its Zoom write. The rate limits are the
    Zoom client's (its token buckets are shared by every thread)."""

    def __init__(
        self,
        writer: ZoomWriter,
        reader: ZoomReader,
        links: LinkWriter,
        *,
        clock: Callable[[], datetime],
        workers: int = 1,
        batch: LinkBatchWriter | None = None,
        license_fallback: LicenseFallback = LicenseFallback.NONE,
        transfers: TransferTargets | None = None,
        pictures: PictureFetcher | None = None,
    ) -> None:
        """`workers`: users applied at once. `batch`: where buffered links are written in batches; None writes each
        link at once through `links`. `license_fallback`: what a license Zoom has no seat for becomes
        (`license_fallback.py`); the default sends what the plan says and fails when refused. `transfers`: resolves
        and checks a delete's transfer target (a delete that asks for a transfer fails without it). `pictures`:
        fetches profile pictures (picture operations fail without it)."""
        self.writer = writer
        self.reader = reader
        self.links = links
        self.clock = clock
        self.workers = max(1, workers)
        self._linked: dict[str, str] | None = None  # Zoom id -> Okta id, loaded when a create meets a 409
        self._linked_lock = threading.Lock()
        self._batch = batch
        self._buffer: LinkBuffer | None = None
        self._lost: dict[int, StateError] = {}  # id(operation) -> why its link was not written
        self.license_fallback = license_fallback
        self._seats = SeatMemory(license_fallback)
        self.transfers = transfers
        self.pictures = pictures
        self._progress = Progress("apply")

    def execute(self, plan: Plan, should_stop: Callable[[], bool] = never) -> list[OperationResult]:
        """Apply user by user. Time is checked only before a user starts, so a user is never left half done.

        A fatal error (a refused credential, an unreachable state table) stops the run: no user starts after it
        (those under way finish), and the users not started are deferred to the next run. The results come in the
        plan's order whatever the order the users finished in.

        Links are written in batches as they fill, and the rest before this returns: a batch that fails makes its
        operations fail as a link written one at a time would (fatal: the state table is unreachable)."""
        self._buffer = None if self._batch is None else LinkBuffer(self._batch)
        self._progress = Progress("apply", total=len(plan.users))
        self._lost = {}
        self._seats = SeatMemory(self.license_fallback)
        if self.workers == 1 or len(plan.users) < 2:
            results = self._execute_in_turn(plan, should_stop)
        else:
            results = self._execute_in_parallel(plan, should_stop)
        self._flush()
        if not self._lost:
            return results
        return [_link_lost(r, self._lost[id(r.operation)]) if id(r.operation) in self._lost else r for r in results]

    def _flush(self, *, when_full: bool = False) -> bool:
        """Write the buffered links (only once a batch is full, if `when_full`); False when a batch failed."""
        buffer = self._buffer
        if buffer is None or (when_full and not buffer.full()):
            return True
        lost = buffer.flush()
        for op, exc in lost:
            self._lost[id(op)] = exc
        return not lost

    def _execute_in_turn(self, plan: Plan, should_stop: Callable[[], bool]) -> list[OperationResult]:
        results: list[OperationResult] = []
        stopped = False
        for user in plan.users:
            stopped = stopped or should_stop()
            if stopped:
                results.extend(_deferred(user))
                continue
            user_results = self._apply_user(user)
            results.extend(user_results)
            stopped = any(r.fatal for r in user_results) or not self._flush(when_full=True)
        return results

    def _execute_in_parallel(self, plan: Plan, should_stop: Callable[[], bool]) -> list[OperationResult]:
        users = plan.users
        per_user: list[list[OperationResult] | None] = [None] * len(users)
        waits_for = dependencies(users)
        finished = [threading.Event() for _ in users]
        slots = threading.BoundedSemaphore(self.workers)  # a user starts only when a thread is free for it
        fatal = threading.Event()

        def run(index: int, user: UserPlan) -> None:
            try:
                for earlier in waits_for[index]:  # started before this one (plan order): it finishes
                    finished[earlier].wait()
                if fatal.is_set():
                    return  # nothing done yet: deferred, as it would not have started one user at a time
                user_results = self._apply_user(user)
                per_user[index] = user_results
                if any(r.fatal for r in user_results):
                    fatal.set()
            finally:
                finished[index].set()
                slots.release()

        futures: list[Future[None]] = []
        # Full batches of links are written by one thread of their own while users go on being applied (a batch
        # write takes a round trip to the state table); a batch that fails stops new users as a fatal error does.
        writes: list[Future[None]] = []

        def write(batch: dict[str, tuple[Link | None, list[Operation]]]) -> None:
            assert self._buffer is not None
            lost = self._buffer.write(batch)
            for op, exc in lost:
                self._lost[id(op)] = exc
            if lost:
                fatal.set()

        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="links") as writer,
            ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="applier") as pool,
        ):
            for index, user in enumerate(users):
                if not user.operations or all(op.held for op in user.operations):
                    per_user[index] = self._apply_user(user)  # nothing to send: no thread needed
                    finished[index].set()
                    continue
                slots.acquire()  # wait for a free thread, then decide: the deadline and a fatal error are
                if self._buffer is not None and self._buffer.full():  # checked at the moment the user would start
                    batch = self._buffer.take()
                    if batch:
                        writes.append(writer.submit(write, batch))
                if fatal.is_set() or should_stop():
                    slots.release()
                    break
                futures.append(pool.submit(run, index, user))
        for written in writes:
            written.result()  # an unexpected exception (a bug) surfaces here
        for future in futures:
            future.result()  # an unexpected exception (a bug) surfaces here as it would in turn
        results: list[OperationResult] = []
        for user, done in zip(users, per_user, strict=True):
            results.extend(_deferred(user) if done is None else done)
        return results

    def _apply_user(self, user: UserPlan) -> list[OperationResult]:
        results: list[OperationResult] = []
        zoom_id = user.zoom_id
        failed = False
        # The address the Zoom user has now, which its link records: the Okta address only once an email move went
        # through (a move refused because the address is taken leaves the link on the old one).
        email = user.email
        kept = _Kept(user.picture, user.sent)
        for op in user.operations:
            if op.held:
                results.append(OperationResult(op, Outcome.HELD))
                continue
            if failed:
                results.append(OperationResult(op, Outcome.SKIPPED))
                continue
            try:
                if op.op is OpKind.PICTURE:
                    self._picture(op, zoom_id or op.email, email, kept)
                else:
                    zoom_id, email = self._apply(op, zoom_id, email, kept)
            except NoSeat as no_seat:
                # Not a failure: the user keeps Basic and its other operations go on; a later run tries again.
                logger.warning(
                    "license kept: no seat",
                    extra={"op": op.op.value, "email": op.email, "okta_id": op.okta_id, "zoom_id": zoom_id,
                           "changes": op.to_dict()["changes"], "outcome": Outcome.NO_SEAT.value,
                           "error_code": no_seat.code, "error": no_seat.message},
                )  # fmt: skip
                on_basic = OperationResult(op, Outcome.NO_SEAT, no_seat.code, no_seat.message, license_shortage=True)
                results.append(on_basic)
                continue
            except SyncError as exc:
                # An email move refused because the address is taken (1005) blocks nothing else of this user: the
                # other operations address the user by id. It is tried again by a later run, once the address is free.
                taken = op.op is OpKind.EMAIL and isinstance(exc, ConflictError)
                failed = not taken and op.op is not OpKind.PICTURE  # a picture failing stops nothing else
                fatal = isinstance(exc, FATAL_ERRORS)
                logger.warning(
                    "operation failed",
                    extra={
                        "op": op.op.value,
                        "email": op.email,
                        "okta_id": op.okta_id,
                        "zoom_id": zoom_id,
                        "changes": op.to_dict()["changes"],
                        "outcome": Outcome.FAILED.value,
                        "error_code": exc.code,
                        "error": exc.message,
                    },
                )
                retryable = (isinstance(exc, ApiError) and exc.retryable) or taken
                refused = isinstance(exc, AuthError)
                short = isinstance(exc, LicenseLimitError)
                results.append(
                    OperationResult(op, Outcome.FAILED, exc.code, exc.message, retryable, fatal, refused, short)
                )
                continue
            logger.info(
                "operation applied",
                extra={
                    "op": op.op.value,
                    "email": op.email,
                    "okta_id": op.okta_id,
                    "zoom_id": zoom_id,
                    "changes": op.to_dict()["changes"],
                    "outcome": Outcome.APPLIED.value,
                },
            )
            results.append(OperationResult(op, Outcome.APPLIED, license_shortage=self._seats.did_fall_back(op)))
        self._progress.tick()
        return results

    def _apply(self, op: Operation, zoom_id: str | None, email: str, kept: _Kept) -> tuple[str | None, str]:
        """Apply one operation; return the user's Zoom id (a create learns it) and its address (a move changes it).
        `kept`: what the user's link keeps through rewrites (an update with digests changes it)."""
        target = zoom_id or op.email  # Zoom accepts an email wherever it takes a user id
        match op.op:
            case OpKind.CREATE:
                zoom_id = self._create(op)
                invited = self.clock().isoformat() if op.new_value("action") == "create" else None
                self._link(op, zoom_id, email, kept, invited_at=invited)
            case OpKind.REINVITE:
                zoom_id = self._reinvite(op, target)
            case OpKind.ADOPT:
                self._link(op, target, email, kept)
                for change in op.changes:
                    if change.field == "previous_okta_id":  # that Okta user is gone; its link moves here
                        self._unlink(str(change.old), op)
            case OpKind.EMAIL:
                email = str(op.new_value("email"))
                self.writer.change_email(target, email)
                self._link(op, target, email, kept)
            case OpKind.REACTIVATE:
                self.writer.set_status(target, "activate")
                self._link(op, target, email, kept, restore_role=_restore_role(op))
            case OpKind.UPDATE:
                fields = {c.field: c.new for c in op.changes if c.field not in (SENT, RESTORE_ROLE)}
                self.writer.update_user(target, fields)
                if _has(op, SENT):  # the values Zoom's list does not show: remembered as sent
                    kept.sent = str(op.new_value(SENT) or "")
                    self._link(op, target, email, kept, restore_role=_restore_role(op))
            case OpKind.LICENSE:
                self._change_license(op, target)
            case OpKind.ROLE:
                change = op.changes[0]
                if same_role(str(change.new), MEMBER_ROLE):
                    self.writer.remove_role(target, str(change.old))
                else:
                    self.writer.assign_role(target, str(change.new))
                if _has(op, RESTORE_ROLE):
                    # A role taken away to deactivate (remembered) or given back (forgotten).
                    self._link(op, target, email, kept, restore_role=_restore_role(op))
            case OpKind.GROUP_ADD:
                self.writer.add_to_group(target, str(op.new_value("group")))
            case OpKind.GROUP_REMOVE:
                self.writer.remove_from_group(target, str(op.changes[0].old))
            case OpKind.DEACTIVATE:
                self.writer.set_status(target, "deactivate")
                self._seats.freed()  # a deactivated user holds no license
                deactivated_at = self.clock().isoformat()
                restore_role = _restore_role(op)
                self._link(op, target, email, kept, deactivated_at=deactivated_at, restore_role=restore_role)
            case OpKind.DELETE:
                self._delete(op, target)
                self._seats.freed()
                if op.okta_id is not None:
                    self._unlink(op.okta_id, op)
        return zoom_id, email

    def _create(self, op: Operation) -> str:
        """Create the user; with `license_fallback: basic`, on Basic when Zoom has no seat of its license."""
        license_type = int(str(op.new_value("type")))
        if self._seats.known_short(license_type) is None:
            try:
                return self._send_create(op, license_type)
            except LicenseLimitError as exc:
                if not self._seats.may_fall_back(license_type, exc):
                    raise
                self._seats.refused(license_type, exc)
        logger.warning("no seat of the license: creating on Basic", extra={"email": op.email, "type": license_type})
        zoom_id = self._send_create(op, BASIC_TYPE)
        self._seats.fell_back(op)
        return zoom_id

    def _change_license(self, op: Operation, target: str) -> None:
        """Send the new type alone: Zoom refuses `type` with `plan_united_type`/`zoom_one_type` in one request."""
        license_type = int(str(op.new_value("type")))
        earlier = self._seats.known_short(license_type)
        if earlier is not None:
            raise NoSeat(earlier.code, f"not sent: Zoom refused this license for lack of seats earlier in this run "
                                       f"({earlier.message})")  # fmt: skip
        try:
            self.writer.update_user(target, {"type": license_type})
        except LicenseLimitError as exc:
            if not self._seats.may_fall_back(license_type, exc):
                raise
            self._seats.refused(license_type, exc)
            raise NoSeat(exc.code, exc.message) from exc
        if op.is_license_downgrade:
            self._seats.freed()

    def _reinvite(self, op: Operation, target: str) -> str:
        """Send an expired invitation again: remove the pending user (disassociate; a managed-domain one is deleted),
        then create it again. The attempt is remembered in the link first (`invited_at`), whatever Zoom answers, so
        the next one waits for the period (core/invitations.py)."""
        self._link(op, target, op.email, invited_at=self.clock().isoformat())
        try:
            self.writer.delete_user(target, "disassociate")
        except ManagedDomainUserError:
            self.writer.delete_user(target, "delete")
        try:
            zoom_id = self._create(op)
        except EmailTakenError as exc:
            raise PermanentError(
                f"Zoom did not remove the expired invitation of {op.email} (it answers 'invitation expired' to the "
                "removal too), so it cannot be sent again: delete the pending user in Zoom's web portal and a later "
                "run invites it again; not tried again by the sync before the re-send period",
                api="zoom",
                code="invitation_not_removable",
                status=exc.status,
            ) from exc
        self._link(op, zoom_id, op.email, invited_at=self.clock().isoformat())
        return zoom_id

    def _send_create(self, op: Operation, license_type: int) -> str:
        try:
            return self.writer.create_user(
                action=str(op.new_value("action")),
                email=op.email,
                first_name=str(op.new_value("first_name")),
                last_name=str(op.new_value("last_name")),
                license_type=license_type,
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
            with self._linked_lock:
                if self._linked is not None and op.okta_id is not None:
                    self._linked[existing.zoom_id] = op.okta_id
            logger.info("create found the user already there; adopting it", extra={"email": op.email})
            return existing.zoom_id

    def _owner(self, zoom_id: str) -> str | None:
        """The Okta user whose link holds this Zoom user, if any."""
        if self._buffer is not None:
            known, owner = self._buffer.owner(zoom_id)  # linked this run, not written yet
            if known:
                return owner
        with self._linked_lock:  # read once per run, and only on this rare path (a create answered 409)
            if self._linked is None:
                self._linked = {link.zoom_id: owner for owner, link in self.links.load_links().items()}
            return self._linked.get(zoom_id)

    def _delete(self, op: Operation, target: str) -> None:
        action = str(op.new_value("action"))
        asked = transfer_asked(op)
        if asked is not None:
            # Never a delete without the transfer the policy asked for: a target that cannot take the data fails it.
            if self.transfers is None:
                raise TransferTargetError(f"{op.email}: no transfer resolver; not deleted", api="zoom")
            self.writer.delete_user(target, action, transfer_email=self.transfers.target(op, asked))
            return
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
        kept: _Kept | None = None,
        *,
        deactivated_at: str | None = None,
        restore_role: str | None = None,
        invited_at: str | None = None,
    ) -> None:
        if op.okta_id is None:
            return  # a managed-domain user with no Okta user: nothing to link
        link = Link(
            op.okta_id,
            zoom_id,
            email,
            deactivated_at=deactivated_at,
            restore_role=restore_role,
            invited_at=invited_at,
            picture=kept.picture if kept else None,
            sent=kept.sent if kept else "",
        )
        if self._buffer is not None:
            self._buffer.put(link, op)
        else:
            self.links.put_link(link)

    def _picture(self, op: Operation, target: str, email: str, kept: _Kept) -> None:
        """Fetch the picture and upload it when the image changed; the link keeps the new mark.

        A refused picture (bad URL, private address, too big, not an image, refused by Zoom) is remembered in the
        mark with no hash, so it is not fetched again until its URL changes or the re-check is due; a passing
        failure leaves the mark as it was, so the next run tries again."""
        url = str(op.new_value(PICTURE))
        checked_at = self.clock().isoformat()
        restore_role = _restore_role(op)
        mark = kept.picture
        try:
            if self.pictures is None:
                raise PictureRefusedError("pictures cannot be fetched here (no fetcher)", api="picture")
            image = self.pictures.fetch(url)
            digest = hashlib.sha256(image).hexdigest()
            if mark is None or mark.sha256 != digest:
                self.writer.upload_picture(target, image)
        except PictureRefusedError:
            kept.picture = PictureMark(url, "", checked_at)
            self._link(op, target, email, kept, restore_role=restore_role)
            raise
        kept.picture = PictureMark(url, digest, checked_at)
        self._link(op, target, email, kept, restore_role=restore_role)

    def _unlink(self, okta_id: str, op: Operation) -> None:
        if self._buffer is not None:
            self._buffer.delete(okta_id, op)
        else:
            self.links.delete_link(okta_id)


@dataclass(slots=True)
class _Kept:
    """What a user's link keeps when an operation rewrites it: the picture mark and the digests of the profile values
    sent (each changes only through its own operation: a picture, an update with digests)."""

    picture: PictureMark | None
    sent: str


def _link_lost(result: OperationResult, exc: StateError) -> OperationResult:
    """An operation applied in Zoom whose link could not be written: failed, as when the link is written at once."""
    return OperationResult(result.operation, Outcome.FAILED, exc.code, exc.message, False, True, False)


def _deferred(user: UserPlan) -> list[OperationResult]:
    """A user not started: its operations carry over to the next run (held ones stay held)."""
    return [OperationResult(op, Outcome.HELD if op.held else Outcome.DEFERRED) for op in user.operations]


def _has(op: Operation, name: str) -> bool:
    return any(change.field == name for change in op.changes)


def _restore_role(op: Operation) -> str | None:
    """The role to remember in the user's link after this operation (None: nothing to give back)."""
    if not _has(op, RESTORE_ROLE):
        return None
    value = op.new_value(RESTORE_ROLE)
    return str(value) if value else None
