"""Attribute mapping: the Zoom profile values a policy's `attributes` and `custom_attributes` give an Okta user,
checked against Zoom's limits, and what the sync remembers having sent. Pure.

- `AttributeMap.of(policy)` (once per run): the Zoom fields beyond the names, in a fixed order (`layout`; custom
  attributes as `custom_attributes.<name>`), and their templates. `.wanted(profile, managers)` renders one user:
  the values as a tuple aligned with the layout (None: the template rendered "", the field is left as it is in
  Zoom; () when every one is None), and a problem per value Zoom would refuse (one reported error; not sent).
  Aligned tuples, not (field, value) pairs, and repeated values held once: at 100,000 users every byte counts.
- `okta_attributes(policy)`: the Okta profile attributes the templates name (all a run keeps of a profile).
- `phone_numbers`: up to 3 comma-separated numbers written `+<calling code> <number>`, optionally after an ISO
  country (`GB +44 20 7946 0000`); kept as canonical text (`+44 GB 2079460000, ...`), Zoom's {code, country,
  number} items only when sent.
- Zoom's user list carries only some fields (`LISTED_FIELDS`); for the others the user's link keeps a short digest
  of each value last sent (`encode_sent`/`decode_sent`), and a value is sent when it differs from that.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from okta_zoom_sync.core.policy import ZOOM_PROFILE_FIELDS, Policy
from okta_zoom_sync.core.templates import Placeholder, Template, attribute_text

CUSTOM_PREFIX = "custom_attributes."
MANAGER_ID = "managerId"
# What OktaUser keeps in its own fields (first_name, last_name, email, login): never stored twice.
OKTA_RECORD_ATTRIBUTES = frozenset({"firstName", "lastName", "email", "login"})
# The profile fields `GET /users` rows carry (fact sheet §2, list item fields); the others only GET /users/{id}.
LISTED_FIELDS = frozenset({"first_name", "last_name", "display_name", "dept", "timezone", "language"})
MAX_PHONE_NUMBERS = 3
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LINK = re.compile(r"https?://|www\.|<[a-z/]", re.IGNORECASE)
_PHONE = re.compile(r"^(?:(?P<country>[A-Za-z]{2})\s+)?\+(?P<rest>[\d ()\-.]{4,40})$")
# Calling code -> ISO country, for numbers written without a country (Zoom wants both). Shared codes (+1, +7) go
# to the largest country; write the country before the number for the others ("CA +1 ...").
CALLING_CODES: dict[str, str] = {
    "1": "US", "7": "RU", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE", "33": "FR", "34": "ES",
    "36": "HU", "39": "IT", "40": "RO", "41": "CH", "43": "AT", "44": "GB", "45": "DK", "46": "SE", "47": "NO",
    "48": "PL", "49": "DE", "51": "PE", "52": "MX", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "60": "MY",
    "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH", "81": "JP", "82": "KR", "84": "VN",
    "86": "CN", "90": "TR", "91": "IN", "92": "PK", "351": "PT", "352": "LU", "353": "IE", "354": "IS",
    "358": "FI", "420": "CZ", "852": "HK", "886": "TW", "971": "AE", "972": "IL", "966": "SA",
}  # fmt: skip


NAME_FIELDS = ("first_name", "last_name")
ProfileValues = tuple[str | None, ...]  # aligned with AttributeMap.layout; () when all None


def okta_attributes(policy: Policy) -> frozenset[str]:
    """The Okta attributes the policy's templates name, beyond those an OktaUser keeps anyway."""
    names = {name for template in _templates(policy).values() for name in template.placeholders}
    return frozenset(names - OKTA_RECORD_ATTRIBUTES)


def profile_layout(policy: Policy) -> tuple[str, ...]:
    """The profile fields beyond the names, in the order profile tuples (desired and Zoom's) follow."""
    return tuple(sorted(name for name in _templates(policy) if name not in NAME_FIELDS))


def needs_managers(policy: Policy) -> bool:
    manager = policy.attributes.get("manager")
    return manager is not None and MANAGER_ID in manager.placeholders


def _templates(policy: Policy) -> dict[str, Template]:
    custom = {CUSTOM_PREFIX + name: template for name, template in policy.custom_attributes.items()}
    return {**policy.attributes, **custom}


