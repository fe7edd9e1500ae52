"""Every alarm watches a metric that exists: its namespace, name and exact dimensions are ones the code emits.

The real handler runs against the stack (tests/support/stack.py: moto, the Okta and Zoom simulators) through the runs
the alarms are about: a run with a license shortage and a held deprovision, one throttled by Zoom, one with a failed
operation and then one that quarantines its user, a forced run that succeeds, a check, a dry run, an event with a
typo, and a run that fails. The EMF lines the function prints are kept, and every (namespace, metric, dimensions)
they publish is collected. Each OktaZoomSync alarm in template.yaml, resolved for a stack name, must match one of
them exactly: CloudWatch matches a metric on all its dimensions, so an alarm with one dimension more or less, or
another stack's value, watches nothing. The AWS/Lambda and AWS/SQS alarms must point at the template's own resources.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from okta_zoom_sync.errors import InvalidEventError

from tests.infra.cfn_eval import PSEUDO_PARAMETERS, Evaluator
from tests.support.fixtures import add_person
from tests.support.stack import integration_stack
from tests.support.template import alarm_metrics, load_template, resources_of_type

NAMESPACE = "OktaZoomSync"
STACK = PSEUDO_PARAMETERS["AWS::StackName"]  # the stack name the template is resolved with
REQUIRED_PARAMETERS = {
    "OktaOrgUrl": "https://acme.okta.com",
    "OktaAppId": "0oa1abcd2EFGH3ijk4l5",
    "CredentialsSecret": "okta-zoom-sync/credentials",
}

Dimensions = frozenset[tuple[str, str]]


@dataclass
class Emitted:
    """What the runs published: (namespace, metric, dimensions) -> the values seen."""

    statuses: list[str] = field(default_factory=list)
    values: dict[tuple[str, str, Dimensions], list[float]] = field(default_factory=dict)

    def add_emf(self, line: dict[str, Any]) -> None:
        for spec in line["_aws"]["CloudWatchMetrics"]:
            for names in spec["Dimensions"]:
                dimensions = frozenset((name, str(line[name])) for name in names)
                for metric in spec["Metrics"]:
                    value = line[metric["Name"]]
                    values = value if isinstance(value, list) else [value]
                    key = (spec["Namespace"], metric["Name"], dimensions)
                    self.values.setdefault(key, []).extend(values)

    def largest(self, name: str) -> float:
        seen = [v for (ns, metric, _), values in self.values.items() if metric == name for v in values]
        assert seen, f"{name} was never emitted"
        return max(seen)


def emf_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"_aws"' in line]


@pytest.fixture(scope="module")
def emitted() -> Iterator[Emitted]:
    record = Emitted()
    with pytest.MonkeyPatch.context() as patch, integration_stack(fast_retries=True) as stack:
        patch.setenv("STACK_NAME", STACK)
        patch.setattr("sys.stdout", stdout := io.StringIO())

        def invoke(event: dict[str, Any]) -> None:
            record.statuses.append(stack.invoke(event)["status"])

        # Given a licensed default with one seat (the second user is kept on Basic), no deprovision allowed, and a
        # leftover Zoom user in a managed domain
        stack.set_policy(
            "default_license: licensed\nmanaged_domains: [acme.example]\nmax_deprovisions: {count: 0, percent: 0}\n"
            "license_fallback: basic\n"
        )
        stack.zoom.licensed_seats = 1
        add_person(stack, "fits@acme.example")
        add_person(stack, "short@acme.example")
        stack.zoom.add_user("leftover@acme.example")
        # When a full run meets the shortage and holds the deprovision
        invoke({"mode": "full"})
        # a forced run is throttled by Zoom (a burst of 429s, retried) and lets the deprovision through
        stack.zoom.inject(method=None, path_prefix="/v2/users", status=429, times=2)
        invoke({"mode": "full", "force": True})
        # a new user's create is refused for good (a failed operation), and the next run leaves the user alone
        add_person(stack, "refused@acme.example")
        stack.zoom.inject(method="POST", path_prefix="/v2/users", status=400, times=None)
        invoke({"mode": "full"})
        invoke({"mode": "full"})
        stack.zoom.clear_faults()
        # a check, a dry run, an event with a typo (the handler raises), and a run Okta refuses
        invoke({"mode": "check"})
        invoke({"mode": "full", "dry_run": True})
        with pytest.raises(InvalidEventError, match="mode"):
            stack.invoke({"mode": "ful"})
        stack.okta.api_token = "revoked"
        invoke({"mode": "full"})
        for line in emf_lines(stdout.getvalue()):
            record.add_emf(line)
    # Then the runs went as the scenario says, and each alarmed condition was reached by some run
    assert record.statuses == ["blocked", "succeeded", "partial", "succeeded", "succeeded", "succeeded", "failed"], (
        record.statuses
    )
    yield record


@pytest.fixture(scope="module")
def resolved_alarms() -> dict[str, dict[str, Any]]:
    template = load_template()
    active = Evaluator(template, REQUIRED_PARAMETERS).active_resources()
    return {logical_id: r["Properties"] for logical_id, r in active.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_the_scenario_reaches_every_alarmed_condition(emitted: Emitted) -> None:
    assert emitted.largest("LicenseShortage") >= 1
    assert emitted.largest("OperationsHeld") >= 1
    assert emitted.largest("ZoomRateLimited") >= 1
    assert emitted.largest("OperationsFailed") >= 1
    assert emitted.largest("UsersQuarantined") >= 1
    assert emitted.largest("InvalidEvents") == 1
    assert emitted.largest("RunFailed") == 1
    assert emitted.largest("RunSucceeded") == 1


def test_every_metric_carries_the_stack_and_the_service(emitted: Emitted) -> None:
    assert emitted.values
    for namespace, name, dimensions in emitted.values:
        assert namespace == NAMESPACE
        assert dimensions == {("Stack", STACK), ("service", "okta-zoom-sync")}, name


def test_every_custom_alarm_watches_a_metric_the_code_emits(
    resolved_alarms: dict[str, dict[str, Any]], emitted: Emitted
) -> None:
    watched = [
        (alarm_id, metric)
        for alarm_id, alarm in resolved_alarms.items()
        for metric in alarm_metrics(alarm)
        if metric["Namespace"] == NAMESPACE
    ]
    assert len({alarm_id for alarm_id, _ in watched}) >= 8
    for alarm_id, metric in watched:
        dimensions = frozenset((d["Name"], d["Value"]) for d in metric["Dimensions"])
        assert len(dimensions) == len(metric["Dimensions"]), f"{alarm_id}: a dimension given twice"
        key = (NAMESPACE, metric["MetricName"], dimensions)
        assert key in emitted.values, (
            f"{alarm_id} watches {metric['MetricName']} with {sorted(dimensions)}, which no run emits; emitted with "
            f"that name: {sorted(sorted(d) for ns, n, d in emitted.values if n == metric['MetricName'])}"
        )


def test_the_aws_metric_alarms_watch_the_templates_own_resources(resolved_alarms: dict[str, dict[str, Any]]) -> None:
    template = load_template()
    queues = {f"<{queue_id}.QueueName>" for queue_id in resources_of_type(template, "AWS::SQS::Queue")}
    aws_metrics = [m for alarm in resolved_alarms.values() for m in alarm_metrics(alarm) if m["Namespace"] != NAMESPACE]
    assert {m["Namespace"] for m in aws_metrics} == {"AWS/Lambda", "AWS/SQS"}
    for metric in aws_metrics:
        (dimension,) = metric["Dimensions"]
        if metric["Namespace"] == "AWS/Lambda":
            assert dimension == {"Name": "FunctionName", "Value": "<ref:SyncFunction>"}
        else:
            assert dimension["Name"] == "QueueName" and dimension["Value"] in queues, metric


def test_every_alarm_is_this_stacks_own(resolved_alarms: dict[str, dict[str, Any]]) -> None:
    # Two stacks in one region: the alarm names differ, and no custom metric is read without the stack's dimension.
    for alarm in resolved_alarms.values():
        assert alarm["AlarmName"].startswith(f"{STACK}-")
        for metric in alarm_metrics(alarm):
            if metric["Namespace"] == NAMESPACE:
                assert {"Name": "Stack", "Value": STACK} in metric["Dimensions"]
