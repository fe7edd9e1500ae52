"""The state table (DynamoDB): links, run records, the System Log cursor, the run lease and per-user work records.

One table, keyed `pk` (partition) + `sk` (sort), as template.yaml declares it:
  pk="LINK",   sk=<okta user id>          Okta -> Zoom user link (with the picture last put on the user)
  pk="RUN",    sk=<started_at>#<run id>   run summary, expires after RUN_RECORD_DAYS (TTL attribute expires_at)
  pk="STATUS", sk="last_success"          time and id of the last successful run
  pk="LEASE",  sk="sync"                  the run lease: holder run id, expires_at (epoch seconds)
  pk="CURSOR", sk="okta_logs"             the System Log position of the incremental sync
  pk="PENDING", sk=<Okta id or email>     users to reconcile again: cut off by the deadline, or failed for a
                                          passing reason (attempts counts those failures in a row)
  pk="FAILURE", sk=<Okta id or email>     a user whose operations keep failing: error, attempts, next attempt
  pk="HELD",    sk=<Okta id or email>     operations held by a brake (max_deprovisions, max_license_downgrades)
  pk="STATUS",  sk="app_groups"           ids of the Okta groups assigned to the app (which memberships matter)
  pk="STATUS",  sk="zoom_groups"          each group rule's Zoom group id, by the rule's folded zoom_group name
                                          (a group renamed in Zoom is still found by its id)
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from okta_zoom_sync.core.model import Cursor, FailureRecord, HeldRecord, Link, PictureMark
from okta_zoom_sync.core.status import Lease, PendingRecord
from okta_zoom_sync.errors import StateError

LINK_PK = "LINK"
RUN_PK = "RUN"
STATUS_PK = "STATUS"
LAST_SUCCESS_KEY = {"pk": {"S": STATUS_PK}, "sk": {"S": "last_success"}}
LEASE_KEY = {"pk": {"S": "LEASE"}, "sk": {"S": "sync"}}
CURSOR_KEY = {"pk": {"S": "CURSOR"}, "sk": {"S": "okta_logs"}}
PENDING_PK = "PENDING"
FAILURE_PK = "FAILURE"
HELD_PK = "HELD"
APP_GROUPS_KEY = {"pk": {"S": "STATUS"}, "sk": {"S": "app_groups"}}
ZOOM_GROUPS_KEY = {"pk": {"S": "STATUS"}, "sk": {"S": "zoom_groups"}}
FAILURE_FIELDS = ("email", "op", "code", "message", "first_failed_at", "next_attempt_at")
BATCH = 25  # DynamoDB BatchWriteItem's limit
BATCH_ATTEMPTS = 6  # unprocessed items are sent again, with a short backoff
TTL_ATTRIBUTE = "expires_at"
RUN_RECORD_DAYS = 30


@functools.cache
def dynamodb_client() -> Any:
    """One client per process: creating a boto3 client costs far more than a call, so warm invocations reuse it."""
    return boto3.client("dynamodb")


class DynamoStateStore:
    """The state table: one store for every state port of `core.ports` (links, lease, cursor and app groups,
    work records, run log, ping, and the `status` mode's reads)."""

    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self.table_name = table_name
        self.client = client or dynamodb_client()

    def _call(self, action: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, action)(TableName=self.table_name, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StateError(f"state table {self.table_name!r}: {action} failed: {_reason(exc)}") from exc

    def _query(self, pk: str, **extra: Any) -> Iterator[dict[str, Any]]:
        """Every page of the items under one partition key, following LastEvaluatedKey."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            **extra,
        }
        while True:
            page: dict[str, Any] = self._call("query", **kwargs)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _items(self, pk: str) -> Iterator[dict[str, Any]]:
        for page in self._query(pk, ConsistentRead=True):
            yield from page.get("Items", [])

    def load_links(self) -> dict[str, Link]:
        links = (_link(item) for item in self._items(LINK_PK))
        return {link.okta_id: link for link in links}

    def get_link(self, okta_id: str) -> Link | None:
        item = self._call("get_item", Key={"pk": {"S": LINK_PK}, "sk": {"S": okta_id}}, ConsistentRead=True).get("Item")
        return _link(item) if item else None

    def count_links(self) -> int:
        return sum(int(page.get("Count", 0)) for page in self._query(LINK_PK, Select="COUNT"))

    def put_link(self, link: Link) -> None:
        self._call("put_item", Item=_link_item(link))

    def write_links(self, puts: Iterable[Link], deletes: Iterable[str]) -> None:
        """BatchWriteItem, 25 a call, unprocessed items sent again."""
        self._batch(
            [{"PutRequest": {"Item": _link_item(link)}} for link in puts]
            + [{"DeleteRequest": {"Key": {"pk": {"S": LINK_PK}, "sk": {"S": okta_id}}}} for okta_id in deletes]
        )

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

    def recent_runs(self, limit: int) -> list[dict[str, Any]]:
        # Run records sort by their key, `<started_at>#<run id>` (ISO-8601 UTC): newest first is the query read
        # backwards. A page stops at 1 MB (a record is up to 300 KB), so pages are followed until `limit`.
        runs: list[dict[str, Any]] = []
        for page in self._query(RUN_PK, ScanIndexForward=False, Limit=limit, ConsistentRead=True):
            for item in page.get("Items", []):
                runs.append(json.loads(item["summary"]["S"]))
                if len(runs) == limit:
                    return runs
        return runs

    def last_success(self) -> dict[str, str] | None:
        item = self._call("get_item", Key=LAST_SUCCESS_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        return {name: item[name]["S"] for name in ("run_id", "at", "mode") if name in item}

    def read_lease(self) -> Lease | None:
        item = self._call("get_item", Key=LEASE_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        return Lease(holder=item["holder"]["S"], expires_at=int(item[TTL_ATTRIBUTE]["N"]))

    def acquire_lease(self, run_id: str, seconds: int) -> bool:
        now = int(_now().timestamp())
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={**LEASE_KEY, "holder": {"S": run_id}, TTL_ATTRIBUTE: {"N": str(now + seconds)}},
                ConditionExpression="attribute_not_exists(pk) OR #exp < :now OR holder = :me",
                ExpressionAttributeNames={"#exp": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":now": {"N": str(now)}, ":me": {"S": run_id}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise StateError(f"state table {self.table_name!r}: taking the lease failed: {_reason(exc)}") from exc
        except BotoCoreError as exc:
            raise StateError(f"state table {self.table_name!r}: taking the lease failed: {exc}") from exc
        return True

    def release_lease(self, run_id: str) -> None:
        try:
            self.client.delete_item(
                TableName=self.table_name,
                Key=LEASE_KEY,
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": {"S": run_id}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise StateError(
                    f"state table {self.table_name!r}: releasing the lease failed: {_reason(exc)}"
                ) from exc
        except BotoCoreError as exc:  # the table unreachable: the lease expires by itself
            raise StateError(f"state table {self.table_name!r}: releasing the lease failed: {_reason(exc)}") from exc

    def load_cursor(self) -> Cursor | None:
        item = self._call("get_item", Key=CURSOR_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        return Cursor(
            position=item["position"]["S"],
            saved_at=item["saved_at"]["S"],
            recent_uuids=tuple(item.get("recent_uuids", {}).get("SS", ())),
            rule_groups=tuple(g["S"] for g in item["rule_groups"]["L"]) if "rule_groups" in item else None,
        )

    def save_cursor(self, cursor: Cursor) -> None:
        item: dict[str, Any] = {
            **CURSOR_KEY,
            "position": {"S": cursor.position},
            "saved_at": {"S": cursor.saved_at},
        }
        if cursor.recent_uuids:
            item["recent_uuids"] = {"SS": sorted(set(cursor.recent_uuids))}
        if cursor.rule_groups is not None:  # a list, which may be empty (a string set may not)
            item["rule_groups"] = {"L": [{"S": group_id} for group_id in cursor.rule_groups]}
        self._call("put_item", Item=item)

    def load_pending(self) -> dict[str, int]:
        """Users to reconcile again -> how many runs in a row failed them for a passing reason."""
        return {item["sk"]["S"]: int(item.get("attempts", {}).get("N", "0")) for item in self._items(PENDING_PK)}

    def list_pending(self) -> list[PendingRecord]:
        return [
            PendingRecord(
                key=item["sk"]["S"],
                attempts=int(item.get("attempts", {}).get("N", "0")),
                since=item.get("since", {}).get("S", ""),
            )
            for item in self._items(PENDING_PK)
        ]

    def save_pending(self, refs: Mapping[str, int]) -> None:
        now = _now().isoformat()
        self._batch(
            [
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": PENDING_PK},
                            "sk": {"S": ref},
                            "since": {"S": now},
                            "attempts": {"N": str(attempts)},
                        }
                    }
                }
                for ref, attempts in refs.items()
            ]
        )

    def clear_pending(self, refs: Iterable[str]) -> None:
        self._batch([{"DeleteRequest": {"Key": {"pk": {"S": PENDING_PK}, "sk": {"S": r}}}} for r in refs])

    def load_failures(self) -> dict[str, FailureRecord]:
        records = (
            FailureRecord(
                key=item["sk"]["S"],
                attempts=int(item["attempts"]["N"]),
                **{name: item[name]["S"] for name in FAILURE_FIELDS},
            )
            for item in self._items(FAILURE_PK)
        )
        return {record.key: record for record in records}

    def put_failure(self, record: FailureRecord) -> None:
        item = {
            "pk": {"S": FAILURE_PK},
            "sk": {"S": record.key},
            "attempts": {"N": str(record.attempts)},
            **{name: {"S": getattr(record, name)} for name in FAILURE_FIELDS},
        }
        self._call("put_item", Item=item)

    def clear_failures(self, keys: Iterable[str]) -> None:
        self._batch([{"DeleteRequest": {"Key": {"pk": {"S": FAILURE_PK}, "sk": {"S": k}}}} for k in keys])

    def load_held(self) -> dict[str, HeldRecord]:
        records = (
            HeldRecord(
                key=item["sk"]["S"],
                email=item["email"]["S"],
                ops=tuple(item["ops"]["S"].split(",")),
                reason=item["reason"]["S"],
                since=item["since"]["S"],
            )
            for item in self._items(HELD_PK)
        )
        return {record.key: record for record in records}

    def put_held(self, records: Iterable[HeldRecord]) -> None:
        self._batch(
            [
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": HELD_PK},
                            "sk": {"S": r.key},
                            "email": {"S": r.email},
                            "ops": {"S": ",".join(r.ops)},
                            "reason": {"S": r.reason},
                            "since": {"S": r.since},
                        }
                    }
                }
                for r in records
            ]
        )

    def clear_held(self, keys: Iterable[str]) -> None:
        self._batch([{"DeleteRequest": {"Key": {"pk": {"S": HELD_PK}, "sk": {"S": k}}}} for k in keys])

    def load_app_groups(self) -> frozenset[str] | None:
        item = self._call("get_item", Key=APP_GROUPS_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        return frozenset(item.get("ids", {}).get("SS", ())) - {""}

    def save_app_groups(self, group_ids: Iterable[str]) -> None:
        # A string set cannot be empty: "" stands for "no group is assigned".
        ids = sorted(set(group_ids)) or [""]
        self._call("put_item", Item={**APP_GROUPS_KEY, "ids": {"SS": ids}, "saved_at": {"S": _now().isoformat()}})

    def load_zoom_groups(self) -> dict[str, str]:
        item = self._call("get_item", Key=ZOOM_GROUPS_KEY, ConsistentRead=True).get("Item")
        if not item:
            return {}
        return {name: value["S"] for name, value in item.get("groups", {}).get("M", {}).items() if "S" in value}

    def save_zoom_groups(self, groups: Mapping[str, str]) -> None:
        entries = {name: {"S": group_id} for name, group_id in sorted(groups.items())}
        self._call(
            "put_item", Item={**ZOOM_GROUPS_KEY, "groups": {"M": entries}, "saved_at": {"S": _now().isoformat()}}
        )

    def _batch(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), BATCH):
            pending: list[dict[str, Any]] = requests[start : start + BATCH]
            for attempt in range(BATCH_ATTEMPTS):
                if attempt:
                    time.sleep(min(1.0, 0.05 * 2**attempt))  # unprocessed items: the table is throttling
                try:
                    answer = self.client.batch_write_item(RequestItems={self.table_name: pending})
                except (ClientError, BotoCoreError) as exc:
                    raise StateError(f"state table {self.table_name!r}: batch write failed: {_reason(exc)}") from exc
                pending = answer.get("UnprocessedItems", {}).get(self.table_name, [])
                if not pending:
                    break
            else:
                raise StateError(f"state table {self.table_name!r}: batch write left items unprocessed")

    def ping(self) -> None:
        self._call("describe_table")


def _link_item(link: Link) -> dict[str, Any]:
    item = {
        "pk": {"S": LINK_PK},
        "sk": {"S": link.okta_id},
        "zoom_id": {"S": link.zoom_id},
        "email": {"S": link.email},
        "updated_at": {"S": _now().isoformat()},
    }
    if link.deactivated_at:
        item["deactivated_at"] = {"S": link.deactivated_at}
    if link.restore_role:
        item["restore_role"] = {"S": link.restore_role}
    if link.invited_at:
        item["invited_at"] = {"S": link.invited_at}
    if link.picture is not None:
        item["picture_url"] = {"S": link.picture.url}
        item["picture_sha256"] = {"S": link.picture.sha256}
        item["picture_checked_at"] = {"S": link.picture.checked_at}
    if link.sent:
        item["sent"] = {"S": link.sent}
    return item


def _link(item: Mapping[str, Any]) -> Link:
    return Link(
        okta_id=item["sk"]["S"],
        zoom_id=item["zoom_id"]["S"],
        email=item["email"]["S"],
        deactivated_at=item["deactivated_at"]["S"] if "deactivated_at" in item else None,
        restore_role=item["restore_role"]["S"] if "restore_role" in item else None,
        invited_at=item["invited_at"]["S"] if "invited_at" in item else None,
        picture=_picture_mark(item),
        sent=item["sent"]["S"] if "sent" in item else "",
    )


def _picture_mark(item: Mapping[str, Any]) -> PictureMark | None:
    if "picture_url" not in item or "picture_checked_at" not in item:
        return None
    sha256 = item["picture_sha256"]["S"] if "picture_sha256" in item else ""
    return PictureMark(item["picture_url"]["S"], sha256, item["picture_checked_at"]["S"])


def _now() -> datetime:
    return datetime.now(UTC)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return str(exc)
