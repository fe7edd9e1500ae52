"""`okzs` (okta_zoom_sync.cli.main): commands become events, events are validated before any AWS call, the function
is found from a stack's outputs, invoked once with a long read timeout, and its failures are said plainly.

AWS is botocore's Stubber on real clients (nothing leaves the process); a recording session hands them out.
"""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from okta_zoom_sync.cli.aws import LAMBDA_CONFIG
from okta_zoom_sync.cli.main import build_event, build_parser, main

FUNCTION = "prod-sync"
STACK = "prod"


def aws_client(service: str) -> Any:
    return boto3.client(service, region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")


class RecordingSession:
    """Stands for boto3.Session: hands out the stubbed clients, remembering how each was asked for."""

    def __init__(self, **clients: Any) -> None:
        self.clients = clients
        self.asked: list[tuple[str, Any]] = []
        self.region: str | None = None

    def __call__(self, *, region_name: str | None = None) -> RecordingSession:
        self.region = region_name
        return self

    def client(self, service: str, config: Any = None) -> Any:
        self.asked.append((service, config))
        return self.clients[service]


def payload(document: object) -> StreamingBody:
    body = json.dumps(document).encode()
    return StreamingBody(io.BytesIO(body), len(body))


def run(argv: list[str], session: RecordingSession) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, session_factory=session, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def expect_invoke(stubber: Stubber, event: dict[str, Any], answer: dict[str, Any]) -> None:
    stubber.add_response(
        "invoke",
        answer,
        {"FunctionName": FUNCTION, "InvocationType": "RequestResponse", "Payload": json.dumps(event).encode()},
    )


def succeeded(mode: str, **extra: Any) -> dict[str, Any]:
    return {"run_id": "r-1", "mode": mode, "dry_run": False, "status": "succeeded", **extra}


# ------------------------------------------------------------------------------------------------ commands


@pytest.mark.parametrize(
    ("argv", "event"),
    [
        (["check"], {"mode": "check"}),
        (["status"], {"mode": "status"}),
        (["plan"], {"mode": "full", "dry_run": True}),
        (["sync"], {"mode": "incremental"}),
        (["sync", "--full", "--force"], {"mode": "full", "force": True}),
        (
            ["users", "a@acme.com", "00u1abcd", "--dry-run"],
            {"mode": "users", "users": ["a@acme.com", "00u1abcd"], "dry_run": True},
        ),
        (["event", '{"mode": "full"}'], {"mode": "full"}),
    ],
)
def test_each_command_becomes_the_contract_event(argv: list[str], event: dict[str, Any]) -> None:
    assert build_event(build_parser().parse_args([*argv, "--function", FUNCTION])) == event


@pytest.mark.parametrize(
    "argv",
    [
        ["stats"],  # no such command
        ["users"],  # no user named
        ["check", "--function", FUNCTION, "--stack", STACK],  # one or the other
    ],
)
def test_a_bad_command_line_is_refused_by_the_parser(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert "usage: okzs" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["event", '{"mode": "ful"}'], "mode"),
        (["event", '{"mode": "full", "dryrun": true}'], "dryrun"),
        (["event", '{"mode": "full", "dry_run": "yes"}'], "dry_run"),
        (["event", "{not json"], "not JSON"),
        (["users", " "], "users"),
        (["users", *[f"u{i}@acme.com" for i in range(101)]], "at most 100"),
    ],
)
def test_an_event_the_handler_would_refuse_is_refused_before_any_aws_call(argv: list[str], named: str) -> None:
    # Given a session that fails the test if anything asks it for a client
    session = RecordingSession()
    # When the command runs
    code, out, err = run([*argv, "--function", FUNCTION], session)
    # Then it exits 2 naming what is wrong, and no AWS client was even made
    assert code == 2 and out == ""
    assert err.startswith("okzs: invalid event") and named in err
    assert session.asked == [] and session.region is None


def test_without_a_function_or_a_stack_it_says_how_to_name_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OKZS_FUNCTION", raising=False)
    monkeypatch.delenv("OKZS_STACK", raising=False)
    code, _, err = run(["status"], RecordingSession())
    assert code == 2 and "--stack NAME" in err and "--function NAME" in err


# ------------------------------------------------------------------------------------ finding the function


