"""Profile pictures (policy `picture_attribute`): the Okta attribute's https URL is fetched (from a loopback image
server; tests/support/pictures.py) and uploaded to Zoom when the URL changes, or when a periodic re-check finds
new bytes; a refused picture is an error of that user only and is not fetched again until its URL changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from okta_zoom_sync import wiring

from tests.support.pictures import PictureServer, jpeg, picture_server, png
from tests.support.stack import TABLE

from .conftest import Stack, add_person

POLICY = "picture_attribute: pictureUrl\n"


@pytest.fixture
def pictures(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[PictureServer]:
    """The image server, and the function's fetcher pointed at it (the one place loopback is let through)."""
    with picture_server() as server:
        monkeypatch.setattr(wiring, "build_picture_fetcher", server.fetcher)
        stack.set_policy(POLICY)
        yield server


def person_with_picture(stack: Stack, email: str, url: str) -> str:
    okta_id = add_person(stack, email, "Pat", "Ic")
    stack.okta.update_profile(okta_id, pictureUrl=url)
    return okta_id


def picture_errors(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["email"]: e for e in result["errors"] if e["op"] == "picture"}


def age_picture_check(stack: Stack, okta_id: str, days: int) -> None:
    """Make the link's picture check `days` old (the re-check comes after 4 to 7 days, by user)."""
    checked = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    stack.dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "LINK"}, "sk": {"S": okta_id}},
        UpdateExpression="SET picture_checked_at = :t",
        ExpressionAttributeValues={":t": {"S": checked}},
    )


def test_a_picture_is_set_then_not_fetched_again_while_its_url_stays(stack: Stack, pictures: PictureServer) -> None:
    # Given an Okta user whose pictureUrl names a png
    url = pictures.serve("/pat.png", png(300))
    pat = person_with_picture(stack, "pat@acme.example", url)

    # When the first run creates the user
    first = stack.invoke({"mode": "full"})

    # Then the picture is uploaded, and the link remembers the URL and the image's hash
    assert first["status"] == "succeeded", first
    assert first["applied"]["create"] == 1 and first["applied"]["picture"] == 1
    assert stack.zoom.picture("pat@acme.example") == png(300)
    link = stack.links()[pat]
    assert link["picture_url"] == url and len(link["picture_sha256"]) == 64

    # And later runs neither fetch nor upload while the URL stays
    stack.zoom.clear_log()
    second = stack.invoke({"mode": "full"})
    assert second["planned"]["picture"] == 0 and stack.zoom.write_count() == 0
    assert pictures.hits == {"/pat.png": 1}

    # And the link keeps its picture through a deactivation and reactivation (no new upload after)
    stack.okta.set_status(pat, "SUSPENDED")
    assert stack.invoke({"mode": "full"})["applied"]["deactivate"] == 1
    assert stack.links()[pat]["picture_url"] == url
    stack.okta.set_status(pat, "ACTIVE")
    back = stack.invoke({"mode": "full"})
    assert back["applied"]["reactivate"] == 1 and back["planned"]["picture"] == 0, back
    assert pictures.hits == {"/pat.png": 1}


def test_a_new_url_uploads_the_new_picture(stack: Stack, pictures: PictureServer) -> None:
    pat = person_with_picture(stack, "pat@acme.example", pictures.serve("/v1.png", png(300)))
    stack.invoke({"mode": "full"})

    # When the Okta attribute names another image
    new_url = pictures.serve("/v2.jpg", jpeg(400))
    stack.okta.update_profile(pat, pictureUrl=new_url)
    result = stack.invoke({"mode": "full"})

    # Then it is fetched and uploaded
    assert result["applied"]["picture"] == 1, result
    assert stack.zoom.picture("pat@acme.example") == jpeg(400)
    assert stack.links()[pat]["picture_url"] == new_url


