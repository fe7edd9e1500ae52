"""The Zoom account's role and group catalogues: id <-> name, read once per client and cached.

Reads turn a user's `role_id` / `group_ids` into names; writes turn names (compared case-insensitively)
into ids. A miss in `id_for` or `known_name` reloads the catalogue once per client (an item created since
it was read); a name still unknown is a PermanentError naming it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from okta_zoom_sync.errors import PermanentError


class Catalogue:
    """id -> name for Zoom roles or groups, loaded on first use; reloaded at most once on a miss."""

    def __init__(self, kind: str, load: Callable[[], dict[str, str]]) -> None:
        self.kind = kind
        self._load = load
        self._by_id: dict[str, str] | None = None
        self._reloaded = False
        self._lock = threading.Lock()

    def by_id(self) -> dict[str, str]:
        with self._lock:
            if self._by_id is None:
                self._by_id = self._load()
            return self._by_id

    def name(self, item_id: object) -> str:
        key = str(item_id)
        return self.by_id().get(key, key)

    def known_name(self, item_id: object) -> str | None:
        """The name of this id, reloading the catalogue once on a miss; None when it is still unknown."""
        key = str(item_id)
        found = self.by_id().get(key)
        if found is None and not self._reloaded:
            with self._lock:
                self._reloaded, self._by_id = True, None
            found = self.by_id().get(key)
        return found

    def id_for(self, name: str) -> str:
        wanted = name.strip().casefold()
        found = self._find(wanted)
        if found is None and not self._reloaded:
            with self._lock:
                self._reloaded, self._by_id = True, None
            found = self._find(wanted)
        if found is None:
            raise PermanentError(f"Zoom {self.kind} '{name}' does not exist", api="zoom", code=f"unknown_{self.kind}")
        return found

    def remember(self, item_id: str, name: str) -> None:
        """An item this client just created: known from now on without reading the catalogue again."""
        by_id = self.by_id()
        with self._lock:
            by_id[str(item_id)] = name

    def _find(self, wanted: str) -> str | None:
        matches = [item_id for item_id, item_name in self.by_id().items() if item_name.casefold() == wanted]
        return matches[0] if matches else None
