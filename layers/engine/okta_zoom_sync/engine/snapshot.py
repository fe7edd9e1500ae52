"""Reading a snapshot of Okta, Zoom and the links for the planner: everyone, or named users, with rule groups.

A read never writes and never touches the report: what it learns (notes, why a list is incomplete, the users
it could not read) travels in the `Snapshot`, and the reconcile step copies it into the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from okta_zoom_sync.core.desired import desired_users, zoom_email
from okta_zoom_sync.core.model import (
    DesiredUser,
    Link,
    OktaGroupRef,
    OktaUser,
    Plan,
    ZoomUser,
    fold,
    user_key,
)
from okta_zoom_sync.core.planner import email_domain
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.core.ports import LinkStore, OktaReader, ZoomReader
from okta_zoom_sync.engine.invitations import mark_expired_invitations
from okta_zoom_sync.engine.managers import ManagerDirectory
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    InvalidPolicyError,
    StateError,
    SyncError,
    TokenUnavailableError,
)
from okta_zoom_sync.observability import logger


@dataclass(frozen=True)
class Snapshot:
    """Everything the planner needs, and everything the read learned on the way."""

    desired: Sequence[DesiredUser]
    actual: Sequence[ZoomUser]
    links: dict[str, Link]
    refs: tuple[str, ...] = ()  # the users a partial read covered (users mode, incremental)
    incomplete: tuple[str, ...] = ()  # why a list could not be read whole: then nothing is deprovisioned
    unreadable: Mapping[str, SyncError] = field(default_factory=dict)  # refs whose read failed, set aside
    notes: tuple[str, ...] = ()

    def scope(self, plan: Plan) -> frozenset[str] | None:
        """The user keys this snapshot speaks for; None for a full snapshot (everyone)."""
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


class ReadFailed(Exception):
    """A named-users read that stops the run: `error` says why; `notes` are what the read learned before it
    stopped, which the report keeps."""

    def __init__(self, error: SyncError, notes: Sequence[str]) -> None:
        super().__init__(error.message)
        self.error = error
        self.notes = tuple(notes)


class RuleGroups:
    """The Okta groups the policy's rules name, resolved once per run. Every mode resolves them the same way,
    so a renamed group fails every run safely instead of changing licenses or roles in some."""

    def __init__(self, okta: OktaReader, policy: Policy) -> None:
        self.okta = okta
        self.policy = policy
        self._resolved: dict[str, OktaGroupRef] | None = None

    def resolve(self) -> dict[str, OktaGroupRef]:
        if self._resolved is None:
            refs = self.policy.rule_groups
            groups = self.okta.find_groups(sorted(refs)) if refs else {}
            missing = sorted(refs - groups.keys())
            if missing:
                raise InvalidPolicyError(
                    "policy rules name Okta groups that do not exist: " + ", ".join(repr(m) for m in missing)
                )
            self._resolved = groups
        return self._resolved

    def attach(self, assignments: list[OktaUser]) -> list[OktaUser]:
        """Attach to each assignment the policy-rule groups its user belongs to."""
        groups = self.resolve()
        if not groups:
            return assignments
        members: dict[str, set[OktaGroupRef]] = {}
        for group in set(groups.values()):
            for okta_id in self.okta.list_group_member_ids(group.id):
                members.setdefault(okta_id, set()).add(group)
        return [replace(a, groups=frozenset(members.get(a.okta_id, ()))) for a in assignments]

    def of_user(self, okta_id: str) -> frozenset[OktaGroupRef]:
        groups = self.resolve()
        if not groups:
            return frozenset()
        member_of = {group.id for group in self.okta.list_user_groups(okta_id)}
        return frozenset(group for group in groups.values() if group.id in member_of)


class SnapshotReader:
    """Reads snapshots through the ports. Reads only: no state-table write, no report."""

    def __init__(
        self,
        *,
        okta: OktaReader,
        zoom: ZoomReader,
        links: LinkStore,
        policy: Policy,
        rule_groups: RuleGroups,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.clock = clock
        self.okta = okta
        self.zoom = zoom
        self.links = links
        self.policy = policy
        self.rule_groups = rule_groups
        self.managers = ManagerDirectory(okta, policy)

    def read_all(self) -> Snapshot:
        """Every app user, every Zoom user, every link. A list that fails at once raises; a list that fails part
        way is used, marked incomplete (so nothing is deprovisioned)."""
        incomplete: list[str] = []
        assignments = self.okta.list_assigned_users()
        if not assignments.complete:
            incomplete.append(assignments.reason or "Okta's list of app users is incomplete")
        notes = [f"skipped an Okta app user: {note}" for note in assignments.skipped]
        # The desired users are made before Zoom is read, and the Okta records let go: at 100,000 users a run never
        # holds both (the same reads, in the same order).
        attached = self.rule_groups.attach(list(assignments.items))
        del assignments
        desired = desired_users(attached, self.policy, self.managers.emails_for(attached), notes)
        del attached
        actual = self.zoom.list_users()
        if not actual.complete:
            incomplete.append(actual.reason or "Zoom's user list is incomplete")
        links = self.links.load_links()
        users = mark_expired_invitations(self.zoom, actual.items, desired, links, self.clock())
        return Snapshot(desired, users, links, incomplete=tuple(incomplete), notes=tuple(notes))

    def read_users(self, refs: Iterable[str], *, explicit: bool) -> Snapshot:
        """Read just these users (an email or an Okta id each) from Okta, the links and Zoom.

        One user's read failing (a deleted user, an expired invitation, an error) never fails the others:
        it is set aside in `Snapshot.unreadable` and handled on its own. A credential refused, the state
        table unreachable, or every read failing for a passing reason fails the run (`ReadFailed`)."""
        reader = _UserReader(self, explicit=explicit)
        notes: list[str] = []
        read: list[str] = []
        unreadable: dict[str, SyncError] = {}
        for ref in dict.fromkeys(refs):
            try:
                reader.read(ref, notes)
                read.append(ref)
            except (AuthError, StateError, TokenUnavailableError, InvalidPolicyError) as exc:
                raise ReadFailed(exc, notes) from exc  # not this user's problem: the run stops
            except SyncError as exc:
                logger.warning("user read failed", extra={"ref": ref, "error_code": exc.code, "error": exc.message})
                notes.append(f"{ref}: could not be read ({exc.code}); set aside")
                unreadable[ref] = exc
        passing = [e for e in unreadable.values() if isinstance(e, ApiError) and e.retryable]
        if unreadable and not read and len(passing) == len(unreadable):
            # Every read failed for a passing reason: the API is down, not these users. Fail the run (the cursor
            # stays where it was) instead of counting an outage against each of them.
            raise ReadFailed(passing[0], notes)
        managers = self.managers.emails_for(reader.assignments.values())
        return Snapshot(
            desired_users(reader.assignments.values(), self.policy, managers, notes),
            list(reader.actual.values()),
            reader.links,
            refs=tuple(read) + tuple(unreadable),
            unreadable=unreadable,
            notes=tuple(notes),
        )


class _UserReader:
    """Reads named users one at a time for `SnapshotReader.read_users`, sharing the links it loaded.

    A ref is an Okta id or an email. For an email, every Okta user it could mean is considered (the login,
    the profile email through Okta's search, and any Okta user whose link carries it), and the assignment
    of each is read before anything is decided: an assigned user is never deprovisioned because one lookup
    missed. `explicit` (a `users` run) also looks up Zoom users that are neither assigned nor linked, so a
    managed-domain leftover can be deprovisioned by name; an incremental run skips those."""

    def __init__(self, snapshots: SnapshotReader, *, explicit: bool) -> None:
        self.okta, self.zoom, self.state = snapshots.okta, snapshots.zoom, snapshots.links
        self.rule_groups = snapshots.rule_groups
        self.explicit = explicit
        self.managed_domains = frozenset(snapshots.policy.managed_domains)
        self.links: dict[str, Link] = {}
        self._all_links: dict[str, Link] | None = None
        self.assignments: dict[str, OktaUser] = {}
        self.actual: dict[str, ZoomUser] = {}
        self.owners_read: set[str] = set()  # Okta users read because their link holds a Zoom user in the snapshot

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
        """Read one ref; what it found joins the snapshot only if the whole read succeeded (its notes join
        `notes` either way)."""
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
        candidates: dict[str, OktaUser | None] = {}  # Okta id -> the Okta user, when already read
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
                assignment = replace(assignment, groups=self.rule_groups.of_user(okta_id))
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
        """Put in the snapshot every Okta user whose link holds this Zoom user. A partial snapshot that left them
        out would take their link for a stale one, and hand their Zoom user to whoever else has its email."""
        for link in list(self.all_links().values()):
            holds = (user.zoom_id and link.zoom_id == user.zoom_id) or fold(link.email) == fold(user.email)
            if not holds or link.okta_id in self.assignments or link.okta_id in self.owners_read:
                continue
            self.owners_read.add(link.okta_id)
            assignment = self.okta.get_assignment(link.okta_id)
            if assignment is not None:
                groups = self.rule_groups.of_user(link.okta_id)
                self.assignments[link.okta_id] = replace(assignment, groups=groups)

    def has(self, email: str) -> bool:
        return any(fold(user.email) == fold(email) for user in self.actual.values())

    def add(self, user: ZoomUser, known_email: str) -> None:
        if not user.email:
            user = replace(user, email=known_email)  # Zoom refused to show an expired invitation
        self.actual[user.zoom_id or fold(user.email)] = user
