"""Who receives a deleted user's meetings, webinars and recordings (policy `transfer_to`), checked before the delete.

"manager" is the Okta manager's email, read when the delete runs (the user is no longer assigned, so it is read
by its Okta id). The target must be an active Zoom user: Zoom would refuse any other, and a delete that asked for
a transfer never goes ahead without it.
"""

from __future__ import annotations

from okta_zoom_sync.core.model import TRANSFER_TO, Operation, ZoomStatus, fold
from okta_zoom_sync.core.policy import TRANSFER_TO_MANAGER
from okta_zoom_sync.core.ports import ManagerLookup, ZoomReader
from okta_zoom_sync.errors import TransferTargetError


def transfer_asked(op: Operation) -> str | None:
    """The delete's transfer_to ("manager" or an email), or None when nothing is to be transferred."""
    for change in op.changes:
        if change.field == TRANSFER_TO and change.new:
            return str(change.new)
    return None


class TransferTargets:
    def __init__(self, managers: ManagerLookup, zoom: ZoomReader) -> None:
        self.managers = managers
        self.zoom = zoom

    def target(self, op: Operation, asked: str) -> str:
        """The Zoom email to transfer to, or TransferTargetError naming what is wrong (the user is not deleted)."""
        if asked == TRANSFER_TO_MANAGER:
            email = self.managers.manager_email(op.okta_id) if op.okta_id else None
            if not email:
                raise TransferTargetError(
                    f"{op.email} has no manager in Okta (profile managerId, or an email in manager); transfer_to: "
                    "manager asks that their meetings, webinars and recordings go to the manager, so the user is "
                    "not deleted",
                    api="okta",
                    code="transfer_no_manager",
                )
        else:
            email = asked
        if fold(email) == fold(op.email):
            raise TransferTargetError(
                f"the transfer target {email} is the user being deleted; {op.email} is not deleted", api="zoom"
            )
        user = self.zoom.get_user(email)
        if user is None:
            raise TransferTargetError(
                f"the transfer target {email} is not a Zoom user of this account; {op.email} is not deleted until "
                "it is",
                api="zoom",
                code="transfer_target_missing",
            )
        if user.status != ZoomStatus.ACTIVE:
            raise TransferTargetError(
                f"the transfer target {email} is {user.status} in Zoom (it must be active to receive meetings, "
                f"webinars and recordings); {op.email} is not deleted",
                api="zoom",
                code="transfer_target_inactive",
            )
        return user.email or email
