"""The simulators' user-model behaviours (issue 10's groundwork), driven over loopback HTTP with ``requests``:
license seats, pending users and invitations, custom roles, groups, profile fields, picture upload, deletion with
transfer (Zoom), and manager / profile attributes (Okta). Each behaviour's source is cited in the simulator module
that implements it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.simulators import OktaSimulator, ZoomSimulator

APP = "0oazoom1"
SSWS = {"Authorization": "SSWS ssws-test-token", "Accept": "application/json"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64


@pytest.fixture
def zoom() -> Iterator[ZoomSimulator]:
    with ZoomSimulator(owner_email="owner@acme.example") as sim:
        yield sim


@pytest.fixture
def okta() -> Iterator[OktaSimulator]:
    with OktaSimulator(app_id=APP) as sim:
        yield sim


@pytest.fixture
def api(zoom: ZoomSimulator) -> requests.Session:
    token = requests.post(
        f"{zoom.url}/oauth/token",
        auth=(zoom.client_id, zoom.client_secret),
        data={"grant_type": "account_credentials", "account_id": zoom.account_id},
        timeout=5,
    ).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def create(api: requests.Session, zoom: ZoomSimulator, email: str, type: int = 1, action: str = "ssoCreate") -> Any:
    return api.post(f"{zoom.url}/v2/users", json={"action": action, "user_info": {"email": email, "type": type}})


def patch(api: requests.Session, zoom: ZoomSimulator, user: str, **fields: Any) -> requests.Response:
    return api.patch(f"{zoom.url}/v2/users/{user}", json=fields)


def field_errors(response: requests.Response) -> list[str]:
    body = response.json()
    assert response.status_code == 400 and body["code"] == 300 and body["message"] == "Validation Failed.", body
    return [e["field"] for e in body["errors"]]


# ---------------------------------------------------------------------------------------------- 1. license seats


def test_licensed_seats_refuse_create_and_upgrade_until_a_seat_is_freed(
    api: requests.Session, zoom: ZoomSimulator
) -> None:
    # Given an account with two paid seats, both taken (one by a pending invitee: pending users hold seats)
    zoom.licensed_seats = 2
    assert create(api, zoom, "a@acme.example", type=2).status_code == 201
    assert create(api, zoom, "p@acme.example", type=2, action="create").status_code == 201
    assert zoom.licensed_seats_used == 2
    # When a third licensed user is created, Then Zoom refuses with 2034 and creates nobody
    refused = create(api, zoom, "c@acme.example", type=2)
    assert refused.status_code == 400 and refused.json()["code"] == 2034
    assert zoom.user_by_email("c@acme.example") is None
    # When a Basic user is upgraded by PATCH, Then the same refusal (the convert text) and the type stays
    assert create(api, zoom, "b@acme.example", type=1).status_code == 201
    upgrade = patch(api, zoom, "b@acme.example", type=2)
    assert upgrade.status_code == 400 and upgrade.json()["code"] == 2034
    assert "convert the plan type" in upgrade.json()["message"]
    assert zoom.user("b@acme.example")["type"] == 1
    # When one licensed user is downgraded, Then its seat is free for the upgrade
    assert patch(api, zoom, "a@acme.example", type=1).status_code == 204
    assert patch(api, zoom, "b@acme.example", type=2).status_code == 204
    # When a licensed user is deactivated (deactivation removes the licence), Then that seat is free too
    assert api.put(f"{zoom.url}/v2/users/b@acme.example/status", json={"action": "deactivate"}).status_code == 204
    assert zoom.licensed_seats_used == 1
    assert create(api, zoom, "c@acme.example", type=2).status_code == 201
    # When a licensed user is deleted, Then its seat is free
    assert api.delete(f"{zoom.url}/v2/users/c@acme.example", params={"action": "delete"}).status_code == 204
    assert create(api, zoom, "d@acme.example", type=2).status_code == 201


def test_basic_cap_answers_2033_and_reactivation_needs_a_seat(api: requests.Session, zoom: ZoomSimulator) -> None:
    # Given a Basic cap of one (the Owner, licensed, is outside it)
    zoom.basic_seats = 1
    assert create(api, zoom, "b1@acme.example").status_code == 201
    # Then a second Basic user is refused with 2033
    second = create(api, zoom, "b2@acme.example")
    assert second.status_code == 400 and second.json()["code"] == 2033
    # And a deactivated Basic user frees the seat, but cannot be re-activated while another holds it
    assert api.put(f"{zoom.url}/v2/users/b1@acme.example/status", json={"action": "deactivate"}).status_code == 204
    assert create(api, zoom, "b2@acme.example").status_code == 201
    back = api.put(f"{zoom.url}/v2/users/b1@acme.example/status", json={"action": "activate"})
    assert back.status_code == 400 and back.json()["code"] == 2033
    assert zoom.user("b1@acme.example")["status"] == "inactive"
    # And a licensed user's downgrade to a full Basic cap is refused with 2033 (convert text)
    zoom.licensed_seats = None
    assert create(api, zoom, "l@acme.example", type=2).status_code == 201
    down = patch(api, zoom, "l@acme.example", type=1)
    assert down.status_code == 400 and down.json()["code"] == 2033 and "convert" in down.json()["message"]


def test_seat_refusals_can_answer_3412_with_the_cap(api: requests.Session, zoom: ZoomSimulator) -> None:
    zoom.licensed_seats, zoom.seat_error_with_count = 0, True
    refused = create(api, zoom, "x@acme.example", type=2)
    assert refused.status_code == 400 and refused.json()["code"] == 3412
    assert "maximum number of 0 paying users" in refused.json()["message"]


def test_type_with_plan_fields_in_one_patch_is_refused(api: requests.Session, zoom: ZoomSimulator) -> None:
    assert create(api, zoom, "u@acme.example").status_code == 201
    for plan in ({"zoom_one_type": 16}, {"plan_united_type": "1"}):
        refused = patch(api, zoom, "u@acme.example", type=2, **plan)
        assert refused.status_code == 400 and refused.json()["code"] == 300
        assert "at the same time" in refused.json()["message"]
    assert zoom.user("u@acme.example")["type"] == 1


# ---------------------------------------------------------------------------------------------- 2. pending users


def test_pending_user_lifecycle_and_reinvitation(api: requests.Session, zoom: ZoomSimulator) -> None:
    # Given an invited user (action=create): pending, one invitation sent
    assert create(api, zoom, "new@acme.example", action="create").status_code == 201
    assert zoom.user("new@acme.example")["status"] == "pending" and zoom.invitations_sent("new@acme.example") == 1
    # Then creating the same email again while pending answers 409 code 1005
    again = create(api, zoom, "new@acme.example", action="create")
    assert again.status_code == 409 and again.json()["code"] == 1005
    # And a PATCH answers 204 but applies nothing
    assert patch(api, zoom, "new@acme.example", job_title="Engineer").status_code == 204
    assert zoom.user("new@acme.example").get("job_title") == ""
    # When the invitation is re-sent (delete the pending user, create again), Then a second invitation goes out
    assert api.delete(f"{zoom.url}/v2/users/new@acme.example", params={"action": "disassociate"}).status_code == 204
    assert create(api, zoom, "new@acme.example", action="create").status_code == 201
    assert zoom.invitations_sent("new@acme.example") == 2
    # When the user accepts, Then active, and a PATCH applies
    zoom.accept_invitation("new@acme.example")
    assert api.get(f"{zoom.url}/v2/users/new@acme.example").json()["status"] == "active"
    assert patch(api, zoom, "new@acme.example", job_title="Engineer").status_code == 204
    assert zoom.user("new@acme.example")["job_title"] == "Engineer"


def test_expired_invitation_answers_1120_and_the_knob_lets_disassociate_remove_it(
    api: requests.Session, zoom: ZoomSimulator
) -> None:
    assert create(api, zoom, "late@acme.example", action="create").status_code == 201
    zoom.expire_invitation("late@acme.example")
    for response in (
        api.get(f"{zoom.url}/v2/users/late@acme.example"),
        patch(api, zoom, "late@acme.example", dept="X"),
        api.delete(f"{zoom.url}/v2/users/late@acme.example", params={"action": "disassociate"}),
    ):
        assert response.status_code == 400 and response.json()["code"] == 1120
    # With the documented-uncertain knob on, disassociate removes it and a new create re-invites
    zoom.expired_invitations_removable = True
    assert api.delete(f"{zoom.url}/v2/users/late@acme.example", params={"action": "delete"}).json()["code"] == 1120
    assert api.delete(f"{zoom.url}/v2/users/late@acme.example", params={"action": "disassociate"}).status_code == 204
    assert create(api, zoom, "late@acme.example", action="create").status_code == 201
    assert zoom.invitations_sent("late@acme.example") == 2


# ---------------------------------------------------------------------------------------------- 3. custom roles


def test_custom_roles_listed_assigned_and_unassigned(api: requests.Session, zoom: ZoomSimulator) -> None:
    helpdesk = zoom.add_role("Helpdesk")
    uid = create(api, zoom, "h@acme.example").json()["id"]
    names = [r["name"] for r in api.get(f"{zoom.url}/v2/roles").json()["roles"]]
    assert names == ["Owner", "Admin", "Member", "Helpdesk"]
    # When the custom role is assigned, Then the user's role_id (list) and role_name (get) follow
    added = api.post(f"{zoom.url}/v2/roles/{helpdesk}/members", json={"members": [{"email": "h@acme.example"}]})
    assert added.status_code == 201 and added.json()["ids"] == uid
    row = next(u for u in api.get(f"{zoom.url}/v2/users").json()["users"] if u["email"] == "h@acme.example")
    assert row["role_id"] == helpdesk
    assert api.get(f"{zoom.url}/v2/users/{uid}").json()["role_name"] == "Helpdesk"
    assert api.get(f"{zoom.url}/v2/roles").json()["roles"][3]["total_members"] == 1
    # When it is unassigned, Then the user is a Member again
    assert api.delete(f"{zoom.url}/v2/roles/{helpdesk}/members/{uid}").status_code == 204
    assert api.get(f"{zoom.url}/v2/users/{uid}").json()["role_name"] == "Member"
    # And Member cannot be assigned directly (code 300), an unknown role is 1034
    member = api.post(f"{zoom.url}/v2/roles/2/members", json={"members": [{"id": uid}]})
    assert member.status_code == 400 and member.json()["code"] == 300
    assert api.post(f"{zoom.url}/v2/roles/nope/members", json={"members": [{"id": uid}]}).json()["code"] == 1034


# ---------------------------------------------------------------------------------------------- 4. groups


def test_group_creation_uniqueness_and_rename_keeps_the_id(api: requests.Session, zoom: ZoomSimulator) -> None:
    created = api.post(f"{zoom.url}/v2/groups", json={"name": "Sales"})
    assert created.status_code == 201 and created.json()["name"] == "Sales" and created.json()["total_members"] == 0
    gid = created.json()["id"]
    duplicate = api.post(f"{zoom.url}/v2/groups", json={"name": "Sales"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == 4132
    # When an administrator renames it, Then the same id carries the new name and the old name is free again
    zoom.rename_group("Sales", "Sales EMEA")
    groups = api.get(f"{zoom.url}/v2/groups").json()["groups"]
    assert [(g["id"], g["name"]) for g in groups] == [(gid, "Sales EMEA")]
    assert api.get(f"{zoom.url}/v2/groups/{gid}").json()["name"] == "Sales EMEA"
    assert api.post(f"{zoom.url}/v2/groups", json={"name": "Sales"}).status_code == 201
    with pytest.raises(ValueError):
        zoom.rename_group(gid, "Sales")


# ---------------------------------------------------------------------------------------------- 5. profile fields


def test_profile_fields_are_stored_and_shown_in_the_real_shapes(api: requests.Session, zoom: ZoomSimulator) -> None:
    cost_key = zoom.define_custom_attribute("Cost code")
    uid = create(api, zoom, "p@acme.example").json()["id"]
    create(api, zoom, "boss@acme.example")
    fields: dict[str, Any] = {
        "dept": "Engineering",
        "job_title": "Engineer",
        "company": "Acme",
        "location": "Berlin",
        "manager": "boss@acme.example",
        "cost_center": "CC-1",
        "language": "en-US",
        "timezone": "Europe/Berlin",
        "pronouns": "they/them",
        "phone_numbers": [{"code": "+49", "country": "DE", "label": "Mobile", "number": "1701234567"}],
        "custom_attributes": [{"key": cost_key, "name": "Cost code", "value": "42"}],
    }
    assert patch(api, zoom, uid, **fields).status_code == 204
    got = api.get(f"{zoom.url}/v2/users/{uid}").json()
    for name in ("dept", "job_title", "company", "location", "manager", "cost_center", "language", "timezone"):
        assert got[name] == fields[name]
    assert got["pronouns"] == "they/them"
    assert got["phone_numbers"] == [{**fields["phone_numbers"][0], "verified": False}]
    assert got["custom_attributes"] == [{"key": cost_key, "name": "Cost code", "value": "42"}]
    # The list row carries only the list schema's fields; custom_attributes only when asked for
    row = next(u for u in api.get(f"{zoom.url}/v2/users").json()["users"] if u["id"] == uid)
    assert row["dept"] == "Engineering"
    assert not {"job_title", "manager", "phone_numbers", "custom_attributes", "company", "location"} & set(row)
    listed = api.get(f"{zoom.url}/v2/users", params={"include_fields": "custom_attributes"}).json()["users"]
    assert next(u for u in listed if u["id"] == uid)["custom_attributes"] == got["custom_attributes"]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"job_title": "x" * 129}, ["job_title"]),
        ({"company": "x" * 256}, ["company"]),
        ({"location": "x" * 257}, ["location"]),
        ({"manager": "not-an-email"}, ["manager"]),
        ({"phone_numbers": [{"country": "US", "number": "5550100"}] * 4}, ["phone_numbers"]),
        ({"phone_numbers": [{"country": "US", "number": "5550100", "label": "Pager"}]}, ["phone_numbers"]),
        ({"custom_attributes": [{"key": "cbf_unknown", "value": "1"}]}, ["custom_attributes"]),
        ({"pronouns_option": 4, "dept": 7}, ["dept", "pronouns_option"]),
        ({"about_me": "see https://example.com"}, ["about_me"]),
    ],
)
def test_bad_profile_values_answer_validation_failed(
    api: requests.Session, zoom: ZoomSimulator, fields: dict[str, Any], bad: list[str]
) -> None:
    create(api, zoom, "v@acme.example")
    before = zoom.user("v@acme.example")
    assert sorted(field_errors(patch(api, zoom, "v@acme.example", **fields))) == bad
    assert zoom.user("v@acme.example") == before  # nothing applied


def test_at_most_five_custom_attributes_and_an_optional_known_manager(
    api: requests.Session, zoom: ZoomSimulator
) -> None:
    keys = [zoom.define_custom_attribute(f"A{i}") for i in range(6)]
    create(api, zoom, "v@acme.example")
    six = [{"key": k, "value": "1"} for k in keys]
    assert field_errors(patch(api, zoom, "v@acme.example", custom_attributes=six)) == ["custom_attributes"]
    assert patch(api, zoom, "v@acme.example", custom_attributes=six[:5]).status_code == 204
    zoom.known_manager_required = True
    assert field_errors(patch(api, zoom, "v@acme.example", manager="ghost@acme.example")) == ["manager"]
    assert patch(api, zoom, "v@acme.example", manager="owner@acme.example").status_code == 204


# ---------------------------------------------------------------------------------------------- 6. picture upload


def upload(api: requests.Session, zoom: ZoomSimulator, user: str, content: bytes, field: str = "pic_file") -> Any:
    return api.post(f"{zoom.url}/v2/users/{user}/picture", files={field: ("me.png", content, "image/png")})


def test_picture_upload_sets_pic_url_and_refuses_bad_files(api: requests.Session, zoom: ZoomSimulator) -> None:
    uid = create(api, zoom, "pic@acme.example").json()["id"]
    assert "pic_url" not in api.get(f"{zoom.url}/v2/users/{uid}").json()
    assert upload(api, zoom, uid, PNG).status_code == 201
    first = api.get(f"{zoom.url}/v2/users/{uid}").json()["pic_url"]
    assert first.startswith("https://") and zoom.picture(uid) == PNG
    # A different image changes pic_url
    assert upload(api, zoom, uid, JPEG).status_code == 201
    assert api.get(f"{zoom.url}/v2/users/{uid}").json()["pic_url"] != first
    # Bad files: code 120 with the spec's texts; the stored picture stays
    cases = {
        b"": "File is empty.",
        b"GIF89a" + b"\x00" * 10: "Only jpg/jpeg or png image file can be uploaded.",
        PNG + b"\x00" * (2 * 1024 * 1024): "File size cannot exceed 2M.",
    }
    for content, message in cases.items():
        refused = upload(api, zoom, uid, content)
        assert refused.status_code == 400 and refused.json() == {"code": 120, "message": message}
    assert zoom.picture(uid) == JPEG
    # Exactly 2 MiB is accepted; a missing pic_file part or a JSON body is a validation error; unknown user 1001
    assert upload(api, zoom, uid, PNG + b"\x00" * (2 * 1024 * 1024 - len(PNG))).status_code == 201
    assert field_errors(upload(api, zoom, uid, PNG, field="file")) == ["pic_file"]
    assert field_errors(api.post(f"{zoom.url}/v2/users/{uid}/picture", json={"pic_file": "x"})) == ["pic_file"]
    assert upload(api, zoom, "ghost@acme.example", PNG).json()["code"] == 1001


# ---------------------------------------------------------------------------------------------- 7. delete with transfer


def delete(api: requests.Session, zoom: ZoomSimulator, user: str, **params: Any) -> requests.Response:
    return api.delete(f"{zoom.url}/v2/users/{user}", params={"action": "delete", **params})


ALL = {"transfer_meeting": "true", "transfer_webinar": "true", "transfer_recording": "true"}


def test_delete_with_transfer_moves_assets_to_an_active_licensed_target(
    api: requests.Session, zoom: ZoomSimulator
) -> None:
    create(api, zoom, "leaver@acme.example")
    create(api, zoom, "boss@acme.example", type=2)
    zoom.set_assets("leaver@acme.example", meetings=3, webinars=1, recordings=5)
    assert delete(api, zoom, "leaver@acme.example", transfer_email="boss@acme.example", **ALL).status_code == 204
    assert zoom.user_by_email("leaver@acme.example") is None
    assert zoom.assets("boss@acme.example") == {"meetings": 3, "webinars": 1, "recordings": 5}
    assert zoom.transfers == [
        {
            "from_email": "leaver@acme.example",
            "to_email": "boss@acme.example",
            "action": "delete",
            "meetings": 3,
            "webinars": 1,
            "recordings": 5,
        }
    ]


def test_only_flagged_kinds_move(api: requests.Session, zoom: ZoomSimulator) -> None:
    create(api, zoom, "leaver@acme.example")
    create(api, zoom, "peer@acme.example")  # Basic: may receive meetings, not recordings
    zoom.set_assets("leaver@acme.example", meetings=2, recordings=4)
    params = {"transfer_email": "peer@acme.example", "transfer_meeting": "true", "transfer_recording": "false"}
    assert delete(api, zoom, "leaver@acme.example", **params).status_code == 204
    assert zoom.assets("peer@acme.example") == {"meetings": 2, "webinars": 0, "recordings": 0}


@pytest.mark.parametrize(
    ("target", "params", "status", "code", "text"),
    [
        ("ghost@acme.example", ALL, 404, 1001, "User does not exist: ghost@acme.example."),
        ("gone@acme.example", ALL, 400, 300, "not active"),
        ("invited@acme.example", ALL, 400, 300, "not active"),
        ("basic@acme.example", ALL, 400, 300, "does not have a Licensed or higher license"),
        ("leaver@acme.example", ALL, 400, 300, "cannot be the same"),
        ("", ALL, 400, 300, "Validation Failed."),
        ("boss@acme.example", {"transfer_meeting": "yes"}, 400, 300, "Validation Failed."),
    ],
)
def test_a_refused_transfer_deletes_nothing(
    api: requests.Session,
    zoom: ZoomSimulator,
    target: str,
    params: dict[str, str],
    status: int,
    code: int,
    text: str,
) -> None:
    create(api, zoom, "leaver@acme.example")
    create(api, zoom, "boss@acme.example", type=2)
    create(api, zoom, "basic@acme.example")
    create(api, zoom, "gone@acme.example", type=2)
    api.put(f"{zoom.url}/v2/users/gone@acme.example/status", json={"action": "deactivate"})
    create(api, zoom, "invited@acme.example", type=2, action="create")
    zoom.set_assets("leaver@acme.example", meetings=1, recordings=1)
    refused = delete(api, zoom, "leaver@acme.example", transfer_email=target, **params)
    assert refused.status_code == status and refused.json()["code"] == code and text in refused.json()["message"]
    assert zoom.user_by_email("leaver@acme.example") is not None and zoom.transfers == []
    assert zoom.assets("leaver@acme.example") == {"meetings": 1, "webinars": 0, "recordings": 1}


# ---------------------------------------------------------------------------------------------- 8. Okta profiles


def test_okta_manager_lookup_and_profile_attributes(okta: OktaSimulator) -> None:
    boss = okta.add_user("boss@acme.example", first_name="Bo", last_name="Ss", department="Eng", title="VP")
    okta.add_user(
        "dev@acme.example",
        first_name="De",
        last_name="V",
        department="Eng",
        title="Engineer",
        mobilePhone="+49 170 1234567",
        city="Berlin",
    )
    okta.set_manager("dev@acme.example", "boss@acme.example")
    dev = requests.get(f"{okta.url}/api/v1/users/dev@acme.example", headers=SSWS, timeout=5).json()
    assert dev["profile"]["managerId"] == boss and dev["profile"]["manager"] == "Bo Ss"
    assert dev["profile"]["title"] == "Engineer" and dev["profile"]["mobilePhone"] == "+49 170 1234567"
    # The manager is looked up by id, as a client resolves managerId to an email
    manager = requests.get(f"{okta.url}/api/v1/users/{dev['profile']['managerId']}", headers=SSWS, timeout=5)
    assert manager.status_code == 200 and manager.json()["profile"]["email"] == "boss@acme.example"
    okta.set_manager("dev@acme.example", None)
    cleared = requests.get(f"{okta.url}/api/v1/users/dev@acme.example", headers=SSWS, timeout=5).json()
    assert cleared["profile"]["managerId"] is None and cleared["profile"]["manager"] is None


def test_okta_app_user_profile_follows_the_app_mappings(okta: OktaSimulator) -> None:
    okta.add_user("dev@acme.example", first_name="De", last_name="V", department="Eng", title="Engineer")
    okta.assign_user("dev@acme.example")
    url = f"{okta.url}/api/v1/apps/{APP}/users"
    assert requests.get(url, headers=SSWS, timeout=5).json()[0]["profile"] == {
        "email": "dev@acme.example",
        "firstName": "De",
        "lastName": "V",
    }
    okta.app_user_profile_attributes = {"email": "email", "department": "department", "title": "title", "city": "city"}
    profile = requests.get(url, headers=SSWS, timeout=5).json()[0]["profile"]
    assert profile == {"email": "dev@acme.example", "department": "Eng", "title": "Engineer", "city": None}
