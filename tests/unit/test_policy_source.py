"""boundary/policy_source.py: which policy a run reads (SSM parameter, else SYNC_POLICY_PATH, else the packaged file)
and how a parameter that cannot be read is reported. Powertools' get_parameter is replaced here; the read through
moto is in tests/integration/test_policy_parameter.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError
from okta_zoom_sync.boundary.policy_source import PolicySource
from okta_zoom_sync.boundary.settings import Settings
from okta_zoom_sync.core.policy import License
from okta_zoom_sync.errors import ConfigurationError, InvalidPolicyError

ENV = {
    "OKTA_ORG_URL": "https://acme.okta.com",
    "OKTA_APP_ID": "0oa1",
    "CREDENTIALS_SECRET_ID": "s",
    "STATE_TABLE_NAME": "t",
}
NAME = "/okta-zoom-sync/sync-policy"


def source(tmp_path: Path, **env: str) -> PolicySource:
    return PolicySource.from_settings(Settings.from_environ(ENV | env), packaged=tmp_path / "packaged.yaml")


def fake_get_parameter(monkeypatch: pytest.MonkeyPatch, text: str) -> list[dict[str, Any]]:
    """get_parameter answering `text`; the calls it got are returned."""
    calls: list[dict[str, Any]] = []

    def get_parameter(name: str, **options: Any) -> str:
        calls.append({"name": name, **options})
        return text

    monkeypatch.setattr(parameters, "get_parameter", get_parameter)
    return calls


def test_precedence_parameter_then_path_then_packaged(tmp_path: Path) -> None:
    assert source(tmp_path).parameter is None
    assert source(tmp_path).path == tmp_path / "packaged.yaml"
    assert source(tmp_path, SYNC_POLICY_PATH="/opt/p.yaml").path == Path("/opt/p.yaml")
    both = source(tmp_path, SYNC_POLICY_PATH="/opt/p.yaml", SYNC_POLICY_PARAMETER=NAME)
    assert both.parameter == NAME
    assert both.description == f"SSM parameter {NAME} (SYNC_POLICY_PARAMETER)"
    assert source(tmp_path, SYNC_POLICY_PARAMETER=" ").parameter is None  # empty means unset


def test_the_parameter_is_read_with_the_cache_age(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_get_parameter(monkeypatch, "default_license: licensed\n")
    (tmp_path / "packaged.yaml").write_text("default_license: gold\n")  # never read: the parameter wins
    assert source(tmp_path, SYNC_POLICY_PARAMETER=NAME).load().default_license is License.LICENSED
    assert calls == [{"name": NAME, "max_age": 300, "force_fetch": False}]
    source(tmp_path, SYNC_POLICY_PARAMETER=NAME, SYNC_POLICY_MAX_AGE="0").load(fresh=True)
    assert calls[-1] == {"name": NAME, "max_age": 0, "force_fetch": True}


def test_a_file_is_read_when_no_parameter_is_set(tmp_path: Path) -> None:
    (tmp_path / "packaged.yaml").write_text("default_license: unassigned\n")
    assert source(tmp_path).load().default_license is License.UNASSIGNED


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("AccessDeniedException", "not authorized to perform: ssm:GetParameter"),
        ("ParameterNotFound", "Parameter not found"),
    ],
)
def test_an_unreadable_parameter_names_it_and_what_aws_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, text: str
) -> None:
    def refuse(name: str, **options: Any) -> Any:
        try:
            raise ClientError({"Error": {"Code": code, "Message": text}}, "GetParameter")
        except ClientError as exc:
            raise parameters.exceptions.GetParameterError(str(exc))  # noqa: B904 - Powertools' way, kept

    monkeypatch.setattr(parameters, "get_parameter", refuse)
    with pytest.raises(InvalidPolicyError) as err:
        source(tmp_path, SYNC_POLICY_PARAMETER=NAME).load()
    assert str(err.value) == f"cannot read the policy parameter {NAME} (SYNC_POLICY_PARAMETER): {code}: {text}"


def test_a_bad_policy_in_the_parameter_names_the_key_and_the_parameter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_get_parameter(monkeypatch, "license_fallback: seats\n")
    with pytest.raises(InvalidPolicyError) as err:
        source(tmp_path, SYNC_POLICY_PARAMETER=NAME).load()
    assert str(err.value).startswith(f"invalid policy parameter {NAME} (SYNC_POLICY_PARAMETER): license_fallback:")


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"SYNC_POLICY_MAX_AGE": "-1"}, "SYNC_POLICY_MAX_AGE"),
        ({"SYNC_POLICY_MAX_AGE": "5 minutes"}, "SYNC_POLICY_MAX_AGE"),
        ({"SYNC_POLICY_MAX_AGE": "86400"}, "SYNC_POLICY_MAX_AGE"),
        ({"SYNC_POLICY_PARAMETER": "my policy"}, "SYNC_POLICY_PARAMETER"),
    ],
)
def test_bad_policy_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_environ(ENV | env)
    assert names in str(err.value)
