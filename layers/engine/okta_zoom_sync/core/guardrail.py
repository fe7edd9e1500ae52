"""The brakes: hold every deprovision (max_deprovisions) or every license downgrade (max_license_downgrades) of a
run that would take away too much at once. Pure: a plan in, the plan with held operations out."""

from __future__ import annotations

from dataclasses import dataclass, replace

from okta_zoom_sync.core.model import Plan, UserPlan
from okta_zoom_sync.core.policy import Brake


@dataclass(frozen=True)
class GuardrailDecision:
    deprovisions: int
    limit: int
    held: bool
    reason: str | None
    downgrades: int = 0
    downgrade_limit: int = 0
    downgrades_held: bool = False
    downgrade_reason: str | None = None

    @property
    def any_held(self) -> bool:
        return self.held or self.downgrades_held

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(r for r in (self.reason, self.downgrade_reason) if r)


def deprovision_limit(limits: Brake, managed: int) -> int:
    """The most operations of a kind one run may make: the smaller of the two limits.

    The percent limit never goes below one user, so that a small organisation can still offboard
    one person (or downgrade one license) per run without `force`.
    """
    by_percent = max(1, managed * limits.percent // 100)
    return min(limits.count, by_percent)


def _exceeded(what: str, key: str, found: int, limits: Brake, managed_base: int) -> str:
    limit = deprovision_limit(limits, managed_base)
    return (
        f"{found} {what} exceed {key} (count {limits.count}, "
        f"percent {limits.percent}% of {managed_base} managed users, so at most {limit} per run)"
    )


def apply_guardrail(
    plan: Plan,
    limits: Brake,
    *,
    force: bool,
    managed_base: int,
    downgrade_limits: Brake | None = None,
) -> tuple[Plan, GuardrailDecision]:
    deprovisions = sum(1 for user in plan.users if user.deprovision)
    limit = deprovision_limit(limits, managed_base)
    downgrades = sum(1 for user in plan.users for op in user.operations if op.is_license_downgrade and not op.held)
    downgrade_limit = deprovision_limit(downgrade_limits, managed_base) if downgrade_limits else downgrades
    reason = downgrade_reason = None
    if deprovisions > limit:
        reason = _exceeded("deprovisions", "max_deprovisions", deprovisions, limits, managed_base)
    if downgrade_limits is not None and downgrades > downgrade_limit:
        downgrade_reason = _exceeded(
            "license downgrades", "max_license_downgrades", downgrades, downgrade_limits, managed_base
        )
    if force:  # nothing is held; the reasons say what force let through
        reason = reason and reason + "; released by force"
        downgrade_reason = downgrade_reason and downgrade_reason + "; released by force"
    hold_deprovisions = reason is not None and not force
    hold_downgrades = downgrade_reason is not None and not force
    decision = GuardrailDecision(
        deprovisions,
        limit,
        hold_deprovisions,
        reason,
        downgrades,
        downgrade_limit,
        hold_downgrades,
        downgrade_reason,
    )
    if not decision.any_held:
        return plan, decision
    users = tuple(_hold(user, hold_deprovisions, hold_downgrades) for user in plan.users)
    return replace(plan, users=users), decision


def _hold(user: UserPlan, deprovisions: bool, downgrades: bool) -> UserPlan:
    if deprovisions and user.deprovision:
        return replace(user, operations=tuple(replace(op, held=True) for op in user.operations))
    if downgrades and any(op.is_license_downgrade for op in user.operations):
        return replace(
            user, operations=tuple(replace(op, held=True) if op.is_license_downgrade else op for op in user.operations)
        )
    return user
