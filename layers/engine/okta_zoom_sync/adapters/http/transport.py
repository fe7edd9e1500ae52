"""One HTTP transport for both APIs: `ApiTransport` sends a request and retries it until a 2xx answer.

`ApiTransport.request` owns everything between "send this request" and "here is a 2xx response":
credentials (through an `AuthProvider`, which owns minting and re-minting tokens and answers
authentication challenges), waiting on 429s, backing off on 5xx and dropped connections, re-minting
once on a 401, pausing before a rate-limit bucket runs dry, and turning every other answer into the
typed error the vendor's `ApiDialect` chose. A caller gets a 2xx response or an `ApiError` subclass
that already says what the answer means (retry later, credential refused, not found...); the status
stays on the error (`status`) for messages and the few cases a caller tells apart by it (Okta refusing
a saved System Log cursor with a 400 or 404; the connection check's advice on a 404).

Nothing here knows a vendor: what differs (error bodies, request-id, retry and rate-limit headers) comes
in the dialect, and the rate-limit bucket of a request from `bucket_of`.

Nothing here logs or puts into an exception message a token, a secret, an Authorization header or a
client assertion: error bodies are scrubbed of every credential the request carried before they are
read, and connection failures are described by their exception type only.
"""

from __future__ import annotations

import json as _json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from okta_zoom_sync import __version__
from okta_zoom_sync.adapters.http.dialect import ApiDialect, ErrorParser
from okta_zoom_sync.adapters.http.limiter import Gate, RateLimiter
from okta_zoom_sync.adapters.http.oauth import AuthProvider
from okta_zoom_sync.adapters.http.redaction import credentials_of, redact
from okta_zoom_sync.adapters.http.retry import RetryPolicy, header_numbers, retry_after, until_reset
from okta_zoom_sync.adapters.http.sessions import new_session
from okta_zoom_sync.adapters.http.stats import RequestStats
from okta_zoom_sync.core.urls import check_base_url
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    ConfigurationError,
    PermanentError,
    RateLimitedError,
    RetryableError,
)
from okta_zoom_sync.observability import logger

USER_AGENT = f"okta-zoom-sync/{__version__}"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# Failures of the connection itself: the request may or may not have reached the server.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
# Answers to a request whose credential the server asks to be presented differently (RFC 6750, RFC 9449 §9).
CHALLENGE_STATUSES = frozenset({400, 401})


def require_https(url: str, setting_name: str) -> str:
    """The URL without its trailing slash, if it is https (or http to a loopback host: the simulators) and
    carries no credentials; else ConfigurationError naming the setting. The rule is `core.urls`'."""
    try:
        return check_base_url(setting_name, url.strip())
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


