"""Read template.yaml the way the tests need it.

`load_template` parses the SAM template, CloudFormation short-form tags included (`!Ref X` becomes
`{"Ref": "X"}`, `!GetAtt A.B` becomes `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` becomes `{"Fn::Sub": s}`).
`create_state_table` builds the state table from the template's own definition, so tests that run
against moto always use the key schema and TTL attribute the stack deploys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"

STATE_TABLE_TYPE = "AWS::DynamoDB::Table"

# Short-form tags whose long form is "Fn::<name>"; !Ref and !Condition have no "Fn::" prefix.
_FN_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
)


class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that also understands CloudFormation's short-form intrinsic function tags."""


def _construct_node(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}", node.start_mark)


def _add_tag(tag: str, key: str) -> None:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value = _construct_node(loader, node)
        if key == "Fn::GetAtt" and isinstance(value, str):
            resource, _, attribute = value.partition(".")
            value = [resource, attribute]
        return {key: value}

    CfnLoader.add_constructor(f"!{tag}", construct)


for _name in _FN_TAGS:
    _add_tag(_name, f"Fn::{_name}")
_add_tag("Ref", "Ref")
_add_tag("Condition", "Condition")


def load_template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain dicts and lists, intrinsic functions in their long (JSON) form."""
    with Path(path).open(encoding="utf-8") as handle:
        template = yaml.load(handle, Loader=CfnLoader)  # CfnLoader is a SafeLoader subclass
    if not isinstance(template, dict) or "Resources" not in template:
        raise ValueError(f"{path} is not a CloudFormation template")
    return template


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of that type."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == resource_type
    }


def state_table_resource(template: dict[str, Any]) -> dict[str, Any]:
    """The one AWS::DynamoDB::Table of the template (the contract allows exactly one)."""
    tables = resources_of_type(template, STATE_TABLE_TYPE)
    if len(tables) != 1:
        raise ValueError(f"expected exactly one {STATE_TABLE_TYPE}, found {sorted(tables)}")
    return next(iter(tables.values()))


def state_table_keys(template: dict[str, Any]) -> tuple[str, str | None]:
    """(partition key name, sort key name or None) of the state table."""
    key_schema = state_table_resource(template)["Properties"]["KeySchema"]
    by_type = {key["KeyType"]: key["AttributeName"] for key in key_schema}
    return by_type["HASH"], by_type.get("RANGE")


def state_table_ttl_attribute(template: dict[str, Any]) -> str | None:
    """The TTL attribute of the state table, None when TTL is not enabled."""
    ttl = state_table_resource(template)["Properties"].get("TimeToLiveSpecification") or {}
    return ttl["AttributeName"] if ttl.get("Enabled") else None


def create_state_table(dynamodb_client: Any, table_name: str, template: dict[str, Any] | None = None) -> None:
    """Create `table_name` with the state table's key schema, billing mode and TTL from template.yaml.

    Meant for moto (or DynamoDB Local): intrinsic-free properties only, so it fails loudly if the
    template ever computes them.
    """
    template = template if template is not None else load_template()
    properties = state_table_resource(template)["Properties"]
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": [dict(key) for key in properties["KeySchema"]],
        "AttributeDefinitions": [dict(attribute) for attribute in properties["AttributeDefinitions"]],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    if kwargs["BillingMode"] == "PROVISIONED":
        kwargs["ProvisionedThroughput"] = dict(properties["ProvisionedThroughput"])
    dynamodb_client.create_table(**kwargs)
    dynamodb_client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
    ttl_attribute = state_table_ttl_attribute(template)
    if ttl_attribute is not None:
        dynamodb_client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl_attribute, "Enabled": True},
        )


POLICY_PARAMETER_TYPE = "AWS::SSM::Parameter"


def policy_parameter_resource(template: dict[str, Any]) -> dict[str, Any]:
    """The one AWS::SSM::Parameter of the template: the sync policy."""
    found = resources_of_type(template, POLICY_PARAMETER_TYPE)
    if len(found) != 1:
        raise ValueError(f"expected exactly one {POLICY_PARAMETER_TYPE}, found {sorted(found)}")
    return next(iter(found.values()))


def create_policy_parameter(
    ssm_client: Any, name: str, value: str | None = None, template: dict[str, Any] | None = None
) -> None:
    """Create `name` as the template creates the policy parameter (type, tier and, unless `value` is given, the
    template's own first value). Meant for moto."""
    template = template if template is not None else load_template()
    properties = policy_parameter_resource(template)["Properties"]
    ssm_client.put_parameter(
        Name=name,
        Value=properties["Value"] if value is None else value,
        Type=properties["Type"],
        Tier=properties["Tier"],
        Description=properties["Description"],
    )


def alarm_metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm's properties read: its one metric (Namespace, MetricName, Dimensions), or each metric of
    its metric-math form (`Metrics[].MetricStat.Metric`), in that shape. Expressions are left out."""
    if "MetricName" in alarm:
        return [{"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"],
                 "Dimensions": alarm.get("Dimensions", [])}]  # fmt: skip
    return [{"Dimensions": [], **query["MetricStat"]["Metric"]} for query in alarm["Metrics"] if "MetricStat" in query]
