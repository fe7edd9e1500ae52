"""The small interfaces the engine talks through. Adapters implement them; tests may fake them.

Clients own paging, retries and id/name resolution inside these methods: callers see whole
collections of plain records, never a cursor or an HTTP response.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from okta_zoom_sync.core.model import (
    Cursor,
    FailureRecord,
    HeldRecord,
    Link,
    Listing,
    LogRead,
    OktaGroupRef,
    OktaUser,
    ZoomUser,
)
from okta_zoom_sync.core.status import Lease, PendingRecord


class OktaReader(Protocol):
    def list_assigned_users(self) -> Listing[OktaUser]:
        """Every user assigned to the app, directly or through a group (`groups` left empty); incomplete
        (`complete` False) when the list failed part way."""
        ...

    def list_app_group_ids(self) -> frozenset[str]:
        """Ids of the groups assigned to the app."""
        ...

    def find_users_by_email(self, email: str) -> list[OktaUser]:
        """Okta users whose profile email is `email`, whatever their login (`groups` left empty)."""
        ...

    def find_groups(self, refs: Iterable[str]) -> dict[str, OktaGroupRef]:
        """Resolve policy group references (an Okta group id or an exact name) to groups.

        References that match no group are missing from the answer."""
        ...

    def list_group_member_ids(self, group_id: str) -> frozenset[str]:
        """Okta user ids of the group's members."""
        ...

    def get_user(self, id_or_login: str) -> OktaUser | None:
        """One Okta user by id or login, whether or not it is assigned; None when Okta has no such user."""
        ...

    def get_assignment(self, okta_id: str) -> OktaUser | None:
        """The user's assignment with its Okta user (`groups` left empty); None when not assigned."""
        ...

    def read_log(self, position: str, event_types: Iterable[str] | None = None) -> LogRead:
        """System Log events after `position`, and the position to carry on from. Raises CursorRefusedError
        when the position cannot be followed (another org URL, other event types, refused by Okta)."""
        ...

    def log_start(self, since: datetime, event_types: Iterable[str]) -> str:
        """The position of a polling query starting at `since`, filtered to `event_types`."""
        ...

    def list_user_groups(self, okta_id: str) -> frozenset[OktaGroupRef]: ...

    def get_app(self) -> Mapping[str, Any]:
        """The app instance (used by the connection check)."""
        ...


class ZoomReader(Protocol):
    def list_users(self) -> Listing[ZoomUser]:
        """Every Zoom user of the account: active, inactive and pending; incomplete when a page failed or the
        listing ended short of its total."""
        ...

    def get_user(self, id_or_email: str) -> ZoomUser | None:
        """One Zoom user by id or email; None when Zoom has no such user (404 code 1001)."""
        ...


class ManagerLookup(Protocol):
    def manager_email(self, okta_id: str) -> str | None:
        """The email of the Okta user's manager (the Okta user `managerId` names, or the profile's `manager` when
        it holds an email); None when the user has no manager or Okta has no such user."""
        ...


class PictureFetcher(Protocol):
    def fetch(self, url: str) -> bytes:
        """The image at `url`, a jpg or png within Zoom's size limit. PictureRefusedError when it will not be
        fetched or is not such an image (a retry would fail the same way); RetryableError for a passing failure."""
        ...


class ZoomWriter(Protocol):
    def create_user(self, *, action: str, email: str, first_name: str, last_name: str, license_type: int) -> str:
        """Create the user and return its Zoom id."""
        ...

    def update_user(self, zoom_id: str, fields: Mapping[str, Any]) -> None:
        """PATCH first_name / last_name / type."""
        ...

    def set_status(self, zoom_id: str, action: str) -> None:
        """`activate` or `deactivate`."""
        ...

    def change_email(self, zoom_id: str, email: str) -> None: ...

    def assign_role(self, zoom_id: str, role_name: str) -> None:
        """Give the user this (non-Member) role; it replaces the user's current role."""
        ...

    def remove_role(self, zoom_id: str, role_name: str) -> None:
        """Take the role away; the user falls back to Member."""
        ...

    def add_to_group(self, zoom_id: str, group_name: str) -> None: ...

    def remove_from_group(self, zoom_id: str, group_name: str) -> None: ...

    def upload_picture(self, zoom_id: str, image: bytes) -> None:
        """Set the user's profile picture (a jpg or png); PictureRefusedError when Zoom refuses the image."""
        ...

    def delete_user(self, zoom_id: str, action: str, *, transfer_email: str | None = None) -> None:
        """`delete` (permanent) or `disassociate`; with `transfer_email`, the user's meetings, webinars and
        recordings move to that user first (TransferTargetError when Zoom refuses the target)."""
        ...


