"""Model-based (stateful) test: random Okta changes, transient API faults and sync runs against the real handler.

A hypothesis `RuleBasedStateMachine` drives a small Okta org and a Zoom account (the loopback simulators, moto for
AWS) through random steps: direct and group assignments, group membership, Okta lifecycle changes (suspend,
deactivate, reactivate, activate, lock, password expiry), profile and login changes, new users, 429/5xx bursts on
some endpoints for the next run only, and runs (`incremental` most often, `users` naming emails or Okta ids).

Checked after every step (the contract, /work/shared/product/contract.md):

- never two Zoom users for one email (case-insensitive), and never two Okta users linked to one Zoom user;
- the Owner, the unmanaged Zoom users and the protected user are never changed;
- a run never deactivates (or deletes, or hands to another Okta user) the Zoom user of an Okta user that is
  assigned and active: compared before and after each run. A run that hit faults may leave work pending, so that
  is all that is asked of a single run;
- convergence ("incremental equals full"): once faults stop, within three incremental runs a full dry run plans
  nothing; Zoom then matches Okta (assigned active users active, with their login as email and their names;
  deprovisioned, suspended and unassigned linked users inactive). Checked by the `converge` rule and at the end
  of every example.

When an invariant breaks, hypothesis prints the shortest sequence of steps it found: that is the bug report.
The notes printed with it (`note(...)`, just before each step's line) say what the step did to Okta and what
each run answered.

Bounded for the default and CI runs (20 examples of up to 30 steps, about 25 s; CI's profile derandomizes).
To explore: `HYPOTHESIS_PROFILE=explore` (150 examples), or `MODEL_BASED_EXAMPLES=<n>` / `MODEL_BASED_STEPS=<n>`;
`MODEL_BASED_TOLERATE_KNOWN_GAPS=1` lets an example finish with a full and a `users` run when only users an
earlier run failed on are left unconverged, so that exploration gets past a known gap to other bugs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import note as hypothesis_note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.support.stack import integration_stack

from .conftest import Stack

DOMAIN = "acme.example"
OWNER = f"owner@{DOMAIN}"
PROTECTED = f"breakglass@{DOMAIN}"
UNMANAGED = ("partner@other.example", f"manual.user@{DOMAIN}")  # Zoom users no Okta user ever has as login
GROUPS = ("Team A", "Team B", "Team C")
ASSIGNED_GROUP = "Team A"

# Logins: the initial users', free ones, case variants, and the Owner's and the protected user's (usable once
# their Okta users have moved away from them).
INITIAL = tuple(f"u{i}@{DOMAIN}" for i in range(8))
LOGINS = (*INITIAL, f"u8@{DOMAIN}", f"u9@{DOMAIN}", f"U1@{DOMAIN.upper()}", "u3@Acme.Example", OWNER, PROTECTED)
NAMES = ("Ann", "Bob", "Zoë", "Lee", "O'Neil", "Ng")

# A custom role and a Zoom group follow Okta groups; the Zoom group is created by the first run.
CUSTOM_ROLE = "Webinar Host"
ROLE_GROUP = "Team C"
ZOOM_GROUP = "Team B Zoom"
GROUP_RULE_GROUP = "Team B"
POLICY = f"""\
max_deprovisions: {{count: 100, percent: 100}}
protected_users: [{PROTECTED}]
role_rules: [{{group: {ROLE_GROUP}, role: {CUSTOM_ROLE}}}]
group_rules: [{{group: {GROUP_RULE_GROUP}, zoom_group: {ZOOM_GROUP}}}]
create_missing_groups: true
"""

ACTIVE_LIKE = frozenset({"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"})  # -> an active Zoom user
# Okta lifecycle actions and the statuses each may start from (Okta refuses the others).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "suspend": (frozenset({"ACTIVE"}), "SUSPENDED"),
    "unsuspend": (frozenset({"SUSPENDED"}), "ACTIVE"),
    "deactivate": (frozenset({"STAGED", "PROVISIONED", *ACTIVE_LIKE, "SUSPENDED"}), "DEPROVISIONED"),
    "reactivate": (frozenset({"DEPROVISIONED"}), "PROVISIONED"),
    "activate": (frozenset({"STAGED", "PROVISIONED"}), "ACTIVE"),
    "lock": (frozenset({"ACTIVE"}), "LOCKED_OUT"),
    "unlock": (frozenset({"LOCKED_OUT"}), "ACTIVE"),
    "expire_password": (frozenset({"ACTIVE"}), "PASSWORD_EXPIRED"),
    "change_password": (frozenset({"PASSWORD_EXPIRED"}), "ACTIVE"),
}
# Zoom allows 3 email changes per user in 24 hours; more is a refusal, not a sync bug. Two login changes per
# Okta user keep every Zoom user under it.
MAX_LOGIN_CHANGES = 2

# (api, method, path prefix, write): endpoints a fault can hit. Writes can also fail after being applied.
ENDPOINTS = (
    ("okta", "GET", "/api/v1/logs", False),
    ("okta", "GET", "/api/v1/apps/", False),  # app users (list and one), app groups
    ("okta", "GET", "/api/v1/users/", False),
    ("okta", "GET", "/api/v1/groups/", False),
    ("zoom", "POST", "/oauth/token", False),
    ("zoom", "GET", "/v2/users", False),
    ("zoom", "POST", "/v2/users", True),  # create
    ("zoom", "PATCH", "/v2/users/", True),  # profile, license
    ("zoom", "PUT", "/v2/users/", True),  # status, email
    ("zoom", "WRITE", "/v2/users", True),  # POST, PATCH, PUT and DELETE alike
)
faults = st.fixed_dictionaries(
    {
        # Zoom writes twice as often: that is where a fault leaves work behind.
        "endpoint": st.sampled_from(ENDPOINTS + tuple(e for e in ENDPOINTS if e[3])),
        "status": st.sampled_from((429, 500, 502, 503, 504)),
        # The engine tries a request 5 times: a longer burst makes that request fail (transiently).
        "times": st.sampled_from((1, 2, 4, 5, 6, 8)),
        "skip": st.sampled_from((0, 0, 0, 1, 2)),
        "after_apply": st.booleans(),
    }
)

MAX_EXAMPLES = int(os.environ.get("MODEL_BASED_EXAMPLES", "0")) or (
    # HYPOTHESIS_PROFILE=explore raises max_examples: explore longer, but not thousands of stacks.
    150 if settings.default.max_examples > 100 else 20
)
# MODEL_BASED_TOLERATE_KNOWN_GAPS=1: when the only users left unconverged are users an earlier run failed on (or
# quarantined), finish with a full and a `users` run instead of failing (see the module docstring).
TOLERATE_KNOWN_GAPS = os.environ.get("MODEL_BASED_TOLERATE_KNOWN_GAPS", "") not in ("", "0")
STEPS = int(os.environ.get("MODEL_BASED_STEPS", "0")) or 30


def note(text: str) -> None:
    """A line of the failing example's report (printed directly when the machine is driven by hand)."""
    try:
        hypothesis_note(text)
    except InvalidArgument:
        print(text)


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


