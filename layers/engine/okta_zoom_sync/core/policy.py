"""The policy model: how Okta users map to Zoom licenses, roles and groups, and the safety limits.

Reading and checking the YAML file is boundary/policy_file.py's job; this module only defines what a valid
policy is. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from okta_zoom_sync.core.model import LICENSE_TYPES, OWNER_ROLE
from okta_zoom_sync.core.templates import ATTRIBUTE_NAME, Template, TemplateError

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class CreateAction(StrEnum):
    SSO_CREATE = "ssoCreate"
    CREATE = "create"
    AUTO_CREATE = "autoCreate"
    CUST_CREATE = "custCreate"


class License(StrEnum):
    BASIC = "basic"
    LICENSED = "licensed"
    UNASSIGNED = "unassigned"

    @property
    def zoom_type(self) -> int:
        return LICENSE_TYPES[self.value]


class SuspendedUsers(StrEnum):
    DEACTIVATE = "deactivate"
    KEEP = "keep"


class Deprovision(StrEnum):
    DEACTIVATE = "deactivate"
    DELETE = "delete"


class LicenseFallback(StrEnum):
    """What a create or upgrade Zoom refuses for lack of seats becomes."""

    BASIC = "basic"  # the user is created (or kept) on Basic and upgraded by a later run
    NONE = "none"  # the user is quarantined, nothing is created


# The Zoom user fields `attributes` may set: text fields of PATCH /users/{userId} (shared/specs Zoom User API;
# reference/zoom-api.md), with the maximum length the spec gives (None: no stated limit). The planner checks
# lengths and values; here only the names are checked.
ZOOM_PROFILE_FIELDS: dict[str, int | None] = {
    "first_name": 64,
    "last_name": 64,
    "display_name": 128,
    "dept": None,
    "job_title": 128,
    "company": 255,
    "location": 256,
    "manager": None,  # the manager's email (a Zoom user)
    "cost_center": None,
    "language": None,
    "timezone": None,
    "pronouns": None,
    "about_me": 150,
    "linkedin_url": None,
    "phone_numbers": None,  # up to 3 numbers, comma-separated (Zoom: phone_numbers[] at most 3)
}
# PATCH fields that exist but are not profile data the attributes may set, and why (said in the error).
NOT_ATTRIBUTE_FIELDS: dict[str, str] = {
    "type": "the license follows default_license and license_rules",
    "plan_united_type": "the license follows default_license and license_rules",
    "zoom_one_type": "the license follows default_license and license_rules",
    "feature": "the license follows default_license and license_rules",
    "group_id": "Zoom groups follow group_rules",
    "custom_attributes": "custom attributes go under the custom_attributes key",
    "email": "the email follows the Okta login (Zoom changes it through PUT /users/{id}/email)",
    "role_id": "roles follow role_rules",
    "phone_number": "Zoom deprecated it: use phone_numbers",
    "phone_country": "Zoom deprecated it: use phone_numbers",
    "pmi": "meeting settings (personal meeting ID) are not profile data",
    "use_pmi": "meeting settings (personal meeting ID) are not profile data",
    "host_key": "the host key is a credential, not profile data",
    "vanity_name": "the personal link name is unique per account and not profile data",
    "pronouns_option": "it is the user's own choice of where pronouns show",
    "cms_user_id": "it is an identifier of Zoom's video management (CMS) integration",
}
DEFAULT_ATTRIBUTES: dict[str, Template] = {
    "first_name": Template.parse("{firstName}"),
    "last_name": Template.parse("{lastName}"),
}
MAX_CUSTOM_ATTRIBUTES = 5  # Zoom: custom_attributes[] at most 5 per user
TRANSFER_TO_MANAGER = "manager"


def _templates(value: object, what: str) -> dict[str, Template]:
    """name -> parsed template, every problem collected in one message naming each entry."""
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a mapping of {what} to template text")
    templates: dict[str, Template] = {}
    problems: list[str] = []
    for name, text in value.items():
        if not isinstance(text, str):
            problems.append(f"{name}: the template must be text (quote it), got {type(text).__name__}")
            continue
        try:
            templates[str(name)] = Template.parse(text)
        except TemplateError as exc:
            problems.append(f"{name}: {exc}")
    if problems:
        raise ValueError("; ".join(problems))
    return templates


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LicenseRule(_Strict):
    group: NonEmpty
    license: License


class RoleRule(_Strict):
    group: NonEmpty
    role: NonEmpty

    @field_validator("role")
    @classmethod
    def _not_owner(cls, value: str) -> str:
        if value.casefold() == OWNER_ROLE.casefold():
            raise ValueError("the Owner role cannot be given by the sync (Zoom transfers ownership separately)")
        return value


class GroupRule(_Strict):
    group: NonEmpty
    zoom_group: NonEmpty


class Brake(_Strict):
    """At most `count` operations of a kind per run, and at most `percent` % of the users the sync manages."""

    count: StrictInt = Field(default=25, ge=0)
    percent: StrictInt = Field(default=10, ge=0, le=100)


MaxDeprovisions = Brake  # the name the first policy key gave it


class Policy(_Strict):
    create_action: CreateAction = CreateAction.SSO_CREATE
    default_license: License = License.BASIC
    license_rules: tuple[LicenseRule, ...] = ()
    role_rules: tuple[RoleRule, ...] = ()
    group_rules: tuple[GroupRule, ...] = ()
    suspended_users: SuspendedUsers = SuspendedUsers.DEACTIVATE
    deprovision: Deprovision = Deprovision.DEACTIVATE
    delete_after_days: StrictInt = Field(default=30, ge=0)
    managed_domains: tuple[NonEmpty, ...] = ()
    protected_users: tuple[NonEmpty, ...] = ()
    max_deprovisions: Brake = Brake()
    max_license_downgrades: Brake = Brake()
    license_fallback: LicenseFallback = LicenseFallback.BASIC
    # Zoom profile field -> template over the Okta profile; the given fields replace those defaults only.
    attributes: dict[str, Template] = Field(default_factory=lambda: dict(DEFAULT_ATTRIBUTES))
    # Zoom custom attribute name -> template.
    custom_attributes: dict[str, Template] = Field(default_factory=dict)
    picture_attribute: str = ""  # the Okta attribute holding the picture's https URL; "" = pictures not synced
    create_missing_groups: StrictBool = False
    transfer_to: str = ""  # "" | "manager" | an email; with deprovision: delete only

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes(cls, value: object) -> dict[str, Template]:
        problems = []
        for name in value if isinstance(value, Mapping) else ():
            if name in NOT_ATTRIBUTE_FIELDS:
                problems.append(f"{name} cannot be mapped: {NOT_ATTRIBUTE_FIELDS[name]}")
            elif name not in ZOOM_PROFILE_FIELDS:
                problems.append(
                    f"{name!r} is not a Zoom profile field (one of {', '.join(sorted(ZOOM_PROFILE_FIELDS))})"
                )
        try:
            templates = _templates(value, "Zoom profile field")
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))
        return DEFAULT_ATTRIBUTES | templates

    @field_validator("custom_attributes", mode="before")
    @classmethod
    def _custom_attributes(cls, value: object) -> dict[str, Template]:
        templates = _templates(value, "Zoom custom attribute name")
        if len(templates) > MAX_CUSTOM_ATTRIBUTES:
            raise ValueError(f"{len(templates)} custom attributes; Zoom keeps at most {MAX_CUSTOM_ATTRIBUTES} per user")
        seen: dict[str, str] = {}
        for name in templates:
            if not name.strip():
                raise ValueError("a custom attribute name must not be empty")
            if name.casefold() in seen:
                raise ValueError(f"{seen[name.casefold()]!r} and {name!r} name the same custom attribute")
            seen[name.casefold()] = name
        return templates

    @field_validator("picture_attribute", mode="before")
    @classmethod
    def _picture_attribute(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value and not ATTRIBUTE_NAME.fullmatch(value):
                raise ValueError(
                    f"{value!r} is not an Okta attribute name (a letter or _, then letters, digits or _; "
                    "no braces: it names the attribute, it is not a template)"
                )
        return value

    @field_validator("transfer_to", mode="before")
    @classmethod
    def _transfer_to(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if value.casefold() == TRANSFER_TO_MANAGER:
            return TRANSFER_TO_MANAGER
        if value and not _looks_like_email(value):
            raise ValueError(f'{value!r} is neither "manager" nor an email address')
        return value.lower()

    @model_validator(mode="after")
    def _transfer_needs_delete(self) -> Self:
        # An error, not ignored: whoever wrote it expects data to move, and with deactivate nothing is deleted
        # or moved; saying so beats a silent no-op that surprises them when they switch to delete.
        if self.transfer_to and self.deprovision is not Deprovision.DELETE:
            raise ValueError(
                "transfer_to: applies only with deprovision: delete (deactivated users keep their meetings and "
                "recordings); remove transfer_to or set deprovision: delete"
            )
        return self

    @field_validator("managed_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for domain in value:
            domain = domain.lower().lstrip("@")
            if "@" in domain or "." not in domain:
                raise ValueError(f"{domain!r} is not a domain name (e.g. acme.com)")
            out.append(domain)
        return tuple(out)

    @field_validator("protected_users")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for email in value:
            if "@" not in email:
                raise ValueError(f"{email!r} is not an email address")
        return tuple(email.lower() for email in value)

    @property
    def transfers_to_manager(self) -> bool:
        return self.transfer_to == TRANSFER_TO_MANAGER

    @property
    def rule_groups(self) -> frozenset[str]:
        """Every Okta group the rules refer to (by name or id)."""
        rules: tuple[LicenseRule | RoleRule | GroupRule, ...] = (
            *self.license_rules,
            *self.role_rules,
            *self.group_rules,
        )
        return frozenset(rule.group for rule in rules)

    @property
    def managed_roles(self) -> frozenset[str]:
        return frozenset(rule.role for rule in self.role_rules)

    @property
    def managed_zoom_groups(self) -> frozenset[str]:
        return frozenset(rule.zoom_group for rule in self.group_rules)


def _looks_like_email(value: str) -> bool:
    local, at, domain = value.partition("@")
    return bool(at and local and "." in domain.strip(".") and "@" not in domain and not any(c.isspace() for c in value))