@dataclass(frozen=True, slots=True)
class WantedProfile:
    first_name: str  # "" leaves Zoom's as it is
    last_name: str
    values: ProfileValues
    problems: tuple[str, ...]  # one message per value Zoom would refuse, naming the field
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttributeMap:
    layout: tuple[str, ...]
    templates: tuple[Template, ...]  # aligned with layout
    names: tuple[Template | None, Template | None]  # first_name, last_name
    # The default mapping ({firstName}, {lastName}, nothing else): the record's names are the values. Worked out
    # once per map, not once per user.
    names_only: bool = False

    @classmethod
    def of(cls, policy: Policy) -> AttributeMap:
        templates = _templates(policy)
        layout = profile_layout(policy)
        names = (templates.get("first_name"), templates.get("last_name"))
        names_only = not layout and tuple(t.text if t else None for t in names) == ("{firstName}", "{lastName}")
        return cls(layout, tuple(templates[field] for field in layout), names, names_only)

    def wanted(self, profile: Mapping[str, object], managers: Mapping[str, str]) -> WantedProfile:
        """The Zoom profile values for one Okta user. `managers`: Okta id -> the manager's email, for `{managerId}`
        in the `manager` template (a manager not found renders nothing: the field is left as it is, with a note)."""
        problems: list[str] = []
        notes: list[str] = []
        first_name, last_name = (
            self._render(field, template, profile, problems)
            for field, template in zip(NAME_FIELDS, self.names, strict=True)
        )
        values: list[str | None] = []
        for field, template in zip(self.layout, self.templates, strict=True):
            source = profile
            if field == "manager" and MANAGER_ID in template.placeholders:
                manager_id = str(profile.get(MANAGER_ID) or "")
                manager_email = managers.get(manager_id, "") if manager_id else ""
                if manager_id and not manager_email:
                    notes.append(f"manager: Okta user {manager_id} (managerId) was not found; manager left as it is")
                source = {**profile, MANAGER_ID: manager_email}
            values.append(self._render(field, template, source, problems) or None)
        aligned = tuple(values) if any(value is not None for value in values) else ()
        return WantedProfile(first_name, last_name, aligned, tuple(problems), tuple(notes))

    @staticmethod
    def _render(field: str, template: Template | None, profile: Mapping[str, object], problems: list[str]) -> str:
        if template is None:
            return ""
        if len(template.parts) == 1 and isinstance(template.parts[0], Placeholder):
            text = attribute_text(profile.get(template.parts[0].attribute)).strip()  # "{title}": the usual template
        else:
            text = template.render(profile).strip()
        if not text:
            return ""
        value, problem = checked_value(field, text)
        if problem:
            problems.append(problem)
            return ""
        # Departments, titles, managers and fixed text repeat across thousands of users: one string each.
        return sys.intern(value)


def checked_value(field: str, text: str) -> tuple[str, str | None]:
    """The value to send for `field` (phones in canonical text), or a problem naming the field and Zoom's limit."""
    if field == "phone_numbers":
        return parse_phones(text)
    maximum = ZOOM_PROFILE_FIELDS.get(field)
    if maximum is not None and len(text) > maximum:
        return "", f"{field}: {len(text)} characters; Zoom allows at most {maximum}"
    if field == "manager" and not _EMAIL.match(text):
        return "", f"manager: {text!r} is not an email address (Zoom wants the manager's email)"
    if field == "about_me" and _LINK.search(text):
        return "", "about_me: Zoom refuses links in about_me"
    if field == "linkedin_url" and "linkedin.com" not in text:
        return "", f"linkedin_url: {text!r} is not a linkedin.com address"
    return text, None


