"""Attribute mapping: rendering, Zoom's limits, phone numbers, what is sent when (core/attributes.py), and the
adapters' mapping of profiles (no I/O)."""

from __future__ import annotations

import pytest
from okta_zoom_sync.adapters.okta.records import assignment_from_row
from okta_zoom_sync.adapters.zoom.profile import ZoomProfile
from okta_zoom_sync.core.attributes import (
    AttributeMap,
    decode_sent,
    digest,
    encode_sent,
    okta_attributes,
    parse_phones,
    phones_to_zoom,
    profile_changes,
    profile_layout,
)
from okta_zoom_sync.core.desired import desired_user
from okta_zoom_sync.core.model import OktaUser
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.errors import PermanentError

POLICY = Policy(
    attributes={"dept": "{department}", "job_title": "{title}", "manager": "{managerId}", "about_me": "{bio}"},
    custom_attributes={"Badge": "B-{badge}"},
)  # type: ignore[arg-type]


MAP = AttributeMap.of(POLICY)


def wanted(profile: dict[str, str], managers: dict[str, str] | None = None, attribute_map: AttributeMap = MAP):  # type: ignore[no-untyped-def]
    result = attribute_map.wanted(profile, managers or {})
    values = dict(zip(attribute_map.layout, result.values, strict=True)) if result.values else {}
    return {field: value for field, value in values.items() if value is not None}, result


def test_the_policy_names_the_okta_attributes_kept_and_the_zoom_fields_read() -> None:
    assert okta_attributes(POLICY) == {"department", "title", "managerId", "bio", "badge"}
    assert okta_attributes(Policy()) == frozenset()  # defaults: names only, kept in the record's own fields
    assert profile_layout(POLICY) == ("about_me", "custom_attributes.Badge", "dept", "job_title", "manager")
    assert profile_layout(Policy()) == ()


def test_values_render_and_an_empty_one_is_left_out() -> None:
    values, result = wanted({"department": "Eng", "title": "", "badge": "7", "firstName": "Ann"})
    assert values == {"dept": "Eng", "custom_attributes.Badge": "B-7"}
    assert result.values == (None, "B-7", "Eng", None, None)  # aligned with the layout
    assert (result.first_name, result.last_name, result.problems) == ("Ann", "", ())
    assert wanted({})[1].values == ()  # nothing to send: no tuple kept at all


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"title": "T" * 129}, "job_title"),
        ({"bio": "see https://example.com"}, "about_me"),
        ({"bio": "x" * 151}, "about_me"),
    ],
)
def test_a_value_zoom_would_refuse_is_a_problem_naming_the_field(profile: dict[str, str], field: str) -> None:
    values, result = wanted({"department": "Eng", **profile})
    [problem] = result.problems
    assert problem.startswith(f"{field}:")
    assert values == {"dept": "Eng"}  # the user's other values still go


def test_manager_id_becomes_the_managers_email_and_an_unknown_manager_is_left_with_a_note() -> None:
    assert wanted({"managerId": "00uboss"}, {"00uboss": "boss@acme.com"})[0] == {"manager": "boss@acme.com"}
    values, missing = wanted({"managerId": "00ugone"})
    assert values == {} and missing.problems == ()
    assert "00ugone" in missing.notes[0]


def test_a_manager_that_is_not_an_email_is_refused() -> None:
    policy = Policy(attributes={"manager": "{manager}"})  # type: ignore[arg-type]
    [problem] = wanted({"manager": "Bo Ss"}, attribute_map=AttributeMap.of(policy))[1].problems
    assert problem.startswith("manager:") and "email" in problem


def test_phone_numbers_in_zooms_shape() -> None:
    phones, problem = parse_phones("+44 20 7946 0000, +1 (415) 555-0100, CA +1 604 555 0100")
    assert problem is None
    assert phones_to_zoom(phones) == [
        {"code": "+44", "country": "GB", "number": "2079460000"},
        {"code": "+1", "country": "US", "number": "4155550100"},
        {"code": "+1", "country": "CA", "number": "6045550100"},
    ]
    assert parse_phones("+1 415 555 0100, +1 415 555 0101, +1 415 555 0102, +1 415 555 0103")[1] is not None
    assert "not '+<calling code>" in str(parse_phones("555-0100")[1])
    assert "country" in str(parse_phones("+999 1234 5678")[1])


