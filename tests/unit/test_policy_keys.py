"""The policy keys of issue 10 (contract "Policy file"): license_fallback, attributes, custom_attributes,
picture_attribute, create_missing_groups, transfer_to. Each wrong value is an error naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from okta_zoom_sync.boundary.policy_file import load_policy, parse_policy
from okta_zoom_sync.core.policy import (
    MAX_CUSTOM_ATTRIBUTES,
    NOT_ATTRIBUTE_FIELDS,
    ZOOM_PROFILE_FIELDS,
    LicenseFallback,
    Policy,
)
from okta_zoom_sync.errors import InvalidPolicyError

REPO = Path(__file__).resolve().parents[2]
ZOOM_USER_SPEC = Path("/work/shared/specs/zoom/ZoomUserAPISpec.folio-sec.patched.json")


def error_of(text: str) -> str:
    with pytest.raises(InvalidPolicyError) as err:
        parse_policy(text, "p.yaml")
    message = str(err.value)
    assert "p.yaml" in message
    return message


def test_defaults_of_the_new_keys() -> None:
    policy = Policy()
    assert policy.license_fallback is LicenseFallback.BASIC
    assert {field: t.text for field, t in policy.attributes.items()} == {
        "first_name": "{firstName}",
        "last_name": "{lastName}",
    }
    assert policy.custom_attributes == {}
    assert policy.picture_attribute == ""
    assert policy.create_missing_groups is False
    assert policy.transfer_to == ""


def test_the_packaged_file_spells_out_every_key_at_its_default() -> None:
    text = (REPO / "functions" / "sync" / "policy.yaml").read_text(encoding="utf-8")
    assert set(yaml.safe_load(text)) == set(Policy.model_fields)
    assert load_policy(REPO / "functions" / "sync" / "policy.yaml") == Policy()


def test_given_attributes_replace_only_those_defaults() -> None:
    policy = parse_policy('attributes: {first_name: "{nickName}", dept: "{department}", job_title: "{title}"}')
    assert {field: t.text for field, t in policy.attributes.items()} == {
        "first_name": "{nickName}",
        "last_name": "{lastName}",
        "dept": "{department}",
        "job_title": "{title}",
    }
    profile = {"nickName": "Annie", "lastName": "Lee", "department": "Sales"}
    assert {field: t.render(profile) for field, t in policy.attributes.items()} == {
        "first_name": "Annie",
        "last_name": "Lee",
        "dept": "Sales",
        "job_title": "",
    }


def test_an_empty_template_stops_a_default_field_from_being_set() -> None:
    policy = parse_policy('attributes: {last_name: ""}')
    assert policy.attributes["last_name"].render({"lastName": "Lee"}) == ""


def test_fixed_text_and_several_placeholders() -> None:
    policy = parse_policy('attributes: {company: "Acme Inc.", location: "{city}, {countryCode}"}')
    assert policy.attributes["company"].render({}) == "Acme Inc."
    assert policy.attributes["location"].render({"city": "Lyon", "countryCode": "FR"}) == "Lyon, FR"


@pytest.mark.skipif(not ZOOM_USER_SPEC.is_file(), reason="the vendor spec is not on this machine")
def test_every_field_named_is_one_patch_users_accepts() -> None:
    spec = json.loads(ZOOM_USER_SPEC.read_text(encoding="utf-8"))
    body = spec["paths"]["/users/{userId}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    accepted = set(body["properties"])
    assert set(ZOOM_PROFILE_FIELDS) <= accepted
    # Every field PATCH accepts is either mappable or refused with a reason.
    assert accepted <= set(ZOOM_PROFILE_FIELDS) | set(NOT_ATTRIBUTE_FIELDS)
    for field, limit in ZOOM_PROFILE_FIELDS.items():
        assert body["properties"][field].get("maxLength") == limit, field


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("license_fallback: licensed", ["license_fallback"]),
        ("license_fallback: None", ["license_fallback"]),
        ("attributes: [first_name]", ["attributes", "mapping"]),
        ('attributes: {department: "{department}"}', ["attributes", "'department' is not a Zoom profile field"]),
        ('attributes: {type: "2"}', ["attributes", "type cannot be mapped", "license_rules"]),
        ('attributes: {phone_number: "{mobilePhone}"}', ["attributes", "phone_number", "phone_numbers"]),
        ('attributes: {dept: "{department"}', ["attributes", "dept", "not closed"]),
        ('attributes: {dept: "{}"}', ["attributes", "dept", "empty placeholder"]),
        ('attributes: {dept: "x}"}', ["attributes", "dept", "closes no placeholder"]),
        ("attributes: {dept: 5}", ["attributes", "dept", "must be text"]),
        ('attributes: {dpt: "{a}", job_title: "{b"}', ["attributes", "'dpt'", "job_title"]),
        ("custom_attributes: [a]", ["custom_attributes", "mapping"]),
        ('custom_attributes: {Badge: "{badge"}', ["custom_attributes", "Badge", "not closed"]),
        ('custom_attributes: {Badge: "{a}", badge: "{b}"}', ["custom_attributes", "'Badge' and 'badge'"]),
        ('custom_attributes: {" ": "{a}"}', ["custom_attributes", "must not be empty"]),
        ("picture_attribute: '{photoUrl}'", ["picture_attribute", "not an Okta attribute name"]),
        ("picture_attribute: photo url", ["picture_attribute"]),
        ("picture_attribute: 5", ["picture_attribute"]),
        ("create_missing_groups: maybe", ["create_missing_groups"]),
        ("create_missing_groups: 1", ["create_missing_groups"]),
        ("deprovision: delete\ntransfer_to: boss", ["transfer_to", "neither"]),
        ("deprovision: delete\ntransfer_to: a@b", ["transfer_to"]),
        ("deprovision: delete\ntransfer_to: [manager]", ["transfer_to"]),
        ("transfer_to: manager", ["transfer_to", "deprovision: delete"]),
        ("deprovision: deactivate\ntransfer_to: it@acme.example", ["transfer_to", "deprovision: delete"]),
    ],
)
def test_bad_new_keys_name_the_key(text: str, names: list[str]) -> None:
    message = error_of(text)
    for name in names:
        assert name in message, message


def test_at_most_five_custom_attributes() -> None:
    five = {f"Attr{i}": f"{{a{i}}}" for i in range(MAX_CUSTOM_ATTRIBUTES)}
    policy = parse_policy("custom_attributes: " + json.dumps(five))
    assert {name: t.placeholders for name, t in policy.custom_attributes.items()} == {
        name: (text.strip("{}"),) for name, text in five.items()
    }
    six = five | {"Attr5": "{a5}"}
    message = error_of("custom_attributes: " + json.dumps(six))
    assert "custom_attributes" in message and "at most 5" in message


@pytest.mark.parametrize(
    ("value", "expected", "to_manager"),
    [
        ("", "", False),
        ("manager", "manager", True),
        ("Manager", "manager", True),
        ("IT@Acme.Example", "it@acme.example", False),
    ],
)
def test_transfer_to_with_delete(value: str, expected: str, to_manager: bool) -> None:
    policy = parse_policy(f"deprovision: delete\ntransfer_to: '{value}'")
    assert policy.transfer_to == expected
    assert policy.transfers_to_manager is to_manager


def test_the_other_new_keys_read_back() -> None:
    policy = parse_policy("license_fallback: none\npicture_attribute: ' photoUrl '\ncreate_missing_groups: true\n")
    assert policy.license_fallback is LicenseFallback.NONE
    assert policy.picture_attribute == "photoUrl"
    assert policy.create_missing_groups is True


def readme_yaml_blocks_after(heading_text: str) -> list[str]:
    """The ```yaml blocks of README.md's "The policy file" section that follow `heading_text`."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The policy file") :]
    section = section[section.index(heading_text) : section.index("\n## ", 1)]
    return [block.split("```", 1)[0] for block in section.split("```yaml\n")[1:]]


def test_the_readme_shows_the_defaults_and_an_example_that_is_valid() -> None:
    defaults, example = readme_yaml_blocks_after("YAML; every key optional")[:2]
    assert parse_policy(defaults, "README defaults") == Policy()
    assert set(yaml.safe_load(defaults)) == set(Policy.model_fields)  # every key is documented
    policy = parse_policy(example, "README example")
    assert policy.transfers_to_manager and policy.create_missing_groups
    assert set(policy.attributes) > {"first_name", "last_name", "dept", "manager", "phone_numbers"}
    assert len(policy.custom_attributes) == 2
