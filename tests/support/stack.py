"""The integration stack (moto, the two simulators, the real handler) as a context manager, outside pytest fixtures.

tests/integration/conftest.py builds the same thing as the function-scoped `stack` fixture. Property-based tests
need a fresh stack per hypothesis example, which a fixture cannot give, so they enter `integration_stack()` once
per example. The environment variables it sets are restored on exit.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

import boto3
from moto import mock_aws  # moto before the handler module

from tests.integration.conftest import (
    OKTA_APP_ID,
    OKTA_TOKEN,
    SECRET_ID,
    TABLE,
    ZOOM_ACCOUNT,
    ZOOM_CLIENT,
    ZOOM_SECRET,
    Stack,
    valid_secret,
)
from tests.simulators import OktaSimulator, ZoomSimulator
from tests.support.template import create_state_table

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
    policy: str = "", *, owner_email: str = "owner@acme.example", fast_retries: bool = True
) -> Iterator[Stack]:
    """A fresh stack: moto account (state table from template.yaml, the credentials secret), fresh simulators,
    the function's environment pointing at them, and `policy` as the policy file.

    The simulators' sockets get TCP_NODELAY: they write an answer's headers and body separately, which otherwise
    costs a delayed ACK (about 40 ms) per request on loopback. `fast_retries` makes the engine's HTTP retries skip
    their sleeps (backoff, Retry-After, Okta's rate-limit reset), so that injected 429/5xx bursts cost no
    wall-clock time. It patches the one place the engine builds its retry policy
    (`okta_zoom_sync.wiring.RetryPolicy`); when that name is gone, retries sleep for real.
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
        stack.enter_context(
            _environ(
                {
                    "OKTA_ORG_URL": okta.url,
                    "OKTA_APP_ID": OKTA_APP_ID,
                    "ZOOM_API_URL": f"{zoom.url}/v2",
                    "ZOOM_TOKEN_URL": f"{zoom.url}/oauth/token",
                    "CREDENTIALS_SECRET_ID": SECRET_ID,
                    "STATE_TABLE_NAME": TABLE,
                    "SYNC_POLICY_PATH": str(policy_path),
                }
            )
        )
        if fast_retries:
            from okta_zoom_sync import wiring

            retry_policy = getattr(wiring, "RetryPolicy", None)
            if retry_policy is not None:
                fast = functools.partial(retry_policy, sleep=_no_sleep)
                stack.enter_context(mock.patch.object(wiring, "RetryPolicy", fast))
        yield Stack(okta=okta, zoom=zoom, dynamodb=dynamodb, secrets=secrets, policy_path=policy_path)


__all__ = ["integration_stack"]
