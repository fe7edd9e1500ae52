"""ZoomRules: the Zoom roles and groups the policy's rules name, checked and resolved once per run (fakes, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from okta_zoom_sync.core.model import Listing
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.engine.zoom_rules import DryRunGroupMaker, ZoomRules
from okta_zoom_sync.errors import InvalidPolicyError

BUILTIN = ("Owner", "Admin", "Member")


class FakeZoom:
    def __init__(self, roles: tuple[str, ...] = BUILTIN, groups: Mapping[str, str] | None = None) -> None:
        self.roles = roles
        self.roles_complete = True
        self.groups = dict(groups or {})
        self.created: list[str] = []
        self.reads = 0

    def list_roles(self) -> Listing[str]:
        self.reads += 1
        reason = None if self.roles_complete else "GET /roles refused"
        return Listing(self.roles, complete=self.roles_complete, reason=reason)

    def list_groups(self) -> dict[str, str]:
        self.reads += 1
        return dict(self.groups)

    def create_group(self, name: str) -> str:
        group_id = f"g-{len(self.groups) + 1}"
        self.groups[group_id] = name
        self.created.append(name)
        return group_id


class FakeStore:
    def __init__(self, links: Mapping[str, str] | None = None) -> None:
        self.links = dict(links or {})
        self.saves = 0

    def load_zoom_groups(self) -> dict[str, str]:
        return dict(self.links)

    def save_zoom_groups(self, groups: Mapping[str, str]) -> None:
        self.saves += 1
        self.links = dict(groups)


def policy(**keys: object) -> Policy:
    return Policy.model_validate(keys)


def rules(zoom: FakeZoom, store: FakeStore, pol: Policy, *, dry_run: bool = False) -> ZoomRules:
    return ZoomRules(zoom=zoom, groups=DryRunGroupMaker() if dry_run else zoom, store=store, policy=pol)


def test_no_rules_read_nothing_and_keep_the_policy() -> None:
    zoom, store, pol = FakeZoom(), FakeStore(), policy()
    resolved = rules(zoom, store, pol).resolve()
    assert resolved.policy is pol and resolved.notes == ()
    assert zoom.reads == 0 and store.saves == 0


def test_roles_are_found_case_insensitively_and_read_once() -> None:
    zoom = FakeZoom(roles=(*BUILTIN, "Webinar Host"))
    pol = policy(role_rules=[{"group": "Hosts", "role": "webinar HOST"}, {"group": "Admins", "role": "ADMIN"}])
    checker = rules(zoom, FakeStore(), pol)
    assert checker.resolve().policy is pol
    checker.resolve()
    assert zoom.reads == 1


def test_unknown_roles_and_groups_fail_together_naming_each_before_anything_is_created_or_saved() -> None:
    zoom = FakeZoom(roles=BUILTIN, groups={"g1": "Sales"})
    store = FakeStore()
    pol = policy(
        role_rules=[{"group": "Hosts", "role": "Webinar Host"}, {"group": "Leads", "role": "Team Lead"}],
        group_rules=[{"group": "Sales", "zoom_group": "Sales"}, {"group": "Eng", "zoom_group": "Engineering"}],
    )
    with pytest.raises(InvalidPolicyError) as raised:
        rules(zoom, store, pol).resolve()
    message = raised.value.message
    assert "'Webinar Host', 'Team Lead'" in message and "Admin, Member, Owner" in message
    assert "'Engineering'" in message and "create_missing_groups" in message and "'Sales'" not in message
    assert zoom.created == [] and store.saves == 0


def test_a_role_unknown_because_roles_could_not_be_listed_says_why() -> None:
    zoom = FakeZoom()
    zoom.roles_complete = False
    with pytest.raises(InvalidPolicyError, match=r"'Webinar Host'.*GET /roles refused"):
        rules(zoom, FakeStore(), policy(role_rules=[{"group": "Hosts", "role": "Webinar Host"}])).resolve()


def test_a_group_found_by_name_is_linked_by_id_once() -> None:
    zoom, store = FakeZoom(groups={"g1": "Sales"}), FakeStore()
    pol = policy(group_rules=[{"group": "Sales", "zoom_group": "sales"}])
    assert rules(zoom, store, pol).resolve().policy is pol
    assert store.links == {"sales": "g1"} and store.saves == 1
    rules(zoom, store, pol).resolve()
    assert store.saves == 1  # unchanged: not written again


def test_a_renamed_group_is_followed_by_id_under_its_new_name_with_a_note() -> None:
    zoom, store = FakeZoom(groups={"g1": "Sales EMEA", "g2": "Support"}), FakeStore({"sales": "g1"})
    pol = policy(group_rules=[{"group": "Sales", "zoom_group": "Sales"}, {"group": "Help", "zoom_group": "Support"}])
    resolved = rules(zoom, store, pol).resolve()
    assert [rule.zoom_group for rule in resolved.policy.group_rules] == ["Sales EMEA", "Support"]
    assert resolved.policy.managed_zoom_groups == frozenset({"Sales EMEA", "Support"})
    assert any("'Sales' was renamed in Zoom to 'Sales EMEA'" in note for note in resolved.notes)
    assert store.links == {"sales": "g1", "support": "g2"}


def test_the_link_wins_over_a_new_group_that_took_the_old_name() -> None:
    zoom, store = FakeZoom(groups={"g1": "Sales EMEA", "g9": "Sales"}), FakeStore({"sales": "g1"})
    resolved = rules(zoom, store, policy(group_rules=[{"group": "Sales", "zoom_group": "Sales"}])).resolve()
    assert resolved.policy.group_rules[0].zoom_group == "Sales EMEA"


def test_a_rule_naming_the_new_name_too_shares_the_one_group() -> None:
    zoom, store = FakeZoom(groups={"g1": "Sales EMEA"}), FakeStore({"sales": "g1"})
    pol = policy(group_rules=[{"group": "Sales", "zoom_group": "Sales"}, {"group": "EMEA", "zoom_group": "sales emea"}])
    resolved = rules(zoom, store, pol).resolve()
    assert {rule.zoom_group.casefold() for rule in resolved.policy.group_rules} == {"sales emea"}
    assert any("'Sales' and 'sales emea'" in note and "same Zoom group" in note for note in resolved.notes)
    assert store.links == {"sales": "g1", "sales emea": "g1"}


def test_a_linked_group_deleted_in_zoom_is_looked_up_by_name_again() -> None:
    zoom, store = FakeZoom(groups={"g7": "Sales"}), FakeStore({"sales": "g1"})
    resolved = rules(zoom, store, policy(group_rules=[{"group": "Sales", "zoom_group": "Sales"}])).resolve()
    assert any("no longer exists" in note for note in resolved.notes)
    assert store.links == {"sales": "g7"}


def test_missing_groups_are_created_once_when_allowed() -> None:
    zoom, store = FakeZoom(), FakeStore()
    pol = policy(
        group_rules=[{"group": "A", "zoom_group": "Support"}, {"group": "B", "zoom_group": "support"}],
        create_missing_groups=True,
    )
    resolved = rules(zoom, store, pol).resolve()
    assert zoom.created == ["Support"]
    assert any("created Zoom group 'Support'" in note for note in resolved.notes)
    assert store.links == {"support": "g-1"}


def test_a_dry_run_creates_nothing_and_says_a_real_run_would() -> None:
    zoom, store = FakeZoom(), FakeStore()
    pol = policy(group_rules=[{"group": "A", "zoom_group": "Support"}], create_missing_groups=True)
    resolved = rules(zoom, store, pol, dry_run=True).resolve()
    assert zoom.created == [] and zoom.groups == {}
    assert resolved.policy.group_rules[0].zoom_group == "Support"  # planned under the rule's name
    assert any("a real run creates it" in note for note in resolved.notes)
    assert store.saves == 0  # nothing to link yet
