"""Every bad input of the contract: a clear error naming what is wrong, and nothing touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from okta_zoom_sync.errors import InvalidEventError

from .conftest import Stack, add_person, valid_secret

REPO = Path(__file__).resolve().parents[2]


def assert_nothing_touched(stack: Stack) -> None:
    assert stack.okta.request_count() == 0
    assert stack.zoom.request_count() == 0
    assert stack.table_items() == []


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"mode": "nope"}, "mode"),
        ({"mode": "full", "extra": 1}, "extra"),
        ({"mode": "full", "dry_run": "true"}, "dry_run"),
        ({"mode": "full", "force": "yes"}, "force"),
        ({"mode": "users"}, "users"),
        ({"mode": "users", "users": [f"{i}@a.example" for i in range(101)]}, "users"),
        ({"mode": "check", "users": ["a@acme.example"]}, "users"),
        (["full"], "object"),
    ],
)
def test_bad_event_raises_naming_the_field_and_touches_nothing(stack: Stack, event: object, field: str) -> None:
    add_person(stack, "a@acme.example")
    stack.okta.clear_log()
    with pytest.raises(InvalidEventError) as err:
        stack.invoke(event)
    assert field in str(err.value)
    assert_nothing_touched(stack)


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        ({k: v for k, v in valid_secret().items() if k != "zoom_client_secret"}, "zoom_client_secret"),
        ({k: v for k, v in valid_secret().items() if k != "zoom_account_id"}, "zoom_account_id"),
        ({k: v for k, v in valid_secret().items() if k != "okta_api_token"}, "okta_api_token"),
        ({**valid_secret(), "okta_api_token": None, "okta_client_id": "0oa1"}, "okta_private_key"),
        ("this is not json", "JSON"),
    ],
)
def test_bad_secret_fails_the_run_naming_the_key(stack: Stack, secret: object, key: str) -> None:
    stack.set_secret(secret)  # type: ignore[arg-type]
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    message = json.dumps(result["errors"])
    assert key in message
    assert "zoom-int-secret-value" not in json.dumps(result)
    assert_nothing_touched(stack)


def test_missing_secret_fails_the_run(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDENTIALS_SECRET_ID", "does-not-exist")
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    assert "does-not-exist" in result["errors"][0]["message"]
    assert_nothing_touched(stack)


@pytest.mark.parametrize(
    ("policy", "key"),
    [
        ("default_license: platinum\n", "default_license"),
        ("max_deprovisions: {count: -1}\n", "max_deprovisions.count"),
        ("role_rules: [{group: x}]\n", "role_rules.0.role"),
        ("surprise: true\n", "surprise"),
        ("create_action: [\n", "YAML"),
    ],
)
def test_bad_policy_fails_the_run_naming_the_key(stack: Stack, policy: str, key: str) -> None:
    stack.set_policy(policy)
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    assert key in result["errors"][0]["message"]
    assert_nothing_touched(stack)


def test_policy_naming_a_missing_okta_group_fails_before_any_write(stack: Stack) -> None:
    stack.set_policy("license_rules: [{group: No Such Group, license: licensed}]\n")
    add_person(stack, "a@acme.example")
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    assert "No Such Group" in result["errors"][0]["message"]
    assert stack.zoom.write_count() == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [("OKTA_ORG_URL", "http://acme.okta.com"), ("ZOOM_API_URL", "ftp://x"), ("OKTA_APP_ID", "")],
)
def test_bad_environment_fails_the_run_naming_the_variable(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    assert variable in result["errors"][0]["message"]
    assert_nothing_touched(stack)


def test_check_mode_reports_every_check_and_changes_nothing(stack: Stack) -> None:
    add_person(stack, "a@acme.example")
    result = stack.invoke({"mode": "check"})
    names = [c["name"] for c in result["checks"]]
    assert names[:2] == ["secret", "state_table"]
    assert {"okta.token", "okta.app", "okta.scopes", "zoom.token", "zoom.scopes"} <= set(names)
    # every name starts with what it checked, as the contract lists them (a policy file adds no check of its own)
    assert all(name.split(".")[0] in {"secret", "state_table", "okta", "zoom"} for name in names), names
    assert all(c["ok"] for c in result["checks"]), result["checks"]
    assert result["status"] == "succeeded"
    assert stack.zoom.write_count() == 0 and stack.table_items() == []


def test_check_mode_explains_bad_credentials_and_missing_scopes(stack: Stack) -> None:
    stack.set_secret({**valid_secret(), "okta_api_token": "wrong"})
    stack.zoom.granted_scopes = {"user:read:list_users:admin"}
    result = stack.invoke({"mode": "check"})
    checks = {c["name"]: c for c in result["checks"]}
    assert result["status"] == "failed"
    assert not checks["okta.token"]["ok"] and "secret" in checks["okta.token"]["detail"]
    assert not checks["zoom.scopes"]["ok"] and "user:write:user:admin" in checks["zoom.scopes"]["detail"]
    assert "wrong" not in json.dumps(result)


def test_check_mode_with_a_bad_secret(stack: Stack) -> None:
    stack.set_secret({"okta_api_token": "t"})
    result = stack.invoke({"mode": "check"})
    checks = {c["name"]: c for c in result["checks"]}
    assert not checks["secret"]["ok"] and "zoom_account_id" in checks["secret"]["detail"]
    assert checks["state_table"]["ok"]


@pytest.mark.parametrize("path", sorted((REPO / "events").glob("*.json")), ids=lambda p: p.name)
def test_every_event_file_runs(stack: Stack, path: Path) -> None:
    add_person(stack, "alice@acme.example")
    result = stack.invoke(json.loads(path.read_text()))
    assert result["status"] in ("succeeded", "blocked"), result
