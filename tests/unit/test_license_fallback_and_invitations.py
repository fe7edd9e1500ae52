"""The pure and per-run parts of license fallback and expired invitations (core/seats, core/invitations,
engine/license_fallback) and how the planner plans a re-sent invitation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from okta_zoom_sync.core.invitations import RESEND_PERIOD, invitation_due
from okta_zoom_sync.core.model import Change, DesiredState, DesiredUser, Link, Operation, OpKind, ZoomUser
from okta_zoom_sync.core.outcome import OperationResult, Outcome
from okta_zoom_sync.core.planner import plan
from okta_zoom_sync.core.policy import LicenseFallback, Policy
from okta_zoom_sync.core.seats import MAX_SHORTAGE_NOTES, falls_back_to_basic, license_shortages, shortage_notes
from okta_zoom_sync.engine.license_fallback import SeatMemory
from okta_zoom_sync.errors import BasicSeatLimitError, LicenseLimitError, PermanentError

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
NO_SEAT = LicenseLimitError("no seat", api="zoom", code="2034", status=400)


def test_only_a_license_above_basic_falls_back() -> None:
    assert falls_back_to_basic(2)
    assert not falls_back_to_basic(1) and not falls_back_to_basic(4)


def test_seat_memory_with_basic_fallback() -> None:
    seats = SeatMemory(LicenseFallback.BASIC)
    assert seats.may_fall_back(2, NO_SEAT)
    assert not seats.may_fall_back(2, BasicSeatLimitError("cap", api="zoom", code="2033"))  # nothing lower
    assert not seats.may_fall_back(2, PermanentError("other", api="zoom", code="300"))
    assert not seats.may_fall_back(1, NO_SEAT)
    assert seats.known_short(2) is None
    seats.refused(2, NO_SEAT)
    assert seats.known_short(2) is NO_SEAT  # the rest of the run sends no doomed request
    seats.freed()
    assert seats.known_short(2) is None  # a seat given back: the next request may get it


def test_seat_memory_with_fallback_none_remembers_nothing() -> None:
    seats = SeatMemory(LicenseFallback.NONE)
    assert not seats.may_fall_back(2, NO_SEAT)
    seats.refused(2, NO_SEAT)
    assert seats.known_short(2) is None  # every request is sent, as before the fallback existed


def _result(outcome: Outcome, email: str, short: bool = True) -> OperationResult:
    op = Operation(OpKind.LICENSE, email, "00u1", "z1", (Change("type", 1, 2),))
    return OperationResult(op, outcome, license_shortage=short)


def test_shortage_notes_and_count() -> None:
    results = [
        _result(Outcome.NO_SEAT, "kept@acme.com"),
        _result(Outcome.FAILED, "failed@acme.com"),
        _result(Outcome.APPLIED, "fine@acme.com", short=False),
    ]
    assert license_shortages(results) == 2
    assert shortage_notes(results) == [
        "kept@acme.com: Zoom has no free seat of license type 2; kept on Basic, upgraded by a later run once a seat"
        " is free"
    ]
    many = [_result(Outcome.NO_SEAT, f"u{i}@acme.com") for i in range(MAX_SHORTAGE_NOTES + 5)]
    notes = shortage_notes(many)
    assert len(notes) == MAX_SHORTAGE_NOTES + 1 and notes[-1].startswith("5 more users")


def test_an_invitation_is_due_once_per_period() -> None:
    assert invitation_due(None, NOW)
    assert invitation_due(Link("00u1", "z1", "a@acme.com"), NOW)  # never sent by the sync
    recent = Link("00u1", "z1", "a@acme.com", invited_at=(NOW - RESEND_PERIOD + timedelta(hours=1)).isoformat())
    assert not invitation_due(recent, NOW)
    old = Link("00u1", "z1", "a@acme.com", invited_at=(NOW - RESEND_PERIOD).isoformat())
    assert invitation_due(old, NOW)


def _want(state: DesiredState = DesiredState.ACTIVE) -> DesiredUser:
    return DesiredUser("00u1", "ann@acme.com", "Ann", "Lee", state, 2, None, frozenset({"Eng"}))


def _pending(expired: bool) -> ZoomUser:
    return ZoomUser(None, "ann@acme.com", "Ann", "Lee", 2, "pending", None, frozenset(), invitation_expired=expired)


def test_the_planner_sends_an_expired_invitation_again_once_per_period() -> None:
    policy = Policy(create_action="create")  # type: ignore[arg-type]
    link = Link("00u1", "z9", "ann@acme.com")
    p = plan([_want()], [_pending(expired=True)], {"00u1": link}, policy, NOW)
    assert [op.op for op in p.operations] == [OpKind.REINVITE, OpKind.GROUP_ADD]
    reinvite = p.operations[0]
    assert (reinvite.new_value("action"), reinvite.new_value("type"), reinvite.email) == ("create", 2, "ann@acme.com")
    assert not p.users[0].deprovision  # not counted by max_deprovisions: the person keeps access
    # sent within the period: nothing; not expired: nothing (pending users wait); not wanted: withdrawn as before
    recent = Link("00u1", "z9", "ann@acme.com", invited_at=(NOW - timedelta(days=1)).isoformat())
    assert plan([_want()], [_pending(expired=True)], {"00u1": recent}, policy, NOW).operations == ()
    assert plan([_want()], [_pending(expired=False)], {"00u1": link}, policy, NOW).operations == ()
    held = plan([_want(DesiredState.HOLD)], [_pending(expired=True)], {"00u1": link}, policy, NOW)
    assert held.operations == ()