def test_desired_user_takes_the_names_from_their_templates() -> None:
    policy = Policy(attributes={"first_name": "{nickName}", "dept": "{department}"})  # type: ignore[arg-type]
    okta = OktaUser("00u1", "ann@acme.com", "ann@acme.com", "Ann", "Lee", "ACTIVE", profile=(("department", "Eng"),))
    want = desired_user(okta, policy)
    assert (want.first_name, want.last_name) == ("", "Lee")  # no nickName: the first name is left as it is
    assert want.profile == ("Eng",)  # layout: (dept,)


def test_a_value_zoom_shows_is_compared_with_zoom_and_any_other_with_the_digest_sent() -> None:
    layout = ("dept", "job_title")
    first = profile_changes(layout, ("Eng", "T1"), ("Old", None), "")  # a list row: dept, no job_title
    assert list(first.changes) == [("dept", "Old", "Eng"), ("job_title", None, "T1")]
    assert first.sent is not None and decode_sent(first.sent) == {"job_title": digest("T1")}
    again = profile_changes(layout, ("Eng", "T1"), ("Eng", None), first.sent)
    assert again.changes == () and again.sent is None
    changed = profile_changes(layout, (None, "T2"), (), first.sent)
    assert [f for f, _, _ in changed.changes] == ["job_title"]
    # A user read whole (its row shows job_title) learns the digest of what is sent
    whole = profile_changes(layout, ("Eng", "T3"), ("Eng", "T1"), first.sent)
    assert whole.sent is not None and decode_sent(whole.sent) == {"job_title": digest("T3")}


def test_sent_digests_survive_odd_custom_attribute_names() -> None:
    sent = {"custom_attributes.Cost = centre": digest("x"), "job_title": digest("y")}
    assert decode_sent(encode_sent(sent)) == sent


def test_okta_rows_keep_only_the_named_attributes_user_profile_first_then_the_app_user_profile() -> None:
    row = {
        "id": "00u1",
        "profile": {"title": "App title", "costCenter": "CC1", "secret": "x"},
        "_embedded": {
            "user": {
                "id": "00u1",
                "status": "ACTIVE",
                "profile": {"login": "a@acme.com", "email": "a@acme.com", "title": "Engineer", "bio": "long"},
            }
        },
    }
    user, _ = assignment_from_row(row, frozenset({"title", "costCenter"}))
    assert user.profile == (("costCenter", "CC1"), ("title", "Engineer"))
    assert assignment_from_row(row)[0].profile == ()


def test_zoom_profile_reads_mapped_fields_and_writes_zooms_body() -> None:
    profile = ZoomProfile(("custom_attributes.Badge", "custom_attributes.cbf_k2", "dept", "phone_numbers"))
    row = {
        "dept": "Eng",
        "job_title": "not mapped",
        "custom_attributes": [{"key": "cbf_k1", "name": "Badge", "value": "7"}],
    }
    assert profile.list_params() == {"include_fields": "custom_attributes"}
    assert profile.read(row) == ("7", "", "Eng", None)  # a list row has no phone_numbers
    phones = [{"code": "+44", "country": "GB", "number": "20 7946 0000", "verified": False}]
    assert profile.read({"phone_numbers": phones})[3] == "+44 GB 2079460000"
    fields = {"phone_numbers": "+44 GB 2079460000", "custom_attributes.Badge": "8", "custom_attributes.cbf_k2": "v"}
    body = profile.body(fields)
    assert body == {
        "phone_numbers": [{"code": "+44", "country": "GB", "number": "2079460000"}],
        "custom_attributes": [
            {"key": "cbf_k1", "name": "Badge", "value": "8"},
            {"key": "cbf_k2", "name": "cbf_k2", "value": "v"},
        ],
    }
    with pytest.raises(PermanentError, match="Unseen"):
        ZoomProfile(("custom_attributes.Unseen",)).body({"custom_attributes.Unseen": "x"})
