"""Events, policy files, secrets and the environment: bad input gets an error that names what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from okta_zoom_sync.boundary.policy_file import load_policy, parse_policy
from okta_zoom_sync.boundary.request import Mode, parse_event
from okta_zoom_sync.boundary.secrets import parse_credentials
from okta_zoom_sync.boundary.settings import Settings
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.errors import ConfigurationError, InvalidEventError, InvalidPolicyError, InvalidSecretError

REPO = Path(__file__).resolve().parents[2]

# --- events ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        ({}, Mode.INCREMENTAL),
        (None, Mode.INCREMENTAL),
        ({"mode": "incremental"}, Mode.INCREMENTAL),
        ({"mode": "full", "dry_run": True, "force": True}, Mode.FULL),
        ({"mode": "users", "users": ["a@acme.com", "00u1"]}, Mode.USERS),
        ({"mode": "check"}, Mode.CHECK),
    ],
)
def test_valid_events(raw: object, mode: Mode) -> None:
    assert parse_event(raw).mode is mode


def test_scheduled_envelope_is_incremental() -> None:
    event = json.loads((REPO / "events" / "scheduled.json").read_text())
    assert parse_event(event).mode is Mode.INCREMENTAL


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ({"mode": "sideways"}, "mode"),
        ({"mode": "full", "colour": "red"}, "colour"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"force": 1}, "force"),
        ({"mode": "users"}, "users"),
        ({"mode": "users", "users": []}, "users"),
        ({"mode": "users", "users": "a@acme.com"}, "users"),
        ({"mode": "users", "users": [""]}, "users"),
        ({"mode": "users", "users": [f"u{i}@acme.com" for i in range(101)]}, "users"),
        ({"mode": "full", "users": ["a@acme.com"]}, "users"),
        ({"mode": 3}, "mode"),
        ([], "object"),
        ("full", "object"),
    ],
)
def test_bad_events_name_the_field(raw: object, names: str) -> None:
    with pytest.raises(InvalidEventError) as err:
        parse_event(raw)
    assert names in str(err.value)


def test_every_event_file_parses() -> None:
    files = sorted((REPO / "events").glob("*.json"))
    assert files
    for path in files:
        parse_event(json.loads(path.read_text()))


# --- policy ---------------------------------------------------------------------------------------------


def test_packaged_policy_is_the_defaults() -> None:
    assert load_policy(REPO / "functions" / "sync" / "policy.yaml") == Policy()


def test_empty_policy_file_means_defaults() -> None:
    assert parse_policy("") == Policy()


def test_policy_with_rules() -> None:
    policy = parse_policy(
        """
        default_license: licensed
        license_rules: [{group: Contractors, license: basic}]
        role_rules: [{group: Zoom Admins, role: Admin}]
        group_rules: [{group: Engineering, zoom_group: Engineering}]
        managed_domains: [Acme.COM]
        protected_users: [BreakGlass@acme.com]
        max_deprovisions: {count: 5, percent: 20}
        """
    )
    assert policy.rule_groups == {"Contractors", "Zoom Admins", "Engineering"}
    assert policy.managed_domains == ("acme.com",)
    assert policy.protected_users == ("breakglass@acme.com",)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("create_action: invite", "create_action"),
        ("default_license: gold", "default_license"),
        ("license_rules: [{group: x, license: gold}]", "license_rules.0.license"),
        ("license_rules: [{group: x}]", "license_rules.0.license"),
        ("role_rules: [{group: x, role: Owner}]", "role_rules.0.role"),
        ("group_rules: [{group: x, zoom_groups: y}]", "group_rules.0.zoom_groups"),
        ("suspended_users: delete", "suspended_users"),
        ("deprovision: nuke", "deprovision"),
        ("delete_after_days: -1", "delete_after_days"),
        ("delete_after_days: '30'", "delete_after_days"),
        ("managed_domains: [notadomain]", "managed_domains"),
        ("protected_users: [nobody]", "protected_users"),
        ("max_deprovisions: {count: 5, percent: 150}", "max_deprovisions.percent"),
        ("max_deprovisions: {limit: 5}", "max_deprovisions.limit"),
        ("unknown_key: 1", "unknown_key"),
        ("- a\n- b", "mapping"),
        ("create_action: [unclosed", "YAML"),
    ],
)
def test_bad_policy_names_the_key(text: str, names: str) -> None:
    with pytest.raises(InvalidPolicyError) as err:
        parse_policy(text, "p.yaml")
    assert names in str(err.value)
    assert "p.yaml" in str(err.value)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "nope.yaml")


# --- secret ---------------------------------------------------------------------------------------------

ZOOM = {"zoom_account_id": "acc", "zoom_client_id": "cid", "zoom_client_secret": "s3cr3t-value"}


def test_token_secret() -> None:
    creds = parse_credentials(json.dumps({"okta_api_token": "tok-123", **ZOOM}))
    assert creds.okta_api_token is not None and creds.okta_api_token.get_secret_value() == "tok-123"
    assert "tok-123" not in repr(creds) and "s3cr3t-value" not in repr(creds)


def test_service_app_secret() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    pem = pem.decode()
    creds = parse_credentials({"okta_client_id": "0oa1", "okta_private_key": pem, "okta_key_id": "k1", **ZOOM})
    assert creds.okta_client_id == "0oa1" and creds.okta_key_id == "k1"


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("not json", "JSON object"),
        ("[1, 2]", "JSON object"),
        ({**ZOOM}, "okta_api_token"),
        ({"okta_api_token": "t", "zoom_client_id": "c", "zoom_client_secret": "s3cr3t-value"}, "zoom_account_id"),
        ({"okta_api_token": "t", "zoom_account_id": "a", "zoom_client_id": "c"}, "zoom_client_secret"),
        ({"okta_api_token": "t", **ZOOM, "zoom_client_secret": ""}, "zoom_client_secret"),
        ({"okta_client_id": "0oa1", **ZOOM}, "okta_private_key"),
        ({"okta_private_key": "-----BEGIN PRIVATE KEY-----", **ZOOM}, "okta_client_id"),
        ({"okta_client_id": "0oa1", "okta_private_key": "s3cr3t-value", **ZOOM}, "okta_private_key"),
        ({"okta_api_token": "t", "okta_client_id": "0oa1", **ZOOM}, "not both"),
        ({"okta_api_token": 123, **ZOOM}, "okta_api_token"),
    ],
)
def test_bad_secret_names_the_key_and_never_the_value(raw: object, names: str) -> None:
    with pytest.raises(InvalidSecretError) as err:
        parse_credentials(json.dumps(raw) if isinstance(raw, dict) else raw)
    assert names in str(err.value)
    assert "s3cr3t-value" not in str(err.value)


# --- environment ----------------------------------------------------------------------------------------

ENV = {
    "OKTA_ORG_URL": "https://acme.okta.com",
    "OKTA_APP_ID": "0oa1",
    "CREDENTIALS_SECRET_ID": "okta-zoom-sync",
    "STATE_TABLE_NAME": "state",
}


def test_environment_defaults() -> None:
    settings = Settings.from_environ(ENV)
    assert settings.zoom_api_url == "https://api.zoom.us/v2"
    assert settings.zoom_token_url == "https://zoom.us/oauth/token"
    assert settings.sync_policy_path is None


def test_empty_optional_variables_mean_defaults() -> None:
    settings = Settings.from_environ({**ENV, "ZOOM_API_URL": "", "SYNC_POLICY_PATH": " "})
    assert settings.zoom_api_url == "https://api.zoom.us/v2" and settings.sync_policy_path is None


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({k: v for k, v in ENV.items() if k != "OKTA_APP_ID"}, "OKTA_APP_ID"),
        ({**ENV, "OKTA_ORG_URL": "http://acme.okta.com"}, "OKTA_ORG_URL"),
        ({**ENV, "ZOOM_API_URL": "http://api.zoom.us/v2"}, "ZOOM_API_URL"),
        ({**ENV, "ZOOM_TOKEN_URL": "zoom.us/oauth/token"}, "ZOOM_TOKEN_URL"),
    ],
)
def test_bad_environment(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        Settings.from_environ(env)


def test_plain_http_allowed_for_loopback() -> None:
    settings = Settings.from_environ(
        {**ENV, "OKTA_ORG_URL": "http://127.0.0.1:8080", "ZOOM_API_URL": "http://localhost:1/v2"}
    )
    assert settings.okta_org_url == "http://127.0.0.1:8080"
