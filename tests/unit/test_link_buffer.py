"""The write-behind link buffer: batches taken in order, visible to the owner lookup until written, failures
returned with their operations."""

from __future__ import annotations

from okta_zoom_sync.core.model import Link, Operation, OpKind
from okta_zoom_sync.engine.link_buffer import LinkBuffer
from okta_zoom_sync.errors import StateError


class RecordingStore:
    def __init__(self) -> None:
        self.batches: list[tuple[list[Link], list[str]]] = []
        self.fail = False
        self.during_write: list[tuple[bool, str | None]] = []
        self.buffer: LinkBuffer | None = None

    def write_links(self, puts: list[Link], deletes: list[str]) -> None:
        if self.buffer is not None:
            self.during_write.append(self.buffer.owner("z1"))
        if self.fail:
            raise StateError("the state table is unreachable", code="state")
        self.batches.append((list(puts), list(deletes)))


def op(okta_id: str) -> Operation:
    return Operation(OpKind.CREATE, f"{okta_id}@acme.example", okta_id, None)


def test_a_batch_taken_is_still_seen_by_the_owner_lookup_until_it_is_written() -> None:
    # Given a buffer of two links, full
    store = RecordingStore()
    buffer = LinkBuffer(store, size=2)
    store.buffer = buffer
    buffer.put(Link("00u1", "z1", "a@acme.example"), op("00u1"))
    buffer.put(Link("00u2", "z2", "b@acme.example"), op("00u2"))
    assert buffer.full()
    # When the batch is taken (a writer thread will write it) and new links are buffered meanwhile
    batch = buffer.take()
    assert not buffer.full() and buffer.owner("z1") == (True, "00u1")
    buffer.delete("00u1", op("00u1"))  # a later record of the same Okta id, in the next batch
    # Then the batch is written as taken, the lookup saw it while it was written, and the next batch holds the rest
    assert buffer.write(batch) == []
    assert store.during_write == [(True, "00u1")]
    assert store.batches == [([Link("00u1", "z1", "a@acme.example"), Link("00u2", "z2", "b@acme.example")], [])]
    assert buffer.owner("z2") == (False, None)  # written: the store answers for it now
    assert buffer.flush() == [] and store.batches[-1] == ([], ["00u1"])


def test_a_failed_batch_returns_its_operations_and_is_no_longer_pending() -> None:
    store = RecordingStore()
    store.fail = True
    buffer = LinkBuffer(store, size=1)
    first = op("00u1")
    buffer.put(Link("00u1", "z1", "a@acme.example"), first)
    lost = buffer.write(buffer.take())
    assert [(o, e.code) for o, e in lost] == [(first, "state")]
    assert buffer.owner("z1") == (False, None) and buffer.take() == {}
