"""template.yaml, samconfig.toml and events/ against the operator contract (shared/product/contract.md)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from okta_zoom_sync.boundary.policy_file import parse_policy
from okta_zoom_sync.boundary.request import QueueBatch, parse_event
from okta_zoom_sync.core.policy import Policy

from tests.infra.cfn_eval import Evaluator
from tests.support.template import (
    REPO,
    TEMPLATE_PATH,
    alarm_metrics,
    load_template,
    resources_of_type,
    state_table_keys,
    state_table_resource,
    state_table_ttl_attribute,
)

REQUIRED_PARAMETERS = {
    "OktaOrgUrl": "https://acme.okta.com",
    "OktaAppId": "0oa1abcd2EFGH3ijk4l5",
    "CredentialsSecret": "okta-zoom-sync/credentials",
}
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:210987654321:secret:okta-zoom-sync/credentials-AbC123"
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# The contract's environment table, plus the Powertools settings.
CONTRACT_ENV = {
    "OKTA_ORG_URL",
    "OKTA_APP_ID",
    "ZOOM_API_URL",
    "ZOOM_TOKEN_URL",
    "CREDENTIALS_SECRET_ID",
    "STATE_TABLE_NAME",
    "SYNC_POLICY_PATH",
}
# The policy parameter (issue 10), unless PolicyPath names a file.
POLICY_ENV = {"SYNC_POLICY_PARAMETER"}
POWERTOOLS_ENV = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL", "LOG_LEVEL"}
# The stack's name, every metric's Stack dimension (observability.py).
STACK_ENV = {"STACK_NAME"}
# The speed settings (boundary/settings.py), each from a parameter of its own.
SPEED_ENV = {"ZOOM_PLAN": "ZoomPlan", "ZOOM_RATE_LIMITS": "ZoomRateLimits", "OKTA_RATE_SHARE": "OktaRateShare",
             "APPLY_WORKERS": "ApplyWorkers"}  # fmt: skip

NAMESPACE = "OktaZoomSync"
SERVICE = "okta-zoom-sync"
# Metric names the code emits (namespace OktaZoomSync, dimensions service=okta-zoom-sync and Stack=<stack name>).
METRICS = {
    "RunSucceeded",
    "RunFailed",
    "RunPartial",
    "RunBlocked",
    "RunSkipped",
    "OperationsApplied",
    "OperationsFailed",
    "OperationsHeld",
    "LicenseShortage",
    "RunDurationMs",
    "UsersQuarantined",
    "InvalidEvents",
    "OktaRequests",
    "OktaRateLimited",
    "ZoomRequests",
    "ZoomRateLimited",
}
# What an alarm on a custom metric reads: both dimensions, the stack's name among them.
CUSTOM_DIMENSIONS = [{"Name": "service", "Value": SERVICE}, {"Name": "Stack", "Value": {"Ref": "AWS::StackName"}}]
STATE_TABLE_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
    "dynamodb:DescribeTable",
}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}

# Every parameter combination that changes the IAM policy.
POLICY_VARIANTS = [
    pytest.param({}, id="secret-name"),
    pytest.param({"CredentialsSecret": SECRET_ARN}, id="secret-arn"),
    pytest.param({"CredentialsSecretKmsKeyArn": KMS_KEY_ARN}, id="secret-name-cmk"),
    pytest.param({"CredentialsSecret": SECRET_ARN, "CredentialsSecretKmsKeyArn": KMS_KEY_ARN}, id="secret-arn-cmk"),
]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def evaluate(template: dict[str, Any], **overrides: Any) -> Evaluator:
    return Evaluator(template, REQUIRED_PARAMETERS | overrides)


def the_function(template: dict[str, Any], name: str = "SyncFunction") -> dict[str, Any]:
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert set(functions) == {"SyncFunction", "HookFunction"}
    return functions[name]["Properties"]


def the_hook(template: dict[str, Any]) -> dict[str, Any]:
    return the_function(template, "HookFunction")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict[str, Any], function: str = "SyncFunction", **overrides: Any) -> list[dict[str, Any]]:
    """Every statement of the function role's inline policies, resolved for these parameters."""
    role_id = the_function(template, function)["Role"]["Fn::GetAtt"][0]
    role = evaluate(template, **overrides).active_resources()[role_id]
    assert role["Type"] == "AWS::IAM::Role"
    return [
        statement for policy in role["Properties"]["Policies"] for statement in policy["PolicyDocument"]["Statement"]
    ]


# ------------------------------------------------------------------------------------------ lint


def test_cfn_lint_reports_nothing_even_informational() -> None:
    matches = lint_file(TEMPLATE_PATH, ManualArgs(include_checks=["I"]))
    assert [str(match) for match in matches] == []


# ----------------------------------------------------------------------------------- state table


def test_exactly_one_dynamodb_table(template: dict[str, Any]) -> None:
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    assert list(tables) == ["StateTable"]
    assert resources_of_type(template, "AWS::Serverless::SimpleTable") == {}


