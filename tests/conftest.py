"""Test-wide settings. CI runs hypothesis derandomized, so a green build is reproducible; locally it explores."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

# The `stack` fixture (the real handler against the simulators and moto), shared by the integration and fault tiers.
pytest_plugins = ["tests.support.fixtures"]