def fold(email: str) -> str:
    return email.casefold()


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """What a note about a run needs: status, non-zero counts, errors and notes."""
    out: dict[str, Any] = {"status": result["status"]}
    for key in ("applied", "failed", "held", "deferred", "skipped"):
        counts = {k: v for k, v in (result.get(key) or {}).items() if v}
        if counts:
            out[key] = counts
    if result.get("errors"):
        out["errors"] = [(e.get("op"), e.get("email"), e.get("code")) for e in result["errors"]]
    if result.get("quarantined"):
        out["quarantined"] = [(q["email"], q["op"], q["code"]) for q in result["quarantined"]]
    if result.get("notes"):
        out["notes"] = result["notes"]
    return out


class SyncModel(RuleBasedStateMachine):
    """One Okta org, one Zoom account, the real handler; see the module docstring."""

    people = Bundle("people")

    def __init__(self) -> None:
        super().__init__()
        self._resources = ExitStack()
        self.broken = False  # a step or check raised: the teardown then does not pile a second failure on it
        self.login_changes: dict[str, int] = {}
        self.failed_users: set[str] = set()  # Okta ids (or emails) a run failed on
        self.touched: list[str] = []  # Okta ids changed since the last run
        self._links_cache: dict[str, dict[str, str]] | None = None
        self.transitions: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        try:
            self.stack: Stack = self._resources.enter_context(integration_stack(POLICY))
            self._build_org()
        except BaseException:
            self._resources.close()
            raise

    # --- set-up ------------------------------------------------------------------------------------------

    def _build_org(self) -> None:
        okta, zoom = self.stack.okta, self.stack.zoom
        zoom.page_size_max = 4  # Zoom's user list comes in several pages: a fault can hit a later one
        self.groups = {name: okta.add_group(name) for name in GROUPS}
        self.ids: list[str] = []
        for i, login in enumerate(INITIAL):
            self.ids.append(okta.add_user(login, email=login, first_name=f"First{i}", last_name=f"Last{i}"))
        for uid in self.ids[:3]:
            okta.assign_user(uid)
        for uid in self.ids[2:5]:
            okta.add_member(self.groups["Team A"], uid)
        for uid in self.ids[5:7]:
            okta.add_member(self.groups["Team B"], uid)
        okta.assign_group(self.groups[ASSIGNED_GROUP])
        # The Owner and the protected user are assigned in Okta too (with other names): the sync wants to change
        # them and must not. The protected user is a Zoom Admin.
        for login in (OWNER, PROTECTED):
            uid = okta.add_user(login, email=login, first_name="Changed", last_name="ByOkta")
            okta.assign_user(uid)
            self.ids.append(uid)
        zoom.add_user(PROTECTED, first_name="Break", last_name="Glass", type=2, role="Admin")
        zoom.add_role(CUSTOM_ROLE)
        for email in UNMANAGED:
            zoom.add_user(email, first_name="Not", last_name="Managed")
        zoom.add_user(INITIAL[1], first_name="Pre", last_name="Existing")  # adopted by the first run
        self.untouchable = {
            email: zoom.user_by_email(email)["id"]  # type: ignore[index]
            for email in (OWNER, PROTECTED, *UNMANAGED)
        }
        self.snapshots = {zid: zoom.user(zid) for zid in self.untouchable.values()}
        first = self._invoke({"mode": "incremental"})
        assert first["status"] == "succeeded", first

    @initialize(target=people)
    def org(self) -> Any:
        return multiple(*self.ids)

    def teardown(self) -> None:
        try:
            if not self.broken:
                self._converge()
        finally:
            self._resources.close()

    # --- helpers -----------------------------------------------------------------------------------------

    @contextmanager
    def _step(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.broken = True
            raise

    def _links(self) -> dict[str, dict[str, str]]:
        """The state table's links (Okta id -> zoom_id, email), read again only after a run changed them."""
        if self._links_cache is None:
            self._links_cache = self.stack.links()
        return self._links_cache

    def _login(self, uid: str) -> str:
        return str(self.stack.okta.user(uid)["profile"]["login"])

    def _status(self, uid: str) -> str:
        return str(self.stack.okta.user(uid)["status"])

    def _assigned_active(self) -> dict[str, str]:
        """Okta id -> login of the users assigned to the app (directly or by group) in an active status, leaving
        out those the sync must not touch (the Owner's and the protected email)."""
        okta = self.stack.okta
        users = okta.users
        out = {}
        for uid in okta.assigned_user_ids():
            login = str(users[uid]["profile"]["login"])
            if users[uid]["status"] in ACTIVE_LIKE and fold(login) not in (fold(OWNER), fold(PROTECTED)):
                out[uid] = login
        return out

    def _picture(self) -> dict[str, Any]:
        """What the weak invariant compares before and after a run."""
        zoom_users = self.stack.zoom.users
        by_email = {fold(u["email"]): zid for zid, u in zoom_users.items()}
        links = {uid: link["zoom_id"] for uid, link in self._links().items()}
        linked = set(links.values())
        # Zoom id -> the assigned active Okta user it belongs to: its linked Zoom user, or for a user with no link
        # yet, the unlinked Zoom user with its email (which the sync adopts).
        watched: dict[str, set[str]] = {}
        for uid, login in self._assigned_active().items():
            zid = links.get(uid)
            if zid is None:
                zid = by_email.get(fold(login))
                zid = None if zid in linked else zid
            if zid is not None and zid not in self.untouchable.values():
                watched.setdefault(zid, set()).add(uid)
        return {
            "assigned_active": set(self._assigned_active()),
            "zoom": {zid: (u["email"], u["status"]) for zid, u in zoom_users.items()},
            "links": links,
            "watched": watched,
        }

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        before = None if event.get("dry_run") else self._picture()
        try:
            result = self.stack.invoke(event)
        finally:
            self._links_cache = None
            self.stack.okta.clear_faults()  # faults are for one run only
            self.stack.zoom.clear_faults()
        note(f"run {event} -> {summary(result)}")
        if not event.get("dry_run"):
            self.touched = []
            self.failed_users |= {e.get("okta_id") or e.get("email") for e in result.get("errors", []) if e.get("op")}
            self.failed_users |= {q["key"] for q in result.get("quarantined", [])}
        if before is not None:
            self.transitions.append((str(event), before, self._picture()))
        return result

    def _run(self, event: dict[str, Any], faults: list[dict[str, Any]]) -> None:
        """A run with transient faults injected into the simulators for this run only."""
        for fault in faults:
            note(f"fault for the next run: {self._inject(fault)}")
        self._invoke(event)

    def _inject(self, fault: dict[str, Any]) -> str:
        api, method, prefix, write = fault["endpoint"]
        simulator = self.stack.okta if api == "okta" else self.stack.zoom
        after_apply = bool(fault["after_apply"] and write)
        for one in ("POST", "PATCH", "PUT", "DELETE") if method == "WRITE" else (method,):
            simulator.inject(
                method=one,
                path_prefix=prefix,
                status=fault["status"],
                times=fault["times"],
                skip=fault["skip"],
                after_apply=after_apply,
            )
        applied = " after applying" if after_apply else ""
        return f"{api} {method} {prefix}: {fault['status']} x{fault['times']}{applied} (skip {fault['skip']})"

    # --- Okta changes ------------------------------------------------------------------------------------
    # Choices that depend on the current state (a free login, a lifecycle action possible from the user's status)
    # are drawn as an index into what is possible now, so that few steps are no-ops; the notes say what was done.

    def _touch(self, uid: str) -> None:
        if uid not in self.touched:
            self.touched.append(uid)

    @rule(user=people, assign=st.booleans())
    def direct_assignment(self, user: str, assign: bool) -> None:
        with self._step():
            okta = self.stack.okta
            if not assign:
                okta.unassign_user(user)
            elif self._status(user) == "DEPROVISIONED":
                note(f"assign {self._login(user)}: refused by Okta (deactivated)")
                return
            else:
                okta.assign_user(user)
            self._touch(user)
            note(f"{'assign' if assign else 'unassign'} {self._login(user)} directly")

    @rule(group=st.sampled_from(GROUPS), assign=st.booleans())
    def group_assignment(self, group: str, assign: bool) -> None:
        with self._step():
            gid = self.groups[group]
            (self.stack.okta.assign_group if assign else self.stack.okta.unassign_group)(gid)
            for uid in self.stack.okta.group_members(gid):
                self._touch(uid)
            note(f"{'assign' if assign else 'unassign'} group {group}")

    @rule(group=st.sampled_from(GROUPS))
    def delete_group(self, group: str) -> None:
        """Delete an Okta group (its members lose what it gave them), then create a new one with the same name."""
        with self._step():
            okta = self.stack.okta
            for uid in okta.group_members(self.groups[group]):
                self._touch(uid)
            okta.delete_group(self.groups[group])
            self.groups[group] = okta.add_group(group)
            note(f"delete group {group} and create a new, unassigned one with its name")

    @rule(group=st.sampled_from(GROUPS), user=people, add=st.booleans())
    def membership(self, group: str, user: str, add: bool) -> None:
        with self._step():
            gid = self.groups[group]
            (self.stack.okta.add_member if add else self.stack.okta.remove_member)(gid, user)
            self._touch(user)
            note(f"{'add' if add else 'remove'} {self._login(user)} {'to' if add else 'from'} group {group}")

    @rule(user=people, choice=st.integers(0, len(TRANSITIONS) - 1))
    def lifecycle(self, user: str, choice: int) -> None:
        with self._step():
            status = self._status(user)
            possible = [action for action in sorted(TRANSITIONS) if status in TRANSITIONS[action][0]]
            action = possible[choice % len(possible)]
            target = TRANSITIONS[action][1]
            self.stack.okta.set_status(user, target)
            self._touch(user)
            note(f"{action} {self._login(user)}: {status} -> {target}")

    @rule(user=people, first=st.sampled_from(NAMES), last=st.sampled_from(NAMES))
    def rename(self, user: str, first: str, last: str) -> None:
        with self._step():
            self.stack.okta.update_profile(user, firstName=first, lastName=last)
            self._touch(user)
            note(f"rename {self._login(user)} to {first} {last}")

    def _free_login(self, choice: int, user: str | None = None) -> str | None:
        okta = self.stack.okta
        free = [login for login in LOGINS if okta.user_id(login) in (None, user)]
        return free[choice % len(free)] if free else None

    @rule(
        user=people,
        choice=st.integers(0, len(LOGINS) - 1),
        what=st.sampled_from(("login+email", "login+email", "login", "email")),
    )
    def change_login(self, user: str, choice: int, what: str) -> None:
        with self._step():
            old = self._login(user)
            if what != "email" and self.login_changes.get(user, 0) >= MAX_LOGIN_CHANGES:
                note(f"change login of {old}: enough changes for this user")
                return
            login = self._free_login(choice, user) if what != "email" else LOGINS[choice]
            if login is None:
                return
            if what != "email":
                self.login_changes[user] = self.login_changes.get(user, 0) + 1
            fields = {"login+email": {"login": login, "email": login}, "login": {"login": login}}.get(
                what, {"email": login}
            )
            self.stack.okta.update_profile(user, **fields)
            self._touch(user)
            note(f"change {what} of {old} to {login}")

    @rule(
        target=people,
        choice=st.integers(0, len(LOGINS) - 1),
        status=st.sampled_from(("ACTIVE", "ACTIVE", "STAGED", "PROVISIONED")),
        assign=st.sampled_from(("direct", "group", "none")),
        first=st.sampled_from(NAMES),
    )
    def new_user(self, choice: int, status: str, assign: str, first: str) -> Any:
        with self._step():
            okta = self.stack.okta
            login = self._free_login(choice)
            if login is None:
                return multiple()
            uid = okta.add_user(login, email=login, first_name=first, last_name="New", status=status)
            if assign == "direct":
                okta.assign_user(uid)
            elif assign == "group":
                okta.add_member(self.groups[ASSIGNED_GROUP], uid)
            self._touch(uid)
            note(f"new user {login} ({status}), assigned: {assign}")
            return uid

    # --- faults and runs ---------------------------------------------------------------------------------

    @rule(faults=st.lists(faults, max_size=3))
    def run_incremental(self, faults: list[dict[str, Any]]) -> None:
        with self._step():
            self._run({"mode": "incremental"}, faults)

    @rule()
    def run_incremental_quietly(self) -> None:  # a second rule, so that incremental runs come most often
        with self._step():
            self._run({"mode": "incremental"}, [])

    @rule(
        recent=st.lists(st.integers(0, 9), max_size=2, unique=True),
        refs=st.lists(st.tuples(people, st.sampled_from(("id", "login", "LOGIN"))), max_size=2),
        faults=st.lists(faults, max_size=1),
    )
    def run_users(self, recent: list[int], refs: list[tuple[str, str]], faults: list[dict[str, Any]]) -> None:
        """A `users` run naming some of the users changed since the last run (as an event hook would, but maybe
        not all of them) and any others, each by Okta id or by login (in any case)."""
        with self._step():
            chosen = [(self.touched[i % len(self.touched)], "id") for i in recent if self.touched] + refs
            if not chosen:
                return
            names = []
            for uid, how in chosen:
                login = self._login(uid)
                names.append(uid if how == "id" else login if how == "login" else login.upper())
            self._run({"mode": "users", "users": names}, faults)

    # The argument only ranks this costly rule after the argument-free one: hypothesis shrinks steps towards its
    # first rule (fewest arguments, then name), and a cheap incremental run there keeps shrinking fast.
    @precondition(lambda self: len(self.stack.runs) > 1)
    @rule(incremental_runs=st.just(3))
    def converge(self, incremental_runs: int) -> None:
        with self._step():
            self._converge(incremental_runs)

    def _converge(self, incremental_runs: int = 3) -> None:
        """Faults stop; within three incremental runs a full dry run must plan nothing, and Zoom match Okta."""
        self.stack.okta.clear_faults()
        self.stack.zoom.clear_faults()
        runs: list[dict[str, Any]] = []
        dry: dict[str, Any] = {}
        for _ in range(incremental_runs):
            runs.append(summary(self._invoke({"mode": "incremental"})))
            self._check_invariants()
            dry = self._invoke({"mode": "full", "dry_run": True})
            if total(dry["planned"]) == 0 and not dry["quarantined"]:
                break
        left = {o.get("okta_id") or o["email"] for o in dry.get("operations", [])} | {
            q["key"] for q in dry["quarantined"]
        }
        if TOLERATE_KNOWN_GAPS and left and left <= self.failed_users:
            # Known gaps: only users an earlier run failed on are left (incremental runs do not retry them;
            # quarantined users wait). A full run and a `users` run naming them (tried even if quarantined) finish
            # the work, so that exploration can go on to other bugs.
            note(f"known gap tolerated: incremental runs left {sorted(left)}; a full and a users run follow")
            self._invoke({"mode": "full"})
            self._invoke({"mode": "users", "users": sorted(left)})
            self._check_invariants()
            dry = self._invoke({"mode": "full", "dry_run": True})
        if total(dry["planned"]):
            ops = [(o["op"], o["email"], o.get("okta_id"), o.get("changes")) for o in dry["operations"][:20]]
            raise AssertionError(
                "incremental != full: after three incremental runs without faults a full dry run still plans "
                f"{ {k: v for k, v in dry['planned'].items() if v} }:\n  operations: {ops}\n"
                f"  dry run: {summary(dry)}\n  the incremental runs: {runs}"
            )
        self._check_zoom_matches_okta(dry)

    def _check_zoom_matches_okta(self, dry: dict[str, Any]) -> None:
        """The strong form, once converged: Zoom holds what the contract says for every Okta user."""
        okta, zoom = self.stack.okta, self.stack.zoom
        not_moved = " ".join(n for n in dry.get("notes", []) if "not moved" in n)  # emails taken: documented
        users = okta.users
        assigned = set(okta.assigned_user_ids())
        links = self._links()
        problems = []
        for uid, login in self._assigned_active().items():
            mine = zoom.user(links[uid]["zoom_id"]) if uid in links and links[uid]["zoom_id"] in zoom.users else None
            have = zoom.user_by_email(login)
            holder = next((o for o, link in links.items() if have is not None and link["zoom_id"] == have["id"]), None)
            if mine is None and holder not in (None, uid) and fold(login) in not_moved.casefold():
                continue  # not created: its address is still another linked Zoom user's (documented: it waits)
            if have is None or (mine is not None and mine["id"] != have["id"]):
                if mine is not None and fold(login) in not_moved.casefold():
                    have = mine  # the email stays taken (documented): the user keeps its old address
                else:
                    problems.append(
                        f"{login} ({uid}): Zoom user {have and have['id']}, linked to {mine and mine['id']}"
                    )
                    continue
            profile = users[uid]["profile"]
            if have["status"] != "active":
                problems.append(
                    f"{login} ({uid}): assigned and {users[uid]['status']} in Okta, {have['status']} in Zoom"
                )
            if (have["first_name"], have["last_name"]) != (profile["firstName"], profile["lastName"]):
                problems.append(
                    f"{login} ({uid}): Zoom name {have['first_name']} {have['last_name']}, "
                    f"Okta {profile['firstName']} {profile['lastName']}"
                )
            problems.extend(self._role_and_groups_problems(uid, login, have))
        for uid, link in links.items():
            status = users[uid]["status"]
            if uid in assigned and status not in ("SUSPENDED", "DEPROVISIONED"):
                continue  # active (checked above) or held (STAGED, PROVISIONED: left as it is)
            linked = zoom.users.get(link["zoom_id"])
            if linked is not None and linked["status"] == "active":
                why = status if uid in assigned else f"unassigned, {status}"
                problems.append(f"{linked['email']} ({uid}, {why} in Okta): still active in Zoom")
        assert not problems, (
            "converged (the dry run plans nothing) but Zoom disagrees with Okta:\n  "
            + "\n  ".join(problems)
            + f"\n  dry run: {summary(dry)}"
        )

    def _role_and_groups_problems(self, uid: str, login: str, have: dict[str, Any]) -> list[str]:
        """The role and the managed Zoom group of an assigned active user follow its Okta groups (role_rules,
        group_rules); Zoom groups no rule names are left as they are."""
        okta, zoom = self.stack.okta, self.stack.zoom
        problems = []
        role = CUSTOM_ROLE if uid in okta.group_members(self.groups[ROLE_GROUP]) else "Member"
        if zoom.roles.get(have["role_id"]) != role:
            problems.append(f"{login} ({uid}): Zoom role {zoom.roles.get(have['role_id'])}, rules give {role}")
        managed = zoom.group_by_name(ZOOM_GROUP)
        wanted = uid in okta.group_members(self.groups[GROUP_RULE_GROUP])
        if managed is None or (managed["id"] in have["group_ids"]) != wanted:
            problems.append(f"{login} ({uid}): in Zoom group {ZOOM_GROUP} is {not wanted}, rules say {wanted}")
        return problems

    def _check_invariants(self) -> None:
        """The invariants, between the runs of one step (hypothesis checks them after each step)."""
        self.check_runs()
        self.one_zoom_user_per_email_and_per_okta_user()
        self.owner_protected_and_unmanaged_users_are_never_changed()

    # --- invariants --------------------------------------------------------------------------------------

    @invariant()
    def one_zoom_user_per_email_and_per_okta_user(self) -> None:
        with self._step():
            emails = [fold(u["email"]) for u in self.stack.zoom.users.values()]
            duplicates = sorted({e for e in emails if emails.count(e) > 1})
            assert not duplicates, f"two Zoom users for one email: {duplicates}"
            by_zoom: dict[str, list[str]] = {}
            for uid, link in self._links().items():
                by_zoom.setdefault(link["zoom_id"], []).append(uid)
            shared = {zid: uids for zid, uids in by_zoom.items() if len(uids) > 1}
            assert not shared, f"one Zoom user linked to several Okta users: {shared}"

    @invariant()
    def owner_protected_and_unmanaged_users_are_never_changed(self) -> None:
        with self._step():
            users = self.stack.zoom.users
            for email, zid in self.untouchable.items():
                assert zid in users, f"{email} was removed from Zoom"
                now, then = users[zid], self.snapshots[zid]
                changed = {k: (then.get(k), now.get(k)) for k in set(now) | set(then) if now.get(k) != then.get(k)}
                assert not changed, f"{email} was changed: {changed}"
            linked = {link["zoom_id"] for link in self._links().values()}
            assert not linked & set(self.untouchable.values()), "an untouchable Zoom user was linked"

    @invariant()
    def check_runs(self) -> None:
        """No run deactivates or removes the Zoom user of an assigned active Okta user, or moves its link."""
        with self._step():
            transitions, self.transitions = self.transitions, []
            for event, before, after in transitions:
                kept = before["assigned_active"] & after["assigned_active"]
                for zid, owners in before["watched"].items():
                    email, status = before["zoom"][zid]
                    mine = sorted(owners & kept)
                    if not mine:
                        continue
                    now = after["zoom"].get(zid)
                    assert now is not None, f"run {event} removed {email} ({zid}), the Zoom user of {mine}"
                    assert status != "active" or now[1] == "active", (
                        f"run {event} deactivated {email} ({zid}), the Zoom user of assigned active Okta user {mine}"
                    )
                for uid in sorted(kept):
                    old, new = before["links"].get(uid), after["links"].get(uid)
                    assert old is None or new == old, (
                        f"run {event} moved the link of assigned active Okta user {uid} from {old} "
                        f"({before['zoom'].get(old, ('-',))[0]}) to {new} ({after['zoom'].get(new, ('-',))[0]})"
                    )


@pytest.mark.slow
def test_model_based_sync() -> None:
    """Random Okta changes, faults and runs: the invariants hold after every step and the sync converges."""
    run_state_machine_as_test(
        SyncModel,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
