"""Write-behind links: links recorded right after their Zoom writes, written to the state table in batches."""

from __future__ import annotations

import threading

from okta_zoom_sync.core.model import Link, Operation
from okta_zoom_sync.core.ports import LinkBatchWriter
from okta_zoom_sync.errors import StateError
from okta_zoom_sync.observability import logger

LINK_BATCH = 25  # links buffered before a flush (DynamoDB BatchWriteItem takes 25 at a time)


class LinkBuffer:
    """Write-behind links: the Applier records a link right after its Zoom write here, and the buffer writes them in
    batches (`flush`), before the Applier returns. Thread-safe. The last write of an Okta id wins (a put or a
    delete), so a batch never names an id twice.

    A link lost with the buffer (the function killed between the Zoom write and the flush) costs no duplicate: the
    next run finds the Zoom user unlinked at the Okta user's address and adopts it."""

    def __init__(self, store: LinkBatchWriter, size: int = LINK_BATCH) -> None:
        self.store = store
        self.size = size
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[Link | None, list[Operation]]] = {}
        self._writing: list[dict[str, tuple[Link | None, list[Operation]]]] = []  # batches taken, not yet written

    def put(self, link: Link, op: Operation) -> None:
        self._record(link.okta_id, link, op)

    def delete(self, okta_id: str, op: Operation) -> None:
        self._record(okta_id, None, op)

    def _record(self, okta_id: str, link: Link | None, op: Operation) -> None:
        with self._lock:
            _, ops = self._pending.pop(okta_id, (None, []))
            self._pending[okta_id] = (link, [*ops, op])

    def full(self) -> bool:
        with self._lock:
            return len(self._pending) >= self.size

    def owner(self, zoom_id: str) -> tuple[bool, str | None]:
        """(known, Okta id) of a link written this run and not flushed yet that holds `zoom_id`."""
        with self._lock:
            # The newest record of an Okta id wins: what is buffered, then the batches being written, newest first.
            for batch in (self._pending, *reversed(self._writing)):
                for okta_id, (link, _) in batch.items():
                    if link is not None and link.zoom_id == zoom_id:
                        return True, okta_id
        return False, None

    def take(self) -> dict[str, tuple[Link | None, list[Operation]]]:
        """What is buffered, as a batch to `write` (it stays visible to `owner` until written); {} when nothing."""
        with self._lock:
            batch, self._pending = self._pending, {}
            if batch:
                self._writing.append(batch)
        return batch

    def write(self, batch: dict[str, tuple[Link | None, list[Operation]]]) -> list[tuple[Operation, StateError]]:
        """Write a batch from `take`; the operations whose links could not be written, with the error. Batches are
        written in the order they were taken (one writer at a time), so the last record of an id wins."""
        puts = [link for link, _ in batch.values() if link is not None]
        deletes = [okta_id for okta_id, (link, _) in batch.items() if link is None]
        try:
            self.store.write_links(puts, deletes)
        except StateError as exc:
            logger.warning("link batch failed", extra={"links": len(batch), "error": exc.message})
            return [(op, exc) for _, ops in batch.values() for op in ops]
        finally:
            with self._lock:
                self._writing = [b for b in self._writing if b is not batch]
        return []

    def flush(self) -> list[tuple[Operation, StateError]]:
        """Write what is buffered now; the operations whose links could not be written, with the error."""
        batch = self.take()
        return self.write(batch) if batch else []
