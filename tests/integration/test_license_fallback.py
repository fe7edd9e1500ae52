"""License fallback (policy `license_fallback`): what a license Zoom has no seat for becomes.

`basic` (the default): the user is created (or kept) on Basic, the run says so in its notes and the
`LicenseShortage` metric, and a later run upgrades it once a seat is free, sending at most one refused request per
license and run. `none`: the create fails and the user is quarantined, as before. The Basic cap (2033) has no
fallback. The simulator refuses seats as the fact sheet says (2034 / 2033, or 3412 with `seat_error_with_count`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import TABLE, Stack, add_person

LICENSED, BASIC = 2, 1


def zoom_type(stack: Stack, email: str) -> int:
    user = stack.zoom_user(email)
    assert user is not None, email
    return int(user["type"])


def refused(stack: Stack, method: str) -> int:
    """Zoom requests of `method` on users answered 400 (a seat refusal in these scenarios)."""
    return sum(
        1 for r in stack.zoom.requests if r.method == method and r.path.startswith("/v2/users") and r.status == 400
    )


def failure_items(stack: Stack) -> list[dict[str, Any]]:
    items = stack.dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "FAILURE"}},
    )["Items"]
    return list(items)


def emitted(text: str, name: str) -> list[float]:
    """The values of metric `name` in the EMF lines of `text`."""
    values = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            record = json.loads(line)
            if name in record:  # Powertools writes each value as a list
                values.extend(float(v) for v in record[name])
    return values


@pytest.mark.parametrize("seat_error_with_count", [False, True], ids=["code 2034", "code 3412"])
def test_no_licensed_seat_creates_on_basic_and_a_later_run_upgrades(
    stack: Stack, capsys: pytest.CaptureFixture[str], seat_error_with_count: bool
) -> None:
    # Given a licensed default, one licensed seat and three people to create
    stack.set_policy("default_license: licensed\n")
    stack.zoom.licensed_seats = 1
    stack.zoom.seat_error_with_count = seat_error_with_count
    emails = ["a@acme.example", "b@acme.example", "c@acme.example"]
    for email in emails:
        add_person(stack, email)
    capsys.readouterr()

    # When a full run goes
    first = stack.invoke({"mode": "full"})

    # Then everyone is created: one on the seat, the others on Basic; the run succeeded and says who
    assert first["status"] == "succeeded", first["errors"]
    assert first["applied"]["create"] == 3 and first["failed"]["create"] == 0
    on_basic = sorted(e for e in emails if zoom_type(stack, e) == BASIC)
    assert len(on_basic) == 2 and stack.zoom.licensed_seats_used == 1
    shortage_notes = [n for n in first["notes"] if "created on Basic" in n]
    assert sorted(n.split(":")[0] for n in shortage_notes) == on_basic
    # only one request was refused: once Zoom said no seat, the last create went straight to Basic
    assert refused(stack, "POST") == 1
    assert emitted(capsys.readouterr().out, "LicenseShortage") == [2]
    assert failure_items(stack) == []  # nobody is quarantined

    # When the next run comes and seats are still short
    stack.zoom.clear_log()
    second = stack.invoke({"mode": "full"})

    # Then both upgrades are planned, one request is refused, the other is not sent; the users stay on Basic
    assert second["status"] == "succeeded", second["errors"]
    assert second["planned"]["license"] == 2 and second["applied"]["license"] == 0
    assert second["failed"]["license"] == 0 and second["errors"] == []
    assert refused(stack, "PATCH") == 1 and stack.zoom.request_count(method="PATCH") == 1
    assert sorted(n.split(":")[0] for n in second["notes"] if "kept on Basic" in n) == on_basic
    assert emitted(capsys.readouterr().out, "LicenseShortage") == [2]

    # When seats are bought and a run goes
    stack.zoom.licensed_seats = 3
    third = stack.invoke({"mode": "full"})

    # Then both are upgraded, and the shortage is over
    assert third["status"] == "succeeded" and third["applied"]["license"] == 2
    assert [zoom_type(stack, e) for e in emails] == [LICENSED, LICENSED, LICENSED]
    assert not [n for n in third["notes"] if "Basic" in n]
    assert emitted(capsys.readouterr().out, "LicenseShortage") == [0]
    assert stack.invoke({"mode": "full"})["planned"]["license"] == 0


def test_an_upgrade_sends_the_type_alone(stack: Stack) -> None:
    # Given a Basic user whom the policy makes Licensed
    add_person(stack, "up@acme.example")
    stack.invoke({"mode": "full"})
    stack.set_policy("default_license: licensed\n")
    stack.zoom.clear_log()

    # When a run upgrades it
    result = stack.invoke({"mode": "full"})

    # Then the PATCH carries `type` and nothing else (Zoom refuses it with plan_united_type / zoom_one_type)
    assert result["applied"]["license"] == 1
    patches = [r.body for r in stack.zoom.requests if r.method == "PATCH"]
    assert patches == [{"type": LICENSED}]
    # and the create sent no add-on plan either
    stack.zoom.clear_log()
    add_person(stack, "new@acme.example")
    stack.invoke({"mode": "full"})
    posts = [r.body for r in stack.zoom.requests if r.method == "POST" and r.path == "/v2/users"]
    assert len(posts) == 1 and set(posts[0]["user_info"]) == {"email", "type", "first_name", "last_name"}


def test_a_seat_given_back_is_taken_by_the_next_run(stack: Stack) -> None:
    # Given one licensed seat, held by someone leaving, and a newcomer refused a seat on the first run
    stack.set_policy("default_license: licensed\n")
    stack.zoom.licensed_seats = 1
    leaver = add_person(stack, "leaver@acme.example")
    stack.invoke({"mode": "full"})
    add_person(stack, "newcomer@acme.example")
    first = stack.invoke({"mode": "full"})
    assert zoom_type(stack, "newcomer@acme.example") == BASIC and first["status"] == "succeeded"

    # When the leaver is unassigned (deactivated: the seat is given back) and the next run goes
    stack.okta.unassign_user(leaver)
    second = stack.invoke({"mode": "full"})

    # Then the seat is given back, and the newcomer gets it: in this run when the deactivation went first (users are
    # applied concurrently, and a seat freed in a run is known to the rest of it), else in the next run
    assert second["applied"]["deactivate"] == 1 and second["planned"]["license"] == 1
    third = stack.invoke({"mode": "full"})
    assert zoom_type(stack, "newcomer@acme.example") == LICENSED
    assert second["applied"].get("license", 0) + third["applied"].get("license", 0) == 1, (second, third)


def test_fallback_none_quarantines_the_user_and_creates_nothing(stack: Stack) -> None:
    # Given license_fallback none and no licensed seat
    stack.set_policy("default_license: licensed\nlicense_fallback: none\n")
    stack.zoom.licensed_seats = 0
    uid = add_person(stack, "waits@acme.example")

    # When a full run goes
    result = stack.invoke({"mode": "full"})

    # Then the create fails (partial), nothing is created on Basic, and the user is quarantined
    assert result["status"] == "partial" and result["failed"]["create"] == 1
    assert [e["code"] for e in result["errors"]] == ["2034"]
    assert stack.zoom_user("waits@acme.example") is None
    assert [i["sk"]["S"] for i in failure_items(stack)] == [uid]
    assert not [n for n in result["notes"] if "Basic" in n]


def test_no_basic_seat_either_is_an_error(stack: Stack) -> None:
    # Given no licensed seat and no Basic seat
    stack.set_policy("default_license: licensed\n")
    stack.zoom.licensed_seats = 0
    stack.zoom.basic_seats = 0
    add_person(stack, "nowhere@acme.example")

    # When a full run goes
    result = stack.invoke({"mode": "full"})

    # Then the Basic create is refused too (2033): a failure, nothing created
    assert result["status"] == "partial" and result["failed"]["create"] == 1
    assert [e["code"] for e in result["errors"]] == ["2033"]
    assert stack.zoom_user("nowhere@acme.example") is None


def test_a_basic_user_refused_for_the_basic_cap_does_not_fall_back(stack: Stack) -> None:
    # Given a Basic default and no Basic seat (3412: the count-bearing refusal, for Basic)
    stack.zoom.basic_seats = 0
    stack.zoom.seat_error_with_count = True
    add_person(stack, "basic@acme.example")

    # When a full run goes
    result = stack.invoke({"mode": "full"})

    # Then the create fails: Basic has nothing lower to fall back to
    assert result["status"] == "partial" and [e["code"] for e in result["errors"]] == ["3412"]
    assert stack.zoom_user("basic@acme.example") is None
