"""The simulators' benchmark knobs (tests/bench.py): a per-request latency that concurrent clients wait out in
parallel, Zoom's per-plan label rates, and Okta's per-bucket limits. All off by default (test_simulators.py)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.simulators import OktaSimulator, ZoomSimulator
from tests.simulators.zoom import PLAN_RATES

APP = "0oaknobs1"
SSWS = {"Authorization": "SSWS ssws-test-token"}


@pytest.fixture
def okta() -> Iterator[OktaSimulator]:
    with OktaSimulator(app_id=APP) as sim:
        yield sim


@pytest.fixture
def zoom() -> Iterator[ZoomSimulator]:
    with ZoomSimulator(owner_email="owner@acme.example") as sim:
        yield sim


def zoom_session(sim: ZoomSimulator) -> requests.Session:
    answer = requests.post(
        f"{sim.url}/oauth/token",
        auth=(sim.client_id, sim.client_secret),
        data={"grant_type": "account_credentials", "account_id": sim.account_id},
        timeout=5,
    )
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return session


def test_latency_is_waited_out_by_concurrent_clients_in_parallel(okta: OktaSimulator) -> None:
    # Given a latency long enough for four requests sent at once to overlap
    okta.latency_s = 0.3
    okta.clear_log()

    # When four clients ask at the same time
    def get(_: int) -> int:
        return requests.get(f"{okta.url}/api/v1/apps/{APP}/users", headers=SSWS, timeout=5).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(get, range(4)))

    # Then every one is answered, and they were served at the same time (the server is threaded)
    assert statuses == [200] * 4
    assert okta.max_in_flight == 4


def test_max_in_flight_is_one_for_a_sequential_client_and_clear_log_resets_it(zoom: ZoomSimulator) -> None:
    session = zoom_session(zoom)
    zoom.clear_log()
    for _ in range(3):
        assert session.get(f"{zoom.url}/v2/users").status_code == 200
    assert zoom.max_in_flight == 1
    zoom.clear_log()
    assert zoom.max_in_flight == 0


def test_zoom_label_rates_are_enforced_per_label_when_asked(zoom: ZoomSimulator) -> None:
    # Given Light limited to 2 a second (Medium at Free's 2 a second too)
    owner = zoom.owner_id
    session = zoom_session(zoom)
    zoom.enforce_label_rates({"Light": 2, "Medium": PLAN_RATES["free"]["Medium"]})

    # When three Light requests come within the second
    statuses = [session.get(f"{zoom.url}/v2/users/{owner}").status_code for _ in range(3)]

    # Then the third is refused like Zoom does, and the Medium label has its own quota
    assert statuses == [200, 200, 429]
    refused = session.get(f"{zoom.url}/v2/users/{owner}")
    assert refused.headers["X-RateLimit-Category"] == "Light"
    assert refused.headers["X-RateLimit-Type"] == "QPS"
    assert refused.headers["Retry-After"].endswith("Z")
    assert session.get(f"{zoom.url}/v2/users").status_code == 200
    assert zoom.category_counts() == {"oauth": 1, "Light": 4, "Medium": 1}

    # And turning it off lets everything through again
    zoom.enforce_label_rates(None)
    assert session.get(f"{zoom.url}/v2/users/{owner}").status_code == 200


def test_okta_bucket_limits_can_be_replaced(okta: OktaSimulator) -> None:
    # Given an apps* bucket of 4 a minute for the org, half of it for this token
    okta.enforce_org_rate_limits(share=0.5, window_seconds=60.0, limits={"apps": 4})

    # When three app-user pages are asked for
    answers = [requests.get(f"{okta.url}/api/v1/apps/{APP}/users", headers=SSWS, timeout=5) for _ in range(3)]

    # Then the token's share (2) is all it gets
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["X-Rate-Limit-Limit"] == "2"
    assert answers[2].json()["errorCode"] == "E0000047"
    with pytest.raises(ValueError, match="unknown rate-limit buckets"):
        okta.enforce_org_rate_limits(limits={"nope": 1})
