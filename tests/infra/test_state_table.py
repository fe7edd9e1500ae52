"""create_state_table builds, in moto, the table template.yaml declares (the integration tests rely on it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support.template import create_state_table, load_template


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def test_create_state_table_matches_the_template(dynamodb: Any) -> None:
    create_state_table(dynamodb, "okta-zoom-sync-state")

    table = dynamodb.describe_table(TableName="okta-zoom-sync-state")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName="okta-zoom-sync-state")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_created_table_takes_items_keyed_like_the_template(dynamodb: Any) -> None:
    create_state_table(dynamodb, "state")
    dynamodb.put_item(
        TableName="state",
        Item={"pk": {"S": "link#00u1"}, "sk": {"S": "zoom"}, "expires_at": {"N": "1900000000"}},
    )
    items = dynamodb.query(
        TableName="state",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "link#00u1"}},
    )["Items"]
    assert [item["sk"]["S"] for item in items] == ["zoom"]


def test_create_state_table_follows_a_changed_template(dynamodb: Any) -> None:
    # The helper reads the schema from the template it is given, so a schema change reaches every test.
    template = load_template()
    table = next(r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table")
    table["Properties"]["KeySchema"] = [{"AttributeName": "pk", "KeyType": "HASH"}]
    table["Properties"]["AttributeDefinitions"] = [{"AttributeName": "pk", "AttributeType": "S"}]
    table["Properties"]["TimeToLiveSpecification"] = {"AttributeName": "ttl", "Enabled": False}

    create_state_table(dynamodb, "hash-only", template)

    assert dynamodb.describe_table(TableName="hash-only")["Table"]["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"}
    ]
    ttl = dynamodb.describe_time_to_live(TableName="hash-only")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"
