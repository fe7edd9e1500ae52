"""A local Okta Management API simulator (the subset a Zoom assignment sync reads), faithful to the wire protocol.

HTTP side (see /work/shared/reference/okta-api.md):

- auth: ``Authorization: SSWS <api_token>`` (every scope) or ``Authorization: Bearer <token>`` minted by
  ``POST /oauth2/v1/token`` (client credentials + ``private_key_jwt``), or DPoP-bound tokens: ``auth.py``,
  ``dpop.py``.
- ``GET /api/v1/apps/{appId}``, ``/apps/{appId}/users[/{userId}]``, ``/apps/{appId}/groups[/{groupId}]``,
  ``/api/v1/groups``, ``/groups/{groupId}``, ``/groups/{groupId}/users``, ``/api/v1/users``, ``/users/{idOrLogin}``,
  ``/users/{id}/groups``, ``/api/v1/logs``: ``routes_apps.py``, ``routes_groups.py``, ``routes_users.py``,
  ``routes_logs.py``.
- every answer carries ``X-Rate-Limit-Limit``/``-Remaining``/``-Reset`` (epoch seconds) and ``X-Okta-Request-Id``;
  errors are ``{errorCode, errorSummary, errorLink, errorId, errorCauses}``; the token endpoint answers errors in the
  OAuth shape ``{error, error_description}``. Rate limits, including the org-wide per-credential mode, and
  ``disable_feature``: ``faults.py``.
- pagination: ``Link: <...>; rel="self"`` and ``Link: <...>; rel="next"`` as separate header lines, absolute URLs,
  opaque base64 ``after`` cursors; a malformed cursor gives 400 ``E0000054``. A ``limit`` above an endpoint's maximum
  is clamped to it (``/apps/{id}/groups``: below its minimum 20 is raised to 20): ``paging.py``.

Modules, one job each (the simulator class is composed of one mixin per module):

- ``simulator.py``: :class:`OktaSimulator`, its constructor, route table and request dispatch;
- ``world.py``: users and groups, and the control API that changes them (``delete_group`` semantics);
- ``assignments.py``: the app instance, direct and group assignments, the effective app users;
- ``log.py``: the System Log store (events, targets, delayed visibility, retention, ``without_events``);
- ``views.py``: the JSON of users, groups, the app, app users and group assignments;
- ``auth.py``: SSWS, the OAuth token endpoint, scopes; ``dpop.py``: DPoP;
- ``faults.py``: rate-limit buckets and headers, fault and 429 answers, disabled features;
- ``paging.py``: parameters, cursors, ``Link`` headers, filters, 404s shared by the route handlers;
- ``routes_apps.py``, ``routes_groups.py``, ``routes_users.py``, ``routes_logs.py``: the HTTP handlers;
- ``formats.py``: timestamps, ids, cursors and error bodies.
"""

from .auth import DEFAULT_OKTA_SCOPES
from .formats import derived_id, iso_ms, oauth_error, okta_error, parse_time
from .simulator import OktaSimulator
from .world import USER_STATUSES

__all__ = [
    "DEFAULT_OKTA_SCOPES",
    "USER_STATUSES",
    "OktaSimulator",
    "derived_id",
    "iso_ms",
    "oauth_error",
    "okta_error",
    "parse_time",
]
