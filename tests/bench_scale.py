"""`make bench-scale`: a steady-state full run of 100,000 users (--users), everyone already in sync, and its memory.
Figures, not assertions; takes a few minutes.

The function runs in a process of its own, as in Lambda: this process serves the Okta and Zoom simulators (100,000
assigned Okta users, paged 500 at a time; the same 100,000 in Zoom, 300 a page), and a child process holds the
handler and the state table already holding a link for every user: by default an in-memory stand-in with DynamoDB's
wire shapes (MemoryDynamoDB below) and no moto (the secret is handed to Powertools' get_secret), since moto spends
minutes of CPU and hundreds of MiB on 100,000 items; `--state moto` uses moto (table and secret). Reported for the
child:

  - RSS before the run (imports, moto's table of 100,000 links) and the run's peak RSS (VmHWM, reset just before
    the run through /proc/self/clear_refs), and the growth between them;
  - the Python heap's peak during a second, traced run (tracemalloc: only what the run allocated, moto's answers
    included);
  - the RSS of a process that only imported the handler (what a Lambda holds before its first run);
  - Lambda estimate = that import-only RSS + the run's growth (moto's copy of the table left out, its answers kept:
    an overestimate);
  - wall and CPU seconds of the run, Okta and Zoom requests.

Then (unless --no-initial) initial syncs of larger N at 15 ms latency (--initial-sizes, default 5000) join the
results of `make bench`, for the chart.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any
from unittest import mock

from tests import bench_report as report

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


# ---------------------------------------------------------------------------------------------------- child


def child(config_path: str) -> int:
    """The Lambda side: moto, the state table with every link, the handler; runs a full sync twice (plain, then
    traced) and prints its figures as one JSON line."""
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
    from okta_zoom_sync.adapters.dynamodb import store

    from tests.support.local import Context
    from tests.support.template import create_state_table

    secret = {"okta_api_token": config["okta_token"], **{f"zoom_{k}": v for k, v in config["zoom"].items()}}
    if config["state"] == "moto":
        from moto import mock_aws

        aws: Any = mock_aws()
    else:
        # No moto at all (it alone adds about 28 MiB to the process): the links in MemoryDynamoDB, the secret
        # handed to the function's one call to Powertools' get_secret.
        aws = nullcontext()
        dynamodb = MemoryDynamoDB()
        store.dynamodb_client = lambda: dynamodb  # the state store's one client, for this process
        parameters.get_secret = lambda *args, **kwargs: json.dumps(secret)
    with aws:
        if config["state"] == "moto":
            dynamodb = boto3.client("dynamodb")
            create_state_table(dynamodb, "scale-state")
            boto3.client("secretsmanager").create_secret(Name="scale/credentials", SecretString=json.dumps(secret))
        os.environ.update(
            OKTA_ORG_URL=config["okta_url"],
            OKTA_APP_ID=config["app_id"],
            ZOOM_API_URL=f"{config['zoom_url']}/v2",
            ZOOM_TOKEN_URL=f"{config['zoom_url']}/oauth/token",
            CREDENTIALS_SECRET_ID="scale/credentials",
            STATE_TABLE_NAME="scale-state",
            SYNC_POLICY_PATH=config["policy_path"],
        )
        started = time.perf_counter()
        links = json.loads(Path(config["links_path"]).read_text())
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
            dynamodb.batch_write_item(RequestItems={"scale-state": batch})
        del links, batch
        seeded = time.perf_counter() - started
        import app

        out: dict[str, Any] = {"seed_links_s": seeded}
        for traced in (False, True):
            gc.collect()
            before = _status("VmRSS")
            _reset_peak_rss()
            if traced:
                tracemalloc.start()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            result = app.handler({"mode": "full"}, Context(f"scale-{traced}", remaining_ms=900_000))
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            figures = {
                "status": result["status"],
                "applied": sum(result["applied"].values()),
                "wall_s": wall,
                "cpu_s": cpu,
                "rss_before": before,
                "rss_peak": _status("VmHWM"),
                "requests": result["requests"],
            }
            if traced:
                figures["heap_peak"] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            out["traced" if traced else "plain"] = figures
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


def steady(users: int, state: str) -> dict[str, Any]:
    from tests.simulators import OktaSimulator, ZoomSimulator
    from tests.simulators import http as simulator_http
    from tests.support.local import APP_ID, OKTA_TOKEN, ZOOM

    with (
        mock.patch.object(simulator_http._Handler, "disable_nagle_algorithm", True, create=True),
        OktaSimulator(app_id=APP_ID, api_token=OKTA_TOKEN) as okta,
        ZoomSimulator(owner_email="owner@bench.example", **ZOOM) as zoom,
        tempfile.TemporaryDirectory(prefix="ozs-scale-") as folder,
    ):
        started = time.perf_counter()
        links = []
        with okta.without_events():
            for i in range(users):
                email = f"user{i:06}@bench.example"
                uid = okta.add_user(email, email=email, first_name="User", last_name=f"N{i:06}")
                okta.assign_user(uid)
                links.append((uid, zoom.add_user(email, first_name="User", last_name=f"N{i:06}"), email))
        print(f"  seeded {users:,} Okta and Zoom users in {time.perf_counter() - started:.0f} s")
        config = {
            "okta_url": okta.url,
            "zoom_url": zoom.url,
            "app_id": APP_ID,
            "okta_token": OKTA_TOKEN,
            "zoom": ZOOM,
            "state": state,
            "policy_path": str(Path(folder) / "policy.yaml"),
            "links_path": str(Path(folder) / "links.json"),
        }
        Path(config["policy_path"]).write_text("max_deprovisions: {count: 25, percent: 10}\n")
        Path(config["links_path"]).write_text(json.dumps(links))
        del links
        Path(folder, "config.json").write_text(json.dumps(config))
        okta.clear_log()
        zoom.clear_log()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "layers" / "engine"), str(REPO)])}
        proc = subprocess.run(
            [sys.executable, "-m", "tests.bench_scale", "--child", str(Path(folder, "config.json"))],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"the child failed:\n{proc.stderr[-4000:]}")
        line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
        out: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
        out["okta_requests"] = okta.request_count() // 2  # two runs
        out["zoom_requests"] = zoom.request_count() // 2
    return out


def scenario_steady(users: int, state: str) -> None:
    out = steady(users, state)
    base = import_only_rss()
    plain, traced = out["plain"], out["traced"]
    mib = 2**20
    growth = plain["rss_peak"] - plain["rss_before"]
    header = [
        "users",
        "state table",
        "status",
        "wall s",
        "CPU s",
        "Okta req",
        "Zoom req",
        "RSS before MiB",
        "peak RSS MiB",
        "run's growth MiB",
        "heap peak MiB (traced run)",
        "import-only RSS MiB",
        "Lambda estimate MiB",
    ]
    rows = [
        [
            f"{users:,}",
            state,
            plain["status"],
            f"{plain['wall_s']:.1f}",
            f"{plain['cpu_s']:.1f}",
            str(out["okta_requests"]),
            str(out["zoom_requests"]),
            f"{plain['rss_before'] / mib:.0f}",
            f"{plain['rss_peak'] / mib:.0f}",
            f"{growth / mib:.0f}",
            f"{traced['heap_peak'] / mib:.0f}",
            f"{base / mib:.0f}",
            f"{(base + growth) / mib:.0f}",
        ]
    ]
    stand_in = (
        "an in-memory stand-in for DynamoDB (MemoryDynamoDB: the service's wire shapes, parsed afresh from JSON on "
        "every answer) holding the links (no moto: the secret is handed to Powertools' get_secret)"
        if state == "memory"
        else "moto (the state table: its copy of every link, and its serialising of every query page)"
    )
    text = (
        f"The child process holds the handler and {stand_in}; the simulators run in the parent. *Peak RSS* is the "
        "whole child's high-water mark during the run (the stand-in's table included); *run's growth* = peak - RSS "
        "before the run; *Lambda estimate* = import-only RSS + growth. The traced run's heap peak counts only what "
        "the run allocated."
    )
    report.save("steady_scale", {"header": header, "rows": rows, "text": text, "figures": out, "import_only_rss": base})
    print(report.console(header, rows))
    print(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--initial-sizes", default="5000", help="initial syncs at 15 ms for the chart ('' for none)")
    parser.add_argument("--no-initial", action="store_true")
    parser.add_argument(
        "--state", choices=("memory", "moto"), default="memory", help="the state table: in memory (default) or moto"
    )
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="as for tests.bench")
    parser.add_argument("--child", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    for item in args.env:
        name, _, value = item.partition("=")
        os.environ[name] = value  # the child inherits it
    if args.env:
        os.environ["BENCH_ENV"] = " ".join(args.env)
    print(f"== steady-state full run, {args.users:,} users in sync")
    scenario_steady(args.users, args.state)
    if not args.no_initial and args.initial_sizes:
        from tests.bench import FAST_ZOOM, initial_run, save_initial

        print("\n== initial syncs at 15 ms (for the chart)")
        save_initial([initial_run(int(n), 0.015, FAST_ZOOM) for n in args.initial_sizes.split(",")])
    print(f"\nwritten: {report.OUT / 'results.md'}, {report.OUT / 'scaling.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
