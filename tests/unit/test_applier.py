"""The applier with in-memory fakes: what it does when Zoom answers a create with 409, or refuses to disassociate."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from okta_zoom_sync.core.model import Change, Link, Operation, OpKind, Plan, UserPlan, ZoomUser
from okta_zoom_sync.core.outcome import Outcome
from okta_zoom_sync.engine.executor import Applier
from okta_zoom_sync.errors import EmailTakenError, ManagedDomainUserError

NOW = datetime(2026, 12, 1, tzinfo=UTC)


class FakeZoom:
    """Records writes; answers a create with 409 code 1005 and knows one existing user."""

    def __init__(self, existing: ZoomUser | None = None, refuse_disassociate: bool = False) -> None:
        self.existing = existing
        self.refuse_disassociate = refuse_disassociate
        self.calls: list[tuple[str, ...]] = []

    def create_user(self, *, action: str, email: str, first_name: str, last_name: str, license_type: int) -> str:
        raise EmailTakenError("Zoom API 409 code 1005: Email has already been used", api="zoom", code="1005")

    def get_user(self, id_or_email: str) -> ZoomUser | None:
        return self.existing

    def delete_user(self, zoom_id: str, action: str) -> None:
        self.calls.append(("delete", zoom_id, action))
        if action == "disassociate" and self.refuse_disassociate:
            raise ManagedDomainUserError("Zoom API 400 code 1107: managed domain", api="zoom", code="1107", status=400)

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self.calls.append((name, *map(str, args)))


class FakeState:
    def __init__(self) -> None:
        self.links: dict[str, Link] = {}

    def put_link(self, link: Link) -> None:
        self.links[link.okta_id] = link

    def delete_link(self, okta_id: str) -> None:
        self.links.pop(okta_id, None)

    def load_links(self) -> dict[str, Link]:
        return dict(self.links)

    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


def zoom_user(role: str | None) -> ZoomUser:
    return ZoomUser("zX", "boss@acme.com", "B", "O", 2, "active", role, frozenset())


def create_plan() -> Plan:
    changes = (
        Change("email", None, "boss@acme.com"),
        Change("first_name", None, "B"),
        Change("last_name", None, "O"),
        Change("type", None, 1),
        Change("action", None, "ssoCreate"),
    )
    op = Operation(OpKind.CREATE, "boss@acme.com", "00u1", None, changes)
    return Plan((UserPlan("boss@acme.com", "00u1", None, (op,)),), unmanaged=0, managed=0)


def apply(zoom: FakeZoom, plan: Plan, links: Mapping[str, Link] = {}) -> tuple[list[Any], Mapping[str, Link]]:
    state = FakeState()
    state.links.update(links)
    applier = Applier(zoom, zoom, state, clock=lambda: NOW)  # type: ignore[arg-type]
    return applier.execute(plan), state.links


def test_a_create_answered_409_adopts_the_member_already_there() -> None:
    results, links = apply(FakeZoom(existing=zoom_user("Member")), create_plan())
    assert [r.outcome for r in results] == [Outcome.APPLIED]
    assert links["00u1"].zoom_id == "zX"


def test_a_create_answered_409_never_takes_over_the_owner_or_a_user_of_unknown_role() -> None:
    for role in ("Owner", "owner", None):
        results, links = apply(FakeZoom(existing=zoom_user(role)), create_plan())
        assert [r.outcome for r in results] == [Outcome.FAILED], role
        assert results[0].error_code == "1005" and not links


def test_a_managed_domain_invitation_zoom_refuses_to_disassociate_is_deleted() -> None:
    op = Operation(
        OpKind.DELETE,
        "inv@acme.com",
        "00u2",
        None,
        (Change("status", "pending", None), Change("action", None, "disassociate")),
    )
    zoom = FakeZoom(refuse_disassociate=True)
    results, _ = apply(zoom, Plan((UserPlan("inv@acme.com", "00u2", None, (op,), deprovision=True),), 0, 1))
    assert [r.outcome for r in results] == [Outcome.APPLIED]
    assert zoom.calls == [("delete", "inv@acme.com", "disassociate"), ("delete", "inv@acme.com", "delete")]


def test_an_active_user_is_never_deleted_because_disassociating_it_was_refused() -> None:
    changes = (Change("status", "inactive", None), Change("action", None, "disassociate"))
    op = Operation(OpKind.DELETE, "u@acme.com", "00u3", "z3", changes)
    zoom = FakeZoom(refuse_disassociate=True)
    results, _ = apply(zoom, Plan((UserPlan("u@acme.com", "00u3", "z3", (op,), deprovision=True),), 0, 1))
    assert [r.outcome for r in results] == [Outcome.FAILED]
    assert zoom.calls == [("delete", "z3", "disassociate")]


def test_a_create_answered_409_never_adopts_a_zoom_user_another_okta_user_owns() -> None:
    # Found by the model-based test: one Zoom user ended up linked to two Okta users.
    other = {"00u9": Link("00u9", "zX", "boss@acme.com")}
    results, links = apply(FakeZoom(existing=zoom_user("Member")), create_plan(), other)
    assert [r.outcome for r in results] == [Outcome.FAILED]
    assert set(links) == {"00u9"}
