"""The credentials secret: one JSON object with flat keys, read through Powertools Parameters (cached)."""

from __future__ import annotations

import json
from typing import Any, Self

from aws_lambda_powertools.utilities import parameters
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, model_validator

from okta_zoom_sync.boundary.aws_errors import aws_error_reason
from okta_zoom_sync.core.keys import load_private_key
from okta_zoom_sync.errors import InvalidSecretError

SECRET_CACHE_SECONDS = 300


class Credentials(BaseModel):
    """Secret values are SecretStr: they never show in a repr, a log line or an error message."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    okta_api_token: SecretStr | None = None
    okta_client_id: str | None = None
    okta_private_key: SecretStr | None = None
    okta_key_id: str | None = None
    zoom_account_id: str
    zoom_client_id: str
    zoom_client_secret: SecretStr

    @model_validator(mode="before")
    @classmethod
    def _blank_optional_keys_are_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            optional = ("okta_api_token", "okta_client_id", "okta_private_key", "okta_key_id")
            data = {k: v for k, v in data.items() if not (k in optional and isinstance(v, str) and not v.strip())}
        return data

    @model_validator(mode="after")
    def _one_okta_method(self) -> Self:
        has_token = self.okta_api_token is not None
        has_app = self.okta_client_id is not None or self.okta_private_key is not None
        if has_token and has_app:
            raise ValueError("give either okta_api_token or okta_client_id + okta_private_key, not both")
        if not has_token and not has_app:
            raise ValueError("okta_api_token (or okta_client_id + okta_private_key) is required")
        if has_app:
            if not self.okta_client_id:
                raise ValueError("okta_client_id is required with okta_private_key")
            if self.okta_private_key is None:
                raise ValueError("okta_private_key is required with okta_client_id")
            if "PRIVATE KEY-----" not in self.okta_private_key.get_secret_value():
                raise ValueError("okta_private_key must be a PEM private key (-----BEGIN PRIVATE KEY-----)")
            load_private_key(self.okta_private_key.get_secret_value())  # raises InvalidSecretError
        for name in ("zoom_account_id", "zoom_client_id"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"{name} must not be empty")
        if not self.zoom_client_secret.get_secret_value().strip():
            raise ValueError("zoom_client_secret must not be empty")
        return self


def parse_credentials(raw: object) -> Credentials:
    """Check the secret's JSON; every problem names the key, never a value."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise InvalidSecretError("invalid secret: the value is not a JSON object (use key/value pairs)") from None
    if not isinstance(raw, dict):
        raise InvalidSecretError("invalid secret: the value is not a JSON object (use key/value pairs)")
    for key, value in raw.items():
        if value is not None and not isinstance(value, str):
            raise InvalidSecretError(f"invalid secret: {key} must be a string")
    try:
        return Credentials.model_validate(raw)
    except InvalidSecretError:
        raise
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            msg = "is required" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
            problems.append(f"{loc}: {msg}" if loc else msg)
        raise InvalidSecretError("invalid secret: " + "; ".join(problems)) from None


class SecretsManagerCredentials:
    """Reads the secret through Powertools Parameters, cached for SECRET_CACHE_SECONDS across invocations."""

    def __init__(self, secret_id: str) -> None:
        self.secret_id = secret_id

    def load(self, *, force_fetch: bool = False) -> Credentials:
        try:
            raw: Any = parameters.get_secret(self.secret_id, max_age=SECRET_CACHE_SECONDS, force_fetch=force_fetch)
        except parameters.exceptions.GetParameterError as exc:
            raise InvalidSecretError(
                f"cannot read the secret {self.secret_id!r} (CREDENTIALS_SECRET_ID): {aws_error_reason(exc)}"
            ) from exc
        return parse_credentials(raw)


def read_shared_secret(secret_id: str) -> str:
    """The event hook's shared value (the secret's whole string, surrounding blanks dropped), cached like the
    credentials. An unreadable or empty secret raises InvalidSecretError: the hook then accepts nothing."""
    try:
        raw: Any = parameters.get_secret(secret_id, max_age=SECRET_CACHE_SECONDS)
    except parameters.exceptions.GetParameterError as exc:
        raise InvalidSecretError(
            f"cannot read the secret {secret_id!r} (HOOK_SECRET_ID): {aws_error_reason(exc)}"
        ) from exc
    value = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw or "")
    if not value.strip():
        raise InvalidSecretError(f"the secret {secret_id!r} (HOOK_SECRET_ID) is empty")
    return value.strip()
