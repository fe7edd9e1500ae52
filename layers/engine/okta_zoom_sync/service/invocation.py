"""One invocation: a connection check, a status read or a sync run, reported once.

`status` reads the state table and nothing else: it is answered before the policy or the secret is read, takes
no lease, records no run and emits no run metric (it is not a run: a status call must not look like a success
to the "no success" alarm).

An SQS batch from the event-hook queue runs like any sync run (same lease, same report); the service then says
which records SQS must deliver again (`batchItemFailures`): every record when the run did not happen or failed
(the lease was held, nothing could be read, a list was read only in part), else the records naming a user whose
read failed, and records whose body could not be read. The others were reconciled, or set aside durably in the
state table (carried over or quarantined), so they are acknowledged.

The report is made here and nowhere else; the engine fills it in. When Okta or Zoom refuses the credential,
the secret may have been rotated since it was cached: it is read afresh, and the run is made again (once)
if it changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from okta_zoom_sync.boundary.policy_source import PolicySource
from okta_zoom_sync.boundary.request import Mode, QueueBatch, SyncEvent, parse_event
from okta_zoom_sync.boundary.secrets import Credentials, SecretsManagerCredentials
from okta_zoom_sync.boundary.settings import SETTINGS_VARIABLES, Settings, once_per_cold_start
from okta_zoom_sync.core.report import RunReport, RunStatus
from okta_zoom_sync.core.system_log import named_users
from okta_zoom_sync.engine.budget import TimeBudget
from okta_zoom_sync.engine.checks import Check, check_okta, check_policy, check_state, check_zoom
from okta_zoom_sync.engine.status import read_state
from okta_zoom_sync.errors import ConfigurationError, InvalidEventError, SyncError
from okta_zoom_sync.observability import logger
from okta_zoom_sync.service.metrics import emit_check_metrics, emit_invalid_event, emit_run_metrics
from okta_zoom_sync.wiring import build_engine, build_okta, build_state, build_zoom


@dataclass(frozen=True)
class Invocation:
    """What the handler knows of this call: its id, its time, and where the packaged policy file is."""

    run_id: str
    budget: TimeBudget
    default_policy: Path

    @classmethod
    def from_context(cls, context: Any, *, default_policy: Path) -> Invocation:
        run_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        budget = TimeBudget.from_remaining(remaining) if callable(remaining) else TimeBudget.unlimited()
        return cls(run_id, budget, default_policy)


def parse_request(event: object) -> SyncEvent | QueueBatch:
    """The invocation event, validated. A bad event raises InvalidEventError before anything is read.

    It is counted first (InvalidEvents, flushed by `log_metrics` even as the handler raises): the function-errors
    alarm subtracts it from Lambda's Errors, so a typo in a manual invoke alarms no one (see the README's runbook)."""
    try:
        return parse_event(event)
    except InvalidEventError as exc:
        logger.error("invalid event", extra={"error_code": exc.code, "error": exc.message})
        emit_invalid_event()
        raise


def load_settings() -> Settings | ConfigurationError:
    """The function's settings, read from the environment once per cold start.

    A wrong setting is returned as the error, for the run to report (the invocation still answers). The
    cache is keyed on the variables' values, so a process whose environment changes (a test) reads again."""
    return once_per_cold_start(Settings.from_environ, SETTINGS_VARIABLES)


def run(request: SyncEvent | QueueBatch, settings: Settings | ConfigurationError, invocation: Invocation) -> RunReport:
    if isinstance(request, QueueBatch):
        report = run(request.request, settings, invocation)
        for message in request.messages:
            if message.problem is not None:
                report.notes.append(f"queued record {message.message_id} is not a System Log event: {message.problem}")
        report.item_failures = unhandled_messages(request, report)
        if report.item_failures:
            logger.warning("queued records left for SQS to deliver again", extra={"records": report.item_failures})
        return report
    logger.append_keys(run_id=invocation.run_id)
    report = _new_report(request, invocation)
    if isinstance(settings, ConfigurationError):
        _configuration_failed(report, settings)
    elif request.mode is Mode.CHECK:
        _check(settings, report, invocation)
        emit_check_metrics(report)
        return report
    elif request.mode is Mode.STATUS:
        _status(settings, report)
        return report
    else:
        report = _sync(request, settings, invocation, report)
    emit_run_metrics(report)
    return report


