"""The state table as a dry run sees it: every read passes through to the real store, every write does nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from okta_zoom_sync.core.model import Cursor, FailureRecord, HeldRecord, Link
from okta_zoom_sync.core.ports import StateStore


class DryRunState:
    """Wraps the real store for a dry run. The lease is granted without being taken: a dry run writes nothing,
    so it needs no lease and never waits for one."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    # --- reads pass through -----------------------------------------------------------------------------

    def load_links(self) -> dict[str, Link]:
        return self.store.load_links()

    def get_link(self, okta_id: str) -> Link | None:
        return self.store.get_link(okta_id)

    def count_links(self) -> int:
        return self.store.count_links()

    def load_cursor(self) -> Cursor | None:
        return self.store.load_cursor()

    def load_app_groups(self) -> frozenset[str] | None:
        return self.store.load_app_groups()

    def load_pending(self) -> dict[str, int]:
        return self.store.load_pending()

    def load_failures(self) -> dict[str, FailureRecord]:
        return self.store.load_failures()

    def load_held(self) -> dict[str, HeldRecord]:
        return self.store.load_held()

    def load_zoom_groups(self) -> dict[str, str]:
        return self.store.load_zoom_groups()

    # --- writes do nothing ------------------------------------------------------------------------------

    def acquire_lease(self, run_id: str, seconds: int) -> bool:
        return True

    def release_lease(self, run_id: str) -> None:
        pass

    def record_run(self, summary: Mapping[str, Any]) -> None:
        pass

    def put_link(self, link: Link) -> None:
        pass

    def delete_link(self, okta_id: str) -> None:
        pass

    def save_cursor(self, cursor: Cursor) -> None:
        pass

    def save_app_groups(self, group_ids: Iterable[str]) -> None:
        pass

    def save_pending(self, refs: Mapping[str, int]) -> None:
        pass

    def clear_pending(self, refs: Iterable[str]) -> None:
        pass

    def put_failure(self, record: FailureRecord) -> None:
        pass

    def clear_failures(self, keys: Iterable[str]) -> None:
        pass

    def put_held(self, records: Iterable[HeldRecord]) -> None:
        pass

    def clear_held(self, keys: Iterable[str]) -> None:
        pass

    def save_zoom_groups(self, groups: Mapping[str, str]) -> None:
        pass
