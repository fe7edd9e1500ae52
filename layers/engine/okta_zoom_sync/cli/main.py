"""`okzs`: check | status | plan | sync | users EMAIL... | event JSON, against the deployed sync function.

The event is validated with the handler's own model before anything is sent: a typo is refused here (exit 2),
never sent to the function (where it would raise and fire the function-errors alarm).

Exit status: 0 the result's status is `succeeded`; 1 any other status, or the function failed; 2 a bad command
or event; 3 AWS could not be reached or the function not found; 75 the function is busy (another run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import boto3

from okta_zoom_sync.boundary.request import QueueBatch, parse_event
from okta_zoom_sync.cli.aws import LAMBDA_CONFIG, CliError, function_name_from_stack, invoke
from okta_zoom_sync.cli.render import render
from okta_zoom_sync.errors import InvalidEventError

# Where the function's name comes from when no option names it.
FUNCTION_VARIABLE = "OKZS_FUNCTION"
STACK_VARIABLE = "OKZS_STACK"

SessionFactory = Callable[..., Any]  # boto3.Session(region_name=...)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dry-run", action="store_true", help="plan only: no Zoom write, no state change")
    common.add_argument("--force", action="store_true", help="let deprovisions held by a brake through")
    common.add_argument("--json", action="store_true", help="print the raw result (for scripts)")
    target = common.add_mutually_exclusive_group()
    target.add_argument("--function", metavar="NAME", help=f"the sync function's name or ARN (or ${FUNCTION_VARIABLE})")
    target.add_argument(
        "--stack",
        metavar="NAME",
        help=f"the stack: its SyncFunctionName output names the function (or ${STACK_VARIABLE})",
    )
    common.add_argument("--region", metavar="R", help="AWS region (default: your AWS configuration's)")

    parser = argparse.ArgumentParser(
        prog="okzs",
        description="Operate the deployed okta-zoom-sync function: invoke it and read its result as tables.",
        epilog="Exit status: 0 succeeded; 1 another status or the function failed; 2 bad command or event; "
        "3 AWS unreachable or function not found; 75 busy (another run is going).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("check", parents=[common], help="connection test: secret, state table, Okta, Zoom (read-only)")
    commands.add_parser("status", parents=[common], help="what the state table knows: lease, links, held, last runs")
    commands.add_parser("plan", parents=[common], help="a full run as a dry run: what a sync would change")
    sync = commands.add_parser("sync", parents=[common], help="a sync run: incremental (changes since the cursor)")
    sync.add_argument("--full", action="store_true", help="a full reconcile: every assigned user, every Zoom user")
    users = commands.add_parser("users", parents=[common], help="reconcile just these users (email or Okta id)")
    users.add_argument("users", nargs="+", metavar="EMAIL", help="an email or an Okta user id (at most 100)")
    raw = commands.add_parser("event", parents=[common], help="send an event given as JSON (validated first)")
    raw.add_argument("event", metavar="JSON", help='the event, e.g. \'{"mode": "full", "dry_run": true}\'')
    return parser


def build_event(args: argparse.Namespace) -> dict[str, Any]:
    """The event the command asks for, not yet validated."""
    event: dict[str, Any]
    if args.command == "event":
        try:
            event = json.loads(args.event)
        except json.JSONDecodeError as exc:
            raise CliError(f"invalid event: not JSON ({exc})", exit_code=2) from None
        if not isinstance(event, dict):
            raise CliError(f"invalid event: expected a JSON object, got {type(event).__name__}", exit_code=2)
    elif args.command == "plan":
        event = {"mode": "full", "dry_run": True}
    elif args.command == "sync":
        event = {"mode": "full" if args.full else "incremental"}
    elif args.command == "users":
        event = {"mode": "users", "users": list(args.users)}
    else:
        event = {"mode": args.command}
    if args.dry_run:
        event["dry_run"] = True
    if args.force:
        event["force"] = True
    return event


def validate(event: dict[str, Any]) -> None:
    """The handler's own check (boundary.request), so that what it would refuse is never sent."""
    try:
        request = parse_event(event)
    except InvalidEventError as exc:
        raise CliError(exc.message, exit_code=2) from None
    if isinstance(request, QueueBatch):
        raise CliError("invalid event: SQS batches come from the event-hook queue, not from okzs", exit_code=2)


def resolve_function(args: argparse.Namespace, session: Any) -> str:
    """--function, else --stack's output, else $OKZS_FUNCTION, else $OKZS_STACK's output."""
    if args.function:
        return str(args.function)
    if args.stack:
        return function_name_from_stack(session.client("cloudformation"), args.stack)
    if os.environ.get(FUNCTION_VARIABLE):
        return os.environ[FUNCTION_VARIABLE]
    if os.environ.get(STACK_VARIABLE):
        return function_name_from_stack(session.client("cloudformation"), os.environ[STACK_VARIABLE])
    raise CliError(
        f"which function? Give --stack NAME (the stack you deployed) or --function NAME, or set ${STACK_VARIABLE}",
        exit_code=2,
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    session_factory: SessionFactory = boto3.Session,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        event = build_event(args)
        validate(event)  # before any AWS call: a refused event costs nothing and fires no alarm
        session = session_factory(region_name=args.region)
        function_name = resolve_function(args, session)
        result = invoke(session.client("lambda", config=LAMBDA_CONFIG), function_name, event)
    except CliError as exc:
        print(f"okzs: {exc}", file=err)
        return exc.exit_code
    print(json.dumps(result, indent=2) if args.json else render(result), file=out)
    return 0 if result.get("status") == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
