"""`make bench`: what a run costs and how long it takes, on the local simulators and moto. Figures, not assertions.

Scenarios (each prints a table and merges its figures into bench/results.json, from which bench/results.md and
bench/scaling.svg are rewritten; see tests/bench_report.py for the lower-bound formula). The initial syncs run the
function in a process of its own (tests/bench_process.py), as in Lambda: the simulators' CPU is not the function's.
Their wall time is the invocation's; importing the handler (Lambda's init phase) is reported apart:

  initial     initial sync of N users (--sizes, default 1000,2000) into an empty Zoom account, each request
              answered after --latency-ms (15), Zoom's labels enforced at Light 400/s and Medium 200/s, Okta's
              org buckets enforced with this token's 50 % share (apps* 50/min): wall time against the rate-limit
              lower bound and the latency bound at the concurrency the run achieved (the simulators' most requests
              in flight at once).
  projection  the same at 250 ms latency and Business+ rates (Light 80/s, Medium 60/s) for two small N
              (--projection-sizes, default 200,400): wall = a + b * N fitted on them, projected to 10,000 users, and
              never below the rate bound at 10,000.
  planner     the planner alone (desired users, then the plan) on 100,000 users already in sync: CPU seconds.
  steady      an organisation of --users (2000) already in sync: a full run, no-change incremental runs, ten
              users changed, 120 unrelated memberships: Okta and Zoom requests per run (the no-change target).
  tiers       how long an initial sync of 1k/10k/100k users takes on each Zoom plan, derived from the requests
              per user measured by `initial` (no run of its own; see the README's Performance section).

`python -m tests.bench [SCENARIO ...]` runs some (all by default). `--env NAME=VALUE` sets a variable of the function's
environment for every run (e.g. the concurrency setting of an applier that reads one); the `max in flight` column
shows the concurrency the runs achieved whatever the setting is called. The 100,000-user steady-state run is
`make bench-scale` (tests/bench_scale.py).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from tests import bench_report as report
from tests.support.local import Context, LocalStack, local_stack

POLICY = "max_deprovisions: {count: 25, percent: 10}\n"
SCENARIOS = ("initial", "projection", "planner", "steady", "tiers")
FAST_ZOOM = {"Light": 400, "Medium": 200}
BUSINESS = {"Light": 80, "Medium": 60}
OKTA_SHARE = 0.5  # this token's share of each org bucket (Okta's default)


@contextmanager
def bench_stack(
    *, latency_s: float = 0.0, zoom_rates: dict[str, int] | None = None, okta_limits: bool = False
) -> Iterator[LocalStack]:
    """local_stack, with TCP_NODELAY on the simulators' sockets (else a delayed ACK costs ~40 ms a request on
    loopback), the latency and the rate limits of the scenario."""
    from aws_lambda_powertools.utilities import parameters

    from tests.simulators import http as simulator_http

    parameters.clear_caches()
    with (
        mock.patch.object(simulator_http._Handler, "disable_nagle_algorithm", True, create=True),
        local_stack(POLICY, zoom_owner="owner@bench.example") as stack,
    ):
        stack.okta.latency_s = stack.zoom.latency_s = latency_s
        if zoom_rates:
            stack.zoom.enforce_label_rates(zoom_rates)
        if okta_limits:
            stack.okta.enforce_org_rate_limits(share=OKTA_SHARE, window_seconds=60.0)
        yield stack
    parameters.clear_caches()


def seed(stack: LocalStack, users: int, *, in_zoom: bool) -> list[str]:
    ids = []
    with stack.okta.without_events():
        for i in range(users):
            email = f"user{i:06}@bench.example"
            uid = stack.okta.add_user(email, email=email, first_name="User", last_name=f"N{i:06}")
            stack.okta.assign_user(uid)
            ids.append(uid)
            if in_zoom:
                stack.zoom.add_user(email, first_name="User", last_name=f"N{i:06}")
    return ids


def invoke(stack: LocalStack, event: dict[str, Any], label: str) -> tuple[dict[str, Any], float]:
    stack.okta.clear_log()
    stack.zoom.clear_log()
    start = time.perf_counter()
    result: dict[str, Any] = stack.handler(event, Context(label, remaining_ms=900_000))
    return result, time.perf_counter() - start


def applier_label(zoom_rates: dict[str, int]) -> str:
    settings = " ".join(f"{k}={v}" for k, v in function_limits(zoom_rates).items() if v)
    extra = os.environ.get("BENCH_ENV", "")
    return f"{settings} {extra}".strip()


# ---------------------------------------------------------------------------------------------------- initial


def function_limits(zoom_rates: dict[str, int]) -> dict[str, str]:
    """The function's settings for the simulated limits, as an operator whose limits Zoom raised sets them: the
    Business+ plan, and the labels above its rates named in ZOOM_RATE_LIMITS (an --env setting wins)."""
    raised = {k: v for k, v in zoom_rates.items() if v != BUSINESS.get(k)}
    return {"ZOOM_PLAN": "business", "ZOOM_RATE_LIMITS": ",".join(f"{k.lower()}={v}" for k, v in raised.items())}


def initial_run(users: int, latency_s: float, zoom_rates: dict[str, int]) -> dict[str, Any]:
    """One initial sync, the function in a process of its own (tests/bench_process.py): the simulators' CPU is this
    process's, as the vendors' is theirs. Wall time is the invocation's; the handler's import (Lambda's init) is
    reported apart as init_s."""
    from tests.bench_process import run_function
    from tests.support.local import APP_ID, OKTA_TOKEN, ZOOM

    with bench_stack(latency_s=latency_s, zoom_rates=zoom_rates, okta_limits=True) as stack:
        seed(stack, users, in_zoom=False)
        stack.okta.clear_log()
        stack.zoom.clear_log()
        figures = run_function(
            stack.okta,
            stack.zoom,
            app_id=APP_ID,
            okta_token=OKTA_TOKEN,
            zoom_credentials=ZOOM,
            policy=POLICY,
            runs=[{"event": {"mode": "full"}}],
            env=function_limits(zoom_rates),
        )
        (run,) = figures["runs"]
        wall = run["wall_s"]
        result = {"status": run["status"], "applied": run["applied"]}
        zoom_counts = {k: v for k, v in stack.zoom.category_counts().items() if k != "oauth"}
        okta_counts = {k: v for k, v in stack.okta.bucket_counts().items() if v}
        org_limits = {
            "apps": 100,
            "apps-id": 500,
            "groups": 500,
            "groups-id": 1000,
            "users": 600,
            "users-id-get": 2000,
            "users-id": 600,
            "logs": 120,
            "other": 1200,
        }
        limits = report.Limits(zoom_rates, {k: v * OKTA_SHARE for k, v in org_limits.items()})
        rate_bound, binding = limits.rate_bound(zoom_counts, okta_counts)
        concurrency = max(1, stack.zoom.max_in_flight)
        total = stack.okta.request_count() + stack.zoom.request_count()
        created = result["applied"].get("create", 0)
        return {
            "users": users,
            "latency_s": latency_s,
            "zoom_limits": zoom_rates,
            "okta_apps_per_min": 100 * OKTA_SHARE,
            "status": result["status"],
            "created": created,
            "wall_s": wall,
            "rate_bound_s": rate_bound,
            "binding": binding,
            "latency_bound_s": total * latency_s / concurrency,
            "concurrency": concurrency,
            "max_in_flight": stack.zoom.max_in_flight,
            "zoom": zoom_counts,
            "okta": okta_counts,
            "okta_requests": stack.okta.request_count(),
            "zoom_requests": stack.zoom.request_count(),
            "applier": applier_label(zoom_rates),
            "init_s": figures["init_s"],
            "cpu_s": run["cpu_s"],
            "process": "own",
        }


def scenario_initial(sizes: list[int], latency_ms: float) -> None:
    new = []
    for users in sizes:
        run = initial_run(users, latency_ms / 1000, FAST_ZOOM)
        print(f"  initial sync of {users} users: {run['wall_s']:.1f} s ({run['status']}, {run['created']} created)")
        new.append(run)
    save_initial(new)


def save_initial(new: list[dict[str, Any]]) -> None:
    """Merge runs into the results' initial syncs (a run replaces an earlier one of the same size and latency)."""

    def key(run: dict[str, Any]) -> tuple[float, int]:
        return run["latency_s"], run["users"]

    runs = list(({key(r): r for r in report.load().get("initial", [])} | {key(r): r for r in new}).values())
    report.save("initial", runs)
    print(report.console(report.INITIAL_HEADER, report.initial_rows(runs)))


# ---------------------------------------------------------------------------------------------------- projection


def scenario_projection(sizes: list[int], target_users: int = 10_000) -> None:
    latency = 0.25
    runs = [initial_run(users, latency, BUSINESS) for users in sizes]
    (n1, w1), (n2, w2) = (runs[0]["users"], runs[0]["wall_s"]), (runs[-1]["users"], runs[-1]["wall_s"])
    per_user = (w2 - w1) / (n2 - n1)
    fixed = w1 - per_user * n1
    fitted = fixed + per_user * target_users
    light_per_user = runs[-1]["zoom"].get("Light", 0) / n2
    medium = math.ceil(target_users / 300) + 2
    okta_apps = math.ceil(target_users / 500) + 1
    bound, binding = report.Limits(BUSINESS, {"apps": 100 * OKTA_SHARE}).rate_bound(
        {"Light": round(light_per_user * target_users), "Medium": medium}, {"apps": okta_apps}
    )
    projected = max(fitted, bound)
    concurrency = max(r["max_in_flight"] for r in runs)
    # The concurrency that would bring the latency-bound part down to 3 minutes, the rate bound allowing.
    requests_per_user = (runs[-1]["zoom_requests"] + runs[-1]["okta_requests"]) / n2
    needed = math.ceil(requests_per_user * target_users * latency / max(1.0, 180 - fixed))
    text = (
        f"Measured at {latency * 1000:g} ms latency, Business+ rates: "
        + ", ".join(f"{r['users']} users {r['wall_s']:.1f} s" for r in runs)
        + f" (most requests in flight: {concurrency}). Fit wall = {fixed:.1f} s + {per_user * 1000:.0f} ms x users; "
        f"for {target_users:,} users: {fitted / 60:.1f} min; rate bound at {target_users:,}: {bound / 60:.1f} min "
        f"({binding}). **Projected: {projected / 60:.1f} min** (target <= 3). With {requests_per_user:.2f} requests "
        f"per user at {latency * 1000:g} ms, 3 minutes needs about {needed} requests in flight (then Light 80/s binds "
        f"at {bound / 60:.1f} min). A Lambda invocation lasts at most 15 min: a longer initial sync is finished by "
        "the next scheduled runs (the deadline leaves the rest as pending work)."
    )
    value = {
        "runs": runs,
        "per_user_s": per_user,
        "fixed_s": fixed,
        "fitted_min": fitted / 60,
        "rate_bound_min": bound / 60,
        "projected_min": projected / 60,
        "needed_concurrency": needed,
        "text": text,
    }
    report.save("projection", value)
    print(text)


# ---------------------------------------------------------------------------------------------------- planner


def scenario_planner(users: int = 100_000) -> None:
    from okta_zoom_sync.core.desired import desired_users
    from okta_zoom_sync.core.model import Link, OktaUser, ZoomUser
    from okta_zoom_sync.core.planner import plan
    from okta_zoom_sync.core.policy import Policy

    policy = Policy.model_validate({"max_deprovisions": {"count": 25, "percent": 10}})
    okta = [
        OktaUser(f"00u{i:017}", f"user{i:06}@bench.example", f"user{i:06}@bench.example", "User", f"N{i:06}", "ACTIVE")
        for i in range(users)
    ]
    actual = [
        ZoomUser(f"zid{i:019}", f"user{i:06}@bench.example", "User", f"N{i:06}", 1, "active", "Member", frozenset())
        for i in range(users)
    ]
    links = {f"00u{i:017}": Link(f"00u{i:017}", f"zid{i:019}", f"user{i:06}@bench.example") for i in range(users)}
    header = ["case", "users", "desired_users CPU s", "plan CPU s", "total CPU s", "operations", "plan's heap peak MiB"]
    rows = []
    cpu = {}
    for case, zoom_users, known in (("in sync", actual, links), ("initial (empty Zoom)", [], {})):
        start = time.process_time()
        desired = desired_users(okta, policy)
        middle = time.process_time()
        result = plan(desired, zoom_users, known, policy, datetime.now(UTC))
        end = time.process_time()
        tracemalloc.start()
        plan(desired, zoom_users, known, policy, datetime.now(UTC))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        cpu[case] = end - start
        rows.append(
            [
                case,
                f"{users:,}",
                f"{middle - start:.2f}",
                f"{end - middle:.2f}",
                f"{end - start:.2f}",
                str(len(result.operations)),
                f"{peak / 2**20:.1f}",
            ]
        )
        del result
    report.save(
        "planner",
        {"header": header, "rows": rows, "cpu_s": cpu["in sync"], "initial_cpu_s": cpu["initial (empty Zoom)"]},
    )
    print(report.console(header, rows))


# ---------------------------------------------------------------------------------------------------- steady


def scenario_steady(users: int, changed: int, memory: bool) -> None:
    with bench_stack() as stack:
        okta, zoom = stack.okta, stack.zoom
        ids = seed(stack, users, in_zoom=True)
        rows: list[list[str]] = []
        counts: dict[str, tuple[int, int]] = {}

        def measure(label: str, event: dict[str, Any]) -> None:
            if memory:
                tracemalloc.start()  # slows the run down: wall times are not comparable then
            result, wall = invoke(stack, event, label)
            peak = tracemalloc.get_traced_memory()[1] if memory else 0
            tracemalloc.stop()
            buckets = result["requests"].get("okta", {}).get("by_bucket", {})
            counts[label] = (okta.request_count(), zoom.request_count())
            rows.append(
                [
                    label,
                    result["status"],
                    str(okta.request_count()),
                    str(buckets.get("/api/v1/apps*", 0)),
                    ", ".join(f"{k} {v}" for k, v in sorted(buckets.items()) if k != "/api/v1/apps*") or "-",
                    str(zoom.request_count()),
                    str(zoom.write_count()),
                    str(sum(result["applied"].values())),
                    f"{wall:.2f}",
                    f"{peak / 2**20:.1f}" if memory else "-",
                ]
            )

        # First contact: adopt every existing Zoom user (state-table writes only), set the cursor.
        measure("first run: adopt all (no cursor yet)", {"mode": "incremental"})
        measure("incremental: drain start-up window", {"mode": "incremental"})
        measure("full run, in sync", {"mode": "full"})
        measure("incremental, no change", {"mode": "incremental"})
        for uid in ids[:changed]:
            okta.update_profile(uid, firstName="Changed")
        measure(f"incremental, {changed} users changed", {"mode": "incremental"})
        measure(f"full run, after {changed} changes", {"mode": "full"})
        club = okta.add_group("Book Club")
        for uid in ids[:120]:
            okta.add_member(club, uid)
        measure("incremental, 120 unrelated memberships", {"mode": "incremental"})
    header = [
        "run",
        "status",
        "Okta req",
        "apps*",
        "other Okta buckets",
        "Zoom req",
        "Zoom writes",
        "applied",
        "wall s",
        "peak MiB",
    ]
    no_change = counts["incremental, no change"]
    report.save("steady", {"users": users, "header": header, "rows": rows, "no_change": list(no_change)})
    print(report.console(header, rows))


# ---------------------------------------------------------------------------------------------------- tiers


def scenario_tiers() -> None:
    """Initial sync of 1k/10k/100k users per Zoom plan: the requests per user measured by `initial`, at each plan's
    sustained label rates, against Okta's apps* share; see the README."""
    runs = report.load().get("initial", [])
    if not runs:
        print("tiers: run the initial scenario first")
        return
    ref = max(runs, key=lambda r: r["users"])
    light_per_user = ref["zoom"].get("Light", 0) / ref["users"]
    header = ["Zoom plan", "Light/s", "Medium/s", *(f"{n:,} users" for n in (1_000, 10_000, 100_000))]
    rows = []
    okta_rate = 100 * OKTA_SHARE / 60  # apps* requests per second for this token
    for plan, rates in report.ZOOM_PLANS.items():
        cells = []
        for users in (1_000, 10_000, 100_000):
            light = light_per_user * users
            medium = math.ceil(users / 300) + 2
            apps = math.ceil(users / 500) + 1
            seconds = max(light / rates["Light"], medium / rates["Medium"], apps / okta_rate)
            daily = report.ZOOM_DAILY.get(plan, {}).get("Light")
            if daily and light > daily:  # whole days wait for the daily cap, then the rest at the rate
                seconds = (math.ceil(light / daily) - 1) * 86_400 + (light % daily or daily) / rates["Light"]
            cells.append(_duration(seconds))
        rows.append([plan, f"{rates['Light']:g}", f"{rates['Medium']:g}", *cells])
    text = (
        f"Requests per user of an initial sync, measured: {light_per_user:.2f} Light (the create), plus one Medium "
        "list page per 300 Zoom users and one Okta apps* page per 500 assigned users. Time = the largest of "
        "Light requests / Light rate, Medium requests / Medium rate, apps* requests / 50 per minute; that is the "
        "floor any applier can reach, whatever its concurrency (Zoom's limits are per account, shared with every "
        "other app on it). Free also caps Light at 6,000 requests a day: past 6,000 users, whole days go by."
    )
    report.save("tiers", {"header": header, "rows": rows, "text": text, "light_per_user": light_per_user})
    print(report.console(header, rows))
    print(text)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


# ---------------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"any of {', '.join(SCENARIOS)} (default: all)"
    )
    parser.add_argument("--users", type=int, default=2000, help="steady: users already in sync")
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--memory", action="store_true", help="steady: trace the Python heap's peak (slower)")
    parser.add_argument("--sizes", default="1000,2000", help="initial: users, comma-separated")
    parser.add_argument("--latency-ms", type=float, default=15.0)
    parser.add_argument("--projection-sizes", default="200,400")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set in the function's environment for every run (e.g. an applier's concurrency)",
    )
    args = parser.parse_args()
    for item in args.env:
        name, _, value = item.partition("=")
        os.environ[name] = value
    if args.env:
        os.environ["BENCH_ENV"] = " ".join(args.env)
    chosen = args.scenarios or list(SCENARIOS)
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    for name in SCENARIOS:
        if name not in chosen:
            continue
        print(f"\n== {name}")
        started = time.perf_counter()
        if name == "initial":
            scenario_initial([int(n) for n in args.sizes.split(",")], args.latency_ms)
        elif name == "projection":
            scenario_projection([int(n) for n in args.projection_sizes.split(",")])
        elif name == "planner":
            scenario_planner()
        elif name == "steady":
            scenario_steady(args.users, args.changed, args.memory)
        elif name == "tiers":
            scenario_tiers()
        print(f"({name}: {time.perf_counter() - started:.0f} s)")
    print(f"\nwritten: {report.OUT / 'results.md'}, {report.OUT / 'scaling.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
