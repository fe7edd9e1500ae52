"""Lambda entry point: parse the event and configuration, wire the adapters, run, return the result."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from okta_zoom_sync.config import Settings
from okta_zoom_sync.engine import TimeBudget
from okta_zoom_sync.errors import ConfigurationError
from okta_zoom_sync.events import Mode, SyncEvent, parse_event
from okta_zoom_sync.observability import logger, metrics, tracer
from okta_zoom_sync.policy import load_policy
from okta_zoom_sync.result import RunReport
from okta_zoom_sync.secrets import SecretsManagerCredentials
from okta_zoom_sync.wiring import build_engine, emit_metrics, run_checks

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yaml")


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: Any, context: Any) -> dict[str, Any]:
    request = parse_event(event)  # a bad event raises here, before anything is read or written
    run_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    logger.append_keys(run_id=run_id)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = TimeBudget.from_remaining(remaining) if callable(remaining) else TimeBudget.unlimited()
    try:
        settings = Settings.from_environ()
        if request.mode is Mode.CHECK:
            return run_checks(settings, _report(request, run_id)).to_dict()
        policy = load_policy(settings.sync_policy_path or DEFAULT_POLICY_PATH)
        credentials = SecretsManagerCredentials(settings.credentials_secret_id).load()
        engine = build_engine(settings, policy, credentials, dry_run=request.dry_run, budget=budget)
    except ConfigurationError as exc:
        # Configuration is wrong: fail the run, touch nothing, say which setting or key.
        logger.error("configuration error", extra={"error_code": exc.code, "error": exc.message})
        report = _report(request, run_id)
        report.fail(exc)
        emit_metrics(report)
        return report.to_dict()
    report = engine.run(request, run_id)
    if report.credential_refused:
        # The secret may have been rotated since it was cached: read it afresh, and run again if it changed.
        try:
            fresh = SecretsManagerCredentials(settings.credentials_secret_id).load(force_fetch=True)
            if fresh != credentials:
                logger.info("the secret changed: running again with the new credentials")
                report = build_engine(settings, policy, fresh, dry_run=request.dry_run, budget=budget).run(
                    request, run_id
                )
        except ConfigurationError as exc:
            report.notes.append(f"re-reading the secret after the refusal failed: {exc.message}")
    emit_metrics(report)
    return report.to_dict()


def _report(request: SyncEvent, run_id: str) -> RunReport:
    return RunReport(
        run_id=run_id,
        mode=request.mode.value,
        dry_run=request.dry_run,
        force=request.force,
        started_at=datetime.now(UTC).isoformat(),
    )
