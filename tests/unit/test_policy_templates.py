"""core/templates.py: parsing attribute templates and rendering them against an Okta profile."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from okta_zoom_sync.core.templates import Template, TemplateError, attribute_text

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
literals = st.text(alphabet=string.ascii_letters + string.digits + " -_.,@()/", max_size=8)
values = st.text(alphabet=string.ascii_letters + string.digits + " -'", max_size=10)


def test_placeholders_and_text_around_them() -> None:
    template = Template.parse("{firstName} {lastName} ({department})")
    assert template.placeholders == ("firstName", "lastName", "department")
    profile = {"firstName": "Ann", "lastName": "Lee", "department": "R&D"}
    assert template.render(profile) == "Ann Lee (R&D)"


def test_a_placeholder_used_twice_is_named_once() -> None:
    assert Template.parse("{a}-{b}-{a}").placeholders == ("a", "b")


def test_a_missing_attribute_renders_empty_when_others_are_present() -> None:
    template = Template.parse("{title}, {department}")
    assert template.render({"department": "Sales"}) == ", Sales"
    assert template.render({"title": None, "department": "Sales"}) == ", Sales"
    assert template.render({"title": "", "department": "Sales"}) == ", Sales"


def test_every_placeholder_missing_renders_empty_so_the_field_is_left_alone() -> None:
    assert Template.parse("{department} team").render({}) == ""
    assert Template.parse("{a} / {b}").render({"a": "", "b": None}) == ""


def test_fixed_text_always_renders() -> None:
    template = Template.parse("Acme Inc.")
    assert template.placeholders == ()
    assert template.render({}) == "Acme Inc."


def test_the_empty_template_renders_empty() -> None:
    assert Template.parse("").render({"firstName": "Ann"}) == ""


def test_values_that_are_not_text() -> None:
    template = Template.parse("{n}|{flag}|{list}")
    assert template.render({"n": 42, "flag": True, "list": ["a", None, "b"]}) == "42|true|a, b"
    assert attribute_text(False) == "false"
    assert attribute_text(None) == ""


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{firstName", "'{' at position 1 is not closed"),
        ("Dept {a{b}}", "'{' at position 6 is not closed"),
        ("{a}}", "'}' at position 4 closes no placeholder"),
        ("x}", "'}' at position 2 closes no placeholder"),
        ("{}", "empty placeholder '{}' at position 1"),
        ("{first name}", "{first name} at position 1 is not an Okta attribute name"),
        ("{ firstName }", "is not an Okta attribute name"),
        ("{1st}", "is not an Okta attribute name"),
        ("{a.b}", "is not an Okta attribute name"),
    ],
)
def test_malformed_templates_say_where(text: str, says: str) -> None:
    with pytest.raises(TemplateError) as err:
        Template.parse(text)
    assert says in str(err.value)


@given(st.lists(st.one_of(literals, names.map(lambda n: "{" + n + "}")), max_size=6))
def test_a_well_formed_text_parses_back_to_itself(pieces: list[str]) -> None:
    text = "".join(pieces)
    template = Template.parse(text)
    assert template.text == text
    # Rendering with each placeholder standing for itself gives back the text.
    assert template.render({name: "{" + name + "}" for name in template.placeholders}) == text


@given(
    st.lists(st.tuples(literals, names), min_size=1, max_size=4),
    literals,
    st.dictionaries(names, values),
)
def test_render_is_the_text_with_each_value_put_in(
    pairs: list[tuple[str, str]], tail: str, profile: dict[str, str]
) -> None:
    template = Template.parse("".join(f"{text}{{{name}}}" for text, name in pairs) + tail)
    rendered = template.render(profile)
    if not any(profile.get(name) for _, name in pairs):
        assert rendered == ""
    else:
        assert rendered == "".join(text + profile.get(name, "") for text, name in pairs) + tail


@given(st.text(max_size=12))
def test_any_text_either_parses_or_raises_a_template_error(text: str) -> None:
    try:
        template = Template.parse(text)
    except TemplateError as exc:
        assert "position" in str(exc)
    else:
        assert set(template.placeholders) <= {p for p in text.replace("}", "{").split("{") if p}
