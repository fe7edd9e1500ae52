"""Attribute templates: text with "{oktaAttribute}" placeholders, filled from an Okta user's profile.

`Template.parse("{firstName} {lastName}")` checks the text once (when the policy is read); `.placeholders` names
the Okta attributes it uses; `.render(profile)` fills them in. Braces only ever delimit a placeholder: a brace
that opens or closes nothing, or an empty or malformed placeholder, is an error naming the position.

Rendering: a missing attribute (absent, null or "") renders as nothing; when every placeholder of a template is
missing the whole template renders "" (fixed text included), which the contract reads as "leave the Zoom field
as it is". A template with no placeholder is fixed text and always renders as that text. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

# Okta profile attribute (variable) names: a letter or underscore, then letters, digits and underscores.
ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class TemplateError(ValueError):
    """The template text is not well formed; the message says where and why."""


@dataclass(frozen=True)
class Placeholder:
    attribute: str


@dataclass(frozen=True)
class Template:
    text: str
    parts: tuple[str | Placeholder, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[str | Placeholder] = []
        literal: list[str] = []
        position = 0
        while position < len(text):
            char = text[position]
            if char == "}":
                raise TemplateError(f"'}}' at position {position + 1} closes no placeholder")
            if char != "{":
                literal.append(char)
                position += 1
                continue
            end = text.find("}", position + 1)
            nested = text.find("{", position + 1)
            if end == -1 or (nested != -1 and nested < end):
                raise TemplateError(f"'{{' at position {position + 1} is not closed by '}}'")
            name = text[position + 1 : end]
            if not name:
                raise TemplateError(f"empty placeholder '{{}}' at position {position + 1}")
            if not ATTRIBUTE_NAME.fullmatch(name):
                raise TemplateError(
                    f"placeholder {{{name}}} at position {position + 1} is not an Okta attribute name "
                    "(a letter or _, then letters, digits or _)"
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Placeholder(name))
            position = end + 1
        if literal:
            parts.append("".join(literal))
        return cls(text, tuple(parts))

    @cached_property  # rendered once per user and field: worked out once
    def placeholders(self) -> tuple[str, ...]:
        """The Okta attributes the template uses, each once, in order of first use."""
        return tuple(dict.fromkeys(part.attribute for part in self.parts if isinstance(part, Placeholder)))

    def render(self, profile: Mapping[str, object]) -> str:
        """The text with each placeholder replaced by the profile's value; "" when every placeholder is missing."""
        values = {name: attribute_text(profile.get(name)) for name in self.placeholders}
        if values and not any(values.values()):
            return ""
        return "".join(values[part.attribute] if isinstance(part, Placeholder) else part for part in self.parts)


def attribute_text(value: object) -> str:
    """An Okta profile value as text: null is "", booleans as JSON writes them, a list's items comma-separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(text for text in (attribute_text(item) for item in value) if text)
    return str(value)
