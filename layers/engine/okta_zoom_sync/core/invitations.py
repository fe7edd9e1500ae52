"""Pending users whose invitation expired (policy `create_action: create`): sent again, at most once a period. Pure.

Zoom's user list does not say that an invitation expired (only a GET of the user answers code 1120), so a full
run asks Zoom about the pending users it manages whose invitation is older than the period
(`engine/invitations.py`). An expired one is sent again by a `reinvite` operation (the pending user is removed
with action=disassociate, then created again); the link remembers when (`Link.invited_at`), whatever Zoom
answered, so a user is invited again at most once per RESEND_PERIOD, and an invitation Zoom refuses to remove is
reported once per period, not on every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from okta_zoom_sync.core.model import Link, OpKind
from okta_zoom_sync.core.outcome import OperationResult, Outcome

# At most one re-sent invitation per user in this period; pending users invited earlier than this are checked.
RESEND_PERIOD = timedelta(days=7)


def invitation_due(link: Link | None, now: datetime) -> bool:
    """Whether the sync may check (and send again) this pending user's invitation: never sent by the sync, or sent
    (or tried) at least RESEND_PERIOD ago."""
    if link is None or not link.invited_at:
        return True
    return now - datetime.fromisoformat(link.invited_at) >= RESEND_PERIOD


def reinvite_notes(results: Sequence[OperationResult]) -> list[str]:
    """A note per invitation sent again (a refused one is in the errors)."""
    days = RESEND_PERIOD.days
    return [
        f"{r.operation.email}: the invitation had expired; sent again (at most once every {days} days)"
        for r in results
        if r.operation.op is OpKind.REINVITE and r.outcome is Outcome.APPLIED
    ]
