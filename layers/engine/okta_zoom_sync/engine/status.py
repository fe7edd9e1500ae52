"""`status` mode: what the sync knows, read from the state table alone. No Okta or Zoom call, no secret, no lease,
no write: it answers while a run holds the lease, and with credentials that no longer work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from okta_zoom_sync.core.ports import StateReader
from okta_zoom_sync.core.status import LAST_RUNS, StateSnapshot, state_view


def read_state(reader: StateReader, now: datetime) -> dict[str, Any]:
    """The result's `state`. Links are counted (DynamoDB COUNT queries), not loaded."""
    snapshot = StateSnapshot(
        cursor=reader.load_cursor(),
        lease=reader.read_lease(),
        links=reader.count_links(),
        pending=reader.list_pending(),
        quarantined=reader.load_failures().values(),
        held=reader.load_held().values(),
        runs=reader.recent_runs(LAST_RUNS),
        last_success=reader.last_success(),
    )
    return state_view(snapshot, now)
