"""Link header parsing (RFC 8288): the `rel="next"` page of a collection, whatever the header's layout."""

from __future__ import annotations

import re

import requests

_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.IGNORECASE)


def next_link(response: requests.Response) -> str | None:
    """The `rel="next"` target of the Link header(s), whether sent as separate lines or comma-joined."""
    value = response.headers.get("Link")
    if not value:
        return None
    for match in _LINK.finditer(value):
        rel = _REL.search(match.group(2) or "")
        if rel and "next" in (rel.group(1) or rel.group(2) or "").lower().split():
            return match.group(1).strip()
    return None
