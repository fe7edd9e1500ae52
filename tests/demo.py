"""`make demo`: the real handler, end to end, on the local Okta and Zoom simulators and moto. No cloud account.

A sample organisation (tests/demo_org.json) is loaded into both simulators. The demo then runs a dry run,
the apply, makes a few changes in Okta, runs again, shows the final Zoom state, checks that one more run has
nothing left to do, and shows the status. It exits 0 only when the organisation has converged. Results are
printed by the operator CLI's renderer (okta_zoom_sync.cli.render), as `okzs` prints them.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from okta_zoom_sync.cli.render import render

from tests.support.local import local_stack

REPO = Path(__file__).resolve().parents[1]
ORG_FILE = REPO / "tests" / "demo_org.json"

DEMO_POLICY = """\
create_action: ssoCreate
default_license: basic
license_rules:
  - {group: Zoom Licensed, license: licensed}
role_rules:
  - {group: Zoom Admins, role: Admin}
group_rules:
  - {group: Engineering, zoom_group: Engineering}
  - {group: Sales, zoom_group: Sales}
managed_domains: [acme.example]
protected_users: [breakglass@acme.example]
max_deprovisions: {count: 10, percent: 20}
"""


def main() -> int:
    org = json.loads(ORG_FILE.read_text())
    with local_stack(DEMO_POLICY, zoom_owner=org["zoom"]["owner"]["email"]) as stack:
        from tests.simulators import load_org

        okta, zoom, run = stack.okta, stack.zoom, stack.invoke
        load_org(ORG_FILE, okta, zoom)
        print(
            f"Sample organisation: {len(okta.users)} Okta users, {len(okta.assigned_user_ids())} assigned to Zoom; "
            f"{len(zoom.users)} Zoom users already exist."
        )
        print("Policy:\n" + "".join(f"  {line}\n" for line in DEMO_POLICY.splitlines()))

        heading("1. Dry run: what the first sync would do (nothing is written)")
        zoom.clear_log()
        dry = run({"mode": "full", "dry_run": True})
        show(dry)
        print(f"  Zoom writes during the dry run: {zoom.write_count()}")

        heading("2. The first sync")
        first = run({"mode": "full"})
        show(first)

        heading("3. Changes in Okta")
        changes = make_okta_changes(okta)
        for line in changes:
            print(f"  - {line}")

        heading("4. The next sync picks them up")
        second = run({"mode": "incremental"})
        show(second)

        heading("5. Final Zoom state")
        show_zoom(zoom)

        heading("6. One more run: nothing left to do")
        zoom.clear_log()
        third = run({"mode": "full"})
        show(third)
        writes = zoom.write_count()
        print(f"  Zoom writes: {writes}")

        heading("7. Status: what the state table knows (`okzs status`)")
        show(run({"mode": "status"}))

        converged = (
            first["status"] == "succeeded"
            and second["status"] == "succeeded"
            and third["status"] == "succeeded"
            and sum(third["planned"].values()) == 0
            and writes == 0
        )
        print()
        print("Converged: the Zoom account matches Okta." if converged else "NOT converged: see the tables above.")
        return 0 if converged else 1


def make_okta_changes(okta: Any) -> list[str]:
    """A few realistic changes: a rename, an email change, a suspension, a leaver, a joiner, a promotion."""
    assigned = [okta.user(uid) for uid in okta.assigned_user_ids()]
    active = [u for u in assigned if u["status"] == "ACTIVE"]
    lines = []
    renamed, moved, suspended, leaver = active[1], active[2], active[3], active[4]
    okta.update_profile(renamed["id"], lastName=renamed["profile"]["lastName"] + "-Smith")
    lines.append(f"{renamed['profile']['login']} changed their last name to {renamed['profile']['lastName']}-Smith")
    old_login = moved["profile"]["login"]
    new_login = "renamed." + old_login
    okta.update_profile(moved["id"], login=new_login, email=new_login)
    lines.append(f"{old_login} changed their email to {new_login}")
    okta.set_status(suspended["id"], "SUSPENDED")
    lines.append(f"{suspended['profile']['login']} was suspended")
    okta.set_status(leaver["id"], "DEPROVISIONED")
    lines.append(f"{leaver['profile']['login']} left the company (deactivated in Okta)")
    joiner = okta.add_user(
        "new.joiner@acme.example", email="new.joiner@acme.example", first_name="Nia", last_name="Joiner"
    )
    everyone = okta.group_id("Everyone")
    okta.add_member(everyone, joiner)
    okta.add_member(okta.group_id("Engineering"), joiner)
    lines.append("new.joiner@acme.example joined Engineering")
    promoted = active[5]
    okta.add_member(okta.group_id("Zoom Licensed"), promoted["id"])
    lines.append(f"{promoted['profile']['login']} was added to 'Zoom Licensed'")
    return lines


def heading(text: str) -> None:
    print()
    print(text)
    print("-" * len(text))


def show(result: dict[str, Any]) -> None:
    """A result as `okzs` prints it."""
    print(render(result))


def show_zoom(zoom: Any) -> None:
    groups = {g["id"]: g["name"] for g in zoom.groups.values()}
    roles = zoom.roles
    rows = sorted(zoom.users.values(), key=lambda u: (u["status"], u["email"]))
    print(f"  {'email':<38} {'status':<9} {'license':<10} {'role':<7} groups")
    license_names = {1: "basic", 2: "licensed", 4: "unassigned"}
    for user in rows:
        names = ", ".join(sorted(groups.get(g, g) for g in user.get("group_ids", [])))
        role = roles.get(user.get("role_id", ""), user.get("role_id", ""))
        print(
            f"  {user['email']:<38} {user['status']:<9} {license_names.get(user['type'], user['type'])!s:<10} "
            f"{role:<7} {names}"
        )
    counts = Counter(u["status"] for u in rows)
    print("  " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


if __name__ == "__main__":
    sys.exit(main())
