"""The policy model: how Okta users map to Zoom licenses, roles and groups, and the safety limits.

Reading and checking the YAML file is boundary/policy_file.py's job; this module only defines what a valid
policy is. Pure."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, field_validator

from okta_zoom_sync.core.model import LICENSE_TYPES, OWNER_ROLE

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
