"""The one-run-at-a-time lease: taken for as long as the budget allows (plus a margin), released after the run."""

from __future__ import annotations

from okta_zoom_sync.core.ports import LeaseStore
from okta_zoom_sync.engine.budget import TimeBudget
from okta_zoom_sync.errors import SyncError
from okta_zoom_sync.observability import logger

# The lease lasts the run's time left (a Lambda runs 15 minutes at most) and a margin: it outlives the run, and a
# crashed run's lease expires by itself.
LONGEST_RUN_SECONDS = 900.0
MARGIN_SECONDS = 60


class Lease:
    def __init__(self, store: LeaseStore, budget: TimeBudget) -> None:
        self.store = store
        self.budget = budget

    def acquire(self, run_id: str) -> bool:
        """Take the lease; False when another live run holds it."""
        return self.store.acquire_lease(run_id, self.seconds())

    def seconds(self) -> int:
        return int(min(self.budget.left(), LONGEST_RUN_SECONDS)) + MARGIN_SECONDS

    def release(self, run_id: str) -> None:
        """Give the lease back. A failure is logged, not raised: the lease expires by itself."""
        try:
            self.store.release_lease(run_id)
        except SyncError as exc:
            logger.error("could not release the lease; it expires by itself", extra={"error": exc.message})
