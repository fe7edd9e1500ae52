"""The integration harness: the real handler against the Okta and Zoom simulators (loopback HTTP) and moto.

Each test gets a fresh stack (tests/support/stack.py) from the `stack` fixture in tests/support/fixtures.py
(registered for the whole suite by tests/conftest.py): a moto account with the state table built from
template.yaml and the credentials secret, fresh simulators, and the function's environment pointing at them.
Retries sleep for real here (the fault suite measures them). The names below are re-exported for the tests.
"""

from __future__ import annotations

from tests.support.fixtures import add_person, total
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
    valid_secret,
)

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
