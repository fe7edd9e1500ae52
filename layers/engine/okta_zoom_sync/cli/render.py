"""The function's result as an operator reads it: plain-text tables. Pure: a result dict in, text out.

`render` picks the view from the result: the checks of `check`, the state of `status`, the plan of a dry run,
else the run's counts. Counts show only what is not zero (a result carries a counter for every operation kind,
most of them 0). `okzs` prints these; so does `make demo` (tests/demo.py).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

COUNTS = ("planned", "applied", "failed", "held", "skipped", "deferred")
PER_OPERATION = 10  # a plan lists the first operations of each kind, then how many more
LISTED = 20  # rows of a status list (pending, quarantined, held) before "... and N more"
DETAIL_WIDTH = 100


def render(result: Mapping[str, Any], *, now: datetime | None = None, per_operation: int = PER_OPERATION) -> str:
    """The view that fits the result. `now` (UTC) dates the ages a status shows."""
    if result.get("checks") is not None:
        return render_check(result)
    if result.get("state") is not None:
        return render_status(result, now=now or datetime.now(UTC))
    if result.get("dry_run"):
        return render_plan(result, per_operation=per_operation)
    return render_run(result)


# ---------------------------------------------------------------------------------------------------- views


def render_check(result: Mapping[str, Any]) -> str:
    checks = list(result.get("checks") or ())
    failed = [check for check in checks if not check.get("ok")]
    verdict = f"{len(failed)} of {len(checks)} checks failed" if failed else f"all {len(checks)} checks passed"
    lines = [_header(result, "connection check"), f"  {verdict}", ""]
    width = max((len(str(check.get("name", ""))) for check in checks), default=4)
    for check in checks:
        mark = "ok  " if check.get("ok") else "FAIL"
        lead = f"  {mark}  {check.get('name', '')!s:<{width}}  "
        lines.extend(_wrapped(lead, str(check.get("detail", ""))))
    lines.extend(_problems(result))
    return "\n".join(lines)


def render_plan(result: Mapping[str, Any], *, per_operation: int = PER_OPERATION) -> str:
    """A dry run: how many operations of each kind, then the first of each kind with their changes."""
    operations = list(result.get("operations") or ())
    total = int(result.get("operations_total", len(operations)))
    lines = [_header(result, "plan (dry run: nothing was changed)", with_mode=True)]
    lines.append(f"  {total} operation{'s' if total != 1 else ''} planned")
    lines.extend(_counts(result))
    lines.extend(_scope(result))
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for kind in _non_zero(result.get("planned")):
        by_kind[kind] = []
    for operation in operations:
        by_kind.setdefault(str(operation.get("op")), []).append(operation)
    planned = result.get("planned") or {}
    for kind, listed in by_kind.items():
        if not listed:
            continue
        count = int(planned.get(kind, len(listed)))
        lines.append("")
        lines.append(f"{kind} ({count})")
        shown = listed[:per_operation]
        rows = [[str(op.get("email") or op.get("okta_id") or "-"), _changes(op.get("changes"))] for op in shown]
        lines.extend(_table(["email", "changes"], rows))
        if count > len(shown):
            lines.append(f"  ... and {count - len(shown)} more")
    if total > len(operations):
        lines.append("")
        lines.append(f"  (the result lists the first {len(operations)} of {total}; the log has every one)")
    lines.extend(_problems(result))
    return "\n".join(lines)


def render_run(result: Mapping[str, Any]) -> str:
    """A sync run: its status and the counts that are not zero, then what needs an operator."""
    lines = [_header(result, "sync run", with_mode=True)]
    lines.extend(_counts(result) or ["  nothing to do"])
    lines.extend(_scope(result))
    lines.extend(_requests(result.get("requests")))
    quarantined = list(result.get("quarantined") or ())
    if quarantined:
        lines.append("")
        lines.append(f"Quarantined ({len(quarantined)}): retried later, with a growing delay")
        rows = [
            [q.get("email"), q.get("op"), f"{q.get('code')} {q.get('message')}", _time(q.get("next_attempt_at"))]
            for q in quarantined
        ]
        lines.extend(_table(["email", "op", "error", "next attempt"], rows))
    held = list(result.get("held_users") or ())
    if held:
        lines.append("")
        lines.append(f"Held by a brake ({len(held)}): run with --force to let them through")
        rows = [[h.get("email"), ", ".join(h.get("ops") or ()), _time(h.get("since") or "this run")] for h in held]
        lines.extend(_table(["email", "operations", "since"], rows))
    lines.extend(_problems(result))
    return "\n".join(lines)


def render_status(result: Mapping[str, Any], *, now: datetime) -> str:
    state: Mapping[str, Any] = result.get("state") or {}
    lines = [_header(result, "status")]
    cursor = state.get("cursor_saved_at")
    lines.append(
        "  cursor        "
        + (f"saved {_time(cursor)} ({age(cursor, now)} ago)" if cursor else "none yet: the next run reads everyone")
    )
    lease = state.get("lease")
    if lease:
        expires = lease.get("expires_at")
        lines.append(
            f"  lease         held by run {lease.get('holder')} until {_time(expires)} (in {age(now, expires)})"
        )
    else:
        lines.append("  lease         free: no run is going")
    lines.append(f"  links         {state.get('links', 0)} Okta users linked to Zoom users")
    success = state.get("last_success")
    if success:
        at = success.get("at")
        lines.append(
            f"  last success  {_time(at)} ({age(at, now)} ago), {success.get('mode')} run {success.get('run_id')}"
        )
    else:
        lines.append("  last success  none yet")
    pending = list(state.get("pending") or ())
    lines.extend(
        _listing(
            "Pending: carried over to the next run",
            ["user", "since", "attempts"],
            [[p.get("key"), _time(p.get("since")), p.get("attempts")] for p in pending],
            int(state.get("pending_total", len(pending))),
        )
    )
    quarantined = list(state.get("quarantined") or ())
    lines.extend(
        _listing(
            "Quarantined: failing for good, retried with a growing delay",
            ["email", "reason", "since", "attempts", "next attempt"],
            [
                [
                    q.get("email"),
                    q.get("reason"),
                    _time(q.get("since")),
                    q.get("attempts"),
                    _time(q.get("next_attempt_at")),
                ]
                for q in quarantined
            ],
            int(state.get("quarantined_total", len(quarantined))),
        )
    )
    held = list(state.get("held") or ())
    lines.extend(
        _listing(
            "Held by a brake: a run with --force lets them through",
            ["email", "operations", "reason", "since"],
            [[h.get("email"), ", ".join(h.get("ops") or ()), h.get("reason"), _time(h.get("since"))] for h in held],
            int(state.get("held_total", len(held))),
        )
    )
    runs = list(state.get("last_runs") or ())
    lines.append("")
    lines.append(f"Last runs ({len(runs)}, newest first)" if runs else "Last runs: none recorded yet")
    rows = [
        [
            _time(run.get("started_at")),
            run.get("mode"),
            run.get("status"),
            _seconds(run.get("duration_ms")),
            run.get("run_id"),
            _run_counts(run.get("counts")),
        ]
        for run in runs
    ]
    if rows:
        lines.extend(_table(["started", "mode", "status", "took", "run id", "operations"], rows))
    lines.extend(_problems(result))
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------------- pieces


def age(earlier: datetime | str | None, later: datetime | str | None) -> str:
    """The time from `earlier` to `later`, rounded for a person: '45 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    start, end = _when(earlier), _when(later)
    if start is None or end is None:
        return "?"
    seconds = max(0, int((end - start).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 3600:
        return f"{minutes} min"
    if seconds < 86400:
        return f"{hours} h {minutes % 60} min" if minutes % 60 else f"{hours} h"
    return f"{days} d {hours % 24} h" if hours % 24 else f"{days} d"


def _when(value: datetime | str | None) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _header(result: Mapping[str, Any], what: str, *, with_mode: bool = False) -> str:
    """`sync run: SUCCEEDED, mode full, run <id>, took 1.2 s`."""
    parts = [f"{what}: {str(result.get('status', '?')).upper()}"]
    if with_mode and result.get("mode"):
        parts.append(f"mode {result['mode']}")
    parts.append(f"run {result.get('run_id', '?')}")
    if result.get("force"):
        parts.append("forced")
    if result.get("duration_ms"):
        parts.append(f"took {_seconds(result.get('duration_ms'))}")
    return ", ".join(parts)


def _scope(result: Mapping[str, Any]) -> list[str]:
    managed, unmanaged = result.get("managed"), result.get("unmanaged")
    if managed is None and unmanaged is None:
        return []
    return [f"  Zoom users: {managed or 0} managed, {unmanaged or 0} unmanaged (left alone)"]


def _non_zero(counts: object) -> dict[str, int]:
    if not isinstance(counts, Mapping):
        return {}
    return {str(op): int(n) for op, n in counts.items() if isinstance(n, int) and n}


def _counts(result: Mapping[str, Any]) -> list[str]:
    """One line per kind of count that is not all zeros: `applied   7: create 1, deactivate 2, ...`."""
    lines = []
    for name in COUNTS:
        counts = _non_zero(result.get(name))
        if counts:
            detail = ", ".join(f"{op} {n}" for op, n in counts.items())
            lines.append(f"  {name:<9} {sum(counts.values()):>5}: {detail}")
    return lines


def _run_counts(counts: object) -> str:
    """A run's counts in a table cell: the total of each kind that is not zero (`applied 7, held 2`)."""
    if not isinstance(counts, Mapping):
        return "-"
    totals = {name: sum(_non_zero(by_op).values()) for name, by_op in counts.items()}
    return ", ".join(f"{name} {total}" for name, total in totals.items() if total) or "-"


def _time(value: object) -> str:
    """An ISO-8601 time, to the second, in UTC: `2026-12-02 12:34:14Z`."""
    when = _when(value) if isinstance(value, str | datetime) else None
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if when else _cell(value)


def _requests(requests: object) -> list[str]:
    if not isinstance(requests, Mapping) or not requests:
        return []
    parts = []
    for api, stats in requests.items():
        if isinstance(stats, Mapping):
            extra = ", ".join(
                f"{stats[key]} {label}"
                for key, label in (("retries", "retries"), ("rate_limited", "rate-limited"))
                if stats.get(key)
            )
            parts.append(f"{api} {stats.get('total', 0)}" + (f" ({extra})" if extra else ""))
    return ["  requests  " + ", ".join(parts)] if parts else []


def _problems(result: Mapping[str, Any]) -> list[str]:
    """The errors and the notes: what an operator reads first when a run did not succeed."""
    lines: list[str] = []
    errors = list(result.get("errors") or ())
    if errors:
        lines.append("")
        lines.append(f"Errors ({len(errors)})")
        rows = [[e.get("op"), e.get("email"), e.get("code"), e.get("message")] for e in errors]
        lines.extend(_table(["op", "email", "code", "message"], rows))
    notes = list(result.get("notes") or ())
    if notes:
        lines.append("")
        for note in notes:
            lines.extend(_wrapped("  note: ", str(note)))
    return lines


def _listing(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], total: int) -> list[str]:
    if total == 0:
        return ["", f"{title.split(':')[0]}: none"]
    lines = ["", f"{title} ({total})"]
    lines.extend(_table(headers, rows[:LISTED]))
    if total > min(len(rows), LISTED):
        lines.append(f"  ... and {total - min(len(rows), LISTED)} more")
    return lines


def _changes(changes: object) -> str:
    if not isinstance(changes, Mapping) or not changes:
        return "-"
    parts = []
    for field, change in changes.items():
        if isinstance(change, Mapping) and ("from" in change or "to" in change):
            parts.append(f"{field}: {_value(change.get('from'))} -> {_value(change.get('to'))}")
        else:
            parts.append(f"{field}: {_value(change)}")
    return ", ".join(parts)


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _seconds(duration_ms: object) -> str:
    if not isinstance(duration_ms, int | float) or isinstance(duration_ms, bool):
        return "-"
    return f"{duration_ms / 1000:.1f} s"


def _cell(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        padded = [value.ljust(width) for value, width in zip(values[:-1], widths[:-1], strict=True)]
        return ("  " + "  ".join([*padded, values[-1]])).rstrip()

    return [line(list(headers)), *(line(row) for row in cells)]


def _wrapped(lead: str, text: str) -> list[str]:
    return textwrap.wrap(
        text, width=DETAIL_WIDTH, initial_indent=lead, subsequent_indent=" " * len(lead), break_on_hyphens=False
    ) or [lead.rstrip()]