def test_state_table_keys_billing_and_protection(template: dict[str, Any]) -> None:
    table = state_table_resource(template)
    properties = table["Properties"]
    assert state_table_keys(template) == ("pk", "sk")
    assert sorted(properties["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in properties
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert state_table_ttl_attribute(template) == "expires_at"
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    # A fixed TableName would block replacement and a second stack in the same account.
    assert "TableName" not in properties


# -------------------------------------------------------------------------------------- function


def test_function_runtime_and_concurrency(template: dict[str, Any]) -> None:
    function = the_function(template)
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "app.handler"
    assert function["CodeUri"] == "functions/sync"
    assert function["ReservedConcurrentExecutions"] == 1
    assert function["Tracing"] == "Active"
    assert function["Timeout"] == {"Ref": "Timeout"}
    assert function["MemorySize"] == {"Ref": "MemorySize"}
    assert function["EventInvokeConfig"]["MaximumRetryAttempts"] == 0


@pytest.mark.parametrize("name", ["SyncFunction", "HookFunction"])
def test_function_code_and_layer_exist_on_disk(template: dict[str, Any], name: str) -> None:
    function = the_function(template, name)
    module, _, attribute = function["Handler"].partition(".")
    handler_file = REPO / function["CodeUri"] / f"{module}.py"
    assert handler_file.is_file()
    source = handler_file.read_text(encoding="utf-8")
    assert re.search(rf"^(def {attribute}\(|{attribute}\s*=)", source, re.MULTILINE), (
        f"{handler_file} has no {attribute}"
    )
    layer = resources_of_type(template, "AWS::Serverless::LayerVersion")["EngineLayer"]["Properties"]
    assert (REPO / layer["ContentUri"] / "requirements.txt").is_file()
    assert (REPO / layer["ContentUri"] / "okta_zoom_sync" / "__init__.py").is_file()


def test_engine_layer_wiring(template: dict[str, Any]) -> None:
    layers = resources_of_type(template, "AWS::Serverless::LayerVersion")
    assert list(layers) == ["EngineLayer"]
    layer = layers["EngineLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/engine"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    assert the_function(template)["Layers"] == [{"Ref": "EngineLayer"}]
    assert the_hook(template)["Layers"] == [{"Ref": "EngineLayer"}]


def test_environment_variables_are_the_contract(template: dict[str, Any]) -> None:
    variables = the_function(template)["Environment"]["Variables"]
    assert set(variables) == CONTRACT_ENV | POLICY_ENV | POWERTOOLS_ENV | STACK_ENV | set(SPEED_ENV)
    assert variables["STACK_NAME"] == {"Ref": "AWS::StackName"}
    assert variables["STATE_TABLE_NAME"] == {"Ref": "StateTable"}
    assert variables["OKTA_ORG_URL"] == {"Ref": "OktaOrgUrl"}
    assert variables["OKTA_APP_ID"] == {"Ref": "OktaAppId"}
    assert variables["ZOOM_API_URL"] == {"Ref": "ZoomApiUrl"}
    assert variables["ZOOM_TOKEN_URL"] == {"Ref": "ZoomTokenUrl"}
    assert variables["CREDENTIALS_SECRET_ID"] == {"Ref": "CredentialsSecret"}
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    assert variables["POWERTOOLS_LOG_LEVEL"] == variables["LOG_LEVEL"] == {"Ref": "LogLevel"}
    for name, parameter in SPEED_ENV.items():
        assert variables[name] == {"Ref": parameter}


def test_sync_policy_path_is_set_only_when_given(template: dict[str, Any]) -> None:
    def resolved_env(**overrides: Any) -> dict[str, Any]:
        function = evaluate(template, **overrides).active_resources()["SyncFunction"]
        return function["Properties"]["Environment"]["Variables"]

    default_env = resolved_env()
    assert "SYNC_POLICY_PATH" not in default_env
    assert set(default_env) == (CONTRACT_ENV - {"SYNC_POLICY_PATH"}) | POLICY_ENV | POWERTOOLS_ENV | STACK_ENV | set(
        SPEED_ENV
    )
    assert default_env["ZOOM_API_URL"] == "https://api.zoom.us/v2"
    assert default_env["ZOOM_TOKEN_URL"] == "https://zoom.us/oauth/token"
    assert default_env["STATE_TABLE_NAME"] == "<ref:StateTable>"
    with_file = resolved_env(PolicyPath="/opt/policy.yaml")
    assert with_file["SYNC_POLICY_PATH"] == "/opt/policy.yaml"
    # The parameter would win over the file (boundary/policy_source.py), so it is not passed when a file is given.
    assert "SYNC_POLICY_PARAMETER" not in with_file


# -------------------------------------------------------------------------------------- policy parameter


def test_the_policy_parameter_starts_as_the_packaged_defaults(template: dict[str, Any]) -> None:
    parameters = resources_of_type(template, "AWS::SSM::Parameter")
    assert list(parameters) == ["PolicyParameter"]
    properties = parameters["PolicyParameter"]["Properties"]
    assert properties["Type"] == "String"  # not SecureString: a policy holds no secret, and needs no kms:Decrypt
    assert properties["Tier"] == "Intelligent-Tiering"  # Advanced (8 KB) only once a policy outgrows Standard
    assert evaluate(template).resolve(properties["Name"]) == "/okta-zoom-sync/sync-policy"
    packaged = (REPO / the_function(template)["CodeUri"] / "policy.yaml").read_text(encoding="utf-8")
    assert properties["Value"] == packaged
    assert parse_policy(properties["Value"], "PolicyParameter") == Policy()
    assert len(properties["Value"].encode()) <= 4096  # the defaults fit the Standard tier: no charge


def test_the_policy_parameter_is_what_the_function_reads(template: dict[str, Any]) -> None:
    variables = the_function(template)["Environment"]["Variables"]
    assert variables["SYNC_POLICY_PARAMETER"] == {
        "Fn::If": ["HasPolicyPath", {"Ref": "AWS::NoValue"}, {"Ref": "PolicyParameter"}]
    }
    resolved = evaluate(template).active_resources()["SyncFunction"]["Properties"]["Environment"]["Variables"]
    assert resolved["SYNC_POLICY_PARAMETER"] == "<ref:PolicyParameter>"


@pytest.mark.parametrize("overrides", POLICY_VARIANTS)
def test_ssm_read_is_the_policy_parameter_alone(template: dict[str, Any], overrides: dict[str, Any]) -> None:
    statements = role_statements(template, **overrides)
    ssm_statements = [s for s in statements if any(a.startswith("ssm:") for a in as_list(s["Action"]))]
    assert ssm_statements == [
        {
            "Sid": "ReadPolicyParameter",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            # Ref of an AWS::SSM::Parameter is its name, which starts with "/".
            "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter<ref:PolicyParameter>",
        }
    ]
    # No kms:Decrypt for the parameter (a String); the only one there may be is the secret's, through Secrets Manager.
    kms = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert all(s["Condition"]["StringEquals"]["kms:ViaService"].startswith("secretsmanager.") for s in kms)
    hook_actions = {a for s in role_statements(template, "HookFunction", **overrides) for a in as_list(s["Action"])}
    assert not any(action.startswith("ssm:") for action in hook_actions)


def test_packaged_policy_file_is_beside_the_handler(template: dict[str, Any]) -> None:
    assert (REPO / the_function(template)["CodeUri"] / "policy.yaml").is_file()


def test_log_group_is_explicit_with_retention(template: dict[str, Any]) -> None:
    log_group_ref = the_function(template)["LoggingConfig"]["LogGroup"]
    log_group = template["Resources"][log_group_ref["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    retention = template["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 90
    assert retention["Default"] in retention["AllowedValues"]


# ------------------------------------------------------------------------------------------- IAM


def test_function_uses_the_template_role_without_managed_policies(template: dict[str, Any]) -> None:
    function = the_function(template)
    assert "Policies" not in function  # SAM would generate a role with AWSLambdaBasicExecutionRole
    role = template["Resources"][function["Role"]["Fn::GetAtt"][0]]
    assert role["Type"] == "AWS::IAM::Role"
    assert "ManagedPolicyArns" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert resources_of_type(template, "AWS::IAM::ManagedPolicy") == {}
    assert resources_of_type(template, "AWS::IAM::Policy") == {}


@pytest.mark.parametrize("overrides", POLICY_VARIANTS)
def test_no_wildcard_actions_and_star_only_for_xray(template: dict[str, Any], overrides: dict[str, Any]) -> None:
    statements = role_statements(template, **overrides)
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert actions, statement
        assert all("*" not in action for action in actions), statement
        if "*" in as_list(statement["Resource"]):
            assert set(actions) == XRAY_ACTIONS, statement


@pytest.mark.parametrize(
    ("overrides", "expected_resource"),
    [
        pytest.param(
            {},
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:okta-zoom-sync/credentials-??????",
            id="name",
        ),
        pytest.param({"CredentialsSecret": SECRET_ARN}, SECRET_ARN, id="arn"),
    ],
)
def test_secret_access_is_exactly_the_given_secret(
    template: dict[str, Any], overrides: dict[str, Any], expected_resource: str
) -> None:
    statements = role_statements(template, **overrides)
    secret_statements = [s for s in statements if any(a.startswith("secretsmanager:") for a in as_list(s["Action"]))]
    assert len(secret_statements) == 1
    assert as_list(secret_statements[0]["Action"]) == ["secretsmanager:GetSecretValue"]
    assert as_list(secret_statements[0]["Resource"]) == [expected_resource]
    assert not any(a.startswith("kms:") for s in statements for a in as_list(s["Action"]))


@pytest.mark.parametrize("secret", [REQUIRED_PARAMETERS["CredentialsSecret"], SECRET_ARN])
def test_kms_decrypt_only_with_the_key_and_through_secrets_manager(template: dict[str, Any], secret: str) -> None:
    statements = role_statements(template, CredentialsSecret=secret, CredentialsSecretKmsKeyArn=KMS_KEY_ARN)
    kms_statements = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert len(kms_statements) == 1
    statement = kms_statements[0]
    assert as_list(statement["Action"]) == ["kms:Decrypt"]
    assert as_list(statement["Resource"]) == [KMS_KEY_ARN]
    assert statement["Condition"]["StringEquals"] == {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    secret_resource = next(s["Resource"] for s in statements if s["Action"] == "secretsmanager:GetSecretValue")
    assert statement["Condition"]["StringLike"] == {"kms:EncryptionContext:SecretARN": secret_resource}


@pytest.mark.parametrize("overrides", POLICY_VARIANTS)
def test_state_table_access_is_the_table_only(template: dict[str, Any], overrides: dict[str, Any]) -> None:
    statements = role_statements(template, **overrides)
    table_statements = [s for s in statements if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert len(table_statements) == 1
    assert set(as_list(table_statements[0]["Action"])) == STATE_TABLE_ACTIONS
    assert as_list(table_statements[0]["Resource"]) == ["<StateTable.Arn>"]


def test_logs_limited_to_the_function_log_group(template: dict[str, Any]) -> None:
    statements = role_statements(template)
    log_statements = [s for s in statements if any(a.startswith("logs:") for a in as_list(s["Action"]))]
    assert log_statements == [
        {
            "Sid": "WriteOwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "<SyncLogGroup.Arn>",
        }
    ]
    services = {action.split(":")[0] for s in statements for action in as_list(s["Action"])}
    assert services == {"logs", "xray", "secretsmanager", "dynamodb", "sqs", "ssm"}


@pytest.mark.parametrize("overrides", POLICY_VARIANTS)
def test_the_sync_function_may_only_consume_the_hook_queue(template: dict[str, Any], overrides: dict[str, Any]) -> None:
    statements = [s for s in role_statements(template, **overrides) if s["Action"][0].startswith("sqs:")]
    assert statements == [
        {
            "Sid": "ConsumeHookQueue",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": "<HookQueue.Arn>",
        }
    ]


@pytest.mark.parametrize("overrides", POLICY_VARIANTS)
def test_the_hook_may_only_log_read_its_secret_and_send_to_its_queue(
    template: dict[str, Any], overrides: dict[str, Any]
) -> None:
    hook = the_hook(template)
    assert "Policies" not in hook
    role = template["Resources"][hook["Role"]["Fn::GetAtt"][0]]
    assert (
        role["Properties"]["AssumeRolePolicyDocument"]
        == (template["Resources"]["SyncFunctionRole"]["Properties"]["AssumeRolePolicyDocument"])
    )
    assert "ManagedPolicyArns" not in role["Properties"]
    statements = role_statements(template, "HookFunction", **overrides)
    assert [(as_list(s["Action"]), s["Resource"]) for s in statements] == [
        (["logs:CreateLogStream", "logs:PutLogEvents"], "<HookLogGroup.Arn>"),
        (["secretsmanager:GetSecretValue"], "<ref:HookSecret>"),
        (["sqs:SendMessage"], "<HookQueue.Arn>"),
    ]
    assert all(s["Effect"] == "Allow" and "Condition" not in s for s in statements)


# ------------------------------------------------------------------------------------- schedules


def schedules(template: dict[str, Any]) -> dict[str, Any]:
    return {name: e for name, e in the_function(template)["Events"].items() if e["Type"] == "ScheduleV2"}


def test_two_schedules_with_modes_retry_and_dead_letter_queue(template: dict[str, Any]) -> None:
    events = schedules(template)
    assert {event["Type"] for event in the_function(template)["Events"].values()} == {"ScheduleV2", "SQS"}
    by_mode = {json.loads(event["Properties"]["Input"])["mode"]: event["Properties"] for event in events.values()}
    assert set(by_mode) == {"incremental", "full"}
    assert by_mode["incremental"]["ScheduleExpression"] == {"Ref": "IncrementalSchedule"}
    assert by_mode["full"]["ScheduleExpression"] == {"Ref": "FullSchedule"}
    for schedule in by_mode.values():
        assert json.loads(schedule["Input"]).keys() == {"mode"}
        assert schedule["State"] == {"Ref": "SchedulesEnabled"}
        assert schedule["RetryPolicy"]["MaximumRetryAttempts"] == 2
        assert 60 <= schedule["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400
        queue_id = schedule["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        queue = template["Resources"][queue_id]
        assert queue["Type"] == "AWS::SQS::Queue"
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert by_mode["incremental"]["RetryPolicy"]["MaximumEventAgeInSeconds"] == 300
    assert by_mode["full"]["RetryPolicy"]["MaximumEventAgeInSeconds"] == 3600


def test_schedule_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert parameters["IncrementalSchedule"]["Default"] == "rate(5 minutes)"
    assert parameters["FullSchedule"]["Default"] == "cron(0 3 * * ? *)"
    assert parameters["SchedulesEnabled"]["AllowedValues"] == ["ENABLED", "DISABLED"]
    assert parameters["SchedulesEnabled"]["Default"] == "ENABLED"


# ------------------------------------------------------------------------------------ parameters


def test_parameter_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert parameters["ZoomApiUrl"]["Default"] == "https://api.zoom.us/v2"
    assert parameters["ZoomTokenUrl"]["Default"] == "https://zoom.us/oauth/token"
    assert parameters["LogLevel"]["Default"] == "INFO"
    assert parameters["MemorySize"]["Default"] == 512
    assert parameters["Timeout"]["Default"] == 600
    assert parameters["Timeout"]["MaxValue"] == 900
    for optional in ("CredentialsSecretKmsKeyArn", "AlarmEmail", "PolicyPath", "AlarmTopicKmsKeyArn"):
        assert parameters[optional]["Default"] == ""
    for required in REQUIRED_PARAMETERS:
        assert "Default" not in parameters[required]


def test_every_parameter_is_grouped_and_labelled_once(template: dict[str, Any]) -> None:
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"])
    assert set(interface["ParameterLabels"]) == set(template["Parameters"])
    for name, spec in template["Parameters"].items():
        assert spec.get("Description"), name
        assert "NoEcho" not in spec, f"{name}: no parameter holds a secret value (the secret is referenced by name)"


def test_defaults_satisfy_their_own_patterns(template: dict[str, Any]) -> None:
    for name, spec in template["Parameters"].items():
        if "AllowedPattern" in spec and "Default" in spec:
            assert re.fullmatch(spec["AllowedPattern"], str(spec["Default"])), name


PATTERN_CASES = [
    ("OktaOrgUrl", "https://acme.okta.com", True),
    ("OktaOrgUrl", "https://acme.oktapreview.com", True),
    ("OktaOrgUrl", "https://login.acme.example", True),
    ("OktaOrgUrl", "http://acme.okta.com", False),
    ("OktaOrgUrl", "https://acme.okta.com/", False),
    ("OktaOrgUrl", "https://acme.okta.com/admin", False),
    ("OktaOrgUrl", "acme.okta.com", False),
    ("OktaAppId", "0oa1abcd2EFGH3ijk4l5", True),
    ("OktaAppId", "00u1abcd2EFGH3ijk4l5", False),
    ("OktaAppId", "0oa", False),
    ("ZoomApiUrl", "https://api.zoomgov.com/v2", True),
    ("ZoomApiUrl", "http://api.zoom.us/v2", False),
    ("ZoomApiUrl", "https://api.zoom.us/v2/", False),
    ("ZoomTokenUrl", "https://zoomgov.com/oauth/token", True),
    ("ZoomTokenUrl", "https://zoom.us/oauth/token?grant_type=x", False),
    ("CredentialsSecret", "okta-zoom-sync/credentials", True),
    ("CredentialsSecret", SECRET_ARN, True),
    ("CredentialsSecret", "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:zoom-abCD12", True),
    ("CredentialsSecret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:okta-zoom-sync/credentials", False),
    ("CredentialsSecret", "my secret", False),
    ("CredentialsSecret", "", False),
    ("CredentialsSecretKmsKeyArn", "", True),
    ("CredentialsSecretKmsKeyArn", KMS_KEY_ARN, True),
    ("CredentialsSecretKmsKeyArn", "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager", False),
    ("IncrementalSchedule", "rate(1 minute)", True),
    ("IncrementalSchedule", "rate(15 minutes)", True),
    ("IncrementalSchedule", "rate(1 hour)", True),
    ("IncrementalSchedule", "cron(0/10 8-18 ? * MON-FRI *)", True),
    ("IncrementalSchedule", "rate(1 minutes)", False),
    ("IncrementalSchedule", "rate(5 minute)", False),
    ("IncrementalSchedule", "rate(0 minutes)", False),
    ("IncrementalSchedule", "5 minutes", False),
    ("FullSchedule", "cron(30 2 ? * SUN *)", True),
    ("FullSchedule", "cron(0 3 * * ?)", False),
    ("ScheduleTimezone", "Europe/Berlin", True),
    ("ScheduleTimezone", "America/Argentina/Buenos_Aires", True),
    ("ScheduleTimezone", "Etc/GMT+5", True),
    ("ScheduleTimezone", "Europe Berlin", False),
    ("PolicyPath", "/opt/policy.yaml", True),
    ("PolicyPath", "policy.yaml", False),
    ("PolicyPath", "/opt/my policy.yaml", False),
    ("AlarmEmail", "it-alerts@acme.example", True),
    ("AlarmEmail", "it-alerts", False),
    ("AlarmEmail", "it@acme", False),
]


@pytest.mark.parametrize(("name", "value", "allowed"), PATTERN_CASES)
def test_parameter_patterns(template: dict[str, Any], name: str, value: str, allowed: bool) -> None:
    assert bool(re.fullmatch(template["Parameters"][name]["AllowedPattern"], value)) is allowed


@pytest.mark.parametrize(
    ("secret", "is_arn"), [("okta-zoom-sync/credentials", False), ("zoom", False), (SECRET_ARN, True)]
)
def test_secret_is_arn_condition(template: dict[str, Any], secret: str, is_arn: bool) -> None:
    assert evaluate(template, CredentialsSecret=secret).condition("SecretIsArn") is is_arn


def failed_rule_assertions(template: dict[str, Any], **overrides: Any) -> list[str]:
    evaluator = evaluate(template, **overrides)
    failed = []
    for name, rule in template["Rules"].items():
        if "RuleCondition" in rule and not evaluator.resolve(rule["RuleCondition"]):
            continue
        failed += [name for assertion in rule["Assertions"] if not evaluator.resolve(assertion["Assert"])]
    return failed


def test_rules_keep_zoomgov_urls_together(template: dict[str, Any]) -> None:
    zoomgov_api = {"ZoomApiUrl": "https://api.zoomgov.com/v2"}
    zoomgov_token = {"ZoomTokenUrl": "https://zoomgov.com/oauth/token"}
    assert failed_rule_assertions(template) == []
    assert failed_rule_assertions(template, **zoomgov_api, **zoomgov_token) == []
    assert failed_rule_assertions(template, **zoomgov_api) == ["ZoomGovApiNeedsZoomGovToken"]
    assert failed_rule_assertions(template, **zoomgov_token) == ["ZoomGovTokenNeedsZoomGovApi"]


# ---------------------------------------------------------------------------------------- alarms


def alarms_by_metric(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One alarm per metric, by the name of its (first) metric; the queue alarms (one per dead-letter queue) as
    "<metric>/<queue id>"."""
    alarms = [alarm["Properties"] for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()]
    by_metric = {}
    for alarm in alarms:
        metric = alarm_metrics(alarm)[0]
        key = metric["MetricName"]
        if metric["Namespace"] == "AWS/SQS":
            key += "/" + metric["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        by_metric[key] = alarm
    assert len(by_metric) == len(alarms), "one alarm per metric"
    return by_metric


def test_alarm_topic_and_conditional_email_subscription(template: dict[str, Any]) -> None:
    topics = resources_of_type(template, "AWS::SNS::Topic")
    assert list(topics) == ["AlarmTopic"]
    subscriptions = resources_of_type(template, "AWS::SNS::Subscription")
    assert len(subscriptions) == 1
    subscription = next(iter(subscriptions.values()))
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert evaluate(template).condition("HasAlarmEmail") is False
    assert evaluate(template, AlarmEmail="it@acme.example").condition("HasAlarmEmail") is True
    without_email = evaluate(template).active_resources()
    assert not [r for r in without_email.values() if r["Type"] == "AWS::SNS::Subscription"]


def test_run_outcome_alarms_use_the_contract_metrics(template: dict[str, Any]) -> None:
    by_metric = alarms_by_metric(template)
    custom = {name: alarm for name, alarm in by_metric.items() if alarm.get("Namespace") == NAMESPACE}
    assert set(custom) == {
        "RunFailed", "OperationsFailed", "OperationsHeld", "LicenseShortage", "RunSucceeded", "UsersQuarantined"
    }  # fmt: skip
    watched = {m["MetricName"] for a in by_metric.values() for m in alarm_metrics(a) if m["Namespace"] == NAMESPACE}
    assert watched <= METRICS
    for alarm in by_metric.values():
        for metric in alarm_metrics(alarm):
            if metric["Namespace"] == NAMESPACE:
                assert metric["Dimensions"] == CUSTOM_DIMENSIONS
    for name in ("RunFailed", "OperationsFailed", "OperationsHeld", "LicenseShortage"):
        alarm = custom[name]
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["Period"] == 300
    for name in ("RunFailed", "OperationsFailed"):
        assert custom[name]["Statistic"] == "Sum"
        assert custom[name]["TreatMissingData"] == "notBreaching"
    # Every run reports how many operations are still held: the alarm clears only when a run says none are,
    # never because no run reported (a skipped or failed run leaves it as it is).
    assert custom["OperationsHeld"]["Statistic"] == "Maximum"
    assert custom["OperationsHeld"]["TreatMissingData"] == "ignore"
    # A full run always reports the shortage (0 clears the alarm); other runs only a shortage they met.
    assert custom["LicenseShortage"]["Statistic"] == "Maximum"
    assert custom["LicenseShortage"]["TreatMissingData"] == "ignore"


def test_no_successful_run_alarm_treats_silence_as_failure(template: dict[str, Any]) -> None:
    alarm = alarms_by_metric(template)["RunSucceeded"]
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["Threshold"] == 1
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["Period"] * template["Parameters"]["NoSuccessAlarmHours"]["Default"] == 3 * 3600
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == {"Ref": "NoSuccessAlarmHours"}
    assert template["Parameters"]["NoSuccessAlarmHours"]["MaxValue"] * alarm["Period"] <= 86400
    assert evaluate(template).resolve(alarm["ActionsEnabled"]) is True
    assert evaluate(template, SchedulesEnabled="DISABLED").resolve(alarm["ActionsEnabled"]) is False


def test_quarantined_users_alarm_stays_on_for_a_day_after_the_last_report(template: dict[str, Any]) -> None:
    alarm = alarms_by_metric(template)["UsersQuarantined"]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Maximum", 1, "GreaterThanOrEqualToThreshold"
    )  # fmt: skip
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 86400 and alarm["DatapointsToAlarm"] == 1
    assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("api", ["Okta", "Zoom"])
def test_throttling_alarms_watch_the_share_of_429s_over_an_hour(template: dict[str, Any], api: str) -> None:
    alarm = alarms_by_metric(template)[f"{api}RateLimited"]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    assert queries["limited"]["MetricStat"]["Metric"]["MetricName"] == f"{api}RateLimited"
    assert queries["requests"]["MetricStat"]["Metric"]["MetricName"] == f"{api}Requests"
    assert {queries[i]["MetricStat"]["Period"] for i in ("limited", "requests")} == {3600}
    assert [q["Id"] for q in alarm["Metrics"] if q["ReturnData"]] == ["share"]
    assert "requests >=" in queries["share"]["Expression"]  # a few requests with one 429 are not "sustained"
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (10, "GreaterThanOrEqualToThreshold")


def test_function_errors_alarm_leaves_out_refused_events(template: dict[str, Any]) -> None:
    errors = alarms_by_metric(template)["Errors"]
    queries = {query["Id"]: query for query in errors["Metrics"]}
    assert queries["errors"]["MetricStat"]["Metric"] == {
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "SyncFunction"}}],
    }
    assert queries["invalid"]["MetricStat"]["Metric"]["MetricName"] == "InvalidEvents"
    assert queries["errors"]["MetricStat"]["Period"] == queries["invalid"]["MetricStat"]["Period"]
    assert queries["unexpected"]["Expression"] == "FILL(errors, 0) - FILL(invalid, 0)"
    assert [q["Id"] for q in errors["Metrics"] if q["ReturnData"]] == ["unexpected"]
    assert (errors["Threshold"], errors["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def test_dead_letter_alarms(template: dict[str, Any]) -> None:
    by_metric = alarms_by_metric(template)
    queue_ids = {
        event["Properties"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] for event in schedules(template).values()
    }
    assert queue_ids == {"ScheduleDeadLetterQueue"}
    for queue_id in ("ScheduleDeadLetterQueue", "HookDeadLetterQueue"):
        dlq = by_metric[f"ApproximateNumberOfMessagesVisible/{queue_id}"]
        assert dlq["Namespace"] == "AWS/SQS"
        assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
        assert (dlq["Threshold"], dlq["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        assert (dlq["Statistic"], dlq["TreatMissingData"]) == ("Maximum", "notBreaching")


def test_every_alarm_notifies_the_topic(template: dict[str, Any]) -> None:
    alarms = alarms_by_metric(template)
    assert len(alarms) == 11
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}]
        # Each names its runbook section, which the README has: a heading with the alarm's name.
        section = alarm["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        assert f'Runbook: README, section "{section}"' in " ".join(alarm["AlarmDescription"].split())
        assert re.search(rf"^#+ .*`<stack>-{section}`", readme, re.MULTILINE), f"no runbook section for {section}"


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["SyncFunctionName"]["Value"] == {"Ref": "SyncFunction"}
    assert outputs["HookFunctionName"]["Value"] == {"Ref": "HookFunction"}
    assert outputs["DashboardName"]["Value"] == {"Ref": "Dashboard"}
    assert outputs["SyncFunctionArn"]["Value"] == {"Fn::GetAtt": ["SyncFunction", "Arn"]}
    assert outputs["StateTableName"]["Value"] == {"Ref": "StateTable"}
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    assert outputs["DeadLetterQueueUrl"]["Value"] == {"Ref": "ScheduleDeadLetterQueue"}
    assert outputs["LogGroupName"]["Value"] == {"Ref": "SyncLogGroup"}
    assert outputs["HookUrl"]["Value"] == {"Fn::GetAtt": ["HookFunctionUrl", "FunctionUrl"]}
    assert outputs["HookSecretArn"]["Value"] == {"Ref": "HookSecret"}
    assert outputs["HookQueueUrl"]["Value"] == {"Ref": "HookQueue"}
    assert outputs["HookDeadLetterQueueUrl"]["Value"] == {"Ref": "HookDeadLetterQueue"}


# ------------------------------------------------------------------------------------ event hook


def test_hook_function_is_small_quick_and_public_behind_its_secret(template: dict[str, Any]) -> None:
    hook = the_hook(template)
    assert (hook["Runtime"], hook["Architectures"], hook["Handler"]) == ("python3.13", ["arm64"], "app.handler")
    assert hook["CodeUri"] == "functions/hook"
    assert hook["MemorySize"] <= 256
    assert 3 < hook["Timeout"] <= 10  # Okta waits 3 s
    assert hook["FunctionUrlConfig"] == {"AuthType": "NONE"}  # Okta cannot sign requests: the secret authenticates
    assert "Events" not in hook and "ReservedConcurrentExecutions" not in hook
    variables = hook["Environment"]["Variables"]
    assert variables["HOOK_SECRET_ID"] == {"Ref": "HookSecret"}
    assert variables["HOOK_QUEUE_URL"] == {"Ref": "HookQueue"}
    assert variables["OKTA_APP_ID"] == {"Ref": "OktaAppId"}
    # No credential, no state table: the hook only queues.
    assert not {"CREDENTIALS_SECRET_ID", "STATE_TABLE_NAME"} & set(variables)
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE
    log_group = template["Resources"][hook["LoggingConfig"]["LogGroup"]["Ref"]]
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_hook_secret_is_generated_by_the_stack(template: dict[str, Any]) -> None:
    secret = resources_of_type(template, "AWS::SecretsManager::Secret")["HookSecret"]["Properties"]
    assert "SecretString" not in secret  # no value in the template
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    assert "SecretStringTemplate" not in secret["GenerateSecretString"]  # the whole string is the value


def test_hook_queue_redrives_to_its_dead_letter_queue(template: dict[str, Any]) -> None:
    queue = template["Resources"]["HookQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    # AWS: a queue's visibility timeout at least 6 times the consuming function's timeout (its highest value).
    assert queue["VisibilityTimeout"] >= 6 * template["Parameters"]["Timeout"]["MaxValue"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["HookDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5  # throttled receives count too
    dlq = template["Resources"]["HookDeadLetterQueue"]["Properties"]
    assert dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_the_sync_function_consumes_the_hook_queue_in_batches(template: dict[str, Any]) -> None:
    sources = [e["Properties"] for e in the_function(template)["Events"].values() if e["Type"] == "SQS"]
    assert len(sources) == 1
    source = sources[0]
    assert source["Queue"] == {"Fn::GetAtt": ["HookQueue", "Arn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= source["MaximumBatchingWindowInSeconds"] <= 10  # seconds, not minutes: the path is near-real-time
    assert 10 <= source["BatchSize"] <= 250  # at most the incremental limit of users per run


# ---------------------------------------------------------------------------------------- events

EVENTS = REPO / "events"
EXPECTED_EVENTS = {
    "incremental.json": {"mode": "incremental"},
    "empty.json": {},
    "full.json": {"mode": "full"},
    "users.json": {"mode": "users", "users": ["alice@acme.example", "00u1abcd2EFGH3ijk4l5"]},
    "check.json": {"mode": "check"},
    "status.json": {"mode": "status"},
    "dry_run_full.json": {"mode": "full", "dry_run": True},
    "force_full.json": {"mode": "full", "force": True},
}
EVENT_KEYS = {"mode", "users", "dry_run", "force"}
MODES = {"incremental", "full", "users", "check", "status"}


def event_files() -> list[Path]:
    return sorted(EVENTS.glob("*.json"))


def test_one_event_file_per_invocation_type() -> None:
    names = {path.name for path in event_files()}
    assert set(EXPECTED_EVENTS) | {"scheduled.json"} <= names
    for name, expected in EXPECTED_EVENTS.items():
        assert json.loads((EVENTS / name).read_text(encoding="utf-8")) == expected, name


@pytest.mark.parametrize("path", event_files(), ids=lambda path: path.name)
def test_every_event_file_is_a_contract_event(path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(event, dict)
    if event.get("detail-type") == "Scheduled Event":
        return  # the envelope is checked in test_scheduled_event_envelope
    if "Records" in event:
        # An SQS batch from the hook queue: every record is an event the sync reads (none goes back unread).
        batch = parse_event(event)
        assert isinstance(batch, QueueBatch) and batch.messages
        assert all(message.problem is None and message.events for message in batch.messages)
        return
    assert set(event) <= EVENT_KEYS, path.name
    if "mode" in event:
        assert event["mode"] in MODES
    if event.get("mode") == "users":
        assert 1 <= len(event["users"]) <= 100
        assert all(isinstance(user, str) and user for user in event["users"])
    else:
        assert "users" not in event
    for flag in ("dry_run", "force"):
        assert isinstance(event.get(flag, False), bool)


def test_scheduled_event_envelope() -> None:
    event = json.loads((EVENTS / "scheduled.json").read_text(encoding="utf-8"))
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["detail"] == {}
    assert {"version", "id", "account", "time", "region", "resources"} <= set(event)
    assert re.fullmatch(r"\d{12}", event["account"])
    assert [re.match(r"arn:aws:events:[a-z0-9-]+:\d{12}:rule/", arn) is not None for arn in event["resources"]] == [
        True
    ]


# ------------------------------------------------------------------------------ config and pins


def test_samconfig_defaults() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    assert config["version"] == 0.1
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["stack_name"] == "okta-zoom-sync"
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_s3"] is True
    assert config["default"]["build"]["parameters"] == {"cached": True, "parallel": True}
    assert config["default"]["validate"]["parameters"]["lint"] is True


def requirement_lines(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def test_requirements_pins_agree() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    dependencies = pyproject["project"]["dependencies"]
    layer_requirements = requirement_lines((REPO / "layers/engine/requirements.txt").read_text(encoding="utf-8"))
    assert dependencies
    assert all("==" in requirement for requirement in layer_requirements), "every layer requirement is pinned"
    assert sorted(layer_requirements) == sorted(dependencies)


# -------------------------------------------------- what the runs do against what the template grants
#
# The IAM grants, the alarmed metrics, the TTL attribute, the metrics' namespace and service: checked against what
# the real handler does when it runs, in test_runs_within_the_template.py.