def unhandled_messages(batch: QueueBatch, report: RunReport) -> list[str]:
    """The message ids SQS must deliver again (see the module's docstring)."""
    if report.status in (RunStatus.SKIPPED, RunStatus.FAILED) or report.incomplete:
        return [message.message_id for message in batch.messages]
    unread = set(report.unread)
    return [
        message.message_id
        for message in batch.messages
        if message.problem is not None or any(named_users(event) & unread for event in message.events)
    ]


def _new_report(request: SyncEvent, invocation: Invocation) -> RunReport:
    return RunReport(
        run_id=invocation.run_id,
        mode=request.mode.value,
        dry_run=request.dry_run,
        force=request.force,
        started_at=datetime.now(UTC).isoformat(),
    )


def _configuration_failed(report: RunReport, exc: ConfigurationError) -> None:
    # Configuration is wrong: fail the run, touch nothing, say which setting or key.
    logger.error("configuration error", extra={"error_code": exc.code, "error": exc.message})
    report.fail(exc)


def _sync(request: SyncEvent, settings: Settings, invocation: Invocation, report: RunReport) -> RunReport:
    secret = SecretsManagerCredentials(settings.credentials_secret_id)
    try:
        # A dry run is how an operator tries a policy just put: it reads the parameter afresh.
        policy = PolicySource.from_settings(settings, invocation.default_policy).load(fresh=request.dry_run)
        credentials = secret.load()
        engine = build_engine(settings, policy, credentials, dry_run=request.dry_run, budget=invocation.budget)
    except ConfigurationError as exc:
        _configuration_failed(report, exc)
        return report
    report = engine.run(request, report)
    if not report.credential_refused:
        return report
    try:
        fresh: Credentials = secret.load(force_fetch=True)
        if fresh == credentials:
            return report
        logger.info("the secret changed: running again with the new credentials")
        engine = build_engine(settings, policy, fresh, dry_run=request.dry_run, budget=invocation.budget)
    except ConfigurationError as exc:
        report.notes.append(f"re-reading the secret after the refusal failed: {exc.message}")
        return report
    return engine.run(request, _new_report(request, invocation))


def _status(settings: Settings, report: RunReport) -> None:
    """Dry run and force change nothing here (nothing is written either way): they are accepted, as on any event."""
    try:
        report.state = read_state(build_state(settings), datetime.now(UTC))
    except SyncError as exc:
        logger.error("status: the state table could not be read", extra={"error_code": exc.code, "error": exc.message})
        report.fail(exc)


def _check(settings: Settings, report: RunReport, invocation: Invocation) -> None:
    """The connection test. Each check runs on its own; one failing does not hide the others."""
    checks: list[Check] = []
    credentials: Credentials | None = None
    try:
        credentials = SecretsManagerCredentials(settings.credentials_secret_id).load()
        checks.append(Check("secret", True, f"secret {settings.credentials_secret_id} holds valid credentials"))
    except SyncError as exc:
        checks.append(Check("secret", False, f"{exc.message}. Fix the secret's keys (see the README)."))
    checks.append(check_state(build_state(settings), settings.state_table_name))
    policy_source = PolicySource.from_settings(settings, invocation.default_policy)
    if policy_source.parameter:
        # Only a policy kept in SSM can be out of the function's reach (a permission, a deleted parameter); the
        # contract's checks (secret, state table, Okta, Zoom) are unchanged when the policy is a file.
        checks.append(check_policy(lambda: policy_source.load(fresh=True), policy_source.description))
    if credentials is not None:
        checks.extend(check_okta(build_okta(settings, credentials), settings.okta_app_id))
        checks.extend(check_zoom(build_zoom(settings, credentials)))
    report.checks = [c.to_dict() for c in checks]
    report.status = RunStatus.SUCCEEDED if all(c.ok for c in checks) else RunStatus.FAILED
