"""The invocation event: what an operator or a schedule asks the sync to do."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from okta_zoom_sync.boundary.validation import describe_validation_error
from okta_zoom_sync.errors import InvalidEventError

MAX_USERS_PER_EVENT = 100


class Mode(StrEnum):
    INCREMENTAL = "incremental"
    FULL = "full"
    USERS = "users"
    CHECK = "check"


class SyncEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = Mode.INCREMENTAL
    users: tuple[str, ...] | None = Field(default=None)
    dry_run: StrictBool = False
    force: StrictBool = False

    @field_validator("users")
    @classmethod
    def _users(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("must list at least one user (an email or an Okta id)")
        if len(value) > MAX_USERS_PER_EVENT:
            raise ValueError(f"lists {len(value)} users; at most {MAX_USERS_PER_EVENT} are allowed")
        cleaned = []
        for item in value:
            item = item.strip()
            if not item:
                raise ValueError("holds an empty user reference")
            cleaned.append(item)
        return tuple(dict.fromkeys(cleaned))

    @model_validator(mode="before")
    @classmethod
    def _null_is_not_a_list(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "users" in data and data["users"] is None:
            raise ValueError("users: must be a list of emails or Okta ids, not null")
        return data

    @model_validator(mode="after")
    def _users_go_with_users_mode(self) -> SyncEvent:
        if self.mode is Mode.USERS and self.users is None:
            raise ValueError("users: is required when mode is 'users'")
        if self.mode is not Mode.USERS and self.users is not None:
            raise ValueError(f"users: is only allowed with mode 'users' (mode is {self.mode.value!r})")
        return self


def is_scheduled_envelope(event: Mapping[str, Any]) -> bool:
    return event.get("detail-type") == "Scheduled Event" and event.get("source") in ("aws.events", "aws.scheduler")


def parse_event(event: object) -> SyncEvent:
    """Validate the raw event. An EventBridge `Scheduled Event` envelope means an incremental run."""
    if event is None:
        event = {}
    if not isinstance(event, Mapping):
        raise InvalidEventError(f"invalid event: expected a JSON object, got {type(event).__name__}")
    if is_scheduled_envelope(event):
        return SyncEvent(mode=Mode.INCREMENTAL)
    try:
        return SyncEvent.model_validate(dict(event))
    except ValidationError as exc:
        raise InvalidEventError(describe_validation_error("event", exc)) from None
