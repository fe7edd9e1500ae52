"""The service layer: what the handlers call. Parse the request, read the settings, run one invocation.

`service.hook` is the event hook's (functions/hook). The sync's names below load the engine on first use, so
that the hook, which imports `okta_zoom_sync.service.hook`, starts without it (Okta waits 3 s for an answer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from okta_zoom_sync.service.invocation import Invocation, load_settings, parse_request, run

__all__ = ["Invocation", "load_settings", "parse_request", "run"]


def preload() -> None:
    """Load the sync's engine now: the sync's handler calls this at import, so that Lambda's init phase (before
    the first event's clock starts) pays for it, not the first invocation."""
    from okta_zoom_sync.service import invocation  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in __all__:
        from okta_zoom_sync.service import invocation

        return getattr(invocation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
