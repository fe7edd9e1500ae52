"""The applier with many threads and batched links, on in-memory fakes: order, isolation, the deadline, fatal errors,
link batches (25 a call, one write per Okta id, a failed batch failing its operations)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from okta_zoom_sync.core.model import Change, Link, Operation, OpKind, Plan, UserPlan
from okta_zoom_sync.core.ordering import dependencies
from okta_zoom_sync.core.outcome import Outcome
from okta_zoom_sync.engine.executor import Applier
from okta_zoom_sync.errors import AuthError, EmailTakenError, PermanentError, StateError

NOW = datetime(2026, 12, 1, tzinfo=UTC)


class Zoom:
    """Creates users (ids z<email>), records every write; fails the users and calls it is told to."""

    def __init__(self, *, refuse: Iterable[str] = (), revoke_after: int | None = None) -> None:
        self.refuse = set(refuse)
        self.revoke_after = revoke_after
        self.calls: list[tuple[str, str]] = []
        self.creates = 0
        self.lock = threading.Lock()

    def create_user(self, *, action: str, email: str, first_name: str, last_name: str, license_type: int) -> str:
        with self.lock:
            if self.revoke_after is not None and self.creates >= self.revoke_after:
                raise AuthError("Zoom rejected the credential", api="zoom", code="124", status=401)
            if email in self.refuse:
                raise PermanentError("refused", api="zoom", code="300", status=400)
            self.creates += 1
            self.calls.append(("create", email))
        return f"z{email}"

    def update_user(self, zoom_id: str, fields: Any) -> None:
        with self.lock:
            self.calls.append(("update", zoom_id))

    def get_user(self, id_or_email: str) -> None:
        return None


class Links:
    """LinkWriter and LinkBatchWriter: records single writes and batches; can fail a batch."""

    def __init__(self, fail_batches: int = 0) -> None:
        self.links: dict[str, Link] = {}
        self.single: list[str] = []
        self.batches: list[tuple[list[str], list[str]]] = []
        self.fail_batches = fail_batches

    def load_links(self) -> dict[str, Link]:
        return dict(self.links)

    def put_link(self, link: Link) -> None:
        self.single.append(link.okta_id)
        self.links[link.okta_id] = link

    def delete_link(self, okta_id: str) -> None:
        self.single.append(okta_id)
        self.links.pop(okta_id, None)

    def write_links(self, puts: Iterable[Link], deletes: Iterable[str]) -> None:
        puts, deletes = list(puts), list(deletes)
        if self.fail_batches:
            self.fail_batches -= 1
            raise StateError("state table 't': batch write failed")
        self.batches.append(([link.okta_id for link in puts], list(deletes)))
        for link in puts:
            self.links[link.okta_id] = link
        for okta_id in deletes:
            self.links.pop(okta_id, None)


def create(i: int) -> UserPlan:
    email = f"u{i:03}@acme.com"
    changes = (
        Change("email", None, email),
        Change("first_name", None, "U"),
        Change("last_name", None, str(i)),
        Change("type", None, 1),
        Change("action", None, "ssoCreate"),
    )
    create_op = Operation(OpKind.CREATE, email, f"00u{i:03}", None, changes)
    update_op = Operation(OpKind.UPDATE, email, f"00u{i:03}", None, (Change("display_name", None, "U"),))
    return UserPlan(email, f"00u{i:03}", None, (create_op, update_op))


def plan_of(count: int) -> Plan:
    return Plan(tuple(create(i) for i in range(count)), unmanaged=0, managed=0)


def applier(zoom: Zoom, links: Links, workers: int, *, batch: bool = True) -> Applier:
    return Applier(zoom, zoom, links, clock=lambda: NOW, workers=workers, batch=links if batch else None)  # type: ignore[arg-type]


def outcomes(results: list[Any]) -> list[tuple[str, str, Outcome]]:
    return [(r.operation.op.value, r.operation.email, r.outcome) for r in results]


@pytest.mark.parametrize("workers", [1, 8])
def test_results_come_in_plan_order_and_every_user_is_done_in_order(workers: int) -> None:
    zoom, links = Zoom(refuse={"u007@acme.com"}), Links()
    results = applier(zoom, links, workers).execute(plan_of(60))
    expected = [
        (op.op.value, op.email, Outcome.APPLIED if user.email != "u007@acme.com" else outcome)
        for user in plan_of(60).users
        for op, outcome in zip(user.operations, (Outcome.FAILED, Outcome.SKIPPED), strict=True)
    ]
    assert outcomes(results) == expected
    # each user's update after its create, whatever the threads' interleaving
    for i in range(60):
        email = f"u{i:03}@acme.com"
        mine = [call for call in zoom.calls if call[1] in (email, f"z{email}")]
        assert mine == ([] if i == 7 else [("create", email), ("update", f"z{email}")])


@pytest.mark.parametrize("workers", [1, 8])
def test_links_are_written_in_batches_of_25(workers: int) -> None:
    zoom, links = Zoom(), Links()
    applier(zoom, links, workers).execute(plan_of(60))
    assert links.single == []
    assert sorted(links.links) == [f"00u{i:03}" for i in range(60)]
    # 60 links: a flush once 25 are buffered (a few more may come in meanwhile: the store sends 25 a call), and the
    # rest at the end; never one write per user
    assert len(links.batches) <= 3
    written = [okta_id for puts, _ in links.batches for okta_id in puts]
    assert len(written) == len(set(written)) == 60


def test_without_a_batch_writer_each_link_is_written_at_once() -> None:
    zoom, links = Zoom(), Links()
    applier(zoom, links, 4, batch=False).execute(plan_of(10))
    assert sorted(links.single) == [f"00u{i:03}" for i in range(10)] and links.batches == []


def test_the_last_write_of_an_okta_id_wins_in_a_batch() -> None:
    zoom, links = Zoom(), Links()
    links.links["00uold"] = Link("00uold", "zold", "old@acme.com")
    adopt = Operation(OpKind.ADOPT, "new@acme.com", "00unew", "zold", (Change("previous_okta_id", "00uold", "00unew"),))
    delete = Operation(OpKind.DELETE, "x@acme.com", "00ux", "zx", (Change("action", None, "delete"),))
    plan = Plan(
        (UserPlan("new@acme.com", "00unew", "zold", (adopt,)), UserPlan("x@acme.com", "00ux", "zx", (delete,))), 0, 2
    )
    links.links["00ux"] = Link("00ux", "zx", "x@acme.com")
    zoom_calls: list[Any] = []
    zoom.delete_user = lambda zoom_id, action: zoom_calls.append((zoom_id, action))  # type: ignore[attr-defined]
    results = applier(zoom, links, 1).execute(plan)
    assert [r.outcome for r in results] == [Outcome.APPLIED, Outcome.APPLIED]
    assert set(links.links) == {"00unew"} and links.links["00unew"].zoom_id == "zold"
    assert links.batches == [(["00unew"], ["00uold", "00ux"])]


@pytest.mark.parametrize("workers", [1, 8])
def test_the_deadline_defers_the_users_not_started(workers: int) -> None:
    zoom, links = Zoom(), Links()
    started = 0
    lock = threading.Lock()

    def should_stop() -> bool:
        nonlocal started
        with lock:
            started += 1
            return started > 20

    results = applier(zoom, links, workers).execute(plan_of(40), should_stop)
    done = {r.operation.email for r in results if r.outcome is Outcome.APPLIED}
    deferred = {r.operation.email for r in results if r.outcome is Outcome.DEFERRED}
    assert len(done) == 20 and len(deferred) == 20 and not done & deferred
    # every user started is done whole, and linked
    assert all(r.outcome in (Outcome.APPLIED, Outcome.DEFERRED) for r in results)
    assert sorted(links.links) == sorted(f"00u{e[1:4]}" for e in done)


@pytest.mark.parametrize("workers", [1, 8])
def test_a_fatal_error_stops_starting_users_and_defers_the_rest(workers: int) -> None:
    zoom, links = Zoom(revoke_after=10), Links()
    results = applier(zoom, links, workers).execute(plan_of(60))
    by_outcome: dict[Outcome, int] = {}
    for r in results:
        if r.operation.op is OpKind.CREATE:
            by_outcome[r.outcome] = by_outcome.get(r.outcome, 0) + 1
    assert by_outcome[Outcome.APPLIED] == 10
    assert 1 <= by_outcome[Outcome.FAILED] <= workers  # those under way when the credential was refused
    assert by_outcome[Outcome.DEFERRED] == 60 - 10 - by_outcome[Outcome.FAILED]
    assert any(r.fatal for r in results)
    assert len(links.links) == 10  # the links of the users done are written all the same


@pytest.mark.parametrize("workers", [1, 8])
def test_a_failed_link_batch_fails_its_operations_and_stops_the_run(workers: int) -> None:
    zoom, links = Zoom(), Links(fail_batches=1)
    results = applier(zoom, links, workers).execute(plan_of(60))
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    assert len(failed) >= 25 and all(r.fatal and r.error_code == "state_table" for r in failed)
    assert all(r.operation.op is OpKind.CREATE for r in failed)
    assert any(r.outcome is Outcome.DEFERRED for r in results)  # no user started after the failure was seen
    # the links that were written are those of the users applied
    applied = {r.operation.okta_id for r in results if r.outcome is Outcome.APPLIED and r.operation.op is OpKind.CREATE}
    assert set(links.links) == applied


class BatchClient:
    """A DynamoDB client that answers the first BatchWriteItem with half of its items unprocessed."""

    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]]] = []

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        items = RequestItems["t"]
        self.calls.append(items)
        if len(self.calls) == 1:
            return {"UnprocessedItems": {"t": items[len(items) // 2 :]}}
        return {"UnprocessedItems": {}}


def test_the_store_writes_links_25_a_call_and_sends_unprocessed_items_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from okta_zoom_sync.adapters.dynamodb import store as store_module

    monkeypatch.setattr(store_module.time, "sleep", lambda seconds: None)
    client = BatchClient()
    store = store_module.DynamoStateStore("t", client=client)
    store.write_links([Link(f"00u{i}", f"z{i}", f"u{i}@acme.com") for i in range(30)], ["00ugone"])
    sizes = [len(call) for call in client.calls]
    assert sizes == [25, 13, 6]  # 25, then the 13 left unprocessed again, then the last 6
    sent = [r for call in client.calls for r in call]
    deletes = [r["DeleteRequest"]["Key"]["sk"]["S"] for r in sent if "DeleteRequest" in r]
    puts = {r["PutRequest"]["Item"]["sk"]["S"] for r in sent if "PutRequest" in r}
    assert deletes == ["00ugone"] and len(puts) == 30


# -- what the plan's order means between users ----------------------------------------------------------------


def move(okta_id: str, old: str, new: str) -> UserPlan:
    op = Operation(OpKind.EMAIL, old, okta_id, f"z{okta_id}", (Change("email", old, new),))
    return UserPlan(new, okta_id, f"z{okta_id}", (op,))


def licensed_create(i: int, license_type: int = 2) -> UserPlan:
    user = create(i)
    first = user.operations[0]
    changes = tuple(Change("type", None, license_type) if c.field == "type" else c for c in first.changes)
    return UserPlan(user.email, user.okta_id, None, (Operation(first.op, first.email, first.okta_id, None, changes),))


def deactivate(okta_id: str) -> UserPlan:
    op = Operation(
        OpKind.DEACTIVATE, f"{okta_id}@acme.com", okta_id, f"z{okta_id}", (Change("status", "active", "inactive"),)
    )
    return UserPlan(op.email, okta_id, op.zoom_id, (op,), deprovision=True)


def test_a_move_onto_an_address_waits_for_the_user_that_frees_it() -> None:
    users = [move("a", "u3@acme.com", "u9@acme.com"), create(1), move("b", "u1@acme.com", "U3@acme.com")]
    assert dependencies(users) == [[], [], [0]]


def test_a_create_onto_an_address_waits_for_the_deletion_that_frees_it() -> None:
    gone = Operation(OpKind.DELETE, "u002@acme.com", "00ux", "zx", (Change("action", None, "delete"),))
    users = [UserPlan("u002@acme.com", "00ux", "zx", (gone,), deprovision=True), create(1), create(2)]
    assert dependencies(users) == [[], [], [0]]


def test_paid_seats_are_taken_in_the_plans_order() -> None:
    users = [licensed_create(0), deactivate("d1"), licensed_create(2), licensed_create(3, 1), deactivate("d4")]
    users.append(licensed_create(5))
    # the second licensed create waits for the first and for the deactivation between them; a basic create waits
    # for nobody; the third licensed create waits for the second and the deactivation after it
    assert dependencies(users) == [[], [], [0, 1], [], [], [2, 4]]


class MovingZoom(Zoom):
    """Zoom addresses: a move onto an address another user holds is refused (1005), as Zoom does."""

    def __init__(self, held: dict[str, str]) -> None:
        super().__init__()
        self.held = held  # address -> zoom id

    def change_email(self, zoom_id: str, email: str) -> None:
        import time

        time.sleep(0.002)  # long enough for a thread that did not wait to come first
        with self.lock:
            if self.held.get(email, zoom_id) != zoom_id:
                raise EmailTakenError("Zoom API 409 code 1005: Email has already been used", api="zoom", code="1005")
            for address, holder in list(self.held.items()):
                if holder == zoom_id:
                    del self.held[address]
            self.held[email] = zoom_id


def test_a_chain_of_moves_in_parallel_succeeds_as_it_does_in_turn() -> None:
    # u0 -> u1 -> u2 ... -> u9: the planner puts the move off u9 first, so each address is free when its turn comes
    count = 10
    users = [move(f"k{i}", f"u{i}@acme.com", f"u{i + 1}@acme.com") for i in reversed(range(count))]
    zoom = MovingZoom({f"u{i}@acme.com": f"zk{i}" for i in range(count)})
    results = applier(zoom, Links(), 8).execute(Plan(tuple(users), 0, count))
    assert [r.outcome for r in results] == [Outcome.APPLIED] * count, [r.error_code for r in results]
    assert zoom.held == {f"u{i + 1}@acme.com": f"zk{i}" for i in range(count)}
