"""The run's time budget: how long is left, and when to stop starting new work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TimeBudget:
    """The run's time: `left()` seconds remain; new work stops `margin` seconds before the end."""

    left: Callable[[], float]
    margin: float

    def exhausted(self) -> bool:
        return self.left() <= self.margin

    @classmethod
    def unlimited(cls) -> TimeBudget:
        return cls(left=lambda: float("inf"), margin=0.0)

    @classmethod
    def from_remaining(cls, remaining_ms: Callable[[], int]) -> TimeBudget:
        start = remaining_ms() / 1000
        # Keep back 15 % of the time (between 2 s and 60 s) to checkpoint and answer.
        return cls(left=lambda: remaining_ms() / 1000, margin=max(2.0, min(60.0, 0.15 * start)))
