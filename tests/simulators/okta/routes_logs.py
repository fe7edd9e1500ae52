"""The Okta route handler of the System Log, ``GET /api/v1/logs`` (the events come from ``log.py``).

Polling requests (no ``until``, ``sortOrder=ASCENDING``) are ordered by persistence time and always carry a
``next`` link, even on an empty page; the cursor continues after the last event scanned. Bounded requests (``until``
given, or ``DESCENDING``) filter on ``published`` and have finite pages. ``since`` and ``after`` together give 400
``E0000001``; ``published`` in ``filter`` gives 400 ``E0000053``. Retention (90 days, or what ``expire_logs_before``
removed): the fact sheet says queries reaching before the retention window *succeed and return only retained
events*, so a cursor pointing at an expired position simply continues with the oldest retained event after it (no
error); only a malformed cursor gives ``E0000054``.
"""

from __future__ import annotations

from typing import Any

from ..filters import FilterError, attributes
from ..http import Request, Response
from .formats import encode_cursor, okta_error, parse_time

__all__ = ["LogRoutesMixin"]

_RETENTION_SECONDS = 90 * 86400


class LogRoutesMixin:
    """The ``/api/v1/logs`` handler of the :class:`~tests.simulators.okta.OktaSimulator`."""

    def _h_logs(self, request: Request) -> Response:
        self._promote()
        q = request.query
        now = self.now()
        limit = self._limit(request, 100, 1000, minimum=0)
        sort_order = (q.get("sortOrder") or "ASCENDING").upper()
        if sort_order not in ("ASCENDING", "DESCENDING"):
            return okta_error(
                400, "E0000001", "Api validation failed: sortOrder", ["sortOrder: ASCENDING or DESCENDING"]
            )
        if q.get("since") and q.get("after"):
            return okta_error(
                400, "E0000001", "Api validation failed: since", ["since and after are mutually exclusive"]
            )
        times: dict[str, float] = {}
        for name in ("since", "until"):
            if q.get(name):
                try:
                    times[name] = parse_time(q[name])
                except ValueError:
                    return okta_error(400, "E0000001", f"Api validation failed: {name}", [f"{name}: invalid date"])
        predicate = None
        if q.get("filter"):
            try:
                used = attributes(q["filter"])
            except FilterError as exc:
                return okta_error(400, "E0000053", "Invalid SCIM filter.", [str(exc)])
            if any(a == "published" for a in used):
                return okta_error(400, "E0000053", "Invalid SCIM filter.", ["published cannot be used in a filter"])
            predicate = self._compile(q["filter"], code="E0000053")
        keywords = [k.lower() for k in (q.get("q") or "").split()]
        retention_start = max(now - _RETENTION_SECONDS, self._expired_before or 0.0)
        retained = [e for e in self._events if e["_published"] >= retention_start]

        def matches(event: dict[str, Any]) -> bool:
            if predicate is not None and not predicate(event):
                return False
            if keywords:
                text = repr(self._public_event(event)).lower()
                return all(k in text for k in keywords)
            return True

        if "until" not in times and sort_order == "ASCENDING":
            # Polling request: persistence order, endless pages, the next link always present.
            cursor = self._cursor(request, "log")
            if cursor is not None:
                if not cursor.isdigit():
                    return okta_error(400, "E0000054", "Invalid paging request.", ["after: invalid cursor"])
                position = int(cursor)
            else:
                since = times.get("since", now - 7 * 86400)
                position = max((e["_seq"] for e in self._events if e["_persisted"] < since), default=0)
            out: list[dict[str, Any]] = []
            next_position = position
            full = False
            for event in (e for e in retained if e["_seq"] > position):
                if len(out) >= limit:
                    full = True
                    break
                next_position = event["_seq"]
                if matches(event):
                    out.append(self._public_event(event))
            if not full:
                next_position = max(position, self._seq)
            links = self._page(request, encode_cursor("log", next_position), drop=("since",))
            return Response(200, out, links)
        # Bounded request: filtered and ordered by published, finite pages. The cursor carries the window, so the
        # next link needs no ``since`` (``since`` and ``after`` stay mutually exclusive).
        cursor = self._cursor(request, "logb")
        if cursor is not None:
            parts = cursor.split(":")
            try:
                offset, since, until = int(parts[0]), float(parts[1]), float(parts[2])
            except (IndexError, ValueError):
                return okta_error(400, "E0000054", "Invalid paging request.", ["after: invalid cursor"])
        else:
            offset = 0
            until = times.get("until", now)
            since = times.get("since", until - 7 * 86400)
        items = [e for e in retained if since <= e["_published"] < until and matches(e)]
        items.sort(key=lambda e: (e["_published"], e["_seq"]), reverse=sort_order == "DESCENDING")
        page = [self._public_event(e) for e in items[offset : offset + limit]]
        more = offset + limit < len(items) and limit > 0
        next_cursor = encode_cursor("logb", f"{offset + limit}:{since!r}:{until!r}") if more else None
        return Response(200, page, self._page(request, next_cursor, drop=("since",)))
