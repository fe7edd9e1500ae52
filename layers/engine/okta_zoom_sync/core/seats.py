"""License shortage (policy `license_fallback`): which license falls back to Basic, and what the run reports. Pure.

With `license_fallback: basic`, a create or an upgrade that Zoom refuses for lack of seats leaves the user on Basic:
created on Basic, or kept on it. The planner plans the upgrade again on every run that reads the user (Zoom's
type differs from the desired one), and the applier sends at most one refused request per license type and run
(`engine/license_fallback.py`), so a shortage never makes a run hammer Zoom.
"""

from __future__ import annotations

from collections.abc import Sequence

from okta_zoom_sync.core.model import LICENSE_TYPES, license_rank
from okta_zoom_sync.core.outcome import OperationResult, Outcome

BASIC_TYPE = LICENSE_TYPES["basic"]
# Shortage notes named one by one in a run's result; beyond, one note counts the rest.
MAX_SHORTAGE_NOTES = 20


def falls_back_to_basic(license_type: int) -> bool:
    """Only a license above Basic has Basic to fall back to (Unassigned ranks below it: Basic is no fallback)."""
    return license_rank(license_type) > license_rank(BASIC_TYPE)


def license_shortages(results: Sequence[OperationResult]) -> int:
    """Operations Zoom had no seat for this run (created on Basic, kept on Basic, or failed)."""
    return sum(1 for result in results if result.license_shortage)


def shortage_notes(results: Sequence[OperationResult]) -> list[str]:
    """One note per user left below its license this run (failures are in the errors already)."""
    notes: list[str] = []
    short = [r for r in results if r.license_shortage and r.outcome is not Outcome.FAILED]
    for result in short[:MAX_SHORTAGE_NOTES]:
        op = result.operation
        wanted = op.new_value("type")
        done = "created on Basic" if result.outcome is Outcome.APPLIED else "kept on Basic"
        notes.append(
            f"{op.email}: Zoom has no free seat of license type {wanted}; {done}, upgraded by a later run once a"
            " seat is free"
        )
    if len(short) > MAX_SHORTAGE_NOTES:
        notes.append(f"{len(short) - MAX_SHORTAGE_NOTES} more users left on Basic for lack of seats (see the logs)")
    return notes
