"""The function in a process of its own, as in Lambda, for the benchmarks: this module's `run_function` starts a
child process (`python -m tests.bench_process CONFIG`) that imports the handler (Lambda's init: not timed), then
invokes it for each run of the config against the simulators served by the parent, and prints its figures as one
JSON line. The simulators' CPU is then the parent's, not the function's, as with the real vendors.

The state table is, by default, an in-memory stand-in (MemoryDynamoDB) served by the parent over DynamoDB's JSON
protocol (DynamoDBServer): the function reaches it with its own boto3 client, as it reaches DynamoDB, and holds none
of it (moto would spend minutes of CPU and hundreds of MiB on 100,000 items). The secret is handed to the function's
one call to Powertools' get_secret. `state: moto` runs moto in the function's process instead (table and secret).
"""

from __future__ import annotations

import bisect
import cProfile
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _status(key: str) -> int:
    """A /proc/self/status figure, in bytes (Linux)."""
    match = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def _reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)


# ---------------------------------------------------------------------------------------------------- state


class MemoryDynamoDB:
    """The part of DynamoDB's client the state store calls (query, get/put/delete item, batch writes, describe), in
    memory, for the 100,000-user run: moto spends minutes of CPU serialising 100,000 links (and holds them in a
    far bigger form than the service would), which is neither the function's time nor its memory.

    Answers have the service's wire shape and are parsed afresh from JSON, as botocore's would be: what the run
    keeps of them is its own memory. Query pages hold up to PAGE items (DynamoDB pages at 1 MB: about 5,000
    links). Only the store's two condition expressions are understood; any other raises."""

    PAGE = 5000

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}  # (pk, sk) -> the item as JSON
        self._sorted: dict[str, list[str]] = {}  # pk -> its sks in order, rebuilt after a write

    def _error(self, operation: str) -> Exception:
        from botocore.exceptions import ClientError

        error = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}}
        return ClientError(error, operation)  # type: ignore[arg-type]

    def _write(self, key: tuple[str, str], item: dict[str, Any] | None) -> None:
        if item is None:
            self.items.pop(key, None)
        else:
            self.items[key] = json.dumps(item)
        self._sorted.pop(key[0], None)

    @staticmethod
    def _key(item: dict[str, Any]) -> tuple[str, str]:
        return item["pk"]["S"], item["sk"]["S"]

    def _holds(self, existing: dict[str, Any] | None, condition: str | None, names: Any, values: Any) -> bool:
        if condition is None:
            return True
        if condition == "attribute_not_exists(pk) OR #exp < :now OR holder = :me":
            if existing is None:
                return True
            expires = existing.get(names["#exp"], {}).get("N")
            if expires is not None and int(expires) < int(values[":now"]["N"]):
                return True
            return bool(existing.get("holder") == values[":me"])
        if condition == "holder = :me":
            return existing is not None and existing.get("holder") == values[":me"]
        raise NotImplementedError(f"condition {condition!r}")

    def _get(self, key: tuple[str, str]) -> dict[str, Any] | None:
        raw = self.items.get(key)
        return None if raw is None else dict(json.loads(raw))

    def put_item(
        self,
        *,
        TableName: str,
        Item: dict[str, Any],
        ConditionExpression: str | None = None,
        ExpressionAttributeNames: Any = None,
        ExpressionAttributeValues: Any = None,
    ) -> dict[str, Any]:
        key = self._key(Item)
        if not self._holds(self._get(key), ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues):
            raise self._error("PutItem")
        self._write(key, Item)
        return {}

    def delete_item(
        self,
        *,
        TableName: str,
        Key: dict[str, Any],
        ConditionExpression: str | None = None,
        ExpressionAttributeNames: Any = None,
        ExpressionAttributeValues: Any = None,
    ) -> dict[str, Any]:
        key = self._key(Key)
        if not self._holds(self._get(key), ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues):
            raise self._error("DeleteItem")
        self._write(key, None)
        return {}

    def get_item(self, *, TableName: str, Key: dict[str, Any], ConsistentRead: bool = False) -> dict[str, Any]:
        item = self._get(self._key(Key))
        return {} if item is None else {"Item": item}

    def batch_write_item(self, *, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        for requests in RequestItems.values():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    self._write(self._key(item), item)
                else:
                    self._write(self._key(request["DeleteRequest"]["Key"]), None)
        return {"UnprocessedItems": {}}

    def query(
        self,
        *,
        TableName: str,
        KeyConditionExpression: str,
        ExpressionAttributeValues: dict[str, Any],
        ExclusiveStartKey: dict[str, Any] | None = None,
        Select: str | None = None,
        ConsistentRead: bool = False,
    ) -> dict[str, Any]:
        if KeyConditionExpression != "pk = :pk":
            raise NotImplementedError(KeyConditionExpression)
        pk = ExpressionAttributeValues[":pk"]["S"]
        sks = self._sorted.get(pk)
        if sks is None:
            sks = self._sorted[pk] = sorted(sk for p, sk in self.items if p == pk)
        start = bisect.bisect_right(sks, ExclusiveStartKey["sk"]["S"]) if ExclusiveStartKey else 0
        page = sks[start : start + self.PAGE]
        answer: dict[str, Any] = {"Count": len(page), "ScannedCount": len(page)}
        if Select != "COUNT":
            answer["Items"] = json.loads("[" + ",".join(self.items[(pk, sk)] for sk in page) + "]")
        if start + self.PAGE < len(sks):
            answer["LastEvaluatedKey"] = {"pk": {"S": pk}, "sk": {"S": page[-1]}}
        return answer

    def describe_table(self, *, TableName: str) -> dict[str, Any]:
        return {"Table": {"TableName": TableName, "TableStatus": "ACTIVE"}}


class DynamoDBServer:
    """MemoryDynamoDB behind DynamoDB's JSON protocol on loopback, served by the benchmark's process: the function
    reaches it with its own boto3 client (AWS_ENDPOINT_URL_DYNAMODB), as it reaches DynamoDB, so the table's memory
    and CPU are not the function's, and the function parses every answer as it would DynamoDB's."""

    OPERATIONS = {
        "PutItem": "put_item",
        "DeleteItem": "delete_item",
        "GetItem": "get_item",
        "BatchWriteItem": "batch_write_item",
        "Query": "query",
        "DescribeTable": "describe_table",
    }

    def __init__(self, table: MemoryDynamoDB) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        lock = threading.Lock()
        operations = self.OPERATIONS

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else a delayed ACK holds every answer about 40 ms on loopback

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                from botocore.exceptions import ClientError

                operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                status, answer = 200, {}
                try:
                    with lock:
                        answer = getattr(table, operations[operation])(**body)
                except ClientError as exc:
                    code = exc.response["Error"]["Code"]
                    message = exc.response["Error"]["Message"]
                    status, answer = 400, {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> DynamoDBServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def seed_links(table: Any, links: list[tuple[str, str, str]], table_name: str = "bench-state") -> None:
    """A link for each (okta id, zoom id, email), as the sync writes them."""
    now = "2026-01-01T00:00:00+00:00"
    for start in range(0, len(links), 25):
        batch = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": "LINK"},
                        "sk": {"S": okta_id},
                        "zoom_id": {"S": zoom_id},
                        "email": {"S": email},
                        "updated_at": {"S": now},
                    }
                }
            }
            for okta_id, zoom_id, email in links[start : start + 25]
        ]
        table.batch_write_item(RequestItems={table_name: batch})


