"""What the applier remembers of Zoom's seats during one run (policy `license_fallback`).

Seats are the account's, not a user's: once Zoom refused a license for lack of seats, every further request for
it in the same run would be refused too. So with `license_fallback: basic` the applier sends at most one refused
request per license type and run: later creates go straight to Basic and later upgrades are not sent (outcome
`no_seat`), until an operation of the run gives a seat back (a deactivation, a deletion, a downgrade). A later run
tries again, once. With `none` nothing is remembered: every request is sent and a refusal is a failure, as before.
"""

from __future__ import annotations

import threading

from okta_zoom_sync.core.policy import LicenseFallback
from okta_zoom_sync.core.seats import falls_back_to_basic
from okta_zoom_sync.errors import BasicSeatLimitError, LicenseLimitError, SyncError


class NoSeat(Exception):
    """A license change not made for lack of seats: the user keeps its license; a later run tries again."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SeatMemory:
    """The license types Zoom refused for lack of seats in this run, shared by the applier's threads."""

    def __init__(self, fallback: LicenseFallback) -> None:
        self.fallback = fallback
        self._short: dict[int, SyncError] = {}  # license type -> Zoom's refusal
        self._fell_back: set[int] = set()  # id() of the creates made on Basic instead
        self._lock = threading.Lock()

    def may_fall_back(self, license_type: int, error: SyncError | None = None) -> bool:
        """Whether a request for `license_type` that Zoom refused with `error` (None: known short) leaves the user
        on Basic instead of failing. Never for the Basic cap itself (2033): there is nothing lower to give."""
        if self.fallback is not LicenseFallback.BASIC or not falls_back_to_basic(license_type):
            return False
        return error is None or (isinstance(error, LicenseLimitError) and not isinstance(error, BasicSeatLimitError))

    def known_short(self, license_type: int) -> SyncError | None:
        """Zoom's refusal of this license earlier in the run, when the fallback applies to it; else None."""
        if not self.may_fall_back(license_type):
            return None
        with self._lock:
            return self._short.get(license_type)

    def refused(self, license_type: int, error: SyncError) -> None:
        with self._lock:
            self._short[license_type] = error

    def freed(self) -> None:
        """A seat was given back: the next request may get it."""
        with self._lock:
            self._short.clear()

    def fell_back(self, op: object) -> None:
        with self._lock:
            self._fell_back.add(id(op))

    def did_fall_back(self, op: object) -> bool:
        with self._lock:
            return id(op) in self._fell_back
