"""What the benchmarks share: the rate-limit lower bound of a run, the results file (bench/results.json) that every
bench run merges its figures into, and the two views written from it: bench/results.md (tables) and
bench/scaling.svg (wall time and lower bound against users). Figures, never assertions.

The lower bound of a run, from the requests it made and the API's limits:

    per bucket b (a Zoom label, an Okta rate-limit bucket) with limit L_b requests per window W_b (Zoom: 1 s;
    Okta: 60 s), the n_b requests of the run cannot all be sent before (ceil(n_b / L_b) - 1) * W_b seconds
    (fixed windows, the first one starting with the first request);
    rate bound = the largest of these over every bucket;
    latency bound at concurrency c = (every request of the run) * latency / c;
    lower bound = max(rate bound, latency bound at the concurrency the run achieved).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench"
RESULTS = OUT / "results.json"

# Requests per second per label (developers.zoom.us/docs/api/rate-limits; /work/shared/reference/zoom-api.md §5).
ZOOM_PLANS: dict[str, dict[str, float]] = {
    "Free": {"Light": 4, "Medium": 2},
    "Pro": {"Light": 30, "Medium": 20},
    "Business+": {"Light": 80, "Medium": 60},
}
# Daily caps (Free only; Pro and Business+ cap only Heavy and Resource-intensive, which the sync does not use).
ZOOM_DAILY: dict[str, dict[str, int]] = {"Free": {"Light": 6_000, "Medium": 2_000}}
# Okta's /api/v1/apps* bucket per minute for the whole org (Workforce/Enterprise/One App 100, Integrator Free 20);
# one token may use half of it by default (okta-api.md §5b, §5c).
OKTA_APPS_PER_MINUTE_ORG = 100
OKTA_TOKEN_SHARE = 0.5


@dataclass(frozen=True)
class Limits:
    """The limits a run met: Zoom labels per second, Okta buckets per minute (for this token)."""

    zoom_per_second: Mapping[str, float]
    okta_per_minute: Mapping[str, float]

    def rate_bound(self, zoom_counts: Mapping[str, int], okta_counts: Mapping[str, int]) -> tuple[float, str]:
        """(seconds, the binding bucket): see the module docstring."""
        best, binding, rank = 0.0, "-", (-1.0, -1.0)
        for counts, limits, window, api in (
            (zoom_counts, self.zoom_per_second, 1.0, "Zoom"),
            (okta_counts, self.okta_per_minute, 60.0, "Okta"),
        ):
            for bucket, n in counts.items():
                limit = limits.get(bucket)
                if not limit or n <= 0:
                    continue
                seconds = (math.ceil(n / limit) - 1) * window
                if (seconds, n / limit) > rank:  # ties: the bucket closest to its limit
                    rank, best = (seconds, n / limit), seconds
                    binding = f"{api} {bucket} ({n} at {limit:g}/{'s' if window == 1 else 'min'})"
        return best, binding


def sustained_seconds(requests: int, per_second: float) -> float:
    """requests / rate: the time a long run needs at the label's rate (what the plan-tier table uses)."""
    return requests / per_second


def load() -> dict[str, Any]:
    if RESULTS.exists():
        data: dict[str, Any] = json.loads(RESULTS.read_text())
        return data
    return {}


def save(section: str, value: Any) -> dict[str, Any]:
    """Merge one section into bench/results.json and rewrite results.md and scaling.svg from the whole file."""
    OUT.mkdir(exist_ok=True)
    data = load()
    data[section] = value
    RESULTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    (OUT / "results.md").write_text(markdown(data))
    (OUT / "scaling.svg").write_text(svg(data))
    return data


