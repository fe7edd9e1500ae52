"""A tiny in-memory Zoom + link store that applies a plan the way the real applier and Zoom would.

Used by the property tests: apply the plan to the actual state, plan again, expect nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from okta_zoom_sync.core.model import MEMBER_ROLE, Link, OpKind, Plan, ZoomStatus, ZoomUser


def apply_plan(
    plan: Plan, actual: list[ZoomUser], links: dict[str, Link], now: datetime
) -> tuple[list[ZoomUser], dict[str, Link]]:
    users = {u.email.casefold(): u for u in actual}
    links = dict(links)
    counter = len(actual)
    for user_plan in plan.users:
        key = user_plan.email.casefold()
        for op in user_plan.operations:
            if op.held:
                continue
            current = users.get(key)
            match op.op:
                case OpKind.CREATE:
                    counter += 1
                    action = op.new_value("action")
                    new = ZoomUser(
                        zoom_id=f"z{counter}",
                        email=op.email,
                        first_name=str(op.new_value("first_name")),
                        last_name=str(op.new_value("last_name")),
                        type=int(str(op.new_value("type"))),
                        status=ZoomStatus.PENDING if action == "create" else ZoomStatus.ACTIVE,
                        role=MEMBER_ROLE,
                        groups=frozenset(),
                    )
                    users[key] = new
                    assert op.okta_id
                    links[op.okta_id] = Link(op.okta_id, str(new.zoom_id), op.email)
                case OpKind.ADOPT:
                    assert current and op.okta_id
                    # A pending user (no id in Zoom's list) is linked by its email, as the applier does.
                    links[op.okta_id] = Link(op.okta_id, current.zoom_id or current.email, op.email)
                    for change in op.changes:
                        if change.field == "previous_okta_id":
                            links.pop(str(change.old), None)
                case OpKind.EMAIL:
                    assert current and op.okta_id
                    new_email = str(op.new_value("email"))
                    del users[key]
                    key = new_email.casefold()
                    users[key] = replace(current, email=new_email)
                    links[op.okta_id] = Link(op.okta_id, str(current.zoom_id), new_email)
                case OpKind.REACTIVATE:
                    assert current
                    users[key] = replace(current, status=ZoomStatus.ACTIVE)
                case OpKind.UPDATE:
                    assert current
                    users[key] = replace(current, **{c.field: c.new for c in op.changes})  # type: ignore[arg-type]
                case OpKind.LICENSE:
                    assert current
                    users[key] = replace(current, type=int(str(op.new_value("type"))))
                case OpKind.ROLE:
                    assert current
                    if current.status != ZoomStatus.PENDING:
                        users[key] = replace(current, role=str(op.new_value("role")))
                case OpKind.GROUP_ADD:
                    assert current
                    if current.status != ZoomStatus.PENDING:
                        users[key] = replace(current, groups=current.groups | {str(op.new_value("group"))})
                case OpKind.GROUP_REMOVE:
                    assert current
                    users[key] = replace(current, groups=current.groups - {str(op.changes[0].old)})
                case OpKind.DEACTIVATE:
                    assert current
                    # Zoom removes licenses on deactivation.
                    users[key] = replace(current, status=ZoomStatus.INACTIVE, type=1)
                    if op.okta_id:
                        links[op.okta_id] = Link(op.okta_id, str(current.zoom_id), current.email, now.isoformat())
                case OpKind.DELETE:
                    users.pop(key, None)
                    if op.okta_id:
                        links.pop(op.okta_id, None)
    return list(users.values()), links
