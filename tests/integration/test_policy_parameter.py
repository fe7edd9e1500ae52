"""The policy in SSM Parameter Store (SYNC_POLICY_PARAMETER), as the deployed stack has it: a change made with
put-parameter applies to the runs after the function's cached copy expires, with no redeploy; a bad or missing
parameter fails the run naming it.

The parameter is created as template.yaml creates it (tests/support/template.py), in moto. Expiry is not waited
for: `stack.expire_policy_cache()` drops Powertools' cache, which is what SYNC_POLICY_MAX_AGE seconds do in a warm
function; one test sets SYNC_POLICY_MAX_AGE=0 instead, where every run reads the parameter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fixtures import add_person
from tests.support.stack import POLICY_PARAMETER, Stack, integration_stack
from tests.support.template import load_template, policy_parameter_resource


@pytest.fixture
def stack() -> Iterator[Stack]:
    with integration_stack(policy_in_parameter=True) as built:
        yield built


def zoom_type(stack: Stack, email: str) -> int:
    user = stack.zoom_user(email)
    assert user is not None, email
    return int(user["type"])


def test_the_stack_starts_from_the_templates_value_the_packaged_defaults(stack: Stack) -> None:
    value = stack.ssm.get_parameter(Name=POLICY_PARAMETER)["Parameter"]["Value"]
    assert value == policy_parameter_resource(load_template())["Properties"]["Value"]
    add_person(stack, "ann@acme.example", "Ann", "Lee")
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded", result
    assert zoom_type(stack, "ann@acme.example") == 1  # default_license: basic


def test_a_policy_change_applies_once_the_cached_copy_expires_with_no_redeploy(stack: Stack) -> None:
    # Given a user synced under the first policy
    stack.set_policy("default_license: basic\n")
    stack.expire_policy_cache()
    add_person(stack, "ann@acme.example", "Ann", "Lee")
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    assert zoom_type(stack, "ann@acme.example") == 1
    # When the operator puts a new policy
    stack.set_policy("default_license: licensed\n")
    # Then a run within the cache's lifetime still uses the copy it has (one SSM read per 5 minutes, not per run)
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    assert zoom_type(stack, "ann@acme.example") == 1
    # And the first run after it expires applies the new policy: same function, same code, no deployment
    stack.expire_policy_cache()
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded", result
    assert result["applied"].get("update", 0) + result["applied"].get("license", 0) >= 1, result["applied"]
    assert zoom_type(stack, "ann@acme.example") == 2


def test_a_dry_run_right_after_a_change_shows_the_new_policy(stack: Stack) -> None:
    add_person(stack, "ann@acme.example", "Ann", "Lee")
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    stack.set_policy("default_license: licensed\n")
    # No expiry: a dry run (what an operator runs to try a policy) reads the parameter afresh
    dry = stack.invoke({"mode": "full", "dry_run": True})
    assert dry["status"] == "succeeded" and sum(dry["planned"].values()) >= 1, dry
    assert zoom_type(stack, "ann@acme.example") == 1
    # and the runs after it use what it read
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    assert zoom_type(stack, "ann@acme.example") == 2


def test_with_max_age_zero_every_run_reads_the_parameter(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNC_POLICY_MAX_AGE", "0")
    add_person(stack, "ann@acme.example", "Ann", "Lee")
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    assert zoom_type(stack, "ann@acme.example") == 1
    stack.set_policy("default_license: licensed\n")
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"
    assert zoom_type(stack, "ann@acme.example") == 2


def assert_nothing_touched(stack: Stack) -> None:
    assert stack.okta.request_count() == 0
    assert stack.zoom.request_count() == 0
    assert stack.table_items() == []


def test_a_bad_policy_in_the_parameter_fails_the_run_naming_the_key_and_the_parameter(stack: Stack) -> None:
    add_person(stack, "ann@acme.example")
    stack.set_policy("default_license: licensed\nattributes: {department: '{department}'}\n")
    stack.expire_policy_cache()
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    message = result["errors"][0]["message"]
    assert "attributes" in message and "'department' is not a Zoom profile field" in message, message
    assert POLICY_PARAMETER in message and "SYNC_POLICY_PARAMETER" in message, message
    assert_nothing_touched(stack)


def test_broken_yaml_in_the_parameter_names_the_line(stack: Stack) -> None:
    stack.set_policy("default_license: basic\nlicense_rules: [unclosed\n")
    stack.expire_policy_cache()
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    message = result["errors"][0]["message"]
    assert "not valid YAML at line" in message and POLICY_PARAMETER in message, message
    assert_nothing_touched(stack)


def test_a_missing_parameter_fails_the_run_naming_it(stack: Stack) -> None:
    stack.ssm.delete_parameter(Name=POLICY_PARAMETER)
    stack.expire_policy_cache()
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    message = result["errors"][0]["message"]
    assert f"cannot read the policy parameter {POLICY_PARAMETER} (SYNC_POLICY_PARAMETER)" in message, message
    assert "ParameterNotFound" in message, message
    assert_nothing_touched(stack)


def test_the_parameter_wins_over_a_policy_file(stack: Stack) -> None:
    # A broken file is never read while SYNC_POLICY_PARAMETER is set.
    stack.policy_path.write_text("default_license: gold\n")
    add_person(stack, "ann@acme.example")
    assert stack.invoke({"mode": "full"})["status"] == "succeeded"


def test_check_mode_says_whether_the_parameter_is_readable(stack: Stack) -> None:
    checks = {c["name"]: c for c in stack.invoke({"mode": "check"})["checks"]}
    assert checks["policy"]["ok"] and POLICY_PARAMETER in checks["policy"]["detail"], checks["policy"]
    stack.ssm.delete_parameter(Name=POLICY_PARAMETER)
    stack.expire_policy_cache()
    result = stack.invoke({"mode": "check"})
    checks = {c["name"]: c for c in result["checks"]}
    assert result["status"] == "failed"
    assert not checks["policy"]["ok"]
    assert POLICY_PARAMETER in checks["policy"]["detail"] and "ssm:GetParameter" in checks["policy"]["detail"]
    assert checks["state_table"]["ok"] and checks["zoom.token"]["ok"]
