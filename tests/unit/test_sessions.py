"""The transport's session: a pool for every thread, the environment read once for the origin."""

from __future__ import annotations

import pytest
from okta_zoom_sync.adapters.http.sessions import POOL_SIZE, new_session


def test_the_pool_holds_a_connection_for_every_applier_thread() -> None:
    from okta_zoom_sync.adapters.zoom.limits import MAX_WORKERS

    session = new_session("https://api.zoom.us/v2")
    adapter = session.get_adapter("https://api.zoom.us/v2/users")
    assert adapter._pool_maxsize == POOL_SIZE >= MAX_WORKERS  # type: ignore[attr-defined]
    assert session.trust_env is False  # nothing re-read per request


def test_proxies_and_no_proxy_are_read_once_for_the_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an egress proxy, and no_proxy naming the Okta org
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "acme.okta.com")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp.pem")
    # Then Zoom's session goes through the proxy, Okta's does not, and both verify with the bundle
    zoom, okta = new_session("https://api.zoom.us/v2"), new_session("https://acme.okta.com")
    assert zoom.proxies.get("https") == "http://proxy.internal:3128"
    assert "https" not in okta.proxies
    assert zoom.verify == okta.verify == "/etc/ssl/corp.pem"
    # and a later change of the environment does not reach a session already made
    monkeypatch.setenv("HTTPS_PROXY", "http://other:1")
    assert zoom.proxies.get("https") == "http://proxy.internal:3128"
