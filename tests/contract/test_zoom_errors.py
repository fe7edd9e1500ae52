"""Recorded Zoom error bodies: classified by zoom_error / zoom_token_error, and handled by the real ZoomClient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.zoom.auth import zoom_token_error
from okta_zoom_sync.adapters.zoom.errors import zoom_error
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    RateLimitedError,
)

from tests.contract.conftest import ZOOM_SECRET, ReplayServer, load, zoom_client


@pytest.mark.parametrize(
    ("recording", "kind", "code"),
    [
        ("zoom/error_1001_user_not_exist.baton-zoom.json", NotFoundError, "1001"),
        ("zoom/error_2300_route_not_found.baton-zoom.json", NotFoundError, "2300"),
        ("zoom/error_1005_user_already_in_account.baton-zoom.json", ConflictError, "1005"),
        ("zoom/error_1010_user_not_found_on_account.moodle-issue-64.json", PermanentError, "1010"),
        ("zoom/error_1000_pending_user.moodle-issue-131.json", PermanentError, "1000"),
        ("zoom/error_1120_invitation_not_found.zoom-spec.json", PermanentError, "1120"),
        ("zoom/error_4711_missing_scope.zoom-laravel-issue-15.json", PermissionDeniedError, "4711"),
        ("zoom/error_4700_roles_scope.zoom-spec.json", PermissionDeniedError, "4700"),
        ("zoom/error_124_invalid_token.devforum-95559.json", AuthError, "124"),
        ("zoom/error_429_daily_limit.devforum-18928.json", RateLimitedError, "429"),
        ("zoom/error_300_invalid_json.zoom-docs.json", PermanentError, "300"),
    ],
)
def test_error_bodies_are_classified(recording: str, kind: type[ApiError], code: str) -> None:
    answer = load(recording)

    error = zoom_error(answer.status, answer.json(), None)

    assert type(error) is kind
    assert (error.code, error.status, error.api) == (code, answer.status, "zoom")
    assert error.retryable is (kind is RateLimitedError)
    assert answer.json()["message"] in str(error)


def test_validation_errors_name_the_fields() -> None:
    answer = load("zoom/error_300_validation_failed.zoom-docs.json")

    error = zoom_error(answer.status, answer.json(), None)

    assert type(error) is PermanentError
    assert "user_info.email" in str(error) and "user_info.type" in str(error)


@pytest.mark.parametrize(
    ("recording", "code"),
    [
        ("zoom/token_error_invalid_client.psoxy.json", "invalid_client"),
        ("zoom/token_error_invalid_request.psoxy.json", "invalid_request"),
    ],
)
def test_token_error_bodies_are_auth_errors(recording: str, code: str) -> None:
    answer = load(recording)

    error = zoom_token_error(answer.status, answer.json(), None)

    assert type(error) is AuthError and error.code == code


def test_an_invalid_access_token_is_reminted_once(replay: ReplayServer) -> None:
    # Given Zoom's 401 code 124 on the first call, and the user on the second
    zoom = zoom_client(replay)
    replay.add(
        "GET",
        "/v2/users/me",
        load("zoom/error_124_invalid_token.devforum-95559.json"),
        load("zoom/user_me.django-allauth.json"),
    )

    user = zoom.get_user("me")

    assert user is not None and user.zoom_id == "KdYKjnimT4KPd8FFgQt9FQ"
    assert len(replay.requests_to("/oauth/token", "POST")) == 2
    assert zoom.stats.token_renewals == 1


def test_an_invalid_access_token_twice_is_an_auth_error(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("GET", "/v2/users/me", load("zoom/error_124_invalid_token.devforum-95559.json"))

    with pytest.raises(AuthError) as caught:
        zoom.get_user("me")

    assert caught.value.code == "124" and ZOOM_SECRET not in str(caught.value)
    assert len(replay.requests_to("/v2/users/me")) == 2


def test_a_token_without_the_list_users_scope_fails_the_listing(replay: ReplayServer) -> None:
    # GET /users?page_size=300&status=active answered 400 code 4711 (JubaerHossain/zoom-laravel#15)
    zoom = zoom_client(replay)
    replay.add("GET", "/v2/users", load("zoom/error_4711_missing_scope.zoom-laravel-issue-15.json"))

    with pytest.raises(PermissionDeniedError) as caught:
        zoom.list_users()

    assert caught.value.code == "4711" and "user:read:list_users:admin" in str(caught.value)


def test_a_daily_limit_is_rate_limited_and_retryable(replay: ReplayServer) -> None:
    zoom = zoom_client(replay)
    replay.add("GET", "/v2/users", load("zoom/error_429_daily_limit.devforum-18928.json"))

    with pytest.raises(RateLimitedError) as caught:
        zoom.list_users()

    assert caught.value.retryable and caught.value.status == 429


def test_a_daily_limit_is_not_retried_within_seconds(replay: ReplayServer) -> None:
    slept: list[float] = []
    policy = RetryPolicy(max_attempts=3, random=lambda: 0.0, sleep=slept.append)
    zoom = zoom_client(replay, retry=policy)
    replay.add("GET", "/v2/users", load("zoom/error_429_daily_limit.devforum-18928.json"))
    now = datetime.now(UTC)
    to_midnight = (datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1) - now).total_seconds()

    with pytest.raises(RateLimitedError) as caught:
        zoom.list_users()

    assert len(replay.requests_to("/v2/users")) == 1 and slept == []
    assert caught.value.retry_after is not None and caught.value.retry_after >= to_midnight - 5
