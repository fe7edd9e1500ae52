"""What an operator uses to find and watch the stack: fixed function names, their log groups, the dashboard and the
saved Logs Insights queries (template.yaml), and the README that lists them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from okta_zoom_sync.core.model import OP_KINDS

from tests.infra.cfn_eval import Evaluator
from tests.support.template import REPO, load_template, resources_of_type

REQUIRED_PARAMETERS = {
    "OktaOrgUrl": "https://acme.okta.com",
    "OktaAppId": "0oa1abcd2EFGH3ijk4l5",
    "CredentialsSecret": "okta-zoom-sync/credentials",
}
STACK = "okta-zoom-sync"  # cfn_eval's AWS::StackName
NAMESPACE = "OktaZoomSync"
STACK_DIMENSIONS = {"Stack": STACK, "service": "okta-zoom-sync"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def resolved(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return Evaluator(template, REQUIRED_PARAMETERS).active_resources()


@pytest.fixture(scope="module")
def widgets(resolved: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    (dashboard,) = (r for r in resolved.values() if r["Type"] == "AWS::CloudWatch::Dashboard")
    body = json.loads(dashboard["Properties"]["DashboardBody"])  # valid JSON once substituted
    return list(body["widgets"])


def metric_rows(widget: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of each metric row of a widget (expression rows left out)."""
    rows = []
    for row in widget["properties"].get("metrics", []):
        names = [item for item in row if isinstance(item, str)]
        if len(names) >= 2:
            rows.append((names[0], names[1], dict(zip(names[2::2], names[3::2], strict=True))))
    return rows


def by_title(widgets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {widget["properties"]["title"]: widget for widget in widgets}


# ------------------------------------------------------------------------------------- names, log groups


@pytest.mark.parametrize(("function_id", "suffix", "log_group_id"), [
    ("SyncFunction", "sync", "SyncLogGroup"),
    ("HookFunction", "hook", "HookLogGroup"),
])  # fmt: skip
def test_each_function_has_a_fixed_name_and_its_own_log_group(
    resolved: dict[str, dict[str, Any]], function_id: str, suffix: str, log_group_id: str
) -> None:
    function = resolved[function_id]["Properties"]
    assert function["FunctionName"] == f"{STACK}-{suffix}"
    assert function["LoggingConfig"]["LogGroup"] == f"<ref:{log_group_id}>"
    log_group = resolved[log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    # Lambda's own name for the function's log group, so the console's "View logs" finds it too
    assert log_group["Properties"]["LogGroupName"] == f"/aws/lambda/{STACK}-{suffix}"
    assert log_group["Properties"]["RetentionInDays"] == 90
    assert function["Environment"]["Variables"]["STACK_NAME"] == STACK


def test_the_check_command_output_names_the_fixed_function_and_never_times_out(
    resolved: dict[str, dict[str, Any]], template: dict[str, Any]
) -> None:
    command = Evaluator(template, REQUIRED_PARAMETERS).resolve(template["Outputs"]["CheckCommand"]["Value"])
    assert "--function-name <ref:SyncFunction>" in command and "--cli-read-timeout 0" in command
    assert "--cli-binary-format raw-in-base64-out" in command


# ------------------------------------------------------------------------------------------- dashboard


def test_one_dashboard_named_after_the_stack(resolved: dict[str, dict[str, Any]]) -> None:
    dashboards = [r for r in resolved.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    assert len(dashboards) == 1
    assert dashboards[0]["Properties"]["DashboardName"].startswith(STACK)


def test_every_custom_metric_on_the_dashboard_is_this_stacks(widgets: list[dict[str, Any]]) -> None:
    custom = [row for widget in widgets for row in metric_rows(widget) if row[0] == NAMESPACE]
    assert custom
    for _, name, dimensions in custom:
        assert dimensions == STACK_DIMENSIONS, name


def test_the_dashboard_shows_what_the_issue_asks(widgets: list[dict[str, Any]]) -> None:
    titled = by_title(widgets)

    def names(title: str) -> set[str]:
        return {name for _, name, _ in metric_rows(titled[title])}

    assert names("Runs by status") == {"RunSucceeded", "RunPartial", "RunBlocked", "RunSkipped", "RunFailed"}
    # per-type counts: one metric per operation kind (a bounded set), as service/metrics.py names them
    assert names("Operations applied by type") == {f"Applied.{kind.value}" for kind in OP_KINDS}
    assert names("Operations failed by type") == {f"Failed.{kind.value}" for kind in OP_KINDS}
    assert names("Run duration (ms)") == {"RunDurationMs"}
    assert names("Requests per API") == {"OktaRequests", "ZoomRequests"}
    assert names("429s (rate limited) per API") == {"OktaRateLimited", "ZoomRateLimited"}
    assert {"UsersQuarantined", "OperationsHeld"} <= names("Quarantined users and held operations")
    since = titled["Seconds since the last successful run"]["properties"]["metrics"]
    expressions = [
        item["expression"] for row in since for item in row if isinstance(item, dict) and "expression" in item
    ]
    assert expressions and "EPOCH" in expressions[0] and "REPEAT" in expressions[0]
    queues = {
        dims["QueueName"] for _, _, dims in metric_rows(titled["Queue depths (hook queue and dead-letter queues)"])
    }
    assert queues == {"<HookQueue.QueueName>", "<HookDeadLetterQueue.QueueName>", "<ScheduleDeadLetterQueue.QueueName>"}


def test_the_dashboards_alarm_widget_shows_every_alarm(
    widgets: list[dict[str, Any]], resolved: dict[str, dict[str, Any]]
) -> None:
    (alarm_widget,) = (w for w in widgets if w["type"] == "alarm")
    alarm_ids = {logical_id for logical_id, r in resolved.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(alarm_widget["properties"]["alarms"]) == {f"<{alarm_id}.Arn>" for alarm_id in alarm_ids}


def test_the_readme_lists_every_widget(widgets: list[dict[str, Any]]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for title in by_title(widgets):
        assert f"**{title}**" in readme, title


# ---------------------------------------------------------------------------------------- saved queries

# The keys of the function's log lines the queries filter on (engine/executor.py, engine/sync.py).
QUERIES = {
    "what-happened-to-user": ("email", "okta_id"),
    "failures": ("outcome", "level"),
    "what-did-run-do": ("run_id",),
}


def test_three_saved_queries_over_the_sync_log_group(template: dict[str, Any]) -> None:
    definitions = resources_of_type(template, "AWS::Logs::QueryDefinition")
    evaluator = Evaluator(template, REQUIRED_PARAMETERS)
    by_name = {
        evaluator.resolve(d["Properties"]["Name"]).rsplit("/", 1)[1]: d["Properties"] for d in definitions.values()
    }
    assert set(by_name) == set(QUERIES)
    for name, keys in QUERIES.items():
        query = by_name[name]
        assert query["LogGroupNames"] == [{"Ref": "SyncLogGroup"}]
        filters = [line for line in query["QueryString"].splitlines() if line.startswith("| filter")]
        assert len(filters) == 1
        for key in keys:
            assert re.search(rf"\b{key}\b", filters[0]), (name, key)
