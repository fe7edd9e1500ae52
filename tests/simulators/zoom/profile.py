"""Validation of the profile fields of ``PATCH /v2/users/{userId}`` and the account's custom attributes.

Sources: the fact sheet (shared/reference/zoom-api.md §2 "PATCH /users/{userId}") and the User API spec's request
schema (shared/specs/zoom/ZoomUserAPISpec.folio-sec.patched.json): ``first_name``/``last_name`` <= 64,
``display_name`` <= 128, ``job_title`` <= 128, ``company`` <= 255, ``location`` <= 256, ``manager`` an email,
``phone_numbers`` at most 3 items {code, country, label (Mobile/Office/Home/Fax), number}, ``custom_attributes`` at
most 5 items {key, name, value}, ``pronouns_option`` 1/2/3, ``about_me`` <= 150 without links, ``linkedin_url``
containing ``linkedin.com``, ``host_key`` 6-10 characters, ``pmi`` 10 digits. A bad value answers Zoom's
validation error: 400 code 300 "Validation Failed." with ``errors`` naming the field (fact sheet §4).

Assumptions where the sheet is silent (documented for the client-side developer):

- ``manager`` must be an email; that it must also be a user of the account is not documented, so the simulator
  accepts any well-formed address (``known_manager_required = True`` on the simulator makes an address that is not a
  user of the account a validation error, for clients that want to test that stricter world).
- ``custom_attributes[].key`` must be one the account defined (``define_custom_attribute(name)`` returns its key);
  Zoom defines custom attributes in the account's settings, so an unknown key is a validation error of
  ``custom_attributes``. The stored ``name`` is the account's name for the key.
- ``dept``, ``cost_center``, ``language``, ``timezone``, ``pronouns`` have no documented limits: any string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..http import ApiError
from .formats import valid_email, validation_error

__all__ = ["PHONE_LABELS", "profile_error", "validate_profile"]

PHONE_LABELS = ("Mobile", "Office", "Home", "Fax")
_MAX_LENGTHS = {
    "first_name": 64,
    "last_name": 64,
    "display_name": 128,
    "job_title": 128,
    "company": 255,
    "location": 256,
    "about_me": 150,
}
_FREE_TEXT = ("dept", "cost_center", "language", "timezone", "pronouns", "vanity_name", "cms_user_id")
_LINK = re.compile(r"https?://|www\.|<[a-z/]", re.IGNORECASE)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def validate_profile(
    data: dict[str, Any], custom_attribute_names: dict[str, str], manager_known: Callable[[str], bool] | None = None
) -> list[str]:
    """The names of the fields of ``data`` Zoom would refuse (empty when all are valid).

    ``custom_attribute_names``: the account's custom attributes (key -> name). ``manager_known``: when given, a
    callable telling whether an email is a user of the account."""
    bad: list[str] = []
    for name, maximum in _MAX_LENGTHS.items():
        if data.get(name) is not None and (not _is_text(data[name]) or len(data[name]) > maximum):
            bad.append(name)
    if _is_text(data.get("about_me")) and "about_me" not in bad and _LINK.search(data["about_me"]):
        bad.append("about_me")
    bad += [name for name in _FREE_TEXT if name in data and not _is_text(data[name])]
    if "manager" in data:
        manager = data["manager"]
        if manager != "" and (not valid_email(manager) or (manager_known is not None and not manager_known(manager))):
            bad.append("manager")
    if "linkedin_url" in data and (not _is_text(data["linkedin_url"]) or "linkedin.com" not in data["linkedin_url"]):
        bad.append("linkedin_url")
    if "pronouns_option" in data and (
        isinstance(data["pronouns_option"], bool) or data["pronouns_option"] not in (1, 2, 3)
    ):
        bad.append("pronouns_option")
    if "host_key" in data and (not _is_text(data["host_key"]) or not 6 <= len(data["host_key"]) <= 10):
        bad.append("host_key")
    if "pmi" in data and (
        isinstance(data["pmi"], bool) or not isinstance(data["pmi"], int) or not 10**9 <= data["pmi"] < 10**10
    ):
        bad.append("pmi")
    if "phone_numbers" in data and not _valid_phones(data["phone_numbers"]):
        bad.append("phone_numbers")
    if "custom_attributes" in data and not _valid_custom_attributes(data["custom_attributes"], custom_attribute_names):
        bad.append("custom_attributes")
    return bad


def _valid_phones(value: Any) -> bool:
    if not isinstance(value, list) or len(value) > 3:
        return False
    for phone in value:
        if not isinstance(phone, dict) or set(phone) - {"code", "country", "label", "number"}:
            return False
        if not all(_is_text(phone.get(k)) and phone.get(k) for k in ("country", "number")):
            return False
        if "label" in phone and phone["label"] not in PHONE_LABELS:
            return False
        if "code" in phone and not (_is_text(phone["code"]) and re.fullmatch(r"\+?\d{1,4}", phone["code"])):
            return False
        if not re.fullmatch(r"[\d ()+\-]{3,32}", phone["number"]):
            return False
    return True


def _valid_custom_attributes(value: Any, names: dict[str, str]) -> bool:
    if not isinstance(value, list) or len(value) > 5:
        return False
    return all(
        isinstance(item, dict)
        and item.get("key") in names
        and _is_text(item.get("value"))
        and set(item) <= {"key", "name", "value"}
        for item in value
    )


def profile_error(bad: list[str]) -> ApiError:
    """Zoom's answer to invalid profile fields: 400 code 300 "Validation Failed." naming each field."""
    return validation_error(*bad)
