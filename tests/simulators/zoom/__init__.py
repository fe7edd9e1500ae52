"""A local Zoom REST API simulator (Server-to-Server OAuth + the /v2 user, group and role endpoints a provisioner
uses), faithful to the wire protocol described in /work/shared/reference/zoom-api.md.

- ``POST /oauth/token`` (HTTP Basic client id/secret, ``grant_type=account_credentials&account_id=...`` in a form
  body or the query string) mints bearer tokens carrying ``granted_scopes`` (granular scopes; the classic
  ``user:read:admin``/``user:write:admin``-style scopes are accepted too): ``auth.py``, ``simulator.py``.
- ``/v2`` errors are ``{"code": int, "message": str}`` (validation errors: code 300 plus ``errors``); every answer
  carries ``X-RateLimit-Category`` (Light/Medium per endpoint), ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``
  (per-second buckets shared by every endpoint of a category, like Zoom's per-label quotas); a 429 carries
  ``Retry-After`` as an absolute ISO-8601 UTC time and ``X-RateLimit-Type: QPS``; per-plan label rates are enforced
  on request (``enforce_label_rates(PLAN_RATES["pro"])``): ``faults.py``.
- Pagination: opaque ``next_page_token`` (server-side, valid 15 minutes of the simulator clock, ``""`` at the end;
  an unknown/expired one gives 400 code 300). ``page_size`` above the maximum is clamped: ``paging.py``.

Choices where the real API is ambiguous are documented in the modules that make them: ``routes_users.py`` (PATCH,
status, email and delete rules, licensed and basic seats, pending users, invitations, expired invitations,
``omit_role_id``, ``hide_from_list``), ``profile.py`` (PATCH profile fields), ``assets.py`` (delete with transfer),
``routes_picture.py`` (picture upload), ``routes_groups.py``, ``routes_roles.py``, ``world.py`` (``rename_role``,
``rename_group``, ``define_custom_attribute``), ``auth.py`` (expired tokens).

Modules, one job each (the simulator class is composed of one mixin per module):

- ``simulator.py``: :class:`ZoomSimulator`, its constructor, route table and request dispatch;
- ``world.py``: users, groups and roles, and the control API that changes and reads them;
- ``views.py``: the JSON of users, groups and roles;
- ``auth.py``: the OAuth token endpoint and bearer tokens;
- ``faults.py``: rate-limit categories and headers, fault and 429 answers;
- ``paging.py``: bodies, lookups, ``members`` arguments and page tokens shared by the route handlers;
- ``routes_users.py``, ``routes_picture.py``, ``routes_groups.py``, ``routes_roles.py``: the HTTP handlers;
- ``profile.py``: validation of PATCH profile fields; ``assets.py``: meetings/webinars/recordings and transfers;
- ``formats.py``: timestamps, ids, error bodies, email validation.
"""

from .auth import DEFAULT_ZOOM_SCOPES
from .faults import PLAN_RATES
from .formats import iso_s, zoom_error, zoom_id
from .simulator import ZoomSimulator
from .world import BUILTIN_ROLES

__all__ = ["BUILTIN_ROLES", "DEFAULT_ZOOM_SCOPES", "PLAN_RATES", "ZoomSimulator", "iso_s", "zoom_error", "zoom_id"]