class ApiTransport:
    """Sends requests to one API base URL and returns only 2xx responses (else raises a typed error).

    `error_parser` is the vendor's `ApiDialect` (a bare parser function is taken as a dialect with no
    vendor headers). `on_response` observers see every answer before it is read (an auth provider
    reads a nonce the server hands out)."""

    def __init__(
        self,
        api: str,
        base_url: str,
        *,
        setting_name: str,
        error_parser: ApiDialect | ErrorParser,
        auth: AuthProvider | None = None,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        stats: RequestStats | None = None,
        bucket_of: Callable[[str, str], str] | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.api = api
        self.display = api[:1].upper() + api[1:]  # "okta" -> "Okta", in messages
        self.dialect = error_parser if isinstance(error_parser, ApiDialect) else ApiDialect(error_parser)
        self.bucket_of = bucket_of  # (method, path) -> the API's rate-limit bucket, for the request stats
        self.base_url = require_https(base_url, setting_name)
        base = urlsplit(self.base_url)
        self._origin = (base.scheme, base.netloc.lower())
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.session = session or new_session(self.base_url)
        self.stats = stats or RequestStats(api)
        self.on_response: list[Callable[[requests.Response], None]] = []
        # Client-side rate limits shared by every thread (and every transport given the same limiter); without
        # one, the dialect's remaining/reset headers pause this transport before a bucket runs dry.
        self.limiter = limiter
        self._base_path = base.path.rstrip("/")
        self._throttle_until: float | None = None  # a retry.clock() value
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        redact: Iterable[str] = (),
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> requests.Response:
        """Send the request, retrying per the policy; a 2xx response or a typed `ApiError`.

        `path_or_url` is a path under the base URL or an absolute URL on the same origin (a `next`
        link). `files`: multipart/form-data parts, field -> (file name, content, content type). `redact` lists
        extra secrets (a client secret, a client assertion) to scrub from
        anything that could reach a message.
        """
        method = method.upper()
        url = self._url(path_or_url)
        path = urlsplit(url).path
        policy = self.retry
        dialect = self.dialect
        renewed = False
        challenged = False
        attempt = 0
        extra_headers: dict[str, str] = {}
        bucket = self._bucket(method, path)
        while True:
            attempt += 1
            if bucket is not None:
                self._acquire(bucket)
            else:
                self._wait_for_throttle()
            auth_headers = dict(self.auth.auth_headers(method, url)) if self.auth else {}
            sent_headers = {
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                **(headers or {}),
                **extra_headers,
                **auth_headers,
            }
            secrets = credentials_of(sent_headers, redact)
            started = policy.clock()
            self.stats.count(method, self.bucket_of(method, path) if self.bucket_of else None)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    files=files,
                    headers=sent_headers,
                    timeout=(CONNECT_TIMEOUT, self._read_timeout()),
                    allow_redirects=False,
                )
            except CONNECTION_ERRORS as exc:
                dropped = RetryableError(
                    f"{self.display} API {method} {path} failed: {type(exc).__name__}",
                    api=self.api,
                    code="connection",
                )
                self._log(method, path, attempt, started, status=None, note=type(exc).__name__)
                self._retry_or_raise(dropped, attempt, policy.backoff(attempt), exc)
                continue

            status = response.status_code
            if self.limiter is not None:
                self.limiter.observe(method, self._relative(path), response)
            else:
                self._note_rate_headers(response)
            for observe in self.on_response:
                observe(response)
            request_id = response.headers.get(dialect.request_id_header) if dialect.request_id_header else None
            if 200 <= status < 300:
                self._log(method, path, attempt, started, status=status, request_id=request_id)
                return response

            wait = retry_after(response, policy, dialect.rate_limit)
            error = dialect(status, _decode(response, secrets), wait)
            self._log(method, path, attempt, started, status=status, request_id=request_id, note=error.code)
            if request_id and dialect.retry_headers is not None:
                # e.g. Okta's SDK marks retries so Okta can correlate them with the first attempt.
                extra_headers = dict(dialect.retry_headers(request_id, attempt))

            if (
                status in CHALLENGE_STATUSES
                and self.auth is not None
                and not challenged
                and response.headers.get("WWW-Authenticate")
                and self.auth.answer_challenge(response)
            ):
                challenged = True  # the same request once more, its credential answering the challenge
                attempt -= 1
                continue

            if status == 401 and isinstance(error, AuthError):
                if self.auth is None:
                    raise error  # the token endpoint itself: its parser wrote the message
                if renewed or not self.auth.renewable:
                    raise AuthError(
                        f"{self.display} rejected the credential: {error}",
                        api=self.api,
                        code=error.code,
                        status=status,
                    )
                renewed = True
                self.auth.invalidate()
                self.stats.add("token_renewals")
                attempt -= 1  # a re-mint is not a retry of the policy's budget
                continue

            if status == 429:
                self.stats.add("rate_limited")
                if wait is None:
                    wait = error.retry_after  # the parser read the wait from the body (Zoom's daily limit)
                delay = wait if wait is not None else max(1.0, policy.backoff(attempt))
                if bucket is not None and delay <= policy.max_wait:
                    bucket.penalise(delay)  # every thread using this bucket waits, not just this one
                self._retry_or_raise(error, attempt, delay)
                continue
            if status in RETRY_STATUSES:
                delay = wait if wait is not None else policy.backoff(attempt)
                self._retry_or_raise(error, attempt, min(delay, max(policy.max_delay, 0.0)))
                continue
            raise error

    def request_json(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        """`request`, then the decoded JSON body (None for an empty body, e.g. 204)."""
        return self.json_of(self.request(method, path_or_url, **kwargs))

    def json_of(self, response: requests.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            path = urlsplit(response.url or "").path
            raise PermanentError(
                f"{self.display} API returned a body that is not JSON for {path}",
                api=self.api,
                code="bad_response",
                status=response.status_code,
            ) from exc

    # -- internals ------------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if "://" not in path_or_url:
            return self.base_url + ("" if path_or_url.startswith("/") else "/") + path_or_url
        parts = urlsplit(path_or_url)
        if (parts.scheme, parts.netloc.lower()) != self._origin:
            # Never send the credential to a host the operator did not configure.
            raise PermanentError(
                f"{self.display} API returned a link to another origin ({parts.scheme}://{parts.hostname}); "
                "refusing to follow it",
                api=self.api,
                code="foreign_link",
            )
        return path_or_url

    def _relative(self, path: str) -> str:
        """The path under the base URL's own path (`/users` for `/v2/users`), as an API's limiter names it."""
        if self._base_path and path.startswith(self._base_path + "/"):
            return path[len(self._base_path) :]
        return path

    def _bucket(self, method: str, path: str) -> Gate | None:
        return None if self.limiter is None else self.limiter.bucket(method, self._relative(path))

    def _acquire(self, bucket: Gate) -> None:
        """Take a token of the request's bucket; a wait is never longer than the run's time left."""
        slept = bucket.acquire(self.retry.remaining())
        if slept > 0:
            self.stats.add("throttled")
            self.stats.add("slept_seconds", slept)

    def _read_timeout(self) -> float:
        remaining = self.retry.remaining()
        if remaining is None:
            return READ_TIMEOUT
        return max(1.0, min(READ_TIMEOUT, remaining))

    def _retry_or_raise(self, error: ApiError, attempt: int, delay: float, cause: Exception | None = None) -> None:
        """Sleep `delay` and return if the policy allows another attempt; otherwise raise `error`."""
        policy = self.retry
        if error.retry_after is None and isinstance(error, RateLimitedError | RetryableError):
            error.retry_after = delay
        give_up = attempt >= policy.max_attempts or delay > policy.max_wait
        remaining = policy.remaining()
        if remaining is not None and delay >= remaining:
            give_up = True
        if give_up:
            if cause is not None:
                raise error from cause
            raise error
        self.stats.add("retries")
        self._sleep(delay)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stats.add("slept_seconds", seconds)
            self.retry.sleep(seconds)

    def _note_rate_headers(self, response: requests.Response) -> None:
        """Remember when to pause if the dialect's rate-limit headers say the bucket is (nearly) empty."""
        rate_limit = self.dialect.rate_limit
        if rate_limit is None:
            return
        remaining = header_numbers(response, rate_limit.remaining)
        if not remaining or min(remaining) > self.retry.throttle_remaining or response.status_code == 429:
            return
        wait = until_reset(response, rate_limit.reset, self.retry)
        if wait is not None:
            with self._lock:
                self._throttle_until = self.retry.clock() + wait

    def _wait_for_throttle(self) -> None:
        with self._lock:
            until, self._throttle_until = self._throttle_until, None
        if until is None:
            return
        policy = self.retry
        wait = until - policy.clock()
        if wait <= 0 or wait > policy.max_wait:
            return
        remaining = policy.remaining()
        if remaining is not None and wait >= remaining:
            return  # no time to wait: go ahead; a 429 then ends the run cleanly
        self.stats.add("throttled")
        self._sleep(wait)

    def _log(
        self,
        method: str,
        path: str,
        attempt: int,
        started: float,
        *,
        status: int | None,
        request_id: str | None = None,
        note: str | None = None,
    ) -> None:
        logger.debug(
            "api_call",
            extra={
                "api": self.api,
                "method": method,
                "path": path,
                "status": status,
                "attempt": attempt,
                "ms": round((self.retry.clock() - started) * 1000, 1),
                "request_id": request_id,
                "error": note,
            },
        )


_AUTH_PARAM = re.compile(r'\b(error|error_description)\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)


def challenge_params(response: requests.Response) -> dict[str, str]:
    """`error` and `error_description` of the WWW-Authenticate challenge (Bearer or DPoP), if any."""
    params: dict[str, str] = {}
    for name, value in _AUTH_PARAM.findall(response.headers.get("WWW-Authenticate") or ""):
        params.setdefault(name.lower(), value.replace('\\"', '"'))
    return params


def _decode(response: requests.Response, secrets: list[str]) -> Any:
    """The error body, scrubbed of the request's credentials, as JSON if it parses, else text. An empty body
    (e.g. Okta's DPoP proof errors) is described by the WWW-Authenticate challenge's error, if there is one."""
    try:
        text = response.content.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        text = response.content.decode("utf-8", errors="replace")
    if not text.strip():
        params = challenge_params(response)
        if params.get("error"):
            text = params["error"] + (f" ({params['error_description']})" if params.get("error_description") else "")
    text = redact(text, secrets)
    try:
        return _json.loads(text)
    except ValueError:
        return text
