"""The integration harness itself (tests/support/stack.py)."""

from __future__ import annotations

import pytest
from okta_zoom_sync import wiring

from tests.support.stack import integration_stack


def test_fast_retries_fail_loudly_when_the_retry_policy_cannot_be_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the engine no longer builds its retry policy from okta_zoom_sync.wiring.RetryPolicy
    monkeypatch.delattr(wiring, "RetryPolicy")
    # When a stack with fast retries is built, Then it refuses (rather than let every retry sleep for real)
    with pytest.raises(RuntimeError, match="RetryPolicy is gone"), integration_stack(fast_retries=True):
        pass
    # and a stack with real sleeps is still built
    with integration_stack(fast_retries=False) as stack:
        assert stack.okta.running and stack.zoom.running
