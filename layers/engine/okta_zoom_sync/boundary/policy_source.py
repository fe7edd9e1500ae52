"""Where the run's policy comes from, in this order: the SSM parameter named by SYNC_POLICY_PARAMETER, else the file
named by SYNC_POLICY_PATH, else the policy file packaged with the function.

The parameter is read through Powertools Parameters and kept for SYNC_POLICY_MAX_AGE seconds (300 by default) in the
warm function, so a change made with `aws ssm put-parameter` applies to the runs that start after that, with no
redeploy and without one SSM call per run. Its text is checked exactly like a file's: a bad policy fails the run
naming the key and the parameter; a missing or unreadable parameter fails it naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities import parameters

from okta_zoom_sync.boundary.aws_errors import aws_error_reason
from okta_zoom_sync.boundary.policy_file import load_policy, parse_policy
from okta_zoom_sync.boundary.settings import Settings
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.errors import InvalidPolicyError


@dataclass(frozen=True)
class PolicySource:
    parameter: str | None  # the SSM parameter; when set, `path` is not read
    path: Path
    max_age: int

    @classmethod
    def from_settings(cls, settings: Settings, packaged: Path) -> PolicySource:
        return cls(settings.sync_policy_parameter, settings.sync_policy_path or packaged, settings.sync_policy_max_age)

    @property
    def description(self) -> str:
        if self.parameter:
            return f"SSM parameter {self.parameter} (SYNC_POLICY_PARAMETER)"
        return f"file {self.path}"

    def load(self, *, fresh: bool = False) -> Policy:
        """The policy; `fresh` reads the parameter even when the cached copy is young (a dry run or a check by hand
        right after a put-parameter shows the new policy, and the runs after it use it too)."""
        if not self.parameter:
            return load_policy(self.path)
        return parse_policy(
            self._parameter_text(self.parameter, fresh),
            f"{self.parameter} (SYNC_POLICY_PARAMETER)",
            kind="policy parameter",
        )

    def _parameter_text(self, name: str, fresh: bool) -> str:
        try:
            value: Any = parameters.get_parameter(name, max_age=self.max_age, force_fetch=fresh)
        except parameters.exceptions.GetParameterError as exc:
            raise InvalidPolicyError(
                f"cannot read the policy parameter {name} (SYNC_POLICY_PARAMETER): {aws_error_reason(exc)}"
            ) from exc
        if not isinstance(value, str):  # get_parameter without a transform gives text; anything else is a bug here
            raise InvalidPolicyError(f"the policy parameter {name} (SYNC_POLICY_PARAMETER) did not read as text")
        return value
