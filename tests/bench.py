"""`make bench`: what a run costs, on the local simulators and moto. Figures, not assertions.

An organisation of N assigned users (default 2,000), already in sync, then:
  - a full run,
  - a no-change incremental run,
  - an incremental run after ten users changed in Okta,
  - an incremental run after 120 membership changes in a group that matters to no rule and no assignment.
For each: Okta and Zoom requests, Okta requests in the `/api/v1/apps*` bucket (100 a minute for the whole org,
half of it per token) and the other Okta buckets, Zoom writes, wall time; with --memory, the Python heap's peak.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from typing import Any

from tests.support.local import Context, local_stack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--memory", action="store_true", help="trace the Python heap's peak (slower wall times)")
    args = parser.parse_args()

    with local_stack("max_deprovisions: {count: 25, percent: 10}\n", zoom_owner="owner@bench.example") as stack:
        okta, zoom = stack.okta, stack.zoom
        seeded = time.perf_counter()
        ids = []
        with okta.without_events():
            for i in range(args.users):
                email = f"user{i:05}@bench.example"
                uid = okta.add_user(email, email=email, first_name="User", last_name=f"N{i:05}")
                okta.assign_user(uid)
                ids.append(uid)
                zoom.add_user(email, first_name="User", last_name=f"N{i:05}")
        print(
            f"Seeded {args.users} Okta users (assigned) and matching Zoom users in {time.perf_counter() - seeded:.1f} s"
        )

        rows = []

        def measure(label: str, event: dict[str, Any]) -> dict[str, Any]:
            okta.clear_log()
            zoom.clear_log()
            if args.memory:
                tracemalloc.start()  # slows the run down: wall times are not comparable then
            start = time.perf_counter()
            result: dict[str, Any] = stack.handler(event, Context(label, remaining_ms=900_000))
            wall = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] if args.memory else 0
            tracemalloc.stop()
            buckets = result["requests"].get("okta", {}).get("by_bucket", {})
            rows.append(
                (
                    label,
                    result["status"],
                    okta.request_count(),
                    buckets.get("/api/v1/apps*", 0),
                    ", ".join(f"{k} {v}" for k, v in sorted(buckets.items()) if k != "/api/v1/apps*") or "-",
                    zoom.request_count(),
                    zoom.write_count(),
                    sum(result["applied"].values()),
                    wall,
                    peak / 2**20,
                )
            )
            return result

        # First contact: adopt every existing Zoom user (state-table writes only), set the cursor.
        measure("first run: adopt all (no cursor yet)", {"mode": "incremental"})
        measure("incremental: drain start-up window", {"mode": "incremental"})
        measure("full run, in sync", {"mode": "full"})
        measure("incremental, no change", {"mode": "incremental"})
        for uid in ids[: args.changed]:
            okta.update_profile(uid, firstName="Changed")
        measure(f"incremental, {args.changed} users changed", {"mode": "incremental"})
        measure(f"full run, after {args.changed} changes", {"mode": "full"})
        club = okta.add_group("Book Club")
        for uid in ids[:120]:
            okta.add_member(club, uid)
        measure("incremental, 120 unrelated memberships", {"mode": "incremental"})

    header = (
        "run", "status", "Okta req", "apps*", "other Okta buckets", "Zoom req", "Zoom writes", "applied", "wall s",
        "peak MiB",
    )  # fmt: skip
    widths = (40, 10, 9, 6, 58, 9, 12, 8, 8, 9)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        peak = f"{row[9]:.1f}" if args.memory else "-"
        cells = [*(str(c) for c in row[:8]), f"{row[8]:.2f}", peak]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
