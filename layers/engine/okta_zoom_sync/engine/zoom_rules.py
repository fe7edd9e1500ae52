"""The Zoom roles and groups the policy's rules name, checked once per run before anything is written.

A role rule naming a role the account does not have, or a group rule naming a Zoom group that does not exist (and
that `create_missing_groups` does not create), fails the run with the names, before any write in any mode (a dry
run too: it is how an operator tries a policy). Names compare case-insensitively.

Each group rule's Zoom group is remembered by id in the state table once found, so a group renamed by hand in Zoom
is still the rule's group: the run uses it under its new name, with a note saying so. When the policy also names the
new name (another rule), both rules name that one group: members of either rule's Okta groups belong in it. A linked
group deleted in Zoom is looked up by name again (and created, if the policy says so).

A missing group that `create_missing_groups` allows is created here, before any membership write; a dry run creates
nothing (its group maker answers None) and says in a note that a real run would.
"""

from __future__ import annotations

from dataclasses import dataclass

from okta_zoom_sync.core.model import fold
from okta_zoom_sync.core.policy import GroupRule, Policy
from okta_zoom_sync.core.ports import ZoomDirectory, ZoomGroupLinkStore, ZoomGroupMaker
from okta_zoom_sync.errors import InvalidPolicyError
from okta_zoom_sync.observability import logger


@dataclass(frozen=True)
class ResolvedRules:
    """The policy to plan with (each group rule naming its Zoom group as Zoom now calls it), and what was learned."""

    policy: Policy
    notes: tuple[str, ...] = ()


class DryRunGroupMaker:
    """A dry run's group maker: creates nothing."""

    def create_group(self, name: str) -> str | None:
        return None


@dataclass(frozen=True)
class _Found:
    group_id: str | None  # None: to be created by a real run (a dry run's planned group)
    name: str  # the group's name in Zoom (or the rule's, for a group not created yet)


class ZoomRules:
    """Checks and resolves the policy's Zoom roles and groups; `resolve` reads Zoom at most once per run."""

    def __init__(
        self, *, zoom: ZoomDirectory, groups: ZoomGroupMaker, store: ZoomGroupLinkStore, policy: Policy
    ) -> None:
        self.zoom = zoom
        self.maker = groups
        self.store = store
        self.policy = policy
        self._resolved: ResolvedRules | None = None

    def resolve(self) -> ResolvedRules:
        if self._resolved is None:
            self._resolved = self._resolve()
        return self._resolved

    def _resolve(self) -> ResolvedRules:
        notes: list[str] = []
        problems = self._missing_roles()
        found: dict[str, _Found] = {}
        missing_groups: list[str] = []
        linked = self.store.load_zoom_groups() if self.policy.group_rules else {}
        if self.policy.group_rules:
            found, missing_groups = self._find_groups(linked, notes)
        if missing_groups and not self.policy.create_missing_groups:
            problems.append(
                "group_rules name Zoom groups that do not exist: "
                + ", ".join(repr(name) for name in missing_groups)
                + " (create them in Zoom, or set create_missing_groups: true)"
            )
        if problems:
            raise InvalidPolicyError("; ".join(problems))
        for name in missing_groups:  # nothing is created unless every rule checked out
            group_id = self.maker.create_group(name)
            if group_id is None:
                notes.append(f"Zoom group {name!r} does not exist: a real run creates it (create_missing_groups)")
            else:
                logger.info("zoom group created", extra={"group": name, "group_id": group_id})
                notes.append(f"created Zoom group {name!r} (create_missing_groups)")
            found[fold(name)] = _Found(group_id, name)
        links = {key: item.group_id for key, item in found.items() if item.group_id is not None}
        if self.policy.group_rules and links != linked:
            self.store.save_zoom_groups(links)
        return ResolvedRules(self._with_zoom_names(found), tuple(notes))

    def _missing_roles(self) -> list[str]:
        """A problem naming the role rules' roles the account does not have (none, or one entry)."""
        if not self.policy.role_rules:
            return []
        roles = self.zoom.list_roles()
        known = {fold(name) for name in roles.items}
        missing = list(dict.fromkeys(rule.role for rule in self.policy.role_rules if fold(rule.role) not in known))
        if not missing:
            return []
        problem = (
            "role_rules name Zoom roles that do not exist: "
            + ", ".join(repr(name) for name in missing)
            + f" (the account's roles: {', '.join(sorted(roles.items, key=fold))})"
        )
        return [problem + (f"; {roles.reason}" if roles.reason else "")]

    def _find_groups(self, linked: dict[str, str], notes: list[str]) -> tuple[dict[str, _Found], list[str]]:
        """Each rule's Zoom group by its remembered id first, then by name; and the rule names found neither way."""
        groups = self.zoom.list_groups()
        by_name: dict[str, str] = {}
        for some_id, name in groups.items():
            by_name.setdefault(fold(name), some_id)
        found: dict[str, _Found] = {}
        missing: list[str] = []
        spelled: dict[str, str] = {}  # folded rule name -> the first rule's spelling
        for rule in self.policy.group_rules:
            spelled.setdefault(fold(rule.zoom_group), rule.zoom_group)
        for key, rule_name in spelled.items():
            linked_id = linked.get(key)
            if linked_id is not None and linked_id in groups:
                if fold(groups[linked_id]) != key:
                    notes.append(
                        f"Zoom group {rule_name!r} was renamed in Zoom to {groups[linked_id]!r}: the rule follows it "
                        "by id (write the new name in group_rules to silence this note)"
                    )
                found[key] = _Found(linked_id, groups[linked_id])
                continue
            if linked_id is not None:
                notes.append(f"Zoom group {rule_name!r} (id {linked_id}) no longer exists in Zoom: looked up by name")
            named_id = by_name.get(key)
            if named_id is None:
                missing.append(rule_name)
            else:
                found[key] = _Found(named_id, groups[named_id])
        shared: dict[str, list[str]] = {}
        for key, item in found.items():
            if item.group_id is not None:
                shared.setdefault(item.group_id, []).append(spelled[key])
        for group_id, names in shared.items():
            if len(names) > 1:
                notes.append(
                    f"group_rules name {' and '.join(repr(n) for n in names)}, which are the same Zoom group "
                    f"{groups[group_id]!r} (id {group_id}): members of either rule's Okta groups belong in it"
                )
        return found, missing

    def _with_zoom_names(self, found: dict[str, _Found]) -> Policy:
        """The policy with each group rule naming its Zoom group as Zoom calls it now (a renamed group)."""
        rules = tuple(
            GroupRule(group=rule.group, zoom_group=found[fold(rule.zoom_group)].name)
            if fold(found[fold(rule.zoom_group)].name) != fold(rule.zoom_group)
            else rule
            for rule in self.policy.group_rules
        )
        if rules == self.policy.group_rules:
            return self.policy
        return self.policy.model_copy(update={"group_rules": rules})
