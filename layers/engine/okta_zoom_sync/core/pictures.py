"""When a user's profile picture is (re)put on Zoom. Pure.

The picture follows the Okta attribute the policy names (`picture_attribute`, an https URL). The link remembers the
URL last fetched, a hash of the image uploaded and when (`PictureMark`). The image is fetched again when the URL
changes, or when the mark is older than `PICTURE_RECHECK` (less a per-user share of `RECHECK_SPREAD`), to notice a
new image behind the same URL: the applier then uploads it only if its hash changed. Fetching on every run would
cost a download per user per run.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import datetime, timedelta

from okta_zoom_sync.core.model import (
    RESTORE_ROLE,
    Change,
    DesiredState,
    DesiredUser,
    Link,
    Operation,
    OpKind,
    PictureMark,
    UserPlan,
    ZoomStatus,
    ZoomUser,
)
from okta_zoom_sync.core.policy import CreateAction, Policy

PICTURE_RECHECK = timedelta(days=7)
# Users whose pictures were first set in one run would all be re-checked in one run a week later (at 100,000 users,
# 100,000 downloads at once): each user's re-check comes up to this much earlier, by a fixed share of its own.
RECHECK_SPREAD = timedelta(days=3)
PICTURE = "picture"  # the change of a picture operation: the URL last fetched -> the URL to fetch


def link_mark(link: Link | None, zoom_id: str | None) -> PictureMark | None:
    """The picture mark of the link, if that link holds this Zoom user (a mark of another Zoom user says nothing)."""
    if link is None or link.picture is None or zoom_id is None or link.zoom_id != zoom_id:
        return None
    return link.picture


def picture_due(mark: PictureMark | None, url: str, now: datetime, okta_id: str = "") -> bool:
    if mark is None or mark.url != url:
        return True
    return now - datetime.fromisoformat(mark.checked_at) >= recheck_after(okta_id)


def recheck_after(okta_id: str) -> timedelta:
    """How long a user's picture mark holds: a week, less a fixed share of RECHECK_SPREAD drawn from the Okta id."""
    share = zlib.crc32(okta_id.encode()) / 0xFFFFFFFF
    return PICTURE_RECHECK - RECHECK_SPREAD * share


def with_picture(
    user_plan: UserPlan | None,
    want: DesiredUser,
    have: ZoomUser | None,
    link: Link | None,
    policy: Policy,
    now: datetime,
) -> UserPlan | None:
    """The user's plan with a picture operation last (after a create or a reactivation it needs), and the link's
    mark carried so that other link writes keep it."""
    mark = link_mark(link, have.zoom_id if have else None)
    if user_plan is not None and mark is not None:
        user_plan = replace(user_plan, picture=mark)
    url = want.picture_url
    if not url or want.state is not DesiredState.ACTIVE or not picture_due(mark, url, now, want.okta_id):
        return user_plan
    if have is None and policy.create_action is CreateAction.CREATE:
        return user_plan  # an invitation: Zoom keeps nothing on a pending user; done once it is accepted
    reinvited = user_plan is not None and any(op.op is OpKind.REINVITE for op in user_plan.operations)
    if (
        have is not None
        and have.status == ZoomStatus.PENDING
        and not (reinvited and policy.create_action is not CreateAction.CREATE)
    ):
        return user_plan  # still an invitation after this plan (a re-invitation by another action makes it active)
    changes = [Change(PICTURE, mark.url if mark else None, url)]
    restore = _restore_role_after(user_plan, link if mark is not None else None)
    if restore:
        changes.append(Change(RESTORE_ROLE, restore, restore))  # the link is rewritten: keep the role to give back
    zoom_id = have.zoom_id if have else None
    op = Operation(OpKind.PICTURE, want.email, want.okta_id, zoom_id, tuple(changes))
    if user_plan is None:
        assert have is not None  # without a Zoom user the plan has a create
        return UserPlan(have.email, want.okta_id, have.zoom_id, (op,), picture=mark)
    return replace(user_plan, operations=(*user_plan.operations, op))


def _restore_role_after(user_plan: UserPlan | None, link: Link | None) -> str | None:
    """The role the link names to give back once the plan's earlier operations ran (the last one that says)."""
    for op in reversed(user_plan.operations if user_plan else ()):
        for change in op.changes:
            if change.field == RESTORE_ROLE:
                return str(change.new) if change.new else None
    return link.restore_role if link is not None else None
