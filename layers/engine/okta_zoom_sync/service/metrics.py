"""The run's CloudWatch metrics (EMF), from its report. The names are a contract with template.yaml's alarms."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from okta_zoom_sync.core.report import RunReport, RunStatus
from okta_zoom_sync.core.seats import license_shortages
from okta_zoom_sync.observability import metrics

STATUS_METRICS = {
    RunStatus.SUCCEEDED: "RunSucceeded",
    RunStatus.FAILED: "RunFailed",
    RunStatus.PARTIAL: "RunPartial",
    RunStatus.BLOCKED: "RunBlocked",
    RunStatus.SKIPPED: "RunSkipped",
}


def emit_invalid_event() -> None:
    """An invocation refused for its event (a typo in a manual invoke): the handler raises right after."""
    metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)


def emit_check_metrics(report: RunReport) -> None:
    failed = sum(not check["ok"] for check in report.checks or ())
    metrics.add_metric(name="ConnectionChecksFailed", unit=MetricUnit.Count, value=failed)


def emit_run_metrics(report: RunReport) -> None:
    if report.dry_run:
        metrics.add_metric(name="DryRuns", unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name=STATUS_METRICS[report.status], unit=MetricUnit.Count, value=1)
    summary = report.to_dict()
    metrics.add_metric(name="OperationsApplied", unit=MetricUnit.Count, value=sum(summary["applied"].values()))
    metrics.add_metric(name="OperationsFailed", unit=MetricUnit.Count, value=sum(summary["failed"].values()))
    held = summary["held"]
    metrics.add_metric(name="DeprovisionsHeld", unit=MetricUnit.Count, value=held["deactivate"] + held["delete"])
    metrics.add_metric(name="LicenseDowngradesHeld", unit=MetricUnit.Count, value=held["license"])
    if report.status is not RunStatus.FAILED and report.status is not RunStatus.SKIPPED:
        # What is still held after this run (the blocked alarm's metric): a run that read nothing says nothing.
        metrics.add_metric(name="OperationsHeld", unit=MetricUnit.Count, value=sum(held.values()))
    shortages = license_shortages(report.results)
    if shortages or report.mode == "full":
        # Users Zoom had no seat of their license for. A full run reads everyone, so its count (0 included) is the
        # one the alarm settles on; a partial run (incremental, users) tells only of a shortage it met.
        metrics.add_metric(name="LicenseShortage", unit=MetricUnit.Count, value=shortages)
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
