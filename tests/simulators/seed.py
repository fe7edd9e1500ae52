"""Load an organisation description (JSON, see ``tests/demo_org.json``) into the Okta and Zoom simulators.

Format::

    {
      "okta": {
        "users": [{"login", "email", "first_name", "last_name", "status", "id"?, "profile"?: {...}}],
        "groups": [{"name", "description"?, "id"?, "members": [login, ...]}],
        "app_assignments": {"users": [login, ...], "groups": [name, ...]}
      },
      "zoom": {
        "owner": {"email", "first_name", "last_name"},
        "roles": [custom role name, ...],
        "groups": [name, ...],
        "users": [{"email", "first_name", "last_name", "type", "status", "role", "groups": [name, ...], "id"?}]
      }
    }

Ids are deterministic: given in the file, or derived from the login / email / name by the simulators.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .okta import OktaSimulator
    from .zoom import ZoomSimulator

__all__ = ["DEMO_ORG", "load_org"]

DEMO_ORG = Path(__file__).resolve().parent.parent / "demo_org.json"


def load_org(
    path: str | Path,
    okta: OktaSimulator | None,
    zoom: ZoomSimulator | None,
    *,
    log_events: bool = False,
) -> dict[str, dict[str, str]]:
    """Load the organisation at ``path`` into ``okta`` and/or ``zoom`` (either may be None).

    With ``log_events=False`` (the default) seeding leaves the Okta System Log empty, so that a test or demo only
    sees the events of what it changes afterwards. Returns the ids created: ``okta_users`` (login -> id),
    ``okta_groups`` (name -> id), ``zoom_users`` (email -> id), ``zoom_groups`` (name -> id), ``zoom_roles``
    (custom role name -> id).
    """
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    ids: dict[str, dict[str, str]] = {
        "okta_users": {},
        "okta_groups": {},
        "zoom_users": {},
        "zoom_groups": {},
        "zoom_roles": {},
    }
    if okta is not None and "okta" in data:
        _load_okta(data["okta"], okta, ids, log_events)
    if zoom is not None and "zoom" in data:
        _load_zoom(data["zoom"], zoom, ids)
    return ids


def _load_okta(org: dict[str, Any], okta: OktaSimulator, ids: dict[str, dict[str, str]], log_events: bool) -> None:
    quiet = contextlib.nullcontext() if log_events else okta.without_events()
    with quiet:
        for user in org.get("users", []):
            ids["okta_users"][user["login"]] = okta.add_user(
                user["login"],
                email=user.get("email"),
                first_name=user.get("first_name", ""),
                last_name=user.get("last_name", ""),
                status=user.get("status", "ACTIVE"),
                id=user.get("id"),
                **user.get("profile", {}),
            )
        for group in org.get("groups", []):
            gid = okta.add_group(group["name"], id=group.get("id"), description=group.get("description"))
            ids["okta_groups"][group["name"]] = gid
            for login in group.get("members", []):
                okta.add_member(gid, ids["okta_users"].get(login, login))
        assignments = org.get("app_assignments", {})
        for name in assignments.get("groups", []):
            okta.assign_group(ids["okta_groups"].get(name, name))
        for login in assignments.get("users", []):
            okta.assign_user(ids["okta_users"].get(login, login))


def _load_zoom(org: dict[str, Any], zoom: ZoomSimulator, ids: dict[str, dict[str, str]]) -> None:
    owner = org.get("owner")
    if owner:
        zoom.update_user(
            zoom.owner_id,
            **{k: v for k, v in owner.items() if k in ("email", "first_name", "last_name", "dept", "job_title")},
        )
        record = zoom.user(zoom.owner_id)
        zoom.update_user(zoom.owner_id, display_name=f"{record['first_name']} {record['last_name']}".strip())
        ids["zoom_users"][zoom.owner_email] = zoom.owner_id
    for name in org.get("roles", []):
        ids["zoom_roles"][name] = zoom.add_role(name)
    for name in org.get("groups", []):
        ids["zoom_groups"][name] = zoom.add_group(name)
    for user in org.get("users", []):
        extra = {k: v for k, v in user.items() if k in ("dept", "job_title", "timezone", "language", "login_types")}
        ids["zoom_users"][user["email"]] = zoom.add_user(
            user["email"],
            first_name=user.get("first_name", ""),
            last_name=user.get("last_name", ""),
            type=user.get("type", 1),
            status=user.get("status", "active"),
            role=user.get("role", "Member"),
            groups=user.get("groups", ()),
            id=user.get("id"),
            **extra,
        )