def test_the_periodic_recheck_uploads_new_bytes_behind_the_same_url_only(stack: Stack, pictures: PictureServer) -> None:
    url = pictures.serve("/pat.png", png(300))
    pat = person_with_picture(stack, "pat@acme.example", url)
    stack.invoke({"mode": "full"})

    # When the check is a few days old, the same URL is not fetched even if its image changed
    pictures.serve("/pat.png", png(320, fill=b"\x07"))
    age_picture_check(stack, pat, days=3)
    assert stack.invoke({"mode": "full"})["planned"]["picture"] == 0
    assert pictures.hits["/pat.png"] == 1

    # When it is over a week old, the image is fetched again and, its bytes being new, uploaded
    age_picture_check(stack, pat, days=8)
    stack.zoom.clear_log()
    result = stack.invoke({"mode": "full"})
    assert result["applied"]["picture"] == 1 and pictures.hits["/pat.png"] == 2
    assert stack.zoom.picture("pat@acme.example") == png(320, fill=b"\x07")
    assert stack.zoom.request_count("POST", "/v2/users/") == 1

    # And a re-check that finds the same bytes fetches but uploads nothing
    age_picture_check(stack, pat, days=8)
    stack.zoom.clear_log()
    again = stack.invoke({"mode": "full"})
    assert again["applied"]["picture"] == 1 and pictures.hits["/pat.png"] == 3
    assert stack.zoom.write_count() == 0
    assert stack.links()[pat]["picture_checked_at"] > (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def test_refused_pictures_are_errors_of_their_user_only_and_not_fetched_again(
    stack: Stack, pictures: PictureServer
) -> None:
    # Given users whose pictures are too big, not an image, over http, at a private address; and one fine one
    refused = {
        "big@acme.example": pictures.serve("/big.png", png(2 * 1024 * 1024 + 1)),
        "html@acme.example": pictures.serve("/page.png", b"<html>not a picture</html>"),
        "http@acme.example": f"http://pictures.example:{pictures.port}/ok.png",
        "meta@acme.example": "https://169.254.169.254/latest/meta-data/picture.png",
        "lan@acme.example": "https://10.20.30.40/picture.png",
    }
    okta_ids = {email: person_with_picture(stack, email, url) for email, url in refused.items()}
    person_with_picture(stack, "ok@acme.example", pictures.serve("/ok.png", png(200)))

    # When the run creates them
    result = stack.invoke({"mode": "full"})

    # Then every user is created; each refused picture is an error of its user naming why; the good one is set
    assert result["applied"]["create"] == 6, result
    errors = picture_errors(result)
    assert set(errors) == set(refused)
    assert all(e["code"] == "picture_refused" for e in errors.values())
    assert "larger than" in errors["big@acme.example"]["message"]
    assert "not a jpg or png" in errors["html@acme.example"]["message"]
    assert "not an https URL" in errors["http@acme.example"]["message"]
    assert "link-local" in errors["meta@acme.example"]["message"]
    assert "private" in errors["lan@acme.example"]["message"]
    assert stack.zoom.picture("ok@acme.example") == png(200)
    assert all(stack.zoom.picture(email) is None for email in refused)

    # And the next run holds nobody back, fetches nothing again and repeats no error
    hits = dict(pictures.hits)
    again = stack.invoke({"mode": "full"})
    assert again["status"] == "succeeded", again
    assert not again["quarantined"] and not picture_errors(again)
    assert pictures.hits == hits

    # And once the URL is fixed, the picture is set
    fixed = pictures.serve("/small.png", png(1000))
    stack.okta.update_profile(okta_ids["big@acme.example"], pictureUrl=fixed)
    assert stack.invoke({"mode": "full"})["applied"]["picture"] == 1
    assert stack.zoom.picture("big@acme.example") == png(1000)


def test_a_picture_failure_stops_no_other_change_of_the_user(stack: Stack, pictures: PictureServer) -> None:
    # Given a synced user whose picture is refused
    pat = person_with_picture(stack, "pat@acme.example", "https://10.0.0.1/p.png")
    stack.invoke({"mode": "full"})

    # When the user is renamed and the picture URL changes to another refused one in the same run
    stack.okta.update_profile(pat, firstName="Patricia", pictureUrl="https://192.168.0.9/p.png")
    result = stack.invoke({"mode": "full"})

    # Then the rename is applied and the picture is one error
    assert result["applied"]["update"] == 1, result
    assert result["failed"]["picture"] == 1 and set(picture_errors(result)) == {"pat@acme.example"}
    assert stack.zoom_user("pat@acme.example")["first_name"] == "Patricia"


def test_a_passing_failure_is_tried_again_and_never_quarantines(stack: Stack, pictures: PictureServer) -> None:
    # Given the image host answers 503
    pat = person_with_picture(stack, "pat@acme.example", pictures.serve("/pat.png", b"", status=503))

    # When runs go while it is down, each reports the picture and nothing holds the user back
    for _ in range(4):
        result = stack.invoke({"mode": "full"})
        assert set(picture_errors(result)) == {"pat@acme.example"}, result
        assert not result["quarantined"]
    assert "picture_url" not in stack.links()[pat]  # nothing remembered: the next run fetches again
    assert not [i for i in stack.table_items() if i["pk"]["S"] in ("PENDING", "FAILURE")]

    # When the host is back, the next run sets the picture
    pictures.serve("/pat.png", png(100))
    assert stack.invoke({"mode": "full"})["applied"]["picture"] == 1
    assert stack.zoom.picture("pat@acme.example") == png(100)