# ---------------------------------------------------------------------------------------------------- child


def child(config_path: str) -> int:
    """The Lambda side: the state table (holding the config's links), the handler; runs the config's runs in turn
    and prints their figures as one JSON line."""
    config = json.loads(Path(config_path).read_text())
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.update(
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_TRACE_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
    )
    sys.path.insert(0, str(REPO / "functions" / "sync"))
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from contextlib import nullcontext

    import boto3
    from aws_lambda_powertools.utilities import parameters

    from tests.support.local import Context
    from tests.support.template import create_state_table

    secret = {"okta_api_token": config["okta_token"], **{f"zoom_{k}": v for k, v in config["zoom"].items()}}
    if config["state"] == "moto":
        from moto import mock_aws

        aws: Any = mock_aws()
    else:
        # No moto (it alone adds about 28 MiB to the process): the table is served by the parent
        # (DynamoDBServer), the secret handed to the function's one call to Powertools' get_secret.
        aws = nullcontext()
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = config["dynamodb_url"]
        parameters.get_secret = lambda *args, **kwargs: json.dumps(secret)
    with aws:
        started = time.perf_counter()
        if config["state"] == "moto":
            dynamodb = boto3.client("dynamodb")
            create_state_table(dynamodb, "bench-state")
            boto3.client("secretsmanager").create_secret(Name="bench/credentials", SecretString=json.dumps(secret))
            links = json.loads(Path(config["links_path"]).read_text()) if config.get("links_path") else []
            seed_links(dynamodb, links)
            del links
        os.environ.update(
            OKTA_ORG_URL=config["okta_url"],
            OKTA_APP_ID=config["app_id"],
            ZOOM_API_URL=f"{config['zoom_url']}/v2",
            ZOOM_TOKEN_URL=f"{config['zoom_url']}/oauth/token",
            CREDENTIALS_SECRET_ID="bench/credentials",
            STATE_TABLE_NAME="bench-state",
            SYNC_POLICY_PATH=config["policy_path"],
        )
        out: dict[str, Any] = {"seed_links_s": time.perf_counter() - started}
        # Lambda's init: the handler module and the engine it loads, before the first event's clock starts.
        init0 = time.perf_counter()
        import app

        out["init_s"] = time.perf_counter() - init0
        runs = []
        for i, run in enumerate(config["runs"]):
            traced = bool(run.get("traced"))
            gc.collect()
            before = _status("VmRSS")
            _reset_peak_rss()
            if traced:
                tracemalloc.start()
            profile = os.environ.get("BENCH_PROFILE")  # a path: cProfile's stats of the run's calling thread
            profiler = cProfile.Profile() if profile else None
            wall0, cpu0 = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            result = app.handler(run["event"], Context(f"bench-{i}", remaining_ms=900_000))
            if profiler:
                profiler.disable()
                profiler.dump_stats(f"{profile}.{i}")
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            figures = {
                "result": result if run.get("keep_result") else None,
                "status": result["status"],
                "applied": result["applied"],
                "wall_s": wall,
                "cpu_s": cpu,
                "rss_before": before,
                "rss_peak": _status("VmHWM"),
                "requests": result.get("requests"),
            }
            if traced:
                figures["heap_peak"] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            runs.append(figures)
        out["runs"] = runs
    print("RESULT " + json.dumps(out))
    return 0


