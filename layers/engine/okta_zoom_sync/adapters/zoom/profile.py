"""The mapped profile fields between Zoom's JSON and the sync's records (core/attributes.py).

Reading: a user row keeps only the fields the policy maps (a 100,000-user run holds no more), as the planner
compares them; custom attributes come as {key, name, value} (list rows only with `include_fields=custom_attributes`)
and teach the account's name -> key. Writing: `PATCH /users/{id}` wants `phone_numbers[]` as {code, country, number}
and `custom_attributes[]` as {key, name, value}. Zoom's spec has no call that lists the account's custom attributes:
a key is known once some user holds the attribute (seen in a listing), or when the policy names the attribute by
its key (`cbf_…`).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from okta_zoom_sync.core.attributes import CUSTOM_PREFIX, phones_from_zoom, phones_to_zoom
from okta_zoom_sync.errors import PermanentError

CUSTOM_ATTRIBUTES = "custom_attributes"
KEY_PREFIX = "cbf_"  # how Zoom's custom attribute keys start (spec example cbf_cywdkexrtqc73f97gd4w6g)


class ZoomProfile:
    def __init__(self, layout: Sequence[str] = ()) -> None:
        """`layout`: core/attributes.profile_layout(policy), the fields a ZoomUser's profile tuple follows."""
        self.layout = tuple(layout)
        self.custom = any(field.startswith(CUSTOM_PREFIX) for field in self.layout)
        self._keys: dict[str, tuple[str, str]] = {}  # folded name -> (key, Zoom's name)
        self._lock = threading.Lock()

    def list_params(self) -> dict[str, str]:
        return {"include_fields": CUSTOM_ATTRIBUTES} if self.custom else {}

    def read(self, row: Mapping[str, Any]) -> tuple[str | None, ...]:
        """The mapped fields this row carries, aligned with the layout (None: not carried). With custom attributes
        mapped, one the row does not list is "" (Zoom lists only the attributes a user holds)."""
        if not self.layout:
            return ()
        held: dict[str, str] = {}
        for item in row.get(CUSTOM_ATTRIBUTES) or () if self.custom else ():
            if isinstance(item, Mapping) and item.get("key") and item.get("name"):
                name, key = str(item["name"]), str(item["key"])
                with self._lock:
                    self._keys.setdefault(name.casefold(), (key, name))
                held[name.casefold()] = held[key.casefold()] = str(item.get("value") or "")
        values: list[str | None] = []
        for field in self.layout:
            if field.startswith(CUSTOM_PREFIX):
                values.append(sys.intern(held.get(field[len(CUSTOM_PREFIX) :].casefold(), "")))
            elif field not in row:
                values.append(None)
            elif field == "phone_numbers":
                values.append(phones_from_zoom(row[field]))
            else:
                values.append(sys.intern(str(row[field] or "")))  # departments and the like repeat: held once
        return tuple(values) if any(value is not None for value in values) else ()

    def body(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The PATCH body for these fields. PermanentError when a custom attribute's key is not known."""
        body: dict[str, Any] = {}
        custom: list[dict[str, str]] = []
        for field, value in fields.items():
            if field.startswith(CUSTOM_PREFIX):
                key, name = self._key(field.removeprefix(CUSTOM_PREFIX))
                custom.append({"key": key, "name": name, "value": str(value)})
            elif field == "phone_numbers":
                body[field] = phones_to_zoom(str(value))
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