class ZoomDirectory(Protocol):
    """The Zoom account's roles and groups: what the policy's rules name, checked once per run before any write."""

    def list_roles(self) -> Listing[str]:
        """Every role's name; incomplete (with the reason) when only the built-in roles could be known."""
        ...

    def list_groups(self) -> dict[str, str]:
        """Every group: id -> name."""
        ...


class ZoomGroupMaker(Protocol):
    def create_group(self, name: str) -> str | None:
        """Create the Zoom group and return its id; None when the run writes nothing (a dry run)."""
        ...


# The state table, one small port per kind of record. DynamoStateStore implements them all; each consumer names
# only the ports it uses.


class LinkWriter(Protocol):
    """What the Applier needs of the links: record and drop them, and read them all (once, when a create meets
    a 409)."""

    def load_links(self) -> dict[str, Link]:
        """All Okta id -> Zoom user links."""
        ...

    def put_link(self, link: Link) -> None: ...

    def delete_link(self, okta_id: str) -> None: ...


class LinkBatchWriter(Protocol):
    """Links written in batches (the Applier's write-behind buffer flushes through it)."""

    def write_links(self, puts: Iterable[Link], deletes: Iterable[str]) -> None:
        """Put these links and delete the links of these Okta ids (no id in both), in as few calls as the store
        allows; all or a StateError."""
        ...


class LinkStore(LinkWriter, Protocol):
    def get_link(self, okta_id: str) -> Link | None: ...

    def count_links(self) -> int: ...


class ZoomGroupLinkStore(Protocol):
    """Which Zoom group each group rule's `zoom_group` was found as, by id: a group renamed in Zoom is still found."""

    def load_zoom_groups(self) -> dict[str, str]:
        """Folded rule group name -> Zoom group id."""
        ...

    def save_zoom_groups(self, groups: Mapping[str, str]) -> None: ...


class LeaseStore(Protocol):
    def acquire_lease(self, run_id: str, seconds: int) -> bool:
        """Take the one-run-at-a-time lease for `seconds`; False when another live run holds it."""
        ...

    def release_lease(self, run_id: str) -> None: ...


class CursorStore(Protocol):
    """Where the incremental sync is in the System Log, and which groups are assigned to the app."""

    def load_cursor(self) -> Cursor | None: ...

    def save_cursor(self, cursor: Cursor) -> None: ...

    def load_app_groups(self) -> frozenset[str] | None:
        """Ids of the groups assigned to the app, as last seen; None before the first full run."""
        ...

    def save_app_groups(self, group_ids: Iterable[str]) -> None: ...


class WorkStore(Protocol):
    """Work still to do: users carried over (pending), quarantined users (failures), held operations."""

    def load_pending(self) -> dict[str, int]:
        """Users (Okta id or email) to reconcile again -> runs in a row that failed them for a passing reason."""
        ...

    def save_pending(self, refs: Mapping[str, int]) -> None: ...

    def clear_pending(self, refs: Iterable[str]) -> None: ...

    def load_failures(self) -> dict[str, FailureRecord]: ...

    def put_failure(self, record: FailureRecord) -> None: ...

    def clear_failures(self, keys: Iterable[str]) -> None: ...

    def load_held(self) -> dict[str, HeldRecord]: ...

    def put_held(self, records: Iterable[HeldRecord]) -> None: ...

    def clear_held(self, keys: Iterable[str]) -> None: ...


class RunLog(Protocol):
    def record_run(self, summary: Mapping[str, Any]) -> None: ...


class StatePing(Protocol):
    def ping(self) -> None:
        """A read that proves the table exists and is reachable (the connection check)."""
        ...


class StateReader(Protocol):
    """What the `status` mode reads of the state table, and nothing it could write."""

    def count_links(self) -> int: ...

    def load_cursor(self) -> Cursor | None: ...

    def read_lease(self) -> Lease | None:
        """The lease as stored, expired or not (None: no lease item)."""
        ...

    def list_pending(self) -> list[PendingRecord]: ...

    def load_failures(self) -> dict[str, FailureRecord]: ...

    def load_held(self) -> dict[str, HeldRecord]: ...

    def recent_runs(self, limit: int) -> list[dict[str, Any]]:
        """The last `limit` run records (as `RunReport.record()` made them), newest first."""
        ...

    def last_success(self) -> dict[str, str] | None:
        """run_id, at and mode of the last succeeded run (None: none yet)."""
        ...


class StateStore(LinkStore, LeaseStore, CursorStore, WorkStore, RunLog, ZoomGroupLinkStore, Protocol):
    """The whole state table as a sync run uses it (the real store, or a dry run's read-only view of it)."""


class MessageQueue(Protocol):
    """Where the event hook leaves work for the sync: one message per body, all of them or a QueueError."""

    def send(self, bodies: Sequence[str]) -> None: ...
