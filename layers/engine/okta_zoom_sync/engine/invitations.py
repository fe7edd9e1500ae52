"""Finding the expired invitations of a full snapshot: Zoom's user list does not tell, a GET of the user does.

Only the pending users the sync would act on are asked about (those an Okta user links or would adopt), and only
when their invitation is due for a check (`core/invitations.invitation_due`: never sent by the sync, or sent at
least the re-send period ago), so a run sends one light GET per stale invitation and none for fresh ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from okta_zoom_sync.core.invitations import invitation_due
from okta_zoom_sync.core.model import DesiredState, DesiredUser, Link, ZoomStatus, ZoomUser, fold
from okta_zoom_sync.core.ports import ZoomReader
from okta_zoom_sync.errors import ApiError, AuthError, PermissionDeniedError
from okta_zoom_sync.observability import logger


def mark_expired_invitations(
    zoom: ZoomReader,
    actual: Sequence[ZoomUser],
    desired: Sequence[DesiredUser],
    links: Mapping[str, Link],
    now: datetime,
) -> list[ZoomUser]:
    """`actual` with `invitation_expired` set on the pending users whose invitation Zoom says expired (1120)."""
    # The Okta users who should be active, by the addresses their pending user may have: their own (adoption)
    # and their link's (an invitation the sync sent). A pending user nobody wants is withdrawn, never re-sent.
    wanted: dict[str, str] = {}
    for want in desired:
        if want.state is DesiredState.ACTIVE:
            wanted.setdefault(fold(want.email), want.okta_id)
            link = links.get(want.okta_id)
            if link is not None:
                wanted.setdefault(fold(link.email), want.okta_id)
    out: list[ZoomUser] = []
    for user in actual:
        email = fold(user.email)
        pending = user.status == ZoomStatus.PENDING and not user.invitation_expired
        if not pending or email not in wanted or not invitation_due(links.get(wanted[email]), now):
            out.append(user)
            continue
        try:
            seen = zoom.get_user(user.email)
        except (AuthError, PermissionDeniedError):
            raise
        except ApiError as exc:  # this user stays as listed; the next full run asks again
            logger.warning("invitation check failed", extra={"email": user.email, "error_code": exc.code})
            seen = None
        out.append(replace(user, invitation_expired=True) if seen is not None and seen.invitation_expired else user)
    return out
