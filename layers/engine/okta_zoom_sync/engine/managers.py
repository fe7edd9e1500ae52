"""Managers' emails for `{managerId}` in the `manager` template: from the assigned users already read, else one
`GET /api/v1/users/{id}` per distinct manager per run (cached: the directory lives as long as the run's engine).

A manager Okta does not know, or whose read fails for a passing reason, is left out: that user's manager field is
left as it is, with a note (core/attributes.py). A refused credential still fails the run.
"""

from __future__ import annotations

from collections.abc import Iterable

from okta_zoom_sync.core.attributes import MANAGER_ID, needs_managers
from okta_zoom_sync.core.desired import zoom_email
from okta_zoom_sync.core.model import OktaUser
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.core.ports import OktaReader
from okta_zoom_sync.errors import ApiError, AuthError, PermissionDeniedError
from okta_zoom_sync.observability import logger


class ManagerDirectory:
    def __init__(self, okta: OktaReader, policy: Policy) -> None:
        self.okta = okta
        self.enabled = needs_managers(policy)
        self._emails: dict[str, str | None] = {}  # Okta id -> email; None: not found

    def emails_for(self, assignments: Iterable[OktaUser]) -> dict[str, str]:
        """Okta id -> email of every manager these assignments name."""
        if not self.enabled:
            return {}
        assignments = list(assignments)
        wanted = {value for a in assignments for name, value in a.profile if name == MANAGER_ID and value}
        for assignment in assignments:  # a manager who is assigned too needs no read
            if assignment.okta_id in wanted and assignment.okta_id not in self._emails:
                self._emails[assignment.okta_id] = zoom_email(assignment)
        for manager_id in sorted(wanted - self._emails.keys()):
            self._emails[manager_id] = self._read(manager_id)
        return {manager_id: email for manager_id in wanted if (email := self._emails.get(manager_id))}

    def _read(self, manager_id: str) -> str | None:
        try:
            manager = self.okta.get_user(manager_id)
        except (AuthError, PermissionDeniedError):
            raise
        except ApiError as exc:
            logger.warning("manager unreadable", extra={"okta_id": manager_id, "error": exc.message})
            return None
        return zoom_email(manager) if manager is not None else None
