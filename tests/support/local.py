"""The whole stack on this machine, outside pytest: moto, the two simulators and the real handler.

Used by `make demo` and `make bench`; the integration tests build the same thing with pytest fixtures
(tests/integration/conftest.py).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
APP_ID = "0oalocalzoom1"
OKTA_TOKEN = "local-okta-token"
ZOOM = {"account_id": "local-acct", "client_id": "local-client", "client_secret": "local-secret"}


class Context:
    """The part of the Lambda context the handler reads."""

    function_name = "okta-zoom-sync"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:okta-zoom-sync"

    def __init__(self, request_id: str, remaining_ms: int = 600_000) -> None:
        self.aws_request_id = request_id
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class LocalStack:
    okta: Any  # tests.simulators.OktaSimulator
    zoom: Any  # tests.simulators.ZoomSimulator
    handler: Callable[[Any, Any], dict[str, Any]]
    runs: int = 0

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.runs += 1
        return self.handler(event, Context(f"local-{self.runs}"))


@contextmanager
def local_stack(policy: str, *, zoom_owner: str = "owner@acme.example") -> Iterator[LocalStack]:
    """Start everything, point the function's environment at it, and yield the handler."""
    # Quiet the function's JSON logs and EMF lines: callers print their own tables.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    sys.path.insert(0, str(REPO / "functions" / "sync"))

    import boto3
    from moto import mock_aws  # before the handler module

    from tests.simulators import OktaSimulator, ZoomSimulator
    from tests.support.template import create_state_table

    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        okta = stack.enter_context(OktaSimulator(app_id=APP_ID, api_token=OKTA_TOKEN))
        zoom = stack.enter_context(ZoomSimulator(owner_email=zoom_owner, **ZOOM))
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        create_state_table(boto3.client("dynamodb"), "local-state")
        secret = {f"zoom_{key}": value for key, value in ZOOM.items()} | {"okta_api_token": OKTA_TOKEN}
        boto3.client("secretsmanager").create_secret(Name="local/credentials", SecretString=json.dumps(secret))
        (folder / "policy.yaml").write_text(policy)
        os.environ.update(
            OKTA_ORG_URL=okta.url,
            OKTA_APP_ID=APP_ID,
            ZOOM_API_URL=f"{zoom.url}/v2",
            ZOOM_TOKEN_URL=f"{zoom.url}/oauth/token",
            CREDENTIALS_SECRET_ID="local/credentials",
            STATE_TABLE_NAME="local-state",
            SYNC_POLICY_PATH=str(folder / "policy.yaml"),
        )
        import app

        yield LocalStack(okta=okta, zoom=zoom, handler=app.handler)
