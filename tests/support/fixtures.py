"""Fixtures and helpers shared by the tiers that drive the real handler (integration, faults).

Registered once for the whole suite by tests/conftest.py (`pytest_plugins`), so a tier uses the `stack` fixture
without importing it from another tier's conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the stack imports moto and boto3: only the tests that use it pay for them
    from tests.support.stack import Stack


@pytest.fixture
def stack() -> Iterator[Stack]:
    """A fresh stack per test (tests/support/stack.py). Retries sleep for real here (the fault suite measures them)."""
    from tests.support.stack import integration_stack

    with integration_stack(fast_retries=False) as built:
        yield built


def add_person(
    stack: Stack, login: str, first: str = "Test", last: str = "User", *, assign: bool = True, status: str = "ACTIVE"
) -> str:
    """An Okta user whose login and email are `login`, assigned to the app unless `assign` is False."""
    user_id = stack.okta.add_user(login, email=login, first_name=first, last_name=last, status=status)
    if assign:
        stack.okta.assign_user(user_id)
    return user_id


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())
