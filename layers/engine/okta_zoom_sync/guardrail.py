"""max_deprovisions: hold every deprovision of a run that would take away too much access at once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .model import Plan, UserPlan
from .policy import MaxDeprovisions


@dataclass(frozen=True)
class GuardrailDecision:
    deprovisions: int
    limit: int
    held: bool
    reason: str | None


def deprovision_limit(limits: MaxDeprovisions, managed: int) -> int:
    """The most deprovisions one run may make: the smaller of the two limits.

    The percent limit never goes below one user, so that a small organisation can still offboard
    one person per run without `force`.
    """
    by_percent = max(1, managed * limits.percent // 100)
    return min(limits.count, by_percent)


def apply_guardrail(
    plan: Plan, limits: MaxDeprovisions, *, force: bool, managed_base: int
) -> tuple[Plan, GuardrailDecision]:
    deprovisions = sum(1 for user in plan.users if user.deprovision)
    limit = deprovision_limit(limits, managed_base)
    if deprovisions <= limit:
        return plan, GuardrailDecision(deprovisions, limit, held=False, reason=None)
    reason = (
        f"{deprovisions} deprovisions exceed max_deprovisions (count {limits.count}, "
        f"percent {limits.percent}% of {managed_base} managed users, so at most {limit} per run)"
    )
    if force:
        return plan, GuardrailDecision(deprovisions, limit, held=False, reason=reason + "; released by force")
    users = tuple(_hold(user) if user.deprovision else user for user in plan.users)
    return replace(plan, users=users), GuardrailDecision(deprovisions, limit, held=True, reason=reason)


def _hold(user: UserPlan) -> UserPlan:
    return replace(user, operations=tuple(replace(op, held=True) for op in user.operations))
