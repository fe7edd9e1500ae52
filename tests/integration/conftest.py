"""The integration harness: the real handler against the Okta and Zoom simulators (loopback HTTP) and moto.

Each test gets a fresh stack (tests/support/stack.py): a moto account with the state table built from
template.yaml and the credentials secret, fresh simulators, and the function's environment pointing at them.
Retries sleep for real here (the fault suite measures them).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stack import (
    OKTA_APP_ID,
    OKTA_TOKEN,
    SECRET_ID,
    TABLE,
    ZOOM_ACCOUNT,
    ZOOM_CLIENT,
    ZOOM_SECRET,
    FakeContext,
    Stack,
    integration_stack,
    valid_secret,
)


@pytest.fixture
def stack() -> Iterator[Stack]:
    with integration_stack(fast_retries=False) as built:
        yield built


def add_person(
    stack: Stack, login: str, first: str = "Test", last: str = "User", *, assign: bool = True, status: str = "ACTIVE"
) -> str:
    user_id = stack.okta.add_user(login, email=login, first_name=first, last_name=last, status=status)
    if assign:
        stack.okta.assign_user(user_id)
    return user_id


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


__all__ = [
    "OKTA_APP_ID",
    "OKTA_TOKEN",
    "SECRET_ID",
    "TABLE",
    "ZOOM_ACCOUNT",
    "ZOOM_CLIENT",
    "ZOOM_SECRET",
    "FakeContext",
    "Stack",
    "add_person",
    "total",
    "valid_secret",
]
