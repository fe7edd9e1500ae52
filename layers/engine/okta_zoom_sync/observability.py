"""The one place that creates the Logger, Metrics and Tracer. Every module imports them from here."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "okta-zoom-sync")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "OktaZoomSync")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)
