"""core.status: the `status` result's `state`, shaped from what the state table holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from okta_zoom_sync.core.model import HeldRecord
from okta_zoom_sync.core.status import MAX_LISTED, Lease, StateSnapshot, run_summary, state_view

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def snapshot(**fields: Any) -> StateSnapshot:
    base: dict[str, Any] = {
        "cursor": None,
        "lease": None,
        "links": 0,
        "pending": [],
        "quarantined": [],
        "held": [],
        "runs": [],
    }
    return StateSnapshot(**{**base, **fields})


def test_a_long_list_is_cut_oldest_first_and_its_total_kept() -> None:
    # Given 1,500 users held by the brake, held at different times (stored in no particular order)
    held = [
        HeldRecord(
            f"00u{i:04}",
            f"u{i:04}@acme.example",
            ("deactivate",),
            "max_deprovisions",
            (NOW - timedelta(minutes=i)).isoformat(),
        )
        for i in range(1500)
    ]
    # When the state is shaped
    state = state_view(snapshot(held=reversed(held)), NOW)
    # Then the first MAX_LISTED are listed, the longest held first, and the total says how many there are
    assert len(state["held"]) == MAX_LISTED and state["held_total"] == 1500
    assert state["held"][0]["email"] == "u1499@acme.example"
    assert [entry["since"] for entry in state["held"]] == sorted(entry["since"] for entry in state["held"])


def test_a_lease_is_shown_until_its_time_is_up() -> None:
    live = Lease("run-a", int((NOW + timedelta(seconds=1)).timestamp()))
    up = Lease("run-b", int(NOW.timestamp()))
    assert state_view(snapshot(lease=live), NOW)["lease"] == {
        "holder": "run-a",
        "expires_at": "2026-12-02T12:00:01+00:00",
    }
    assert state_view(snapshot(lease=up), NOW)["lease"] is None


def test_a_run_summary_keeps_the_counts_that_are_not_zero() -> None:
    record = {
        "run_id": "r1",
        "mode": "full",
        "status": "partial",
        "started_at": "2026-12-02T11:00:00+00:00",
        "duration_ms": 1200,
        "planned": {"create": 2, "update": 0, "delete": 0},
        "applied": {"create": 1, "update": 0},
        "failed": {"create": 1},
        "held": {"deactivate": 0},
        "errors": [{"op": "create"}],
    }
    assert run_summary(record) == {
        "run_id": "r1",
        "mode": "full",
        "status": "partial",
        "started_at": "2026-12-02T11:00:00+00:00",
        "duration_ms": 1200,
        "counts": {"planned": {"create": 2}, "applied": {"create": 1}, "failed": {"create": 1}},
        "errors": 1,
    }
