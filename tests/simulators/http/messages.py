"""The HTTP messages the simulators handle: case-insensitive :class:`Headers`, a parsed :class:`Request`, the
:class:`Response` a handler answers, :class:`ApiError` (raised to answer an error), and :class:`RecordedRequest`
(one entry of a simulator's request log)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

__all__ = ["ApiError", "Headers", "RecordedRequest", "Request", "Response"]


class Headers(dict[str, str]):
    """A ``dict`` of HTTP headers with case-insensitive keys (stored lower-cased)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        pairs = items.items() if hasattr(items, "items") else items
        for key, value in pairs:
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class Request:
    """One parsed HTTP request, as the simulators' handlers see it."""

    method: str
    raw_path: str  # as sent, percent-encoded, without the query string
    path: str  # percent-decoded
    segments: list[str]  # path segments, each percent-decoded (so an encoded "/" stays inside its segment)
    raw_query: str
    query: dict[str, str]  # first value of each parameter
    query_lists: dict[str, list[str]]
    headers: Headers
    body: bytes = b""
    has_length: bool = True  # False: neither Content-Length nor chunked transfer encoding was sent

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (first value of each field)."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def data(self) -> Any:
        """The body as data: form fields for a form body, else parsed JSON (``None`` when empty or not JSON)."""
        if self.content_type == "application/x-www-form-urlencoded":
            return self.form()
        if not self.body:
            return None
        try:
            return self.json()
        except ValueError:
            return None


@dataclass
class Response:
    """What a handler answers. ``body`` is JSON-serialisable data, or ``bytes``/``str`` sent as is."""

    status: int
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"
    close: bool = False

    def header(self, name: str, value: str) -> Response:
        self.headers.append((name, str(value)))
        return self

    def has_header(self, name: str) -> bool:
        return any(key.lower() == name.lower() for key, _ in self.headers)

    def header_value(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class ApiError(Exception):
    """Raised inside handlers to answer with ``response`` (an API error)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class RecordedRequest:
    """One entry of a simulator's request log."""

    method: str
    path: str  # percent-decoded, without the query string
    query: dict[str, str]
    headers: Headers  # the Authorization value is replaced by "<scheme> <redacted>"
    body: Any  # parsed body (JSON or form fields), None when empty
    time: float
    status: int | None = None  # None: the connection was dropped without an answer
    fault: bool = False  # True when an injected fault shaped the answer

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")
