"""Lambda entry point. Decorators, parse, settings, run, return: the service does the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from okta_zoom_sync import service
from okta_zoom_sync.observability import label_metrics_with_stack, logger, metrics, tracer

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yaml")
service.preload()  # the engine's imports belong to Lambda's init phase, not to the first run


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: Any, context: Any) -> dict[str, Any]:
    label_metrics_with_stack()  # first: a metric emitted before a raise carries the stack too
    request = service.parse_request(event)  # a bad event raises here, before anything is read or written
    settings = service.load_settings()  # once per cold start; a wrong setting fails the run, which says which
    invocation = service.Invocation.from_context(context, default_policy=DEFAULT_POLICY_PATH)
    return service.run(request, settings, invocation).to_dict()
