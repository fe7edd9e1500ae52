"""Okta's API rows as the sync's records: app users, users and groups as `OktaUser` / `OktaGroupRef`.

An app-user row read with `expand=user` carries the Okta user in `_embedded.user`; when it does not (e.g. the
okta.users.read scope is missing) the assignment's own profile, user name and status stand in. A row with
neither an email nor a login is a PermanentError (`no_email`); the listing of app users skips it with a note.

Of the profiles, only the attributes in `keep` (those the policy's templates name) are kept, as text: from the Okta
user's profile (`_embedded.user.profile`: department, title, managerId, ...), else from the app-user profile of the
same row (attributes the app's profile mapping adds). Nothing more is read for them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from okta_zoom_sync.core.model import OktaGroupRef, OktaUser
from okta_zoom_sync.errors import PermanentError

# App-user statuses (AppUserStatus) that mean the assignment exists but is not enabled.
_APP_USER_SUSPENDED = frozenset({"SUSPENDED", "INACTIVE"})
_APP_USER_GONE = frozenset({"DEPROVISIONED", "REVOKED", "UNASSIGNED"})


def text(value: object) -> str:
    return str(value).strip() if value is not None else ""


def group_ref(group: object) -> OktaGroupRef | None:
    if not isinstance(group, Mapping) or not group.get("id"):
        return None
    profile = group.get("profile") or {}
    return OktaGroupRef(id=str(group["id"]), name=text(profile.get("name")))


def kept_attributes(keep: frozenset[str], *profiles: object) -> tuple[tuple[str, str], ...]:
    """The attributes in `keep`, each from the first profile that has a value for it (a list's items joined)."""
    if not keep:
        return ()
    out = []
    for name in sorted(keep):
        for profile in profiles:
            value = profile.get(name) if isinstance(profile, Mapping) else None
            if isinstance(value, list):
                value = ", ".join(text(item) for item in value if text(item))
            if text(value):
                out.append((name, sys.intern(text(value))))  # repeated values (departments, ...) held once
                break
    return tuple(out)


def assignment_from_row(
    row: Mapping[str, Any], keep: frozenset[str] = frozenset(), *, picture_attribute: str = ""
) -> tuple[OktaUser, bool]:
    """An app-user row (with `expand=user`) as an assignment, and whether it carried the embedded user.
    `keep`: the profile attributes the policy's templates name; `picture_attribute`: the profile attribute read
    into `picture_url` ("" reads none)."""
    user = (row.get("_embedded") or {}).get("user")
    if isinstance(user, Mapping) and isinstance(user.get("profile"), Mapping):
        okta_id = str(row.get("id") or user.get("id"))
        assignment = assignment_from_user(user, okta_id=okta_id, picture_attribute=picture_attribute)
        profile = kept_attributes(keep, user.get("profile"), row.get("profile"))
        return (replace(assignment, profile=profile) if profile else assignment), True
    assignment = assignment_from_app_user(row, picture_attribute=picture_attribute)
    profile = kept_attributes(keep, row.get("profile"))
    return (replace(assignment, profile=profile) if profile else assignment), False


def picture_url(profile: Mapping[str, Any], picture_attribute: str) -> str:
    value = profile.get(picture_attribute) if picture_attribute else None
    return value.strip() if isinstance(value, str) else ""


def assignment_from_user(
    user: Mapping[str, Any], *, okta_id: str, keep: frozenset[str] = frozenset(), picture_attribute: str = ""
) -> OktaUser:
    profile = user.get("profile") or {}
    login = text(profile.get("login"))
    email = text(profile.get("email")) or login
    if not okta_id or not email:
        raise PermanentError(
            f"Okta user {okta_id or '(no id)'} has neither an email nor a login", api="okta", code="no_email"
        )
    return OktaUser(
        okta_id=okta_id,
        login=login or email,
        email=email,
        first_name=text(profile.get("firstName")),
        last_name=text(profile.get("lastName")),
        status=text(user.get("status")).upper(),
        picture_url=picture_url(profile, picture_attribute),
        profile=kept_attributes(keep, profile),
    )


def assignment_from_app_user(row: Mapping[str, Any], *, picture_attribute: str = "") -> OktaUser:
    """Fallback when `_embedded.user` is missing: the app-user profile and credentials.

    The Okta user status is unknown then; it is derived from the assignment's own status (an assignment
    exists only for users who are not deactivated)."""
    okta_id = text(row.get("id"))
    profile = row.get("profile") or {}
    user_name = text((row.get("credentials") or {}).get("userName"))
    email = text(profile.get("email")) or user_name
    if not okta_id or not email:
        raise PermanentError(
            f"Okta app user {okta_id or '(no id)'} has no email, no user name and no embedded user",
            api="okta",
            code="no_email",
        )
    app_status = text(row.get("status")).upper()
    status = (
        "SUSPENDED"
        if app_status in _APP_USER_SUSPENDED
        else "DEPROVISIONED"
        if app_status in _APP_USER_GONE
        else "ACTIVE"
    )
    return OktaUser(
        okta_id=okta_id,
        login=user_name or email,
        email=email,
        first_name=text(profile.get("firstName") or profile.get("given_name")),
        last_name=text(profile.get("lastName") or profile.get("family_name")),
        status=status,
        picture_url=picture_url(profile, picture_attribute),
    )
