"""The function's settings: its environment variables, checked. Names and URLs only, never a secret."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from okta_zoom_sync.boundary.validation import describe_validation_error
from okta_zoom_sync.core.urls import check_base_url
from okta_zoom_sync.errors import ConfigurationError

DEFAULT_ZOOM_API_URL = "https://api.zoom.us/v2"
DEFAULT_ZOOM_TOKEN_URL = "https://zoom.us/oauth/token"
# The environment variables the settings are read from.
SETTINGS_VARIABLES = (
    "OKTA_ORG_URL",
    "OKTA_APP_ID",
    "ZOOM_API_URL",
    "ZOOM_TOKEN_URL",
    "CREDENTIALS_SECRET_ID",
    "STATE_TABLE_NAME",
    "SYNC_POLICY_PATH",
    "SYNC_POLICY_PARAMETER",
    "SYNC_POLICY_MAX_AGE",
    "ZOOM_PLAN",
    "OKTA_RATE_SHARE",
    "APPLY_WORKERS",
    "ZOOM_RATE_LIMITS",
)
# Optional tuning: empty means the default.
OPTIONAL_VARIABLES = (
    "ZOOM_API_URL",
    "ZOOM_TOKEN_URL",
    "SYNC_POLICY_PATH",
    "SYNC_POLICY_PARAMETER",
    "SYNC_POLICY_MAX_AGE",
    "ZOOM_PLAN",
    "OKTA_RATE_SHARE",
    "APPLY_WORKERS",
    "ZOOM_RATE_LIMITS",
)
RATE_LABELS = ("light", "medium", "heavy")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    okta_org_url: str = Field(alias="OKTA_ORG_URL")
    okta_app_id: str = Field(alias="OKTA_APP_ID", min_length=1)
    zoom_api_url: str = Field(alias="ZOOM_API_URL", default=DEFAULT_ZOOM_API_URL)
    zoom_token_url: str = Field(alias="ZOOM_TOKEN_URL", default=DEFAULT_ZOOM_TOKEN_URL)
    credentials_secret_id: str = Field(alias="CREDENTIALS_SECRET_ID", min_length=1)
    state_table_name: str = Field(alias="STATE_TABLE_NAME", min_length=1)
    sync_policy_path: Path | None = Field(alias="SYNC_POLICY_PATH", default=None)
    # The SSM parameter holding the policy (name or ARN); when set it wins over SYNC_POLICY_PATH.
    sync_policy_parameter: str | None = Field(alias="SYNC_POLICY_PARAMETER", default=None)
    # Seconds a policy read from the parameter is reused before it is read again (0: every run reads it).
    sync_policy_max_age: int = Field(alias="SYNC_POLICY_MAX_AGE", default=300, ge=0, le=3600)
    # The Zoom account's plan, which sets the requests per second of each rate-limit label (free | pro | business,
    # business meaning Business+: Business, Education, Enterprise). Pro, the lower paid tier, unless told.
    zoom_plan: Literal["free", "pro", "business"] = Field(alias="ZOOM_PLAN", default="pro")
    # The share of each Okta rate-limit bucket the sync may use: the org's limits are shared with every integration.
    okta_rate_share: float = Field(alias="OKTA_RATE_SHARE", default=0.5, gt=0, le=1)
    # Users applied in parallel (each user's operations stay in order); 1 applies them one after another.
    # 0 (the default): as many as keep the plan's Light rate busy at a typical latency (Pro 9, Business+ 24).
    apply_workers: int = Field(alias="APPLY_WORKERS", default=0, ge=0, le=32)
    # Requests per second of some labels, for an account whose limits Zoom raised above its plan's
    # (e.g. "light=400,medium=200"); the labels not named keep the plan's rate.
    zoom_rate_limits: dict[str, int] = Field(alias="ZOOM_RATE_LIMITS", default_factory=dict)

    @field_validator("zoom_rate_limits", mode="before")
    @classmethod
    def _zoom_rate_limits(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        limits: dict[str, int] = {}
        for item in value.split(","):
            label, _, number = item.partition("=")
            label = label.strip().lower()
            if label not in RATE_LABELS or not number.strip().isdigit() or int(number) < 1:
                raise ValueError(f"must be label=requests per second, comma-separated ({', '.join(RATE_LABELS)})")
            limits[label] = int(number)
        return limits

    @field_validator("sync_policy_parameter")
    @classmethod
    def _parameter_name(cls, value: str | None) -> str | None:
        if value is not None and (value != value.strip() or any(c.isspace() for c in value)):
            raise ValueError("must be an SSM parameter name (e.g. /okta-zoom-sync/sync-policy) or ARN, without spaces")
        return value

    @field_validator("zoom_plan", mode="before")
    @classmethod
    def _zoom_plan(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("okta_org_url")
    @classmethod
    def _okta_url(cls, value: str) -> str:
        return check_base_url("OKTA_ORG_URL", value)

    @field_validator("zoom_api_url")
    @classmethod
    def _zoom_api_url(cls, value: str) -> str:
        return check_base_url("ZOOM_API_URL", value)

    @field_validator("zoom_token_url")
    @classmethod
    def _zoom_token_url(cls, value: str) -> str:
        return check_base_url("ZOOM_TOKEN_URL", value)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        # An empty optional variable means "use the default" (CloudFormation cannot omit a value easily).
        for optional in OPTIONAL_VARIABLES:
            if not env.get(optional, "").strip():
                env.pop(optional, None)
        try:
            return cls.model_validate(env)
        except ValidationError as exc:
            raise ConfigurationError(describe_validation_error("environment", exc, by_alias=True)) from None


# The event hook's environment (functions/hook): where its secret and its queue are, and which app it serves.
HOOK_SETTINGS_VARIABLES = ("HOOK_SECRET_ID", "HOOK_QUEUE_URL", "OKTA_APP_ID")


class HookSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    hook_secret_id: str = Field(alias="HOOK_SECRET_ID", min_length=1)
    hook_queue_url: str = Field(alias="HOOK_QUEUE_URL", min_length=1)
    okta_app_id: str = Field(alias="OKTA_APP_ID", min_length=1)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> HookSettings:
        try:
            return cls.model_validate(dict(os.environ if environ is None else environ))
        except ValidationError as exc:
            raise ConfigurationError(describe_validation_error("environment", exc, by_alias=True)) from None


_cache: dict[tuple[object, ...], object] = {}


def once_per_cold_start[S](read: Callable[[], S], variables: Sequence[str]) -> S | ConfigurationError:
    """`read()` (a settings class's `from_environ`), once per cold start; a wrong setting is returned as the error,
    for the invocation to report. Keyed on the variables' values, so a process whose environment changes (a test)
    reads again."""
    key = (read, *(os.environ.get(name) for name in variables))
    if key not in _cache:
        try:
            _cache[key] = read()
        except ConfigurationError as exc:
            _cache[key] = exc
    return _cache[key]  # type: ignore[return-value]
