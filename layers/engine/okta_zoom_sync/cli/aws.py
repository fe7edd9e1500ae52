"""Reaching the deployed sync function: its name (given, or read from the stack's outputs) and one invocation.

A long `full` run answers after minutes: the read timeout outlasts the function's longest timeout (900 s), and
the call is never retried, so that a slow answer is waited for rather than the run sent a second time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# template.yaml's output naming the sync function.
FUNCTION_OUTPUT = "SyncFunctionName"
# The function's Timeout is at most 900 s; its answer arrives just after. A little longer, so it is never cut off.
READ_TIMEOUT_S = 910
LAMBDA_CONFIG = Config(
    read_timeout=READ_TIMEOUT_S,
    connect_timeout=10,
    retries={"total_max_attempts": 1, "mode": "standard"},  # one attempt: a run is never sent twice
)
BUSY = (
    "the function is busy: another invocation is running (reserved concurrency 1, most likely a scheduled run). "
    "Nothing was sent. Try again when it ends; `okzs status` shows the lease and the last runs."
)


class CliError(Exception):
    """What stops a command, said plainly; `exit_code` is what `okzs` exits with."""

    def __init__(self, message: str, exit_code: int = 3) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class FunctionFailed(CliError):
    """The function raised (Lambda's FunctionError): its error type and message."""

    def __init__(self, payload: object) -> None:
        body: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {"errorMessage": str(payload)}
        error_type = body.get("errorType", "error")
        message = body.get("errorMessage", "(no message)")
        super().__init__(f"the function failed: {error_type}: {message}", exit_code=1)
        self.error_type = str(error_type)


def function_name_from_stack(cloudformation: Any, stack: str) -> str:
    """The sync function's name, from the stack's `SyncFunctionName` output."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        raise CliError(f"stack {stack!r}: {_reason(exc)} (is it deployed in this region? see --region)") from None
    except BotoCoreError as exc:
        raise CliError(f"stack {stack!r} could not be read: {exc}") from None
    described = stacks[0] if stacks else {}
    outputs = {o.get("OutputKey"): o.get("OutputValue") for o in described.get("Outputs") or ()}
    name = outputs.get(FUNCTION_OUTPUT)
    if not name:
        raise CliError(f"stack {stack!r} has no {FUNCTION_OUTPUT} output: is it an okta-zoom-sync stack, deployed?")
    return str(name)


def invoke(lambda_client: Any, function_name: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """One synchronous invocation; the function's result. A function that raised is a FunctionFailed."""
    try:
        answer = lambda_client.invoke(
            FunctionName=function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "TooManyRequestsException":
            raise CliError(BUSY, exit_code=75) from None  # 75: EX_TEMPFAIL, try again later
        if code == "ResourceNotFoundException":
            raise CliError(
                f"no function {function_name!r} in this account and region: check --function, --stack and --region"
            ) from None
        raise CliError(f"invoking {function_name!r} failed: {_reason(exc)}") from None
    except BotoCoreError as exc:
        raise CliError(f"invoking {function_name!r} failed: {exc}") from None
    raw = answer["Payload"].read()
    try:
        body = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        raise CliError(f"the function answered something that is not JSON: {raw[:200]!r}", exit_code=1) from None
    if answer.get("FunctionError"):
        raise FunctionFailed(body)
    if not isinstance(body, dict):
        raise CliError(f"the function answered {type(body).__name__}, not a result object", exit_code=1)
    return body


def _reason(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
