"""Builds the adapters and the engine from configuration. The one place that decides live or dry run."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from .adapters.http import RetryPolicy
from .adapters.okta import OktaApiToken, OktaClient, OktaServiceApp
from .adapters.state import DynamoStateStore
from .adapters.zoom import ZoomClient
from .applier import Applier, DryRunExecutor, Executor
from .checks import Check, check_okta, check_state, check_zoom
from .config import Settings
from .engine import SyncEngine, TimeBudget, utc_now
from .errors import SyncError
from .observability import metrics
from .policy import Policy
from .result import RunReport, RunStatus
from .secrets import Credentials, SecretsManagerCredentials


def build_okta(settings: Settings, credentials: Credentials, retry: RetryPolicy | None = None) -> OktaClient:
    auth: OktaApiToken | OktaServiceApp
    if credentials.okta_api_token is not None:
        auth = OktaApiToken(credentials.okta_api_token.get_secret_value().strip())
    else:
        assert credentials.okta_client_id and credentials.okta_private_key  # checked by Credentials
        auth = OktaServiceApp(
            client_id=credentials.okta_client_id,
            private_key_pem=credentials.okta_private_key.get_secret_value(),
            key_id=credentials.okta_key_id,
        )
    return OktaClient(settings.okta_org_url, settings.okta_app_id, auth, retry=retry)


def build_zoom(settings: Settings, credentials: Credentials, retry: RetryPolicy | None = None) -> ZoomClient:
    return ZoomClient(
        settings.zoom_api_url,
        settings.zoom_token_url,
        credentials.zoom_account_id,
        credentials.zoom_client_id,
        credentials.zoom_client_secret.get_secret_value(),
        retry=retry,
    )


def build_engine(
    settings: Settings, policy: Policy, credentials: Credentials, *, dry_run: bool, budget: TimeBudget
) -> SyncEngine:
    # Retries never wait past the point where the run stops starting new work.
    retry = RetryPolicy().within(max(0.0, budget.left() - budget.margin))
    okta = build_okta(settings, credentials, retry)
    zoom = build_zoom(settings, credentials, retry)
    state = DynamoStateStore(settings.state_table_name)
    executor: Executor = DryRunExecutor() if dry_run else Applier(zoom, zoom, state, clock=utc_now)
    return SyncEngine(
        okta=okta,
        zoom=zoom,
        state=state,
        executor=executor,
        policy=policy,
        app_id=settings.okta_app_id,
        budget=budget,
        request_stats=lambda: {"okta": okta.stats.as_dict(), "zoom": zoom.stats.as_dict()},
    )


def run_checks(settings: Settings, report: RunReport) -> RunReport:
    """Each check runs on its own; one failing does not hide the others."""
    checks: list[Check] = []
    credentials: Credentials | None = None
    try:
        credentials = SecretsManagerCredentials(settings.credentials_secret_id).load()
        checks.append(Check("secret", True, f"secret {settings.credentials_secret_id} holds valid credentials"))
    except SyncError as exc:
        checks.append(Check("secret", False, f"{exc.message}. Fix the secret's keys (see the README)."))
    checks.append(check_state(DynamoStateStore(settings.state_table_name), settings.state_table_name))
    if credentials is not None:
        checks.extend(check_okta(build_okta(settings, credentials), settings.okta_app_id))
        checks.extend(check_zoom(build_zoom(settings, credentials)))
    report.checks = [c.to_dict() for c in checks]
    report.status = RunStatus.SUCCEEDED if all(c.ok for c in checks) else RunStatus.FAILED
    metrics.add_metric(name="ConnectionChecksFailed", unit=MetricUnit.Count, value=sum(not c.ok for c in checks))
    return report


def emit_metrics(report: RunReport) -> None:
    """EMF metrics for the alarms in template.yaml (names are a contract with it)."""
    if report.dry_run:
        metrics.add_metric(name="DryRuns", unit=MetricUnit.Count, value=1)
        return
    status_metric = {
        RunStatus.SUCCEEDED: "RunSucceeded",
        RunStatus.FAILED: "RunFailed",
        RunStatus.PARTIAL: "RunPartial",
        RunStatus.BLOCKED: "RunBlocked",
        RunStatus.SKIPPED: "RunSkipped",
    }[report.status]
    metrics.add_metric(name=status_metric, unit=MetricUnit.Count, value=1)
    summary = report.to_dict()
    metrics.add_metric(name="OperationsApplied", unit=MetricUnit.Count, value=sum(summary["applied"].values()))
    metrics.add_metric(name="OperationsFailed", unit=MetricUnit.Count, value=sum(summary["failed"].values()))
    held = summary["held"]
    metrics.add_metric(name="DeprovisionsHeld", unit=MetricUnit.Count, value=held["deactivate"] + held["delete"])
    metrics.add_metric(name="LicenseDowngradesHeld", unit=MetricUnit.Count, value=held["license"])
    if report.status is not RunStatus.FAILED and report.status is not RunStatus.SKIPPED:
        # What is still held after this run (the blocked alarm's metric): a run that read nothing says nothing.
        metrics.add_metric(name="OperationsHeld", unit=MetricUnit.Count, value=sum(held.values()))
    metrics.add_metric(name="UserFailuresRecorded", unit=MetricUnit.Count, value=report.failures_recorded)
    metrics.add_metric(name="RunDurationMs", unit=MetricUnit.Milliseconds, value=report.duration_ms)
    metrics.add_metric(name="UsersQuarantined", unit=MetricUnit.Count, value=len(summary["quarantined"]))
    for api, stats in summary["requests"].items():
        metrics.add_metric(name=f"{api.capitalize()}Requests", unit=MetricUnit.Count, value=stats["total"])
        metrics.add_metric(name=f"{api.capitalize()}Retries", unit=MetricUnit.Count, value=stats["retries"])
        metrics.add_metric(name=f"{api.capitalize()}RateLimited", unit=MetricUnit.Count, value=stats["rate_limited"])
    for op, count in summary["applied"].items():
        if count:
            metrics.add_metric(name=f"Applied.{op}", unit=MetricUnit.Count, value=count)
    for op, count in summary["failed"].items():
        if count:
            metrics.add_metric(name=f"Failed.{op}", unit=MetricUnit.Count, value=count)