def import_only_rss() -> int:
    """RSS of a fresh process that imported the handler and its dependencies (a Lambda before its first run)."""
    code = (
        "import sys, re, pathlib; sys.path.insert(0, 'functions/sync'); import boto3, app; boto3.client('dynamodb', "
        "region_name='us-east-1'); print(re.search(r'VmRSS:\\s+(\\d+)', pathlib.Path('/proc/self/status')"
        ".read_text()).group(1))"
    )
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) * 1024


# ---------------------------------------------------------------------------------------------------- parent


def run_function(
    okta: Any,
    zoom: Any,
    *,
    app_id: str,
    okta_token: str,
    zoom_credentials: dict[str, str],
    policy: str,
    runs: list[dict[str, Any]],
    links: list[tuple[str, str, str]] | None = None,
    state: str = "memory",
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run the handler in a child process against the simulators `okta` and `zoom` (served by this process): the
    state table holding `links` (okta id, zoom id, email), then each of `runs` ({"event": ..., "traced": bool}).
    The child's environment is this process's (a bench's --env settings), over `env`."""
    with tempfile.TemporaryDirectory(prefix="ozs-bench-") as folder, ExitStack() as serving:
        dynamodb_url = None
        if state != "moto":
            table = MemoryDynamoDB()
            seed_links(table, links or [])
            dynamodb_url = serving.enter_context(DynamoDBServer(table)).url
        config: dict[str, Any] = {
            "okta_url": okta.url,
            "zoom_url": zoom.url,
            "app_id": app_id,
            "okta_token": okta_token,
            "zoom": zoom_credentials,
            "state": state,
            "dynamodb_url": dynamodb_url,
            "policy_path": str(Path(folder) / "policy.yaml"),
            "links_path": str(Path(folder) / "links.json") if links and state == "moto" else None,
            "runs": runs,
        }
        Path(config["policy_path"]).write_text(policy)
        if config["links_path"]:
            Path(config["links_path"]).write_text(json.dumps(links))
        Path(folder, "config.json").write_text(json.dumps(config))
        child_env = {
            **(env or {}),
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO / "layers" / "engine"), str(REPO)]),
        }
        proc = subprocess.run(
            [sys.executable, "-m", "tests.bench_process", str(Path(folder, "config.json"))],
            cwd=REPO,
            env=child_env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"the function's process failed:\n{proc.stderr[-4000:]}")
        line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
        out: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return out


if __name__ == "__main__":
    sys.exit(child(sys.argv[1]))
