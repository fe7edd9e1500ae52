"""The integration stack: moto (the state table built from template.yaml, the credentials secret), the Okta and Zoom
simulators (loopback HTTP), the function's environment pointing at them, and the real handler.

`integration_stack()` builds it as a context manager: tests/support/fixtures.py's `stack` fixture enters it once
per test, and property-based tests once per hypothesis example (which a fixture cannot give). The environment
variables it sets are restored on exit.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws  # moto before the handler module

from tests.simulators import OktaSimulator, ZoomSimulator
from tests.support.template import create_policy_parameter, create_state_table

OKTA_APP_ID = "0oazoomapp1"
OKTA_TOKEN = "ssws-integration-token"
ZOOM_ACCOUNT = "acct-int"
ZOOM_CLIENT = "zoom-int-client"
ZOOM_SECRET = "zoom-int-secret-value"
TABLE = "okta-zoom-sync-state"
SECRET_ID = "okta-zoom-sync/credentials"
POLICY_PARAMETER = "/okta-zoom-sync/sync-policy"


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
    # Set when the policy lives in the SSM parameter (SYNC_POLICY_PARAMETER), as in the deployed stack.
    ssm: Any = None
    runs: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, event: Any = None, **context: Any) -> dict[str, Any]:
        import app  # functions/sync is on sys.path (pyproject's pytest pythonpath)

        ctx = FakeContext(aws_request_id=f"req-{uuid.uuid4()}", **context)
        result = app.handler({} if event is None else event, ctx)
        json.dumps(result)  # the result must be JSON-serialisable
        self.runs.append(result)
        return result

    def set_policy(self, text: str) -> None:
        """Write the policy where the function reads it: the file, or the SSM parameter. A parameter's new text is
        seen once the function's cached copy expires (see `expire_policy_cache`)."""
        if self.ssm is None:
            self.policy_path.write_text(text)
        else:
            self.ssm.put_parameter(Name=POLICY_PARAMETER, Value=text, Type="String", Overwrite=True)

    def expire_policy_cache(self) -> None:
        """What SYNC_POLICY_MAX_AGE seconds do in a warm function, without waiting for them: Powertools drops every
        cached parameter (and secret, which the next run reads again, unchanged)."""
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()

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


BASE_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "OktaZoomSync",
}


def _no_sleep(seconds: float) -> None:
    """Retries go ahead at once: the simulators' faults are counted in requests, not in seconds."""


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def integration_stack(
    policy: str = "",
    *,
    owner_email: str = "owner@acme.example",
    fast_retries: bool = True,
    policy_in_parameter: bool = False,
) -> Iterator[Stack]:
    """A fresh stack: moto account (state table from template.yaml, the credentials secret), fresh simulators,
    the function's environment pointing at them, and `policy` as the policy file; or, with `policy_in_parameter`,
    as the SSM policy parameter (created as template.yaml creates it, SYNC_POLICY_PARAMETER naming it; an empty
    `policy` keeps the template's own first value, the packaged defaults).

    The simulators' sockets get TCP_NODELAY: they write an answer's headers and body separately, which otherwise
    costs a delayed ACK (about 40 ms) per request on loopback. `fast_retries` makes the engine's HTTP retries skip
    their sleeps (backoff, Retry-After, Okta's rate-limit reset), so that injected 429/5xx bursts cost no
    wall-clock time. It patches the one place the engine builds its retry policy
    (`okta_zoom_sync.wiring.RetryPolicy`); when that name is gone, it fails loudly rather than sleep for real.
    """
    from aws_lambda_powertools.utilities import parameters

    from tests.simulators import http as simulator_http

    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="ozs-stack-") as folder:
        handler = getattr(simulator_http, "_Handler", None)
        if handler is not None:
            stack.enter_context(mock.patch.object(handler, "disable_nagle_algorithm", True, create=True))
        stack.enter_context(_environ(BASE_ENV))
        parameters.clear_caches()
        stack.callback(parameters.clear_caches)
        stack.enter_context(mock_aws())
        okta = stack.enter_context(OktaSimulator(app_id=OKTA_APP_ID, api_token=OKTA_TOKEN))
        zoom = stack.enter_context(
            ZoomSimulator(
                account_id=ZOOM_ACCOUNT, client_id=ZOOM_CLIENT, client_secret=ZOOM_SECRET, owner_email=owner_email
            )
        )
        dynamodb = boto3.client("dynamodb")
        create_state_table(dynamodb, TABLE)
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name=SECRET_ID, SecretString=json.dumps(valid_secret()))
        policy_path = Path(folder) / "policy.yaml"
        policy_path.write_text(policy)
        environment = {
            "OKTA_ORG_URL": okta.url,
            "OKTA_APP_ID": OKTA_APP_ID,
            "ZOOM_API_URL": f"{zoom.url}/v2",
            "ZOOM_TOKEN_URL": f"{zoom.url}/oauth/token",
            "CREDENTIALS_SECRET_ID": SECRET_ID,
            "STATE_TABLE_NAME": TABLE,
            "SYNC_POLICY_PATH": str(policy_path),
            "SYNC_POLICY_PARAMETER": "",
        }
        ssm = None
        if policy_in_parameter:
            ssm = boto3.client("ssm")
            create_policy_parameter(ssm, POLICY_PARAMETER, policy or None)
            environment["SYNC_POLICY_PARAMETER"] = POLICY_PARAMETER
        stack.enter_context(_environ(environment))
        if fast_retries:
            from okta_zoom_sync import wiring

            retry_policy = getattr(wiring, "RetryPolicy", None)
            if retry_policy is None:
                raise RuntimeError(
                    "fast_retries: okta_zoom_sync.wiring.RetryPolicy is gone, so the engine's retry sleeps cannot be "
                    "skipped; point integration_stack at where the engine now builds its retry policy"
                )
            fast = functools.partial(retry_policy, sleep=_no_sleep)
            stack.enter_context(mock.patch.object(wiring, "RetryPolicy", fast))
        yield Stack(okta=okta, zoom=zoom, dynamodb=dynamodb, secrets=secrets, policy_path=policy_path, ssm=ssm)
