"""Applies a plan with the real applier (okta_zoom_sync.engine.executor.Applier) to an in-memory Zoom and link store.

Used by the property tests: apply the plan to the actual state, plan again, expect nothing. The fakes below model
only what Zoom and the state table do with each call (a create makes a user, or answers 409 code 1005 when the email
is taken; a deactivation removes the license; ...). Every decision the sync makes (what to link, when to adopt, which
call an operation becomes) is the applier's own, so a change there is seen by the property.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from okta_zoom_sync.core.attributes import shown_in_list
from okta_zoom_sync.core.model import MEMBER_ROLE, Link, Operation, Plan, ZoomStatus, ZoomUser
from okta_zoom_sync.core.outcome import Outcome
from okta_zoom_sync.engine.executor import Applier
from okta_zoom_sync.errors import EmailTakenError, PermanentError

ZOOM_EMAIL_USED = 1005  # Zoom's code for an address already in use


class InMemoryZoom:
    """A Zoom account (the ZoomReader and ZoomWriter ports): users addressed by id or by email, as Zoom allows."""

    def __init__(self, users: list[ZoomUser], layout: tuple[str, ...] = ()) -> None:
        self._users: dict[int, ZoomUser] = dict(enumerate(users))
        self.layout = layout  # the profile fields a ZoomUser's profile tuple follows (core/attributes.py)
        self._ids = itertools.count(len(users) + 1)
        self.transfers: list[tuple[str, str]] = []
        self.pictures: dict[str, bytes] = {}

    def users(self) -> list[ZoomUser]:
        return list(self._users.values())

    def _key(self, id_or_email: str) -> int | None:
        wanted = id_or_email.strip().casefold()
        for key, user in self._users.items():
            if user.zoom_id == id_or_email or user.email.strip().casefold() == wanted:
                return key
        return None

    def _found(self, id_or_email: str) -> int:
        key = self._key(id_or_email)
        if key is None:
            raise PermanentError(f"Zoom API 404 code 1001: no user {id_or_email}", api="zoom", code="1001", status=404)
        return key

    def _change(self, id_or_email: str, **fields: Any) -> None:
        key = self._found(id_or_email)
        self._users[key] = replace(self._users[key], **fields)

    # ZoomReader
    def get_user(self, id_or_email: str) -> ZoomUser | None:
        key = self._key(id_or_email)
        return None if key is None else self._users[key]

    # ZoomWriter
    def create_user(self, *, action: str, email: str, first_name: str, last_name: str, license_type: int) -> str:
        if self._key(email) is not None:
            raise EmailTakenError(
                f"Zoom API 409 code {ZOOM_EMAIL_USED}: Email has already been used",
                api="zoom",
                code=str(ZOOM_EMAIL_USED),
                status=409,
            )
        zoom_id = f"z{next(self._ids)}"
        self._users[max(self._users, default=-1) + 1] = ZoomUser(
            zoom_id=zoom_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            type=license_type,
            status=ZoomStatus.PENDING if action == "create" else ZoomStatus.ACTIVE,  # "create" sends an invitation
            role=MEMBER_ROLE,
            groups=frozenset(),
        )
        return zoom_id

    def update_user(self, zoom_id: str, fields: Mapping[str, Any]) -> None:
        own = {"first_name", "last_name", "type"}
        self._change(zoom_id, **{k: int(str(v)) if k == "type" else v for k, v in fields.items() if k in own})
        # Profile fields: a listing shows only some (and custom attributes); the others are stored out of its sight.
        shown = {k: v for k, v in fields.items() if k not in own and shown_in_list(k)}
        if shown:
            user = self._users[self._found(zoom_id)]
            profile = list(user.profile or (None,) * len(self.layout))
            for index, field in enumerate(self.layout):
                if field in shown:
                    profile[index] = shown[field]
            self._change(zoom_id, profile=tuple(profile))

    def set_status(self, zoom_id: str, action: str) -> None:
        if action == "deactivate":
            self._change(zoom_id, status=ZoomStatus.INACTIVE, type=1)  # Zoom removes the license
        else:
            self._change(zoom_id, status=ZoomStatus.ACTIVE)

    def change_email(self, zoom_id: str, email: str) -> None:
        holder = self._key(email)
        if holder is not None and holder != self._found(zoom_id):
            raise EmailTakenError(f"Zoom API 409 code {ZOOM_EMAIL_USED}", api="zoom", code=str(ZOOM_EMAIL_USED))
        self._change(zoom_id, email=email)

    def _set_role(self, zoom_id: str, role: str) -> None:
        if self._users[self._found(zoom_id)].status != ZoomStatus.PENDING:  # an invitation has no role yet
            self._change(zoom_id, role=role)

    def assign_role(self, zoom_id: str, role_name: str) -> None:
        self._set_role(zoom_id, role_name)

    def remove_role(self, zoom_id: str, role_name: str) -> None:
        self._set_role(zoom_id, MEMBER_ROLE)

    def add_to_group(self, zoom_id: str, group_name: str) -> None:
        user = self._users[self._found(zoom_id)]
        if user.status != ZoomStatus.PENDING:  # nor groups
            self._change(zoom_id, groups=user.groups | {group_name})

    def remove_from_group(self, zoom_id: str, group_name: str) -> None:
        user = self._users[self._found(zoom_id)]
        self._change(zoom_id, groups=user.groups - {group_name})

    def delete_user(self, zoom_id: str, action: str, *, transfer_email: str | None = None) -> None:
        del self._users[self._found(zoom_id)]  # deleted or disassociated: gone from the account either way
        if transfer_email is not None:
            self.transfers.append((zoom_id, transfer_email))

    def upload_picture(self, zoom_id: str, image: bytes) -> None:
        self._found(zoom_id)
        self.pictures[zoom_id] = image


class FixedPictures:
    """The PictureFetcher port: every URL is an image of its own (its bytes are the URL)."""

    def fetch(self, url: str) -> bytes:
        return url.encode()


class NamedTransferTarget:
    """Resolves a delete's transfer target as the real resolver does for an email, and "manager" to one manager."""

    def target(self, op: Operation, asked: str) -> str:
        return "boss@acme.com" if asked == "manager" else asked


