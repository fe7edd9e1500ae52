"""The state table (DynamoDB): links, run records and, later, cursors and the run lease.

One table, keyed `pk` (partition) + `sk` (sort), as template.yaml declares it:
  pk="LINK",   sk=<okta user id>          Okta -> Zoom user link
  pk="RUN",    sk=<started_at>#<run id>   run summary, expires after RUN_RECORD_DAYS (TTL attribute expires_at)
  pk="STATUS", sk="last_success"          time and id of the last successful run
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import SyncError
from ..model import Link

LINK_PK = "LINK"
RUN_PK = "RUN"
STATUS_PK = "STATUS"
TTL_ATTRIBUTE = "expires_at"
RUN_RECORD_DAYS = 30


class StateStoreError(SyncError):
    code = "state_table"


class DynamoStateStore:
    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self.table_name = table_name
        self.client = client or boto3.client("dynamodb")

    def _call(self, action: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, action)(TableName=self.table_name, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StateStoreError(f"state table {self.table_name!r}: {action} failed: {_reason(exc)}") from exc

    def load_links(self) -> dict[str, Link]:
        links: dict[str, Link] = {}
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": LINK_PK}},
            "ConsistentRead": True,
        }
        while True:
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                link = Link(
                    okta_id=item["sk"]["S"],
                    zoom_id=item["zoom_id"]["S"],
                    email=item["email"]["S"],
                    deactivated_at=item["deactivated_at"]["S"] if "deactivated_at" in item else None,
                )
                links[link.okta_id] = link
            if "LastEvaluatedKey" not in page:
                return links
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_link(self, link: Link) -> None:
        item = {
            "pk": {"S": LINK_PK},
            "sk": {"S": link.okta_id},
            "zoom_id": {"S": link.zoom_id},
            "email": {"S": link.email},
            "updated_at": {"S": _now().isoformat()},
        }
        if link.deactivated_at:
            item["deactivated_at"] = {"S": link.deactivated_at}
        self._call("put_item", Item=item)

    def delete_link(self, okta_id: str) -> None:
        self._call("delete_item", Key={"pk": {"S": LINK_PK}, "sk": {"S": okta_id}})

    def record_run(self, summary: Mapping[str, Any]) -> None:
        now = _now()
        expires = int((now + timedelta(days=RUN_RECORD_DAYS)).timestamp())
        self._call(
            "put_item",
            Item={
                "pk": {"S": RUN_PK},
                "sk": {"S": f"{summary.get('started_at') or now.isoformat()}#{summary['run_id']}"},
                "status": {"S": str(summary["status"])},
                "summary": {"S": json.dumps(summary, default=str)},
                TTL_ATTRIBUTE: {"N": str(expires)},
            },
        )
        if summary["status"] == "succeeded":
            self._call(
                "put_item",
                Item={
                    "pk": {"S": STATUS_PK},
                    "sk": {"S": "last_success"},
                    "run_id": {"S": str(summary["run_id"])},
                    "at": {"S": now.isoformat()},
                    "mode": {"S": str(summary.get("mode"))},
                },
            )

    def ping(self) -> None:
        self._call("describe_table")


def _now() -> datetime:
    return datetime.now(UTC)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return str(exc)
