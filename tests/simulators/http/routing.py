"""Request routing shared by the simulators: a :class:`Route` (method, path pattern with ``{param}`` segments,
handler, metadata such as the required scope) and :class:`RoutingMixin`, which registers routes, matches a request
against them and rebuilds query strings for pagination links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .messages import Request, Response

__all__ = ["Route", "RoutingMixin"]


@dataclass
class Route:
    method: str
    parts: tuple[str, ...]
    handler: Callable[..., Response]
    meta: dict[str, Any]


class RoutingMixin:
    """The route table of :class:`~tests.simulators.http.base.SimulatorBase` (set up by ``_init_routing``)."""

    def _init_routing(self) -> None:
        self._routes: list[Route] = []

    def _add_route(self, method: str, pattern: str, handler: Callable[..., Response], **meta: Any) -> None:
        self._routes.append(Route(method, tuple(pattern.strip("/").split("/")), handler, meta))

    def _match_route(self, request: Request) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path parameters, path_known). ``path_known`` without a route means: wrong method."""
        segments = tuple(request.segments)
        path_known = False
        for route in self._routes:
            if len(route.parts) != len(segments):
                continue
            params: dict[str, str] = {}
            for part, seg in zip(route.parts, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    if not seg:
                        break
                    params[part[1:-1]] = seg
                elif part != seg:
                    break
            else:
                path_known = True
                if route.method == request.method:
                    return route, params, True
        return None, {}, path_known

    @staticmethod
    def _query_with(request: Request, **changes: str | None) -> str:
        """The request's query string with some parameters replaced (``None`` removes one)."""
        pairs = [(k, v) for k, vs in request.query_lists.items() if k not in changes for v in vs]
        pairs += [(k, v) for k, v in changes.items() if v is not None]
        return urlencode(pairs)
