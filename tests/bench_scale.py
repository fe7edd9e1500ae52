"""`make bench-scale`: a steady-state full run of 100,000 users (--users), everyone already in sync, and its memory.
Figures, not assertions; takes a few minutes.

The function runs in a process of its own, as in Lambda (tests/bench_process.py): this process serves the Okta and
Zoom simulators (100,000 assigned Okta users, paged 500 at a time; the same 100,000 in Zoom, 300 a page), and the
function's process holds the handler; the state table, already holding a link for every user, is by default an
in-memory stand-in served by this process over DynamoDB's protocol (the function holds none of it, as in Lambda);
`--state moto` puts moto in the function's process instead. Reported for the function's process:

  - RSS before the run and the run's peak RSS (VmHWM, reset just before the run through /proc/self/clear_refs), and
    the growth between them;
  - the Python heap's peak during a second, traced run (tracemalloc: only what the run allocated);
  - the RSS of a process that only imported the handler (what a Lambda holds before its first run);
  - Lambda estimate = that import-only RSS + the run's growth;
  - wall and CPU seconds of the run, Okta and Zoom requests.

Then (unless --no-initial) initial syncs of larger N at 15 ms latency (--initial-sizes, default 5000) join the
results of `make bench`, for the chart.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any
from unittest import mock

from tests import bench_report as report
from tests.bench_process import import_only_rss, run_function

# ---------------------------------------------------------------------------------------------------- parent


def steady(users: int, state: str) -> dict[str, Any]:
    from tests.simulators import OktaSimulator, ZoomSimulator
    from tests.simulators import http as simulator_http
    from tests.support.local import APP_ID, OKTA_TOKEN, ZOOM

    with (
        mock.patch.object(simulator_http._Handler, "disable_nagle_algorithm", True, create=True),
        OktaSimulator(app_id=APP_ID, api_token=OKTA_TOKEN) as okta,
        ZoomSimulator(owner_email="owner@bench.example", **ZOOM) as zoom,
    ):
        started = time.perf_counter()
        links = []
        with okta.without_events():
            for i in range(users):
                email = f"user{i:06}@bench.example"
                uid = okta.add_user(email, email=email, first_name="User", last_name=f"N{i:06}")
                okta.assign_user(uid)
                links.append((uid, zoom.add_user(email, first_name="User", last_name=f"N{i:06}"), email))
        print(f"  seeded {users:,} Okta and Zoom users in {time.perf_counter() - started:.0f} s")
        okta.clear_log()
        zoom.clear_log()
        figures = run_function(
            okta,
            zoom,
            app_id=APP_ID,
            okta_token=OKTA_TOKEN,
            zoom_credentials=ZOOM,
            policy="max_deprovisions: {count: 25, percent: 10}\n",
            links=links,
            state=state,
            runs=[{"event": {"mode": "full"}}, {"event": {"mode": "full"}, "traced": True}],
        )
        del links
        plain, traced = figures["runs"]
        out: dict[str, Any] = {"seed_links_s": figures["seed_links_s"], "plain": plain, "traced": traced}
        out["okta_requests"] = okta.request_count() // 2  # two runs
        out["zoom_requests"] = zoom.request_count() // 2
    return out


def scenario_steady(users: int, state: str) -> None:
    out = steady(users, state)
    base = import_only_rss()
    plain, traced = out["plain"], out["traced"]
    mib = 2**20
    growth = plain["rss_peak"] - plain["rss_before"]
    header = [
        "users",
        "state table",
        "status",
        "wall s",
        "CPU s",
        "Okta req",
        "Zoom req",
        "RSS before MiB",
        "peak RSS MiB",
        "run's growth MiB",
        "heap peak MiB (traced run)",
        "import-only RSS MiB",
        "Lambda estimate MiB",
    ]
    rows = [
        [
            f"{users:,}",
            state,
            plain["status"],
            f"{plain['wall_s']:.1f}",
            f"{plain['cpu_s']:.1f}",
            str(out["okta_requests"]),
            str(out["zoom_requests"]),
            f"{plain['rss_before'] / mib:.0f}",
            f"{plain['rss_peak'] / mib:.0f}",
            f"{growth / mib:.0f}",
            f"{traced['heap_peak'] / mib:.0f}",
            f"{base / mib:.0f}",
            f"{(base + growth) / mib:.0f}",
        ]
    ]
    stand_in = (
        "its own boto3 client of an in-memory stand-in for DynamoDB served by the parent over DynamoDB's JSON "
        "protocol (tests/bench_process.py: DynamoDBServer), holding the links; the secret is handed to Powertools' "
        "get_secret"
        if state == "memory"
        else "moto (the state table: its copy of every link, and its serialising of every query page)"
    )
    text = (
        f"The function's process holds the handler and {stand_in}; the simulators run in the parent. *Peak RSS* is "
        "the function process's high-water mark during the run; *run's growth* = peak - RSS before the run; "
        "*Lambda estimate* = the RSS of a process that only imported the handler + growth. The traced run's heap "
        "peak counts only what the run allocated."
    )
    report.save("steady_scale", {"header": header, "rows": rows, "text": text, "figures": out, "import_only_rss": base})
    print(report.console(header, rows))
    print(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--initial-sizes", default="5000", help="initial syncs at 15 ms for the chart ('' for none)")
    parser.add_argument("--no-initial", action="store_true")
    parser.add_argument(
        "--state", choices=("memory", "moto"), default="memory", help="the state table: in memory (default) or moto"
    )
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="as for tests.bench")
    args = parser.parse_args()
    for item in args.env:
        name, _, value = item.partition("=")
        os.environ[name] = value  # the child inherits it
    if args.env:
        os.environ["BENCH_ENV"] = " ".join(args.env)
    print(f"== steady-state full run, {args.users:,} users in sync")
    scenario_steady(args.users, args.state)
    if not args.no_initial and args.initial_sizes:
        from tests.bench import FAST_ZOOM, initial_run, save_initial

        print("\n== initial syncs at 15 ms (for the chart)")
        save_initial([initial_run(int(n), 0.015, FAST_ZOOM) for n in args.initial_sizes.split(",")])
    print(f"\nwritten: {report.OUT / 'results.md'}, {report.OUT / 'scaling.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
