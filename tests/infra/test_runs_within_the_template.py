"""What the function does at run time against what template.yaml grants, alarms on and expires.

The real handler runs against the stack (tests/support/stack.py: moto, the simulators) through every kind of run:
full, incremental, users, dry run, check, one that fails, and an event refused. Every AWS call it makes is recorded
(a wrapper around botocore's `BaseClient._make_api_call`, so whichever client the code builds is seen) and every EMF
line it prints is kept. The tests then hold these against the template: the IAM policy grants each call and nothing
unused, every alarmed metric is emitted, the TTL attribute is written, and the metrics carry the template's namespace
and service.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import botocore.client
import pytest
from okta_zoom_sync.errors import InvalidEventError

from tests.support.fixtures import add_person
from tests.support.stack import POLICY_PARAMETER, SECRET_ID, TABLE, integration_stack
from tests.support.template import alarm_metrics, load_template, resources_of_type, state_table_ttl_attribute

from .test_template import NAMESPACE, SERVICE, alarms_by_metric, as_list, role_statements, the_function, the_hook


@dataclass(frozen=True)
class Call:
    action: str  # as IAM names it: "dynamodb:PutItem"
    params: dict[str, Any]


@dataclass
class Runs:
    results: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    emf: list[dict[str, Any]] = field(default_factory=list)

    def actions(self, service: str) -> set[str]:
        return {c.action for c in self.calls if c.action.startswith(f"{service}:")}


@contextmanager
def recording_aws_calls(calls: list[Call]) -> Iterator[None]:
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        prefix = client.meta.service_model.endpoint_prefix
        calls.append(Call(f"{prefix}:{operation_name}", dict(api_params)))
        return original(client, operation_name, api_params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", record):
        yield


def emf_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            lines.append(json.loads(line))
    return lines


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    """One stack, every kind of run; the calls and metrics of the runs only (not of the stack's set-up)."""
    record = Runs()
    # The policy in the SSM parameter, as the deployed stack has it.
    with pytest.MonkeyPatch.context() as patch, integration_stack(fast_retries=True, policy_in_parameter=True) as stack:
        patch.setattr("sys.stdout", stdout := io.StringIO())  # what the runs print (EMF lines among it)

        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            with recording_aws_calls(record.calls):
                result = stack.invoke(event)
            record.results.append(result)
            return result

        # Given two assigned users, a licensed default and one licensed seat, and a leftover in a managed domain
        stack.set_policy(
            "default_license: licensed\nmanaged_domains: [acme.example]\nmax_deprovisions: {count: 0, percent: 0}\n"
            "license_fallback: none\n"  # the create refused for lack of seats fails (a partial run)
        )
        stack.zoom.licensed_seats = 1
        add_person(stack, "fits@acme.example")
        add_person(stack, "later@acme.example")
        stack.zoom.add_user("leftover@acme.example")
        # When every kind of run goes: a full one (a create refused for lack of seats, a deprovision held)
        invoke({"mode": "full"})
        # a users run once a seat is bought (the failure record is cleared)
        stack.zoom.licensed_seats = 2
        invoke({"mode": "users", "users": ["later@acme.example"]})
        # a forced full run (the held deprovision goes ahead), an incremental one, a dry run, a check, a status
        invoke({"mode": "full", "force": True})
        invoke({"mode": "incremental"})
        invoke({"mode": "full", "dry_run": True})
        invoke({"mode": "check"})
        invoke({"mode": "status"})
        # and one that fails (Okta refuses the token)
        stack.okta.api_token = "revoked"
        invoke({"mode": "full"})
        # and an event with a typo, which the handler refuses (it raises, having counted it)
        with recording_aws_calls(record.calls), pytest.raises(InvalidEventError):
            stack.invoke({"mode": "ful"})
        record.emf = emf_lines(stdout.getvalue())
    # Then the runs went as the scenario says (else the checks below would prove little)
    statuses = [r["status"] for r in record.results]
    # (the held deprovision leaves a sync run blocked until a forced one, though it applies all else)
    expected = ["partial", "blocked", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed"]
    assert statuses == expected, statuses
    assert record.results[0]["failed"]["create"] == 1 and record.results[0]["held"]["deactivate"] == 1
    assert record.results[1]["applied"]["create"] == 1 and record.results[2]["applied"]["deactivate"] == 1
    yield record


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def granted(template: dict[str, Any], service: str) -> set[str]:
    return {a for s in role_statements(template) for a in as_list(s["Action"]) if a.startswith(f"{service}:")}


def test_the_table_actions_granted_are_exactly_the_calls_the_runs_make(template: dict[str, Any], runs: Runs) -> None:
    used, allowed = runs.actions("dynamodb"), granted(template, "dynamodb")
    assert used <= allowed, f"the runs call {sorted(used - allowed)}, which the template does not grant"
    assert allowed <= used, f"the template grants {sorted(allowed - used)}, which no run calls"


def test_every_table_call_is_on_the_state_table(runs: Runs) -> None:
    table_calls = [c for c in runs.calls if c.action.startswith("dynamodb:")]
    assert table_calls
    for call in table_calls:
        tables = set(call.params["RequestItems"]) if "RequestItems" in call.params else {call.params["TableName"]}
        assert tables == {TABLE}, call


def test_the_only_secret_call_is_reading_the_credentials_secret(template: dict[str, Any], runs: Runs) -> None:
    secret_calls = [c for c in runs.calls if c.action.startswith("secretsmanager:")]
    assert secret_calls, "the runs never read the secret"
    assert {c.action for c in secret_calls} == granted(template, "secretsmanager") == {"secretsmanager:GetSecretValue"}
    assert {c.params["SecretId"] for c in secret_calls} == {SECRET_ID}


def test_the_runs_call_no_other_aws_service(template: dict[str, Any], runs: Runs) -> None:
    services = {c.action.split(":")[0] for c in runs.calls}
    # logs and X-Ray go through the Lambda runtime, not an SDK call
    assert services == {"dynamodb", "secretsmanager", "ssm"}


def test_the_only_parameter_call_is_reading_the_policy_parameter(template: dict[str, Any], runs: Runs) -> None:
    ssm_calls = [c for c in runs.calls if c.action.startswith("ssm:")]
    assert ssm_calls, "the runs never read the policy parameter"
    assert {c.action for c in ssm_calls} == granted(template, "ssm") == {"ssm:GetParameter"}
    assert {c.params["Name"] for c in ssm_calls} == {POLICY_PARAMETER}
    # Cached: the five sync runs (within five minutes) read it once; the dry run and the check read it afresh.
    assert len(ssm_calls) == 3


def test_the_runs_write_the_tables_ttl_attribute(template: dict[str, Any], runs: Runs) -> None:
    ttl = state_table_ttl_attribute(template)
    written = [c.params["Item"] for c in runs.calls if c.action == "dynamodb:PutItem"]
    expiring = [item for item in written if ttl in item]
    assert expiring, f"no item the runs wrote has the table's TTL attribute {ttl!r}"
    assert all("N" in item[ttl] for item in expiring), "a TTL attribute must be a number (epoch seconds)"


def test_every_alarmed_metric_is_emitted_by_some_run(template: dict[str, Any], runs: Runs) -> None:
    alarmed = {
        metric["MetricName"]
        for alarm in alarms_by_metric(template).values()
        for metric in alarm_metrics(alarm)
        if metric["Namespace"] == NAMESPACE
    }
    assert alarmed
    emitted = {
        metric["Name"] for line in runs.emf for spec in line["_aws"]["CloudWatchMetrics"] for metric in spec["Metrics"]
    }
    assert alarmed <= emitted, f"alarmed but never emitted: {sorted(alarmed - emitted)}"


def test_the_metrics_carry_the_templates_namespace_and_service_dimension(template: dict[str, Any], runs: Runs) -> None:
    variables = the_function(template)["Environment"]["Variables"]
    assert (variables["POWERTOOLS_METRICS_NAMESPACE"], variables["POWERTOOLS_SERVICE_NAME"]) == (NAMESPACE, SERVICE)
    # every run flushes its metrics (a status read is not a run: it emits none, so no alarm counts it)
    assert len(runs.emf) >= sum(result["mode"] != "status" for result in runs.results)
    for line in runs.emf:
        for spec in line["_aws"]["CloudWatchMetrics"]:
            assert spec["Namespace"] == NAMESPACE
            assert [sorted(names) for names in spec["Dimensions"]] == [["Stack", "service"]]
        assert line["service"] == SERVICE
        assert line["Stack"] == "local"  # the test stack sets no STACK_NAME; test_alarms_match_metrics.py does
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    custom = [m for a in alarms for m in alarm_metrics(a["Properties"]) if m["Namespace"] == NAMESPACE]
    assert custom and all({"Name": "service", "Value": SERVICE} in m["Dimensions"] for m in custom)


# ------------------------------------------------------------------------ the event hook, and a queue run

# IAM authorises some API calls under another action's name.
IAM_ACTION = {"sqs:SendMessageBatch": "sqs:SendMessage"}


@dataclass
class HookRuns:
    hook_calls: list[Call] = field(default_factory=list)
    queue_run_calls: list[Call] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    queue_url: str = ""
    queue_result: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def hook_runs() -> Iterator[HookRuns]:
    """Every kind of hook request (verification, refused, bad body, a delivery) and the sync's run of what it
    queued; the AWS calls of each side recorded apart."""
    from tests.support.hook import delivery, function_url_event, hook_stack

    record = HookRuns()
    with integration_stack(fast_retries=True) as stack, hook_stack(stack) as hook:
        record.queue_url = hook.queue_url
        user_id = add_person(stack, "hooked@acme.example")
        stack.invoke({"mode": "full"})
        before = len(stack.okta.log_events)
        stack.okta.set_status(user_id, "SUSPENDED")
        events = stack.okta.log_events[before:]
        with recording_aws_calls(record.hook_calls):
            # Given each kind of request Okta (or anyone) may send
            record.answers.append(hook.verify("challenge")["statusCode"])
            record.answers.append(hook.post(delivery(events), authorization="wrong")["statusCode"])
            record.answers.append(hook.post("not json")["statusCode"])
            record.answers.append(hook.call(function_url_event("DELETE", {}))["statusCode"])
            record.answers.append(hook.post_events(events)["statusCode"])
        messages = hook.receive()
        with recording_aws_calls(record.queue_run_calls):
            record.queue_result = stack.invoke(hook.sqs_event(messages))
    # Then they went as expected (else the checks below would prove little)
    assert record.answers == [200, 401, 400, 405, 200]
    assert len(messages) == 1 and record.queue_result["status"] == "succeeded"
    yield record


def hook_granted(template: dict[str, Any]) -> set[str]:
    return {a for s in role_statements(template, "HookFunction") for a in as_list(s["Action"])}


def test_the_hooks_calls_are_exactly_what_its_role_grants(template: dict[str, Any], hook_runs: HookRuns) -> None:
    used = {IAM_ACTION.get(c.action, c.action) for c in hook_runs.hook_calls}
    allowed = {a for a in hook_granted(template) if not a.startswith("logs:")}  # logs go through the runtime
    assert used == allowed == {"secretsmanager:GetSecretValue", "sqs:SendMessage"}


def test_the_hook_reads_only_its_secret_and_sends_only_to_its_queue(
    template: dict[str, Any], hook_runs: HookRuns
) -> None:
    from tests.support.hook import HOOK_SECRET_ID

    variables = the_hook(template)["Environment"]["Variables"]
    assert (variables["HOOK_SECRET_ID"], variables["HOOK_QUEUE_URL"]) == ({"Ref": "HookSecret"}, {"Ref": "HookQueue"})
    for call in hook_runs.hook_calls:
        if call.action.startswith("secretsmanager:"):
            assert call.params["SecretId"] == HOOK_SECRET_ID
        else:
            assert call.params["QueueUrl"] == hook_runs.queue_url


def test_a_queue_run_calls_no_queue_and_stays_within_the_sync_role(
    template: dict[str, Any], hook_runs: HookRuns
) -> None:
    # The event source mapping receives and deletes (under the sync role's sqs grants); the run itself only
    # reads the credentials (cached here) and uses the state table.
    actions = {c.action for c in hook_runs.queue_run_calls}
    services = {a.split(":")[0] for a in actions}
    assert "dynamodb" in services and services <= {"dynamodb", "secretsmanager"}
    assert actions <= granted(template, "dynamodb") | granted(template, "secretsmanager")
    assert granted(template, "sqs") == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
