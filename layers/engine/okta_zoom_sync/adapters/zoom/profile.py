"""The mapped profile fields between Zoom's JSON and the sync's records (core/attributes.py).

Reading: a user row keeps only the fields the policy maps (a 100,000-user run holds no more), as the planner
compares them; custom attributes come as {key, name, value} (list rows only with `include_fields=custom_attributes`)
and teach the account's name -> key. Writing: `PATCH /users/{id}` wants `phone_numbers[]` as {code, country, number}
and `custom_attributes[]` as {key, name, value}. Zoom's spec has no call that lists the account's custom attributes:
a key is known once some user holds the attribute (seen in a listing), or when the policy names the attribute by
its key (`cbf_…`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from okta_zoom_sync.core.attributes import CUSTOM_PREFIX, Phone, phones_from_zoom
from okta_zoom_sync.errors import PermanentError

CUSTOM_ATTRIBUTES = "custom_attributes"
KEY_PREFIX = "cbf_"  # how Zoom's custom attribute keys start (spec example cbf_cywdkexrtqc73f97gd4w6g)


class ZoomProfile:
    def __init__(self, fields: Iterable[str] = ()) -> None:
        self.fields = frozenset(fields)
        self.custom = {field.removeprefix(CUSTOM_PREFIX) for field in self.fields if field.startswith(CUSTOM_PREFIX)}
        self.plain = self.fields - {CUSTOM_PREFIX + name for name in self.custom}
        self._keys: dict[str, tuple[str, str]] = {}  # folded name -> (key, Zoom's name)
        self._lock = threading.Lock()

    def list_params(self) -> dict[str, str]:
        return {"include_fields": CUSTOM_ATTRIBUTES} if self.custom else {}

    def read(self, row: Mapping[str, Any]) -> tuple[tuple[str, object], ...]:
        """The mapped fields this row carries. With custom attributes mapped, one the row does not list is ""
        (Zoom lists only the attributes a user holds)."""
        if not self.fields:
            return ()
        out: list[tuple[str, object]] = []
        for field in sorted(self.plain):
            if field not in row:
                continue
            value = row[field]
            out.append((field, phones_from_zoom(value) if field == "phone_numbers" else str(value or "")))
        if self.custom:
            held = {}
            for item in row.get(CUSTOM_ATTRIBUTES) or ():
                if isinstance(item, Mapping) and item.get("key") and item.get("name"):
                    name, key = str(item["name"]), str(item["key"])
                    with self._lock:
                        self._keys.setdefault(name.casefold(), (key, name))
                    held[name.casefold()] = str(item.get("value") or "")
                    held[key.casefold()] = held[name.casefold()]
            out.extend((CUSTOM_PREFIX + name, held.get(name.casefold(), "")) for name in sorted(self.custom))
        return tuple(out)

    def body(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The PATCH body for these fields. PermanentError when a custom attribute's key is not known."""
        body: dict[str, Any] = {}
        custom: list[dict[str, str]] = []
        for field, value in fields.items():
            if field.startswith(CUSTOM_PREFIX):
                key, name = self._key(field.removeprefix(CUSTOM_PREFIX))
                custom.append({"key": key, "name": name, "value": str(value)})
            elif isinstance(value, tuple) and all(isinstance(item, Phone) for item in value):
                body[field] = [phone.to_zoom() for phone in value]
            else:
                body[field] = value
        if custom:
            body[CUSTOM_ATTRIBUTES] = custom
        return body

    def _key(self, name: str) -> tuple[str, str]:
        with self._lock:
            known = self._keys.get(name.casefold())
        if known is not None:
            return known
        if name.startswith(KEY_PREFIX):
            return name, name
        raise PermanentError(
            f"Zoom custom attribute {name!r} is not known: Zoom lists an attribute's key only once a user holds it. "
            f"Set it for one user in Zoom's web portal, or name it by its key ({KEY_PREFIX}…) in custom_attributes",
            api="zoom",
            code="custom_attribute_unknown",
        )
