"""The invocation event: what an operator, a schedule or the event-hook queue asks the sync to do.

An SQS batch (`{"Records": [...]}` from the event-hook queue) becomes a `QueueBatch`: each record's message id
with the System Log events its body holds (the hook queues one trimmed event per message). A record whose body
cannot be read keeps its id and says why; the service reports it back to SQS instead of failing the batch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from okta_zoom_sync.boundary.validation import describe_validation_error
from okta_zoom_sync.core.system_log import shape_problem
from okta_zoom_sync.errors import InvalidEventError

MAX_USERS_PER_EVENT = 100


class Mode(StrEnum):
    INCREMENTAL = "incremental"
    FULL = "full"
    USERS = "users"
    CHECK = "check"
    STATUS = "status"  # what the state table knows: read only, no Okta or Zoom call
    QUEUE = "queue"  # System Log events from the event-hook queue (never asked for by hand)


class SyncEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = Mode.INCREMENTAL
    users: tuple[str, ...] | None = Field(default=None)
    events: tuple[dict[str, Any], ...] | None = Field(default=None)  # queue mode: the System Log events
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
        if (self.mode is Mode.QUEUE) != (self.events is not None):
            raise ValueError("mode 'queue' and events: are set by the event-hook queue's SQS batches, never by hand")
        return self


@dataclass(frozen=True)
class QueuedMessage:
    message_id: str
    events: tuple[dict[str, Any], ...]
    problem: str | None = None  # why the body could not be read (the record is then reported, not run)


@dataclass(frozen=True)
class QueueBatch:
    """An SQS batch from the event-hook queue. Dry run and force do not apply: the queue's runs always act, and
    the brakes hold what they hold."""

    messages: tuple[QueuedMessage, ...]

    @property
    def request(self) -> SyncEvent:
        """What the engine runs: the events of every readable message (no message id: the engine knows no SQS)."""
        events = tuple(event for message in self.messages if message.problem is None for event in message.events)
        return SyncEvent(mode=Mode.QUEUE, events=events)


def _queued_events(body: object) -> tuple[dict[str, Any], ...]:
    """A message body: one System Log event (as the hook queues it), or a list of them."""
    try:
        document = json.loads(body) if isinstance(body, str) else None
    except json.JSONDecodeError:
        document = None
    items = document if isinstance(document, list) else [document]
    events: list[dict[str, Any]] = []
    for item in items:
        problem = shape_problem(item)
        if problem or not isinstance(item, dict):
            raise ValueError(f"the body's event {problem or 'is not an object'}")
        events.append(item)
    return tuple(events)


def parse_queue_batch(event: Mapping[str, Any]) -> QueueBatch:
    extra = sorted(set(event) - {"Records"})
    if extra:
        raise InvalidEventError(
            f"invalid event: an SQS batch carries only Records (dry_run and force do not apply to queued events), "
            f"not {', '.join(extra)}"
        )
    records = event["Records"]
    if not isinstance(records, list) or not records:
        raise InvalidEventError("invalid event: Records must be a non-empty list of SQS records")
    messages = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping) or record.get("eventSource") != "aws:sqs":
            raise InvalidEventError(f"invalid event: Records[{index}] is not an SQS record (eventSource aws:sqs)")
        message_id = record.get("messageId")
        if not isinstance(message_id, str) or not message_id:
            raise InvalidEventError(f"invalid event: Records[{index}].messageId must be a non-empty string")
        try:
            messages.append(QueuedMessage(message_id, _queued_events(record.get("body"))))
        except ValueError as exc:
            messages.append(QueuedMessage(message_id, (), problem=str(exc)))
    return QueueBatch(tuple(messages))


def is_scheduled_envelope(event: Mapping[str, Any]) -> bool:
    return event.get("detail-type") == "Scheduled Event" and event.get("source") in ("aws.events", "aws.scheduler")


def parse_event(event: object) -> SyncEvent | QueueBatch:
    """Validate the raw event. An EventBridge `Scheduled Event` envelope means an incremental run; an SQS batch
    (`Records`) the events the hook queued."""
    if event is None:
        event = {}
    if not isinstance(event, Mapping):
        raise InvalidEventError(f"invalid event: expected a JSON object, got {type(event).__name__}")
    if is_scheduled_envelope(event):
        return SyncEvent(mode=Mode.INCREMENTAL)
    if "Records" in event:
        return parse_queue_batch(event)
    try:
        request = SyncEvent.model_validate(dict(event))
    except ValidationError as exc:
        raise InvalidEventError(describe_validation_error("event", exc)) from None
    if request.mode is Mode.QUEUE:
        raise InvalidEventError("invalid event: mode 'queue' comes from the event-hook queue only (an SQS batch)")
    return request