class InMemoryLinks:
    """The LinkWriter port (all the applier uses of the state table)."""

    def __init__(self, links: Mapping[str, Link]) -> None:
        self.links = dict(links)

    def load_links(self) -> dict[str, Link]:
        return dict(self.links)

    def get_link(self, okta_id: str) -> Link | None:
        return self.links.get(okta_id)

    def put_link(self, link: Link) -> None:
        self.links[link.okta_id] = link

    def delete_link(self, okta_id: str) -> None:
        self.links.pop(okta_id, None)


def apply_plan(
    plan: Plan, actual: list[ZoomUser], links: dict[str, Link], now: datetime, layout: tuple[str, ...] = ()
) -> tuple[list[ZoomUser], dict[str, Link]]:
    """Run `plan` through the real applier; return the Zoom users and links it leaves. Every operation must apply.
    `layout`: the policy's profile fields (core/attributes.profile_layout)."""
    zoom = InMemoryZoom(actual, layout)
    state = InMemoryLinks(links)
    applier = Applier(
        zoom,  # type: ignore[arg-type]
        zoom,  # type: ignore[arg-type]
        state,
        clock=lambda: now,
        transfers=NamedTransferTarget(),  # type: ignore[arg-type]
        pictures=FixedPictures(),
    )
    results = applier.execute(plan)
    undone = [
        (r.outcome, r.operation.to_dict(), r.error_code, r.error_message)
        for r in results
        if r.outcome not in (Outcome.APPLIED, Outcome.HELD)
    ]
    assert not undone, undone
    return zoom.users(), state.links


def links_naming_another_users_address(users: list[ZoomUser], links: Mapping[str, Link]) -> list[Link]:
    """Links to a listed Zoom user that record an address another Zoom user holds (the applier never writes one)."""
    emails = {u.zoom_id: u.email.strip().casefold() for u in users if u.zoom_id}
    held = {u.email.strip().casefold() for u in users}
    return [
        link
        for link in links.values()
        if link.zoom_id in emails
        and link.email.strip().casefold() != emails[link.zoom_id]
        and link.email.strip().casefold() in held
    ]
