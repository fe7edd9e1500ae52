"""Which users of a plan must wait for which when users are applied in parallel. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from okta_zoom_sync.core.model import LICENSE_TYPES, OpKind, UserPlan, fold

LICENSED_TYPE = LICENSE_TYPES["licensed"]  # Zoom's paid seat


def dependencies(users: Sequence[UserPlan]) -> list[list[int]]:
    """For each user, the earlier users (plan indexes) it must wait for when users are applied in parallel: the plan's
    order matters between users in two ways, and only there.

    - An address: a create or an email move onto an address waits for the earlier users that free it (a move away
      from it, a deletion of its holder); the planner put those first.
    - Paid seats: an operation that takes a paid license (a create or a change to Licensed, a reactivation) waits for
      the earlier users that take or give back one, so who gets the last seats is decided by the plan, as it is one
      user at a time, never by the threads' timing."""
    freed_by: dict[str, list[int]] = {}
    seat_users: list[int] = []  # since the last user that takes a seat, that one included
    out: list[list[int]] = []
    for index, user in enumerate(users):
        waits: list[int] = []
        target = _target(user)
        if target is not None:
            waits.extend(freed_by.get(target, ()))
        takes, touches = _seats(user)
        if takes:
            waits.extend(seat_users)
            seat_users = [index]
        elif touches:
            seat_users.append(index)
        for address in _frees(user):
            freed_by.setdefault(address, []).append(index)
        out.append(sorted(set(waits)))
    return out


def _target(user: UserPlan) -> str | None:
    for op in user.operations:
        if op.op in (OpKind.CREATE, OpKind.EMAIL) and not op.held:
            return fold(str(op.new_value("email")))
    return None


def _frees(user: UserPlan) -> set[str]:
    freed: set[str] = set()
    for op in user.operations:
        if op.op is OpKind.DELETE:
            freed |= {fold(op.email), fold(user.email)}
        elif op.op is OpKind.EMAIL:
            freed |= {fold(str(c.old)) for c in op.changes if c.field == "email" and c.old}
    return freed


def _seats(user: UserPlan) -> tuple[bool, bool]:
    """(takes a paid seat, takes or gives back one)."""
    takes = touches = False
    for op in user.operations:
        if op.held:
            continue
        if op.op in (OpKind.CREATE, OpKind.LICENSE):
            paid = str(op.new_value("type")) == str(LICENSED_TYPE)
            takes = takes or paid
            touches = touches or paid or op.op is OpKind.LICENSE
        elif op.op is OpKind.REACTIVATE:
            takes = touches = True
        elif op.op in (OpKind.DEACTIVATE, OpKind.DELETE):
            touches = True
    return takes, touches
