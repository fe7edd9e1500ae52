"""Pictures and deletes with transfer in the planner and the applier (in-memory fakes; tests/unit/plan_model.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from okta_zoom_sync.core.model import ADMIN_ROLE, DesiredState, Link, OpKind, PictureMark, ZoomUser
from okta_zoom_sync.core.outcome import Outcome
from okta_zoom_sync.core.pictures import PICTURE_RECHECK, RECHECK_SPREAD, picture_due, recheck_after
from okta_zoom_sync.core.planner import plan
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.engine.executor import Applier
from okta_zoom_sync.engine.transfer import TransferTargets
from okta_zoom_sync.errors import PictureRefusedError, RetryableError, TransferTargetError

from .plan_model import InMemoryLinks, InMemoryZoom, apply_plan
from .test_planner import NOW, have, kinds, want

URL = "https://pics.example/ann.png"
FRESH = PictureMark(URL, "ab" * 32, (NOW - timedelta(days=1)).isoformat())


def linked(**kw: object) -> dict[str, Link]:
    return {"00u1": Link("00u1", "z1", "ann@acme.com", **kw)}  # type: ignore[arg-type]


def test_a_new_user_gets_its_picture_after_the_create_but_an_invitation_does_not() -> None:
    created = plan([want(picture_url=URL)], [], {}, Policy(), NOW)
    assert kinds(created) == ["create", "picture"]
    invited = plan([want(picture_url=URL)], [], {}, Policy(create_action="create"), NOW)  # type: ignore[arg-type]
    assert kinds(invited) == ["create"]
    pending = plan([want(picture_url=URL)], [have(None, status="pending")], {}, Policy(), NOW)
    assert "picture" not in kinds(pending)


def test_the_picture_is_fetched_again_only_when_the_url_changes_or_the_check_is_a_week_old() -> None:
    actual = [have()]
    assert kinds(plan([want(picture_url=URL)], actual, linked(picture=FRESH), Policy(), NOW)) == []
    moved = plan([want(picture_url=URL + "?v=2")], actual, linked(picture=FRESH), Policy(), NOW)
    assert kinds(moved) == ["picture"]
    assert moved.operations[0].changes[0].old == URL
    stale = PictureMark(URL, FRESH.sha256, (NOW - PICTURE_RECHECK).isoformat())
    assert kinds(plan([want(picture_url=URL)], actual, linked(picture=stale), Policy(), NOW)) == ["picture"]
    refused = PictureMark(URL, "", FRESH.checked_at)  # refused a day ago: not fetched again yet
    assert kinds(plan([want(picture_url=URL)], actual, linked(picture=refused), Policy(), NOW)) == []
    # No URL in Okta: Zoom's picture is left as it is
    assert kinds(plan([want(picture_url="")], actual, linked(picture=FRESH), Policy(), NOW)) == []


def test_a_mark_of_another_zoom_user_says_nothing_about_this_one() -> None:
    # Ann's link holds z9 (gone); the Zoom user at her address is adopted, and its picture set
    p = plan([want(picture_url=URL)], [have("z2")], {"00u1": Link("00u1", "z9", "ann@acme.com", picture=FRESH)},
             Policy(), NOW)  # fmt: skip
    assert "picture" in kinds(p)


@pytest.mark.parametrize(
    ("desired", "status", "expected"),
    [
        ({"email": "ann.new@acme.com"}, "active", ["email"]),
        ({"state": DesiredState.INACTIVE}, "active", ["deactivate"]),  # suspended in Okta
        (None, "active", ["deactivate"]),  # unassigned
        ({}, "inactive", ["reactivate"]),
    ],
)
def test_link_rewrites_keep_the_picture_mark(
    desired: dict[str, object] | None, status: str, expected: list[str]
) -> None:
    links = linked(picture=FRESH)
    actual = [have(status=status)]
    wanted = [] if desired is None else [want(picture_url=URL, **desired)]
    first = plan(wanted, actual, links, Policy(), NOW)
    assert kinds(first) == expected
    actual2, links2 = apply_plan(first, actual, links, NOW)
    assert links2["00u1"].picture == FRESH
    assert kinds(plan(wanted, actual2, links2, Policy(), NOW)) == []


def test_a_picture_after_a_reactivation_keeps_the_role_to_give_back() -> None:
    # Ann was deactivated as an Admin (remembered); she is back with a new picture and no rule decides her role
    links = linked(deactivated_at=NOW.isoformat(), restore_role=ADMIN_ROLE)
    first = plan([want(picture_url=URL)], [have(status="inactive")], links, Policy(), NOW)
    assert kinds(first) == ["reactivate", "role", "picture"]
    _, links2 = apply_plan(first, [have(status="inactive")], links, NOW)
    assert links2["00u1"].restore_role is None  # given back, and the picture's link write did not bring it back
    assert links2["00u1"].picture is not None


class Pictures:
    def __init__(self, answer: bytes | Exception) -> None:
        self.answer = answer
        self.fetched: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def run_picture(answer: bytes | Exception, mark: PictureMark | None, url: str = URL):  # type: ignore[no-untyped-def]
    links = linked(picture=mark)
    stale = PictureMark(mark.url, mark.sha256, (NOW - PICTURE_RECHECK).isoformat()) if mark else None
    p = plan([want(picture_url=url)], [have()], linked(picture=stale), Policy(), NOW)
    zoom, state = InMemoryZoom([have()]), InMemoryLinks(links)
    results = Applier(zoom, zoom, state, clock=lambda: NOW, pictures=Pictures(answer)).execute(p)  # type: ignore[arg-type]
    return results, zoom, state.links["00u1"].picture


def test_an_image_whose_hash_is_unchanged_is_not_uploaded_again() -> None:
    first, zoom, mark = run_picture(b"\x89PNG one", None)
    assert [r.outcome for r in first] == [Outcome.APPLIED] and zoom.pictures == {"z1": b"\x89PNG one"}
    assert mark is not None and mark.sha256 and mark.checked_at == NOW.isoformat()
    again, zoom, mark2 = run_picture(b"\x89PNG one", mark)
    assert [r.outcome for r in again] == [Outcome.APPLIED] and zoom.pictures == {}
    assert mark2 == PictureMark(URL, mark.sha256, NOW.isoformat())


def test_a_refused_picture_is_marked_and_a_passing_failure_is_not() -> None:
    refused, _, mark = run_picture(PictureRefusedError("too big", api="picture"), None)
    assert refused[0].outcome is Outcome.FAILED and refused[0].error_code == "picture_refused"
    assert mark == PictureMark(URL, "", NOW.isoformat())
    passing, _, mark = run_picture(RetryableError("HTTP 503", api="picture"), None)
    assert passing[0].outcome is Outcome.FAILED and passing[0].retryable
    assert mark is None


class Managers:
    def __init__(self, email: str | None) -> None:
        self.email = email

    def manager_email(self, okta_id: str) -> str | None:
        return self.email


def delete_plan(transfer_to: str):  # type: ignore[no-untyped-def]
    policy = Policy(deprovision="delete", delete_after_days=0, transfer_to=transfer_to)  # type: ignore[arg-type]
    links = linked(deactivated_at=(NOW - timedelta(days=1)).isoformat())
    return plan([], [have(status="inactive")], links, policy, NOW)


def test_the_delete_names_the_transfer_and_the_target_is_checked_in_zoom() -> None:
    p = delete_plan("manager")
    [op] = p.operations
    assert op.op is OpKind.DELETE and op.new_value("transfer_to") == "manager"
    boss = ZoomUser("zb", "Boss@acme.com", "B", "O", 2, "active", "Member", frozenset())
    zoom = InMemoryZoom([have(status="inactive"), boss])
    assert TransferTargets(Managers("boss@acme.com"), zoom).target(op, "manager") == "Boss@acme.com"
    with pytest.raises(TransferTargetError, match="no manager"):
        TransferTargets(Managers(None), zoom).target(op, "manager")
    with pytest.raises(TransferTargetError, match=r"heir@acme\.com is not a Zoom user"):
        TransferTargets(Managers(None), zoom).target(op, "heir@acme.com")
    with pytest.raises(TransferTargetError, match="is the user being deleted"):
        TransferTargets(Managers("ann@acme.com"), zoom).target(op, "manager")
    pending = InMemoryZoom(
        [have(status="inactive"), ZoomUser(None, "p@acme.com", "", "", 1, "pending", None, frozenset())]
    )
    with pytest.raises(TransferTargetError, match="pending"):
        TransferTargets(Managers(None), pending).target(op, "p@acme.com")


def test_a_delete_that_asks_for_a_transfer_never_goes_without_one() -> None:
    zoom = InMemoryZoom([have(status="inactive")])
    results = Applier(zoom, zoom, InMemoryLinks(linked()), clock=lambda: NOW).execute(delete_plan("heir@acme.com"))  # type: ignore[arg-type]
    assert results[0].outcome is Outcome.FAILED and results[0].error_code == "transfer_target"
    assert zoom.get_user("z1") is not None and zoom.transfers == []


def test_rechecks_of_pictures_set_in_one_run_are_spread_over_days() -> None:
    assert all(PICTURE_RECHECK - RECHECK_SPREAD <= recheck_after(f"00u{i}") <= PICTURE_RECHECK for i in range(50))
    checked = (NOW - timedelta(days=5, hours=12)).isoformat()
    due = [picture_due(PictureMark(URL, "ab", checked), URL, NOW, f"00u{i}") for i in range(200)]
    assert 0 < sum(due) < len(due)  # some users are due at 5.5 days, not all
    assert not picture_due(PictureMark(URL, "ab", (NOW - timedelta(days=3)).isoformat()), URL, NOW, "00u1")