# ---------------------------------------------------------------------------------------------------------- tables


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def console(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


INITIAL_HEADER = [
    "users",
    "latency",
    "Zoom limits",
    "Okta apps*",
    "wall s",
    "rate bound s",
    "binding",
    "wall / rate bound",
    "latency bound s (c)",
    "Zoom Light",
    "Zoom Medium",
    "Okta req",
    "max in flight",
    "function CPU s",
    "init s",
    "applier",
]


def initial_rows(runs: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            str(r["users"]),
            f"{r['latency_s'] * 1000:g} ms",
            "/".join(f"{k} {v:g}/s" for k, v in r["zoom_limits"].items()),
            f"{r['okta_apps_per_min']:g}/min",
            f"{r['wall_s']:.1f}",
            f"{r['rate_bound_s']:.1f}",
            r["binding"],
            f"{r['wall_s'] / r['rate_bound_s']:.1f}" if r["rate_bound_s"] else "-",
            f"{r['latency_bound_s']:.1f} ({r['concurrency']})",
            str(r["zoom"].get("Light", 0)),
            str(r["zoom"].get("Medium", 0)),
            str(r["okta_requests"]),
            str(r["max_in_flight"]),
            f"{r['cpu_s']:.1f}" if "cpu_s" in r else "-",
            f"{r['init_s']:.2f}" if "init_s" in r else "-",
            r.get("applier", "-"),
        ]
        for r in sorted(runs, key=lambda r: (r["latency_s"], r["users"]))
    ]


def targets(data: Mapping[str, Any]) -> list[list[str]]:
    """The issue's targets against the latest figures in `data` (rows: target, goal, measured, met)."""
    rows: list[list[str]] = []

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    runs = [r for r in data.get("initial", []) if r["latency_s"] == 0.015 and r["users"] == 2000]
    if runs and runs[0]["rate_bound_s"]:
        r = runs[0]
        ratio = r["wall_s"] / r["rate_bound_s"]
        rows.append(
            [
                "initial sync, 2,000 users, 15 ms, Light 400/s: wall / rate-limit lower bound",
                "<= 1.2",
                f"{ratio:.1f} ({r['wall_s']:.1f} s / {r['rate_bound_s']:.1f} s; {r['max_in_flight']} in flight)",
                met(ratio <= 1.2),
            ]
        )
    if data.get("projection"):
        minutes = data["projection"]["projected_min"]
        rows.append(
            [
                "250 ms, Business+ (Light 80/s): projected minutes for 10,000 users",
                "<= 3",
                f"{minutes:.1f}",
                met(minutes <= 3),
            ]
        )
    if data.get("steady_scale"):
        figures = data["steady_scale"]["figures"]["plain"]
        peak = figures["rss_peak"] / 1e6
        estimate = (data["steady_scale"]["import_only_rss"] + figures["rss_peak"] - figures["rss_before"]) / 1e6
        users = data["steady_scale"]["rows"][0][0]
        rows.append(
            [
                f"steady-state full run, {users} users in sync: peak RSS",
                "<= 300 MB",
                f"{peak:.0f} MB = {peak * 1e6 / 2**20:.0f} MiB (the function's whole process); "
                f"{estimate:.0f} MB = {estimate * 1e6 / 2**20:.0f} MiB (Lambda estimate)",
                f"{met(peak <= 300)} (whole process); {met(estimate <= 300)} (Lambda estimate)",
            ]
        )
    if data.get("planner"):
        cpu = data["planner"]["cpu_s"]
        rows.append(["planner, 100,000 users: CPU seconds (desired users + plan)", "<= 2", f"{cpu:.2f}", met(cpu <= 2)])
    if data.get("steady"):
        okta, zoom = data["steady"]["no_change"]
        rows.append(
            [
                "no-change incremental run: Okta / Zoom requests",
                "<= 2 / 0",
                f"{okta} / {zoom}",
                met(okta <= 2 and zoom == 0),
            ]
        )
    return rows


