"""Lambda entry point of the event hook (a Function URL). Decorators, parse, settings, run, return."""

from __future__ import annotations

from typing import Any

from okta_zoom_sync.observability import label_metrics_with_stack, logger, metrics
from okta_zoom_sync.service import hook


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: Any, context: Any) -> dict[str, Any]:
    label_metrics_with_stack()  # first: a metric emitted before a raise carries the stack too
    request = hook.parse_request(event)  # a bad shape is answered 400 by `run`
    settings = hook.load_settings()  # once per cold start; a wrong setting answers 500 (Okta retries once)
    return hook.run(request, settings).to_dict()
