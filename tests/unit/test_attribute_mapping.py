"""Attribute mapping: rendering, Zoom's limits, phone numbers, what is sent when (core/attributes.py), and the
adapters' mapping of profiles (no I/O)."""

from __future__ import annotations

import pytest
from okta_zoom_sync.adapters.okta.records import assignment_from_row
from okta_zoom_sync.adapters.zoom.profile import ZoomProfile
from okta_zoom_sync.core.attributes import (
    Phone,
    decode_sent,
    digest,
    encode_sent,
    okta_attributes,
    parse_phones,
    profile_changes,
    wanted_profile,
    zoom_fields,
)
from okta_zoom_sync.core.desired import desired_user
from okta_zoom_sync.core.model import OktaUser
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.errors import PermanentError

POLICY = Policy(
    attributes={"dept": "{department}", "job_title": "{title}", "manager": "{managerId}", "about_me": "{bio}"},
    custom_attributes={"Badge": "B-{badge}"},
)  # type: ignore[arg-type]


def test_the_policy_names_the_okta_attributes_kept_and_the_zoom_fields_read() -> None:
    assert okta_attributes(POLICY) == {"department", "title", "managerId", "bio", "badge"}
    assert okta_attributes(Policy()) == frozenset()  # defaults: names only, kept in the record's own fields
    assert zoom_fields(POLICY) == {"dept", "job_title", "manager", "about_me", "custom_attributes.Badge"}


def test_values_render_and_an_empty_one_is_left_out() -> None:
    wanted = wanted_profile(POLICY, {"department": "Eng", "title": "", "badge": "7"}, {})
    assert dict(wanted.values) == {"dept": "Eng", "custom_attributes.Badge": "B-7"}
    assert wanted.problems == ()


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"title": "T" * 129}, "job_title"),
        ({"bio": "see https://example.com"}, "about_me"),
        ({"bio": "x" * 151}, "about_me"),
    ],
)
def test_a_value_zoom_would_refuse_is_a_problem_naming_the_field(profile: dict[str, str], field: str) -> None:
    wanted = wanted_profile(POLICY, {"department": "Eng", **profile}, {})
    [problem] = wanted.problems
    assert problem.startswith(f"{field}:")
    assert dict(wanted.values) == {"dept": "Eng"}  # the user's other values still go


def test_manager_id_becomes_the_managers_email_and_an_unknown_manager_is_left_with_a_note() -> None:
    found = wanted_profile(POLICY, {"managerId": "00uboss"}, {"00uboss": "boss@acme.com"})
    assert dict(found.values) == {"manager": "boss@acme.com"}
    missing = wanted_profile(POLICY, {"managerId": "00ugone"}, {})
    assert missing.values == () and missing.problems == ()
    assert "00ugone" in missing.notes[0]


def test_a_manager_that_is_not_an_email_is_refused() -> None:
    policy = Policy(attributes={"manager": "{manager}"})  # type: ignore[arg-type]
    [problem] = wanted_profile(policy, {"manager": "Bo Ss"}, {}).problems
    assert problem.startswith("manager:") and "email" in problem


def test_phone_numbers_in_zooms_shape() -> None:
    phones, problem = parse_phones("+44 20 7946 0000, +1 (415) 555-0100, CA +1 604 555 0100")
    assert problem is None
    assert phones == (
        Phone("+44", "GB", "2079460000"),
        Phone("+1", "US", "4155550100"),
        Phone("+1", "CA", "6045550100"),
    )
    assert parse_phones("+1 415 555 0100, +1 415 555 0101, +1 415 555 0102, +1 415 555 0103")[1] is not None
    assert "not '+<calling code>" in str(parse_phones("555-0100")[1])
    assert "country" in str(parse_phones("+999 1234 5678")[1])


def test_desired_user_takes_the_names_from_their_templates() -> None:
    policy = Policy(attributes={"first_name": "{nickName}", "dept": "{department}"})  # type: ignore[arg-type]
    okta = OktaUser("00u1", "ann@acme.com", "ann@acme.com", "Ann", "Lee", "ACTIVE", profile=(("department", "Eng"),))
    want = desired_user(okta, policy)
    assert (want.first_name, want.last_name) == ("", "Lee")  # no nickName: the first name is left as it is
    assert want.profile == (("dept", "Eng"),)


def test_a_value_zoom_shows_is_compared_with_zoom_and_any_other_with_the_digest_sent() -> None:
    wanted = (("dept", "Eng"), ("job_title", "T1"))
    first = profile_changes(wanted, {"dept": "Old"}, "")
    assert [(f, old, new) for f, old, new in first.changes] == [("dept", "Old", "Eng"), ("job_title", None, "T1")]
    assert first.sent is not None and decode_sent(first.sent) == {"job_title": digest("T1")}
    again = profile_changes(wanted, {"dept": "Eng"}, first.sent)
    assert again.changes == () and again.sent is None
    changed = profile_changes((("job_title", "T2"),), {}, first.sent)
    assert [f for f, _, _ in changed.changes] == ["job_title"]


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
    profile = ZoomProfile({"dept", "phone_numbers", "custom_attributes.Badge", "custom_attributes.cbf_k2"})
    row = {
        "dept": "Eng",
        "job_title": "not mapped",
        "custom_attributes": [{"key": "cbf_k1", "name": "Badge", "value": "7"}],
    }
    assert profile.list_params() == {"include_fields": "custom_attributes"}
    assert dict(profile.read(row)) == {"dept": "Eng", "custom_attributes.Badge": "7", "custom_attributes.cbf_k2": ""}
    phones = (Phone("+44", "GB", "2079460000"),)
    body = profile.body({"phone_numbers": phones, "custom_attributes.Badge": "8", "custom_attributes.cbf_k2": "v"})
    assert body == {
        "phone_numbers": [{"code": "+44", "country": "GB", "number": "2079460000"}],
        "custom_attributes": [
            {"key": "cbf_k1", "name": "Badge", "value": "8"},
            {"key": "cbf_k2", "name": "cbf_k2", "value": "v"},
        ],
    }
    with pytest.raises(PermanentError, match="Unseen"):
        ZoomProfile({"custom_attributes.Unseen"}).body({"custom_attributes.Unseen": "x"})
