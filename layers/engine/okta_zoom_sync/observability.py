"""The one place that creates the Logger, Metrics and Tracer. Every module imports them from here."""

from __future__ import annotations

import os
import sys
from typing import IO, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "okta-zoom-sync")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "OktaZoomSync")


class CurrentStdout:
    """Writes to whatever `sys.stdout` is at the time of the write.

    Powertools' Logger keeps the stream it was created with; in Lambda that is stdout for good, but a test
    runner swaps stdout per test, and a stream kept from an earlier test is closed by then."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


logger = Logger(service=SERVICE, stream=cast(IO[str], CurrentStdout()))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)
