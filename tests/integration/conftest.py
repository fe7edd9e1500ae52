"""The integration harness: the real handler against the Okta and Zoom simulators (loopback HTTP) and moto.

Each test gets a fresh moto account (the state table built from template.yaml and the credentials
secret), fresh simulators, and the function's environment pointing at them.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws  # moto before the handler module

from tests.simulators import OktaSimulator, ZoomSimulator
from tests.support.template import create_state_table

OKTA_APP_ID = "0oazoomapp1"
OKTA_TOKEN = "ssws-integration-token"
ZOOM_ACCOUNT = "acct-int"
ZOOM_CLIENT = "zoom-int-client"
ZOOM_SECRET = "zoom-int-secret-value"
TABLE = "okta-zoom-sync-state"
SECRET_ID = "okta-zoom-sync/credentials"


@dataclass
class FakeContext:
    aws_request_id: str = "req-1"
    function_name: str = "okta-zoom-sync"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:okta-zoom-sync"
    remaining_ms: int = 600_000
    # When set, the time left runs down from `budget_s` seconds at creation, like a real invocation.
    budget_s: float | None = None
    created: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        if self.budget_s is not None:
            return max(0, int((self.budget_s - (time.monotonic() - self.created)) * 1000))
        return self.remaining_ms


@dataclass
class Stack:
    """Everything a test drives: the simulators, the AWS fakes and the handler."""

    okta: OktaSimulator
    zoom: ZoomSimulator
    dynamodb: Any
    secrets: Any
    policy_path: Path
    runs: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, event: Any = None, **context: Any) -> dict[str, Any]:
        import app  # functions/sync is on sys.path (pyproject's pytest pythonpath)

        ctx = FakeContext(aws_request_id=f"req-{uuid.uuid4()}", **context)
        result = app.handler({} if event is None else event, ctx)
        json.dumps(result)  # the result must be JSON-serialisable
        self.runs.append(result)
        return result

    def set_policy(self, text: str) -> None:
        self.policy_path.write_text(text)

    def set_secret(self, value: dict[str, Any] | str) -> None:
        from aws_lambda_powertools.utilities import parameters

        body = value if isinstance(value, str) else json.dumps(value)
        self.secrets.put_secret_value(SecretId=SECRET_ID, SecretString=body)
        parameters.clear_caches()

    def links(self) -> dict[str, dict[str, str]]:
        items = self.dynamodb.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "LINK"}},
        )["Items"]
        return {i["sk"]["S"]: {k: v["S"] for k, v in i.items() if "S" in v} for i in items}

    def table_items(self) -> list[dict[str, Any]]:
        return list(self.dynamodb.scan(TableName=TABLE)["Items"])

    def zoom_user(self, email: str) -> dict[str, Any] | None:
        return self.zoom.user_by_email(email)


def valid_secret() -> dict[str, str]:
    return {
        "okta_api_token": OKTA_TOKEN,
        "zoom_account_id": ZOOM_ACCOUNT,
        "zoom_client_id": ZOOM_CLIENT,
        "zoom_client_secret": ZOOM_SECRET,
    }


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    from aws_lambda_powertools.utilities import parameters

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "OktaZoomSync")
    parameters.clear_caches()
    with (
        mock_aws(),
        OktaSimulator(app_id=OKTA_APP_ID, api_token=OKTA_TOKEN) as okta,
        ZoomSimulator(
            account_id=ZOOM_ACCOUNT, client_id=ZOOM_CLIENT, client_secret=ZOOM_SECRET, owner_email="owner@acme.example"
        ) as zoom,
    ):
        dynamodb = boto3.client("dynamodb")
        create_state_table(dynamodb, TABLE)
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name=SECRET_ID, SecretString=json.dumps(valid_secret()))
        policy_path = tmp_path / "policy.yaml"
        policy_path.write_text("")
        env = {
            "OKTA_ORG_URL": okta.url,
            "OKTA_APP_ID": OKTA_APP_ID,
            "ZOOM_API_URL": f"{zoom.url}/v2",
            "ZOOM_TOKEN_URL": f"{zoom.url}/oauth/token",
            "CREDENTIALS_SECRET_ID": SECRET_ID,
            "STATE_TABLE_NAME": TABLE,
            "SYNC_POLICY_PATH": str(policy_path),
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield Stack(okta=okta, zoom=zoom, dynamodb=dynamodb, secrets=secrets, policy_path=policy_path)
    parameters.clear_caches()


def add_person(
    stack: Stack, login: str, first: str = "Test", last: str = "User", *, assign: bool = True, status: str = "ACTIVE"
) -> str:
    user_id = stack.okta.add_user(login, email=login, first_name=first, last_name=last, status=status)
    if assign:
        stack.okta.assign_user(user_id)
    return user_id


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


__all__ = ["FakeContext", "Stack", "add_person", "os", "total", "valid_secret"]
