"""The service layer: what the handler calls. Parse the request, read the settings, run one invocation."""

from okta_zoom_sync.service.invocation import Invocation, load_settings, parse_request, run

__all__ = ["Invocation", "load_settings", "parse_request", "run"]
