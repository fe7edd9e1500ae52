"""The one place that creates the Logger, Metrics and Tracer. Every module imports them from here."""

from __future__ import annotations

import os
import sys
import threading
import warnings
from typing import IO, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "okta-zoom-sync")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "OktaZoomSync")
# The stack's name (template.yaml sets it to AWS::StackName): every metric carries it as the dimension `Stack`, so
# that two stacks in one account and region (test and prod) never share a metric, and so never an alarm.
STACK_VARIABLE = "STACK_NAME"
STACK_DIMENSION = "Stack"
LOCAL_STACK = "local"  # outside a deployed stack (the demo, a test that sets no stack)
# A long run logs a "progress" line every this many users, while it reads Okta and while it applies.
PROGRESS_EVERY = 500


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


def label_metrics_with_stack() -> None:
    """Give every metric of this invocation the `Stack` dimension. Each handler calls it first, inside
    `log_metrics`, so that even a metric emitted before a raise carries it; the value is read from the environment
    at each call (Powertools keeps default dimensions across invocations)."""
    stack = os.environ.get(STACK_VARIABLE) or LOCAL_STACK
    if metrics.default_dimensions.get(STACK_DIMENSION) != stack:  # set once: setting it again warns on every run
        with warnings.catch_warnings():  # a changed value (a test's environment) is meant to replace the old one
            warnings.simplefilter("ignore")
            metrics.set_default_dimensions(**{STACK_DIMENSION: stack})


class Progress:
    """Counts users through a long phase and logs a "progress" line (phase, done, total) every `every` of them, so
    that a run reading or applying thousands of users shows in its log while it works. Safe to tick from the
    applier's threads. `total` is None when the source does not say (Okta's pages give no total)."""

    def __init__(self, phase: str, total: int | None = None, every: int | None = None) -> None:
        self.phase = phase
        self.total = total
        self.every = every or PROGRESS_EVERY  # read at each phase's start (a test may lower it)
        self.done = 0
        self._lock = threading.Lock()

    def tick(self, count: int = 1) -> None:
        with self._lock:
            before = self.done
            self.done += count
            done = self.done
        if done // self.every > before // self.every:
            logger.info("progress", extra={"phase": self.phase, "done": done, "total": self.total})