def markdown(data: Mapping[str, Any]) -> str:
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` / `make bench-scale` (tests/bench*.py); figures, not assertions.",
        "",
    ]
    if targets(data):
        out += ["## Targets", "", table(["target", "goal", "measured", "met"], targets(data)), ""]
    runs = data.get("initial", [])
    if runs:
        out += ["## Initial sync into an empty Zoom account", "", table(INITIAL_HEADER, initial_rows(runs)), ""]
        out += [
            "The function runs in a process of its own (the simulators' CPU is not its CPU); *wall s* is the "
            "invocation, *init s* the handler's import before it (Lambda's init phase). *function CPU s* is the "
            "function process's CPU during the invocation. Rows without those columns predate that.",
            "",
            "![wall time and lower bound against users](scaling.svg)",
            "",
        ]
    if data.get("projection"):
        p = data["projection"]
        out += ["## Projection: 250 ms latency, Business+ (Light 80/s)", "", p["text"], ""]
    if data.get("steady_scale"):
        s = data["steady_scale"]
        out += [
            "## Steady-state full run, everyone already in sync",
            "",
            table(list(s["header"]), s["rows"]),
            "",
            s.get("text", ""),
            "",
        ]
    if data.get("planner"):
        p = data["planner"]
        out += ["## Planner alone", "", table(list(p["header"]), p["rows"]), ""]
    if data.get("steady"):
        s = data["steady"]
        out += [f"## Request counts, {s['users']} users already in sync", "", table(list(s["header"]), s["rows"]), ""]
    if data.get("tiers"):
        t = data["tiers"]
        out += ["## Initial sync by Zoom plan (derived)", "", table(list(t["header"]), t["rows"]), "", t["text"], ""]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------------- chart


def svg(data: Mapping[str, Any]) -> str:
    """Wall time, the rate-limit bound and the latency bound against users, for the initial syncs at the lowest
    latency measured (hand-written SVG: no plotting dependency)."""
    runs = data.get("initial", [])
    latencies = sorted({r["latency_s"] for r in runs})
    runs = sorted((r for r in runs if latencies and r["latency_s"] == latencies[0]), key=lambda r: r["users"])
    width, height, left, right, top, bottom = 720, 420, 70, 200, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    if not runs:
        parts += ['<text x="20" y="40">no initial-sync runs yet: make bench</text>', "</svg>"]
        return "\n".join(parts) + "\n"
    series = [
        ("wall time (measured)", "#d62728", [r["wall_s"] for r in runs]),
        ("rate-limit lower bound", "#1f77b4", [r["rate_bound_s"] for r in runs]),
        ("latency bound at the achieved concurrency", "#7f7f7f", [r["latency_bound_s"] for r in runs]),
    ]
    users = [r["users"] for r in runs]
    x_max = _nice(max(users))
    y_max = _nice(max(max(v) for _, _, v in series))

    def x(u: float) -> float:
        return left + plot_w * u / x_max

    def y(s: float) -> float:
        return top + plot_h * (1 - s / y_max)

    r0 = runs[0]
    limits = "/".join(f"{k} {v:g}/s" for k, v in r0["zoom_limits"].items())
    okta = f"Okta apps* {r0['okta_apps_per_min']:g}/min"
    title = f"Initial sync, {r0['latency_s'] * 1000:g} ms latency, Zoom {limits}, {okta}"
    parts.append(f'<text x="{left}" y="22" font-size="14">{title}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>')
    for i in range(6):
        xv, yv = x_max * i / 5, y_max * i / 5
        parts.append(
            f'<line x1="{x(xv):.1f}" y1="{top + plot_h}" x2="{x(xv):.1f}" y2="{top + plot_h + 5}" stroke="black"/>'
        )
        parts.append(f'<text x="{x(xv):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{xv:g}</text>')
        parts.append(f'<line x1="{left}" y1="{y(yv):.1f}" x2="{left + plot_w}" y2="{y(yv):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{y(yv) + 4:.1f}" text-anchor="end">{yv:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle">users</text>')
    parts.append(
        f'<text x="16" y="{top + plot_h / 2}" text-anchor="middle" transform="rotate(-90 16 {top + plot_h / 2})">'
        "seconds</text>"
    )
    for n, (label, colour, values) in enumerate(series):
        points = " ".join(f"{x(u):.1f},{y(v):.1f}" for u, v in zip(users, values, strict=True))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for u, v in zip(users, values, strict=True):
            parts.append(f'<circle cx="{x(u):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}"/>')
        ly = top + 10 + 34 * n
        parts.append(
            f'<line x1="{left + plot_w + 12}" y1="{ly}" x2="{left + plot_w + 32}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        words = label.split(" ")
        half = (len(words) + 1) // 2 if len(label) > 24 else len(words)
        for k, line in enumerate((" ".join(words[:half]), " ".join(words[half:]))):
            if line:
                parts.append(f'<text x="{left + plot_w + 38}" y="{ly + 4 + 14 * k}">{line}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _nice(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)