def test_the_function_is_found_from_the_stacks_output_and_invoked_with_one_attempt_and_a_long_read_timeout() -> None:
    # Given a stack whose outputs name the function, and the function answering a status
    cloudformation, lambda_ = aws_client("cloudformation"), aws_client("lambda")
    with Stubber(cloudformation) as stacks, Stubber(lambda_) as functions:
        stacks.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": STACK,
                        "CreationTime": "2026-12-01T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [
                            {"OutputKey": "StateTableName", "OutputValue": "prod-state"},
                            {"OutputKey": "SyncFunctionName", "OutputValue": FUNCTION},
                        ],
                    }
                ]
            },
            {"StackName": STACK},
        )
        expect_invoke(functions, {"mode": "status"}, {"StatusCode": 200, "Payload": payload(succeeded("status"))})
        session = RecordingSession(cloudformation=cloudformation, **{"lambda": lambda_})

        # When `okzs status --stack prod --region eu-west-1` runs
        code, out, _ = run(["status", "--stack", STACK, "--region", "eu-west-1", "--json"], session)

        # Then the stack's output named the function it invoked, in the region asked for
        stacks.assert_no_pending_responses()
        functions.assert_no_pending_responses()
    assert code == 0 and json.loads(out)["status"] == "succeeded"
    assert session.region == "eu-west-1"
    # And the Lambda client never retries (a long run is not sent twice) and waits out the longest run (900 s)
    (config,) = [config for service, config in session.asked if service == "lambda"]
    assert config is LAMBDA_CONFIG
    assert config.retries["total_max_attempts"] == 1
    assert config.read_timeout > 900


def test_a_stack_without_the_output_is_named_in_the_error() -> None:
    cloudformation = aws_client("cloudformation")
    with Stubber(cloudformation) as stacks:
        stacks.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {"StackName": "other", "CreationTime": "2026-12-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE"}
                ]
            },
        )
        code, _, err = run(["status", "--stack", "other"], RecordingSession(cloudformation=cloudformation))
    assert code == 3 and "'other' has no SyncFunctionName output" in err


def test_a_stack_that_does_not_exist_is_said_so() -> None:
    cloudformation = aws_client("cloudformation")
    with Stubber(cloudformation) as stacks:
        stacks.add_client_error(
            "describe_stacks", service_error_code="ValidationError", service_message="Stack with id nope does not exist"
        )
        code, _, err = run(["check", "--stack", "nope"], RecordingSession(cloudformation=cloudformation))
    assert code == 3 and "Stack with id nope does not exist" in err and "--region" in err


# -------------------------------------------------------------------------------------------- the answer


def test_a_result_is_printed_as_tables_and_a_run_that_did_not_succeed_exits_1() -> None:
    lambda_ = aws_client("lambda")
    result = succeeded("full", status="partial", planned={"create": 1, "delete": 0}, failed={"create": 1})
    with Stubber(lambda_) as functions:
        expect_invoke(functions, {"mode": "full"}, {"StatusCode": 200, "Payload": payload(result)})
        code, out, _ = run(["sync", "--full", "--function", FUNCTION], RecordingSession(**{"lambda": lambda_}))
    assert code == 1
    assert out.startswith("sync run: PARTIAL, mode full") and "failed        1: create 1" in out
    assert "delete" not in out


def test_a_function_error_is_printed_plainly_and_exits_non_zero() -> None:
    # Given a function that raised (Lambda answers 200 with FunctionError and the error document)
    lambda_ = aws_client("lambda")
    error = {"errorType": "InvalidEventError", "errorMessage": "invalid event: mode: bad", "stackTrace": []}
    with Stubber(lambda_) as functions:
        expect_invoke(
            functions, {"mode": "check"}, {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": payload(error)}
        )
        code, out, err = run(["check", "--function", FUNCTION], RecordingSession(**{"lambda": lambda_}))
    # Then the error's type and message are said, and nothing is rendered as a result
    assert code == 1 and out == ""
    assert err.strip() == "okzs: the function failed: InvalidEventError: invalid event: mode: bad"


def test_a_busy_function_says_a_run_is_going() -> None:
    # Given reserved concurrency 1 and a scheduled run going: Lambda refuses the invocation
    lambda_ = aws_client("lambda")
    with Stubber(lambda_) as functions:
        functions.add_client_error(
            "invoke",
            service_error_code="TooManyRequestsException",
            service_message="Rate Exceeded.",
            http_status_code=429,
        )
        code, _, err = run(["sync", "--function", FUNCTION], RecordingSession(**{"lambda": lambda_}))
    assert code == 75
    assert "another invocation is running" in err and "Nothing was sent" in err and "okzs status" in err


def test_an_unknown_function_names_the_options_to_check() -> None:
    lambda_ = aws_client("lambda")
    with Stubber(lambda_) as functions:
        functions.add_client_error("invoke", service_error_code="ResourceNotFoundException", http_status_code=404)
        code, _, err = run(["check", "--function", "nope"], RecordingSession(**{"lambda": lambda_}))
    assert code == 3 and "no function 'nope'" in err