def parse_phones(text: str) -> tuple[str, str | None]:
    """Numbers as written in Okta -> the canonical text (`+44 GB 2079460000, ...`), or a problem."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if len(items) > MAX_PHONE_NUMBERS:
        return "", f"phone_numbers: {len(items)} numbers; Zoom keeps at most {MAX_PHONE_NUMBERS}"
    phones = []
    for item in items:
        match = _PHONE.match(item)
        if match is None:
            return "", f"phone_numbers: {item!r} is not '+<calling code> <number>' (optionally after a country)"
        digits = re.sub(r"\D", "", match["rest"])
        country = (match["country"] or "").upper()
        code = _calling_code(digits, country)
        if code is None:
            return "", f"phone_numbers: cannot tell the country of {item!r}; write it first, e.g. 'GB +44 …'"
        number = digits[len(code) :]
        if not 4 <= len(number) <= 15:
            return "", f"phone_numbers: {item!r} has {len(number)} digits after +{code}"
        phones.append(f"+{code} {country or CALLING_CODES[code]} {number}")
    return ", ".join(phones), None


def _calling_code(digits: str, country: str) -> str | None:
    if country:
        codes = [code for code, iso in CALLING_CODES.items() if iso == country and digits.startswith(code)]
        if codes:
            return codes[0]
        # A country not in the table: the code is whatever known prefix the number has.
    for length in (1, 2, 3):
        if digits[:length] in CALLING_CODES:
            return digits[:length]
    return None


def mapped_manager(layout: Sequence[str], values: ProfileValues) -> str | None:
    """The manager email these values would send, if any."""
    return values[layout.index("manager")] if values and "manager" in layout else None


def without_manager(layout: Sequence[str], values: ProfileValues) -> ProfileValues:
    index = layout.index("manager")
    kept = (*values[:index], None, *values[index + 1 :])
    return kept if any(value is not None for value in kept) else ()


def phones_to_zoom(text: str) -> list[dict[str, str]]:
    """The canonical text as Zoom's phone_numbers[] items {code, country, number}."""
    out = []
    for item in text.split(", ") if text else ():
        code, country, number = item.split(" ")
        out.append({"code": code, "country": country, "number": number})
    return out


def phones_from_zoom(value: object) -> str:
    """Zoom's phone_numbers[] (as GET /users/{id} returns them) as the canonical text."""
    phones = []
    for item in value if isinstance(value, list) else ():
        if isinstance(item, Mapping) and item.get("number"):
            code = str(item.get("code") or "").strip()
            code = code if code.startswith("+") or not code else "+" + code
            number = re.sub(r"\D", "", str(item["number"]))
            phones.append(f"{code or '+'} {str(item.get('country') or '').strip() or '-'} {number}")
    return ", ".join(phones)


def digest(value: str) -> str:
    """A short digest of a value sent (kept in the user's link instead of the value)."""
    # 32 bits: a change goes unsent only if the old and new values of one field of one user collide (2^-32).
    return hashlib.sha256(value.encode()).hexdigest()[:8]


def decode_sent(sent: str) -> dict[str, str]:
    """The link's `sent` text: `field=digest` entries separated by newlines (a custom attribute's name may hold
    anything but a newline, which YAML keys cannot hold either)."""
    out = {}
    for line in sent.split("\n") if sent else ():
        field, _, value = line.rpartition("=")
        if field:
            out[field] = value
    return out


def encode_sent(sent: Mapping[str, str]) -> str:
    return "\n".join(f"{field}={value}" for field, value in sorted(sent.items()))


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    changes: tuple[tuple[str, str | None, str], ...]  # field, what Zoom holds (None: not known), new value
    sent: str | None  # the link's new `sent` text, None when it stays as it is


def profile_changes(
    layout: Sequence[str], wanted: ProfileValues, zoom: ProfileValues, sent_text: str, *, created: bool = False
) -> ProfileChanges:
    """The fields to send: a value Zoom shows (`zoom`, from its row; None where the row did not carry the field) is
    compared with it; any other with the digest the link remembers. When anything is sent, the link learns the
    digest of every wanted value Zoom's list does not show (a user read whole, by a `users` or incremental run,
    shows them all: they are in Zoom after this update). `created`: a user created now, which the next list shows
    with its listed fields: only the others need a digest."""
    if not wanted:
        return ProfileChanges((), None)
    sent = decode_sent(sent_text)
    changes: list[tuple[str, str | None, str]] = []
    for index, value in enumerate(wanted):
        if value is None:
            continue
        field = layout[index]
        held = zoom[index] if zoom else None
        if held is not None:
            if held != value:
                changes.append((field, held, value))
        elif sent.get(field) != digest(value):
            changes.append((field, None, value))
    if not changes:
        return ProfileChanges((), None)
    remembered = dict(sent)
    for index, value in enumerate(wanted):
        field = layout[index]
        unseen = (zoom[index] if zoom else None) is None and not created
        if value is not None and (unseen or not shown_in_list(field)):
            remembered[field] = digest(value)
    return ProfileChanges(tuple(changes), None if remembered == sent else encode_sent(remembered))


def shown_in_list(field: str) -> bool:
    """Whether Zoom's user list shows this field (custom attributes: with include_fields=custom_attributes)."""
    return field in LISTED_FIELDS or field.startswith(CUSTOM_PREFIX)
