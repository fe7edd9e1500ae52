"""The policy text (YAML): read it and check it against the policy model, naming the key that is wrong.

`parse_policy` checks text from anywhere (`kind` and `source` say where, for the error); `load_policy` reads a file.
The SSM parameter is read in boundary/policy_source.py."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from okta_zoom_sync.boundary.validation import describe_validation_error
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.errors import InvalidPolicyError


def parse_policy(text: str, source: str = "policy", *, kind: str = "policy file") -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        if isinstance(exc, yaml.reader.ReaderError):
            where = f" at line {text.count(chr(10), 0, exc.position) + 1} (a character YAML does not allow)"
        raise InvalidPolicyError(f"invalid {kind} {source}: not valid YAML{where}") from None
    except (ValueError, RecursionError):
        # PyYAML raises these for a bad explicit tag (`!!int x`) or absurd nesting.
        raise InvalidPolicyError(f"invalid {kind} {source}: not valid YAML (a bad value or nesting)") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidPolicyError(f"invalid {kind} {source}: expected a mapping of keys, got {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise InvalidPolicyError(describe_validation_error(f"{kind} {source}", exc)) from None


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidPolicyError(f"cannot read the policy file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InvalidPolicyError(f"invalid policy file {path}: not UTF-8 text (byte {exc.start})") from None
    return parse_policy(text, str(path))
