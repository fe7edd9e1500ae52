"""Never wrong under faults: each test injects one fault and checks the final Zoom state after at most three runs.

Every test also checks: never two Zoom users for one email, nothing deprovisioned from a partial read, and
no secret in the result or in anything the function printed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.fixtures import add_person
from tests.support.stack import TABLE, Stack

from .conftest import (
    LEFTOVER,
    USERS,
    answered,
    assert_fired,
    assert_no_secret,
    converged,
    dump,
    record,
    run_until_converged,
)


def finish(
    stack: Stack, fault: str, output: pytest.CaptureFixture[str], runs: int, results: list, lost: str = "nothing"
) -> None:  # type: ignore[type-arg]
    captured = output.readouterr()
    assert "run finished" in captured.out  # the function's own log lines are in what is checked
    assert_no_secret(dump(results), captured.out, captured.err)
    assert runs, f"{fault}: not converged after three runs: {results[-1]}"
    record(fault, runs, results, lost)
    stack.zoom.clear_log()
    again = stack.invoke({"mode": "full"})
    assert sum(again["planned"].values()) == 0 and stack.zoom.write_count() == 0  # and it stays converged


@pytest.mark.slow
def test_429_storm_on_both_apis(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given both APIs rate-limited hard
    org.okta.rate_limit("/api/v1/apps", 1)
    org.zoom.rate_limit("/v2/users", 3)
    # When the handler runs until Zoom matches Okta
    runs, results = run_until_converged(org)
    # Then it converges in the first run, though limited
    assert results[0]["requests"]["zoom"]["rate_limited"] + results[0]["requests"]["okta"]["rate_limited"] > 0
    # Then both limits bit: Zoom answered 429s; Okta's client saw its bucket empty and waited (or got a 429)
    assert answered(org.zoom, 429, "/v2/users") > 0
    okta = results[0]["requests"]["okta"]
    assert answered(org.okta, 429, "/api/v1/apps") + okta["throttled"] + okta["rate_limited"] > 0, okta
    finish(org, "429 storm (Okta apps 1/s, Zoom users 3/s)", output, runs, results)


@pytest.mark.slow
def test_429_without_retry_after_backs_off(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    fault = org.zoom.inject(
        method="POST",
        path_prefix="/v2/users",
        status=429,
        times=4,
        body={"code": 429, "message": "You have reached the maximum per-second rate limit for this API."},
        headers={"X-RateLimit-Category": "Light"},
    )
    runs, results = run_until_converged(org)
    assert_fired(fault)
    assert answered(org.zoom, 429, "/v2/users") >= 4
    finish(org, "Zoom 429 with no Retry-After (backoff with jitter)", output, runs, results)


@pytest.mark.slow
def test_5xx_bursts(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given bursts of 5xx answers on Okta's and Zoom's reads and writes
    faults = [
        org.okta.inject(method="GET", path_prefix="/api/v1/apps", status=500, times=2),
        org.zoom.inject(method="GET", path_prefix="/v2/users", status=503, times=2),
        org.zoom.inject(method="POST", path_prefix="/v2/users", status=502, times=2),
        org.zoom.inject(method="PUT", path_prefix="/v2/users", status=504, times=1),
    ]
    # When the handler runs, Then one run converges (the retries absorb them)
    runs, results = run_until_converged(org)
    assert runs == 1
    assert_fired(*faults)
    finish(org, "5xx bursts (Okta 500, Zoom 502/503/504)", output, runs, results)


@pytest.mark.slow
def test_dropped_connections(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given connections dropped on Okta reads and Zoom creates
    faults = [
        org.okta.inject(method="GET", path_prefix="/api/v1/apps", status=None, drop=True, times=2),
        org.zoom.inject(method="POST", path_prefix="/v2/users", status=None, drop=True, times=2),
    ]
    # When the handler runs, Then it converges
    runs, results = run_until_converged(org)
    assert_fired(*faults)
    assert answered(org.okta, None) == 2 and answered(org.zoom, None) == 2  # dropped without an answer
    finish(org, "dropped connections (Okta reads, Zoom creates)", output, runs, results)


@pytest.mark.slow
def test_ambiguous_creates_adopt_instead_of_duplicating(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Zoom creates the user, then the answer is lost (500, or the connection drops): the retry gets 409 1005.
    # Given Zoom creates applied but their answers lost
    faults = [
        org.zoom.inject(method="POST", path_prefix="/v2/users", status=500, after_apply=True, times=2),
        org.zoom.inject(method="POST", path_prefix="/v2/users", status=None, drop=True, after_apply=True, times=1),
    ]
    # When the handler runs
    runs, results = run_until_converged(org)
    # Then the retries meet 409 and adopt: each user once, linked to its Zoom user
    assert_fired(*faults)
    assert answered(org.zoom, 409, "/v2/users") >= 1  # a retried create met the user its lost answer made
    links = org.links()
    for email in USERS:
        okta_id = org.okta.user_id(email)
        assert links[okta_id]["zoom_id"] == org.zoom_user(email)["id"]
    finish(org, "ambiguous writes (create applied, answer lost)", output, runs, results)


def test_ambiguous_deactivation_counts_as_done(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    fault = org.zoom.inject(method="PUT", path_prefix="/v2/users", status=502, after_apply=True, times=1)
    runs, results = run_until_converged(org)
    assert_fired(fault)
    finish(org, "ambiguous deactivation (applied, answer lost)", output, runs, results)


def test_already_gone_users_and_members_count_as_done(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given a synced group member
    org.set_policy(
        "managed_domains: [acme.example]\nmax_deprovisions: {count: 10, percent: 100}\n"
        "group_rules: [{group: Team, zoom_group: Team}]\n"
    )
    org.zoom.add_group("Team")
    team = org.okta.add_group("Team")
    member = add_person(org, "member@acme.example", assign=True)
    org.okta.add_member(team, member)
    org.invoke({"mode": "full"})
    # Someone removes the member from the group and deletes the leftover by hand between read and write:
    # When they leave the group but Zoom says they are no longer a member (4131)
    org.okta.remove_member(team, member)
    gone_member = org.zoom.inject(
        method="DELETE",
        path_prefix="/v2/groups",
        status=404,
        times=1,
        body={"code": 4131, "message": "Member does not exist in the group."},
    )
    result = org.invoke({"mode": "full"})
    # Then the removal counts as done
    assert result["status"] == "succeeded" and result["applied"]["group_remove"] == 1
    assert_fired(gone_member)
    # When they are unassigned but Zoom says the user is gone (1001)
    gone_user = org.zoom.inject(
        method="PUT",
        path_prefix="/v2/users",
        status=404,
        times=1,
        body={"code": 1001, "message": "User does not exist."},
    )
    org.okta.unassign_user(member)
    result = org.invoke({"mode": "full"})
    # Then the deactivation counts as done
    assert result["status"] == "succeeded" and result["applied"]["deactivate"] == 1
    assert_fired(gone_user)
    output.readouterr()
    record("member already gone (4131) / user already gone (1001)", 1, [result])


@pytest.mark.slow
def test_failure_mid_okta_pagination_never_deprovisions(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given a synced org, Okta's assignment list failing from page 2 on, and one real leaver
    org.invoke({"mode": "full"})
    assert converged(org)
    org.okta.max_page_size = 3
    # Page 2 of the assignment list fails for good; users on pages 2-3 look unassigned but are not.
    page_2 = org.okta.inject(method="GET", path_prefix="/api/v1/apps/", status=500, skip=1, times=None)
    org.okta.unassign_user(org.okta.user_id(USERS[0]))  # a real leaver, which must wait for a whole picture
    # When a full run goes
    result = org.invoke({"mode": "full"})
    # Then it is partial and deprovisions no one
    assert_fired(page_2)
    assert result["status"] == "partial"
    assert sum(result["applied"].values()) == 0 and result["planned"]["deactivate"] == 0
    assert any("no deprovision this run" in n for n in result["notes"])
    assert all(org.zoom_user(e)["status"] == "active" for e in USERS)
    # When Okta recovers, Then the next run deactivates the real leaver only
    org.okta.clear_faults()
    recovered = org.invoke({"mode": "full"})
    assert recovered["status"] == "succeeded" and recovered["applied"]["deactivate"] == 1
    assert org.zoom_user(USERS[0])["status"] == "inactive"  # the real leaver, once the picture is whole
    assert all(org.zoom_user(e)["status"] == "active" for e in USERS[1:])
    output.readouterr()
    record(
        "Okta list fails on page 2 (for good), then recovers",
        2,
        [result, recovered],
        "nothing (0 deprovisions from the partial read)",
    )


@pytest.mark.slow
def test_failure_mid_zoom_pagination_never_deprovisions_nor_duplicates(
    org: Stack, output: pytest.CaptureFixture[str]
) -> None:
    # Given a synced org, Zoom's user list failing from page 2 on, and a leftover added by hand
    org.invoke({"mode": "full"})
    org.zoom.page_size_max = 2
    page_2 = org.zoom.inject(method="GET", path_prefix="/v2/users", status=500, skip=1, times=None)
    org.zoom.add_user("manual.leftover@acme.example")
    # When a full run goes
    result = org.invoke({"mode": "full"})
    # Then it is partial and deactivates no one
    assert_fired(page_2)
    assert result["status"] == "partial"
    assert result["applied"]["deactivate"] == 0
    assert org.zoom_user("manual.leftover@acme.example")["status"] == "active"
    # When Zoom recovers, Then the runs converge and the leftover is deactivated
    org.zoom.clear_faults()
    runs, results = run_until_converged(org)
    assert org.zoom_user("manual.leftover@acme.example")["status"] == "inactive"
    output.readouterr()
    record(
        "Zoom user list fails on page 2 (for good), then recovers",
        1 + runs if runs else 0,
        [result, *results],
        "nothing (0 deprovisions, 0 duplicates)",
    )


def test_empty_okta_assignment_list_is_held_by_the_guardrail(stack: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given 30 synced users
    users = [add_person(stack, f"e{i}@acme.example") for i in range(30)]
    stack.invoke({"mode": "full"})
    # When Okta suddenly lists no assignment
    for uid in users:
        stack.okta.unassign_user(uid)  # e.g. the app's group assignment removed by mistake
    result = stack.invoke({"mode": "full"})
    # Then the run is blocked: the 30 deactivations are held
    assert result["status"] == "blocked" and result["held"]["deactivate"] == 30
    assert all(stack.zoom_user(f"e{i}@acme.example")["status"] == "active" for i in range(30))
    output.readouterr()
    record("Okta answers an empty assignment list", 1, [result], "nothing (30 deactivations held)")


def test_token_revocation_re_mints_once(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given a synced org whose Zoom tokens are revoked between runs (each run mints its own, so that alone never
    # reaches the function) and again during the next run: its first user listing meets 401 code 124
    org.invoke({"mode": "full"})
    org.zoom.revoke_tokens()
    revoked = org.zoom.inject(method="GET", path_prefix="/v2/users", status=401, times=1)
    org.okta.update_profile(org.okta.user_id(USERS[1]), lastName="Renamed")
    org.zoom.clear_log()
    # When the next run goes ahead
    result = org.invoke({"mode": "full"})
    # Then it mints a new token once, and finishes
    assert result["status"] == "succeeded" and result["applied"]["update"] == 1
    assert_fired(revoked)
    assert answered(org.zoom, 200, org.zoom.token_path) == 2  # the run's token, and the one after the 401
    output.readouterr()
    record("Zoom token revoked (between runs, and mid-run: re-minted once)", 1, [result])


def test_a_dead_zoom_credential_is_a_clear_failure_naming_zoom(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given Zoom no longer accepts the client secret
    org.zoom.client_secret = "rotated-on-the-zoom-side"
    # When a run goes
    result = org.invoke({"mode": "full"})
    # Then it fails naming Zoom, writes nothing and prints no secret
    assert answered(org.zoom, 400, org.zoom.token_path) + answered(org.zoom, 401, org.zoom.token_path) > 0
    assert answered(org.zoom, 200, org.zoom.token_path) == 0  # the dead credential was refused
    assert result["status"] == "failed"
    assert "Zoom" in result["errors"][0]["message"]
    assert org.zoom.write_count() == 0
    captured = output.readouterr()
    assert_no_secret(dump([result]), captured.out, captured.err)
    record("Zoom credential stops working", None, [result], "nothing (run failed, named Zoom, 0 writes)")


def test_a_dead_okta_token_is_a_clear_failure_naming_okta(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given Okta no longer accepts the API token
    org.okta.api_token = "revoked"
    # When a run goes
    result = org.invoke({"mode": "full"})
    # Then it fails naming Okta, asks Zoom nothing and prints no secret
    assert answered(org.okta, 401) > 0 and answered(org.okta, 200) == 0  # the revoked token was refused
    assert result["status"] == "failed" and "Okta" in result["errors"][0]["message"]
    assert org.zoom.request_count() == 0
    captured = output.readouterr()
    assert_no_secret(dump([result]), captured.out, captured.err)
    record("Okta API token revoked", None, [result], "nothing (run failed, named Okta, no Zoom call)")


def test_a_rotated_secret_is_picked_up_without_a_redeploy(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given a warm function that cached the secret, then the Zoom client secret rotated
    org.invoke({"mode": "full"})  # the secret is now cached in the warm function
    org.zoom.client_secret = "new-zoom-secret-value"
    org.secrets.put_secret_value(
        SecretId="okta-zoom-sync/credentials",
        SecretString=dump_secret(org, zoom_client_secret="new-zoom-secret-value"),
    )
    org.okta.update_profile(org.okta.user_id(USERS[2]), firstName="Rotated")
    org.zoom.clear_log()
    # When the next run goes
    result = org.invoke({"mode": "full"})
    # Then it reads the secret afresh and succeeds, without printing the new one
    assert result["status"] == "succeeded" and result["applied"]["update"] == 1
    # The cached (old) secret was refused once, then the secret read afresh minted a token
    assert [r.status for r in org.zoom.requests if r.path == org.zoom.token_path] == [400, 200]
    captured = output.readouterr()
    assert "new-zoom-secret-value" not in dump([result]) + captured.out + captured.err
    record("secret rotated (new Zoom client secret)", 1, [result])


def dump_secret(stack: Stack, **changes: str) -> str:
    import json

    from tests.support.stack import valid_secret

    return json.dumps({**valid_secret(), **changes})


@pytest.mark.slow
def test_slow_responses(org: Stack, output: pytest.CaptureFixture[str]) -> None:
    faults = [
        org.okta.inject(method=None, status=None, delay=0.3, times=3),
        org.zoom.inject(method=None, status=None, delay=0.2, times=10),
    ]
    runs, results = run_until_converged(org)
    assert runs == 1
    assert_fired(*faults, every_time=False)  # a converging run may make fewer requests than the faults cover
    finish(org, "slow responses (0.2-0.3 s each)", output, runs, results)


@pytest.mark.slow
def test_slow_zoom_and_a_short_deadline_carry_work_over(
    org: Stack, output: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given slow Zoom creates, applied one user at a time: eight users in parallel fit in the budget (the deadline with
    # users in parallel: tests/integration/test_concurrent_applier.py)
    monkeypatch.setenv("APPLY_WORKERS", "1")
    slow = org.zoom.inject(method="POST", path_prefix="/v2/users", status=None, delay=1.0, times=None)
    # When a run with a 5 s budget goes, Then it carries work over
    first = org.invoke({"mode": "full"}, budget_s=5.0)
    assert_fired(slow)
    assert first["status"] == "partial" and sum(first["deferred"].values()) > 0
    # When Zoom is fast again, Then incremental runs finish the work
    org.zoom.clear_faults()
    runs, results = run_until_converged(org, {"mode": "incremental"})
    finish(org, "slow Zoom writes cut a 5 s run short", output, 1 + runs if runs else 0, [first, *results])


def test_permanent_failure_is_quarantined_and_retried_with_growing_delay(
    stack: Stack, output: pytest.CaptureFixture[str]
) -> None:
    # Given one licensed seat and two users to create as licensed, with no fallback to Basic
    stack.set_policy("default_license: licensed\nlicense_fallback: none\n")
    stack.zoom.licensed_seats = 1
    add_person(stack, "fits@acme.example")
    uid = add_person(stack, "nospace@acme.example")

    # When a full run goes, Then the second create fails for good (2034) and is recorded
    first = stack.invoke({"mode": "full"})
    assert first["status"] == "partial" and first["failed"]["create"] == 1
    record_item = failure(stack, uid)
    assert record_item["code"] == "2034" and record_item["attempts"] == "1"

    # When the next run comes before the delay, Then the user is not retried
    stack.zoom.clear_log()
    second = stack.invoke({"mode": "full"})
    assert stack.zoom.request_count(method="POST", path_prefix="/v2/users") == 0  # not retried on every run
    assert [q["code"] for q in second["quarantined"]] == ["2034"]
    assert second["status"] == "succeeded"

    # When the delay has passed, Then it is retried, fails again, and the delay grows
    make_due(stack, uid)
    third = stack.invoke({"mode": "full"})
    assert third["failed"]["create"] == 1
    delay_1 = datetime.fromisoformat(record_item["next_attempt_at"]) - datetime.fromisoformat(
        record_item["first_failed_at"]
    )
    again = failure(stack, uid)
    assert again["attempts"] == "2"
    assert datetime.fromisoformat(again["next_attempt_at"]) - datetime.now(UTC) > delay_1  # the delay grows

    # When a seat is bought and the delay passed, Then the user is created
    stack.zoom.licensed_seats = 2  # seats bought
    make_due(stack, uid)
    fourth = stack.invoke({"mode": "full"})
    assert fourth["applied"]["create"] == 1 and failure(stack, uid) is None
    output.readouterr()
    record(
        "license limit (permanent, license_fallback none): quarantined, retried later",
        4,
        [first, second, third, fourth],
        "nothing (user created once seats were there)",
    )


def failure(stack: Stack, key: str) -> dict[str, str] | None:
    item = stack.dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "FAILURE"}, "sk": {"S": key}}).get("Item")
    return {k: next(iter(v.values())) for k, v in item.items()} if item else None


def make_due(stack: Stack, key: str) -> None:
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    stack.dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "FAILURE"}, "sk": {"S": key}},
        UpdateExpression="SET next_attempt_at = :t",
        ExpressionAttributeValues={":t": {"S": past}},
    )


def test_a_users_run_ignores_quarantine(stack: Stack, output: pytest.CaptureFixture[str]) -> None:
    # Given a user quarantined for lack of seats (no fallback to Basic)
    stack.set_policy("default_license: licensed\nlicense_fallback: none\n")
    stack.zoom.licensed_seats = 0
    uid = add_person(stack, "q@acme.example")
    stack.invoke({"mode": "full"})
    assert failure(stack, uid) is not None
    # When a seat is bought and a users run names them, Then they are created at once
    stack.zoom.licensed_seats = 1
    result = stack.invoke({"mode": "users", "users": ["q@acme.example"]})
    assert result["applied"]["create"] == 1 and failure(stack, uid) is None
    output.readouterr()


_ = LEFTOVER
