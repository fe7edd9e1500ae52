"""The JSON the Okta simulator answers with: User, Group, the app (AppInstance), app users (AppUser) and group
assignments (ApplicationGroupAssignment), with absolute ``_links`` once the server is running."""

from __future__ import annotations

from typing import Any

from .formats import derived_id, iso_ms

__all__ = ["ViewsMixin"]


class ViewsMixin:
    """Renders the :class:`~tests.simulators.okta.OktaSimulator`'s records as the API returns them."""

    app_id: str
    app_user_status: str
    app_user_profile_attributes: dict[str, str]
    username_attribute: str

    def _href(self, path: str) -> str:
        return f"{self.url}{path}" if self.running else path

    def _user_json(self, uid: str) -> dict[str, Any]:
        u = self._users[uid]
        return {
            "id": uid,
            "status": u["status"],
            "created": iso_ms(u["created"]),
            "activated": iso_ms(u["activated"]) if u["activated"] else None,
            "statusChanged": iso_ms(u["statusChanged"]) if u["statusChanged"] else None,
            "lastLogin": None,
            "lastUpdated": iso_ms(u["lastUpdated"]),
            "passwordChanged": None,
            "type": {"id": "oty" + derived_id("", "type:default")},
            "profile": dict(u["profile"]),
            "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {"self": {"href": self._href(f"/api/v1/users/{uid}")}},
        }

    def _group_json(self, gid: str) -> dict[str, Any]:
        g = self._groups[gid]
        return {
            "id": gid,
            "created": iso_ms(g["created"]),
            "lastUpdated": iso_ms(g["lastUpdated"]),
            "lastMembershipUpdated": iso_ms(g["lastMembershipUpdated"]),
            "objectClass": ["okta:user_group"],
            "type": g["type"],
            "profile": dict(g["profile"]),
            "_links": {
                "logo": [
                    {
                        "name": "medium",
                        "href": "https://op1static.oktacdn.com/assets/img/logos/groups/odyssey/okta-medium.png",
                        "type": "image/png",
                    }
                ],
                "users": {"href": self._href(f"/api/v1/groups/{gid}/users")},
                "apps": {"href": self._href(f"/api/v1/groups/{gid}/apps")},
            },
        }

    def _app_json(self) -> dict[str, Any]:
        a = self._app
        return {
            "id": self.app_id,
            "name": "zoomus",
            "label": a["label"],
            "status": a["status"],
            "lastUpdated": iso_ms(a["lastUpdated"]),
            "created": iso_ms(a["created"]),
            "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
            "visibility": {
                "autoSubmitToolbar": False,
                "hide": {"iOS": False, "web": False},
                "appLinks": {"login": True},
            },
            "features": [],
            "signOnMode": "SAML_2_0",
            "credentials": {
                "userNameTemplate": {"template": f"${{source.{self.username_attribute}}}", "type": "BUILT_IN"},
                "signing": {"kid": derived_id("", f"kid:{self.app_id}", 43)},
            },
            "settings": {
                "app": {"subDomain": "acme"},
                "notifications": {"vpn": {"network": {"connection": "DISABLED"}}},
            },
            "_links": {
                "appLinks": [
                    {"name": "login", "href": self._href(f"/home/zoomus/{self.app_id}/1"), "type": "text/html"}
                ],
                "users": {"href": self._href(f"/api/v1/apps/{self.app_id}/users")},
                "groups": {"href": self._href(f"/api/v1/apps/{self.app_id}/groups")},
                "self": {"href": self._href(f"/api/v1/apps/{self.app_id}")},
                "deactivate": {"href": self._href(f"/api/v1/apps/{self.app_id}/lifecycle/deactivate")},
            },
        }

    def _app_user_json(self, uid: str, scope: str, gid: str | None, expand: bool) -> dict[str, Any]:
        u = self._users[uid]
        meta = self._app_users.get(uid) or {"created": u["created"], "lastUpdated": u["lastUpdated"]}
        profile = u["profile"]
        status = self.app_user_status
        links: dict[str, Any] = {
            "app": {"href": self._href(f"/api/v1/apps/{self.app_id}")},
            "user": {"href": self._href(f"/api/v1/users/{uid}")},
        }
        if scope == "GROUP" and gid is not None:
            links["group"] = {"name": self._groups[gid]["profile"]["name"], "href": self._href(f"/api/v1/groups/{gid}")}
        body: dict[str, Any] = {
            "id": uid,
            "externalId": None,
            "created": iso_ms(meta["created"]),
            "lastUpdated": iso_ms(max(meta["lastUpdated"], u["lastUpdated"])),
            "scope": scope,
            "status": status,
            "statusChanged": iso_ms(meta["created"]),
            "passwordChanged": None,
            "syncState": "DISABLED" if status == "ACTIVE" else "SYNCHRONIZED",
            "lastSync": None,
            "credentials": {"userName": self._username(uid)},
            # The app-user profile is app-schema driven (okta-api.md §2a, spec AppUserProfile: additionalProperties);
            # its attributes come from the Okta profile through the app's mappings (app_user_profile_attributes).
            "profile": {
                app_attr: profile.get(okta_attr) for app_attr, okta_attr in self.app_user_profile_attributes.items()
            },
            "_links": links,
        }
        if uid in self._blank_app_users:
            body["credentials"], body["profile"] = None, {}
        if expand:
            body["_embedded"] = {"user": self._user_json(uid)}
        return body

    def _assignment_json(self, gid: str) -> dict[str, Any]:
        a = self._group_assign[gid]
        return {
            "id": gid,
            "lastUpdated": iso_ms(a["lastUpdated"]),
            "priority": a["priority"],
            "profile": {},
            "_links": {
                "app": {"href": self._href(f"/api/v1/apps/{self.app_id}")},
                "self": {"href": self._href(f"/api/v1/apps/{self.app_id}/groups/{gid}")},
                "group": {"href": self._href(f"/api/v1/groups/{gid}")},
            },
        }
