"""One HTTP transport for both APIs, with one retry policy, in one place.

`ApiTransport.request` owns everything between "send this request" and "here is a 2xx response":
credentials (through an `AuthProvider`, which owns minting and re-minting tokens), waiting on 429s,
backing off on 5xx and dropped connections, re-minting once on a 401, throttling before Okta's bucket
runs dry, and turning every other answer into the typed error `errors.classify_okta` /
`errors.classify_zoom` chose. Callers never see a raw status code.

Nothing here logs or puts into an exception message a token, a secret, an Authorization header or a
client assertion: error bodies are scrubbed of every credential the request carried before they are
read, and connection failures are described by their exception type only.
"""

from __future__ import annotations

import ipaddress
import json as _json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from okta_zoom_sync import __version__
from okta_zoom_sync.errors import (
    ApiError,
    AuthError,
    ConfigurationError,
    PermanentError,
    RateLimitedError,
    RetryableError,
    classify_okta,
    classify_zoom,
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
API_NAMES = {"okta": "Okta", "zoom": "Zoom"}

# (status, decoded JSON body or the raw text, retry_after) -> the typed error.
ErrorParser = Callable[[int, Any, float | None], ApiError]


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to try one request. Immutable; `within()` gives a copy with a deadline.

    `deadline` is a `clock()` value (monotonic seconds) after which no retry starts: the run's time
    budget. `max_wait` is the longest server-requested wait (429 reset, Retry-After) worth sleeping
    through; a longer one (Zoom's daily limit) raises `RateLimitedError` at once with `retry_after` set.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    deadline: float | None = None
    max_wait: float = 120.0
    # Added to waits until Okta's X-Rate-Limit-Reset: Date and Reset are whole seconds (Okta's SDK adds 1 s).
    reset_margin: float = 1.0
    # Okta: sleep until X-Rate-Limit-Reset once X-Rate-Limit-Remaining drops to this value.
    throttle_remaining: int = 1
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic  # for the deadline and sleeps
    wall_clock: Callable[[], float] = time.time  # epoch seconds, when a response has no Date header
    random: Callable[[], float] = random.random  # jitter source in [0, 1)

    def within(self, seconds: float) -> RetryPolicy:
        """A copy whose deadline is `seconds` from now."""
        return replace(self, deadline=self.clock() + seconds)

    def backoff(self, retry: int) -> float:
        """Capped exponential backoff with full jitter; `retry` counts from 1."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return float(self.random()) * cap

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()


@dataclass
class RequestStats:
    """Request counts for one API (all its transports share one): metrics and the bench read it."""

    api: str
    total: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    # Okta's rate limits are per endpoint family ("bucket"), org-wide per minute (fact sheet §5b).
    by_bucket: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0  # 429 answers
    token_renewals: int = 0  # 401 -> invalidate -> retry
    throttled: int = 0  # proactive sleeps before Okta's bucket ran dry
    slept_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, method: str, bucket: str | None = None) -> None:
        with self._lock:
            self.total += 1
            self.by_method[method] += 1
            if bucket is not None:
                self.by_bucket[bucket] += 1

    def add(self, name: str, value: float = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "api": self.api,
                "total": self.total,
                "by_method": dict(sorted(self.by_method.items())),
                **({"by_bucket": dict(sorted(self.by_bucket.items()))} if self.by_bucket else {}),
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "token_renewals": self.token_renewals,
                "throttled": self.throttled,
                "slept_seconds": round(self.slept_seconds, 3),
            }


class AuthProvider(Protocol):
    """Supplies the credential headers of each request and owns the token's cache."""

    @property
    def renewable(self) -> bool:
        """Whether `invalidate()` can lead to a different credential (OAuth yes, a static token no)."""
        ...

    def auth_headers(self, method: str, url: str) -> Mapping[str, str]:
        """Headers carrying the credential for a `method` request to `url` (a DPoP proof is bound to both);
        may mint a token (and raise AuthError) on first use."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token; the next `auth_headers()` mints a new one."""
        ...

    def accept_dpop_nonce(self, nonce: str) -> bool:
        """The API answered `WWW-Authenticate: DPoP error="use_dpop_nonce"` with this `DPoP-Nonce`: True if
        the provider will put it in its next proofs, so that the request is worth sending once more."""
        ...


def require_https(url: str, setting_name: str) -> str:
    """The URL without its trailing slash, if it is https (or http to a loopback host: the simulators)."""
    parts = urlsplit(url.strip())
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise ConfigurationError(f"{setting_name} must be an https URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(f"{setting_name} must use https")
    if parts.username or parts.password:
        raise ConfigurationError(f"{setting_name} must not carry credentials")
    return url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# Error parsers: read the body, hand (status, code, message) to errors.py.


def okta_error(status: int, body: Any, retry_after: float | None) -> ApiError:
    """Okta management API errors: `{"errorCode","errorSummary","errorCauses"}`."""
    code: str | None = None
    summary = ""
    if isinstance(body, Mapping):
        code = _str_or_none(body.get("errorCode"))
        summary = str(body.get("errorSummary") or "")
        causes = [c.get("errorSummary") for c in body.get("errorCauses") or [] if isinstance(c, Mapping)]
        if causes:
            summary += " (" + "; ".join(str(c) for c in causes if c) + ")"
    elif isinstance(body, str):
        summary = _short(body)
    return classify_okta(status, code, summary or _reason(status), retry_after)


def zoom_error(status: int, body: Any, retry_after: float | None) -> ApiError:
    """Zoom API errors: `{"code","message","errors":[{"field","message"}]}`."""
    code: int | None = None
    message = ""
    if isinstance(body, Mapping):
        raw_code = body.get("code")
        if isinstance(raw_code, int) or (isinstance(raw_code, str) and raw_code.isdigit()):
            code = int(raw_code)
        message = str(body.get("message") or "")
        fields = [f"{e.get('field')}: {e.get('message')}" for e in body.get("errors") or [] if isinstance(e, Mapping)]
        if fields:
            message += " (" + "; ".join(fields) + ")"
    elif isinstance(body, str):
        message = _short(body)
    return classify_zoom(status, code, message or _reason(status), retry_after)


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


# ---------------------------------------------------------------------------------------------
# Time headers.


def parse_http_time(value: str) -> float | None:
    """Epoch seconds of an HTTP-date or an ISO-8601 time; None if it is neither."""
    value = value.strip()
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_retry_after(value: str, now: float) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds, an HTTP-date or an ISO-8601 time."""
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        at = parse_http_time(value)
        return None if at is None else max(0.0, at - now)
    return max(0.0, seconds) if seconds == seconds else None  # NaN guard


def _header_numbers(response: requests.Response, name: str) -> list[float]:
    """All numbers in a header that may repeat (requests folds repeats into one comma-joined value)."""
    raw = response.headers.get(name)
    out: list[float] = []
    for part in (raw or "").split(","):
        try:
            out.append(float(part.strip()))
        except ValueError:
            continue
    return out


# ---------------------------------------------------------------------------------------------


class ApiTransport:
    """Sends requests to one API base URL and returns only 2xx responses (else raises a typed error)."""

    def __init__(
        self,
        api: str,
        base_url: str,
        *,
        setting_name: str,
        error_parser: ErrorParser,
        auth: AuthProvider | None = None,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        stats: RequestStats | None = None,
        bucket_of: Callable[[str, str], str] | None = None,
    ) -> None:
        self.api = api
        self.bucket_of = bucket_of  # (method, path) -> the API's rate-limit bucket, for the request stats
        self.display = API_NAMES.get(api, api)
        self.base_url = require_https(base_url, setting_name)
        base = urlsplit(self.base_url)
        self._origin = (base.scheme, base.netloc.lower())
        self.error_parser = error_parser
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.session = session or requests.Session()
        self.stats = stats or RequestStats(api)
        self._throttle_until: float | None = None  # a retry.clock() value
        self._lock = threading.Lock()
        # The latest `DPoP-Nonce` any answer carried (RFC 9449 §8): the token provider puts it in its proofs.
        self.dpop_nonce: str | None = None

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
    ) -> requests.Response:
        """Send the request, retrying per the policy; a 2xx response or a typed `ApiError`.

        `path_or_url` is a path under the base URL or an absolute URL on the same origin (a `next`
        link). `redact` lists extra secrets (a client secret, a client assertion) to scrub from
        anything that could reach a message.
        """
        method = method.upper()
        url = self._url(path_or_url)
        path = urlsplit(url).path
        policy = self.retry
        renewed = False
        nonce_retried = False
        attempt = 0
        extra_headers: dict[str, str] = {}
        while True:
            attempt += 1
            self._wait_for_throttle()
            auth_headers = dict(self.auth.auth_headers(method, url)) if self.auth else {}
            sent_headers = {
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                **(headers or {}),
                **extra_headers,
                **auth_headers,
            }
            secrets = _secrets(sent_headers, redact)
            started = policy.clock()
            self.stats.count(method, self.bucket_of(method, path) if self.bucket_of else None)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
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
            self._note_rate_headers(response)
            nonce = _dpop_nonce(response)
            if nonce:
                self.dpop_nonce = nonce
            request_id = response.headers.get("X-Okta-Request-Id") or response.headers.get("x-zm-trackingid")
            if 200 <= status < 300:
                self._log(method, path, attempt, started, status=status, request_id=request_id)
                return response

            retry_after = self._retry_after(response)
            error = self.error_parser(status, _decode(response, secrets), retry_after)
            self._log(method, path, attempt, started, status=status, request_id=request_id, note=error.code)
            if request_id and self.api == "okta":
                # Okta's SDK marks retries so Okta can correlate them with the first attempt.
                extra_headers = {"X-Okta-Retry-For": request_id, "X-Okta-Retry-Count": str(attempt)}

            if (
                status in (400, 401)
                and self.auth is not None
                and not nonce_retried
                and nonce
                and _challenge_error(response) == "use_dpop_nonce"
                and self.auth.accept_dpop_nonce(nonce)
            ):
                nonce_retried = True  # RFC 9449 §9: the same request once more, its proof carrying the nonce
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
                if retry_after is None:
                    retry_after = error.retry_after  # the parser read the wait from the body (Zoom's daily limit)
                delay = retry_after if retry_after is not None else max(1.0, policy.backoff(attempt))
                self._retry_or_raise(error, attempt, delay)
                continue
            if status in RETRY_STATUSES:
                delay = retry_after if retry_after is not None else policy.backoff(attempt)
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

    def _now_epoch(self, response: requests.Response) -> float:
        """The server's clock when it sent the response (Date header), else ours."""
        date = response.headers.get("Date")
        parsed = parse_http_time(date) if date else None
        return parsed if parsed is not None else self.retry.wall_clock()

    def _until_reset(self, response: requests.Response) -> float | None:
        """Seconds until Okta's X-Rate-Limit-Reset (the minimum of repeats), plus margin and jitter."""
        resets = _header_numbers(response, "X-Rate-Limit-Reset")
        if not resets:
            return None
        # The margin, plus up to a second of jitter so that parallel clients do not return at the same instant.
        return max(0.0, min(resets) - self._now_epoch(response)) + self.retry.reset_margin + self.retry.random()

    def _retry_after(self, response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if value:
            seconds = parse_retry_after(value, self._now_epoch(response))
            if seconds is not None:
                return seconds + self.retry.random()
        if response.status_code == 429:
            return self._until_reset(response)
        return None

    def _note_rate_headers(self, response: requests.Response) -> None:
        """Remember when to pause if Okta says the bucket is (nearly) empty."""
        remaining = _header_numbers(response, "X-Rate-Limit-Remaining")
        if not remaining or min(remaining) > self.retry.throttle_remaining or response.status_code == 429:
            return
        wait = self._until_reset(response)
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


def _secrets(headers: Mapping[str, str], extra: Iterable[str]) -> list[str]:
    out = [s for s in extra if s]
    for name, value in headers.items():
        if name.lower() in ("authorization", "dpop") and value:
            out.append(value)
            _scheme, _, credential = value.partition(" ")
            if credential:
                out.append(credential)
    return sorted(set(out), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


_AUTH_PARAM = re.compile(r'\b(error|error_description)\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)


def _challenge_params(response: requests.Response) -> dict[str, str]:
    """`error` and `error_description` of the WWW-Authenticate challenge (Bearer or DPoP), if any."""
    params: dict[str, str] = {}
    for name, value in _AUTH_PARAM.findall(response.headers.get("WWW-Authenticate") or ""):
        params.setdefault(name.lower(), value.replace('\\"', '"'))
    return params


def _challenge_error(response: requests.Response) -> str | None:
    return _challenge_params(response).get("error")


def _dpop_nonce(response: requests.Response) -> str | None:
    value = (response.headers.get("DPoP-Nonce") or "").strip().strip('"')
    return value or None


def _decode(response: requests.Response, secrets: list[str]) -> Any:
    """The error body, scrubbed of the request's credentials, as JSON if it parses, else text. An empty body
    (Okta's DPoP proof errors) is described by the WWW-Authenticate challenge's error, if there is one."""
    try:
        text = response.content.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        text = response.content.decode("utf-8", errors="replace")
    if not text.strip():
        params = _challenge_params(response)
        if params.get("error"):
            text = params["error"] + (f" ({params['error_description']})" if params.get("error_description") else "")
    text = redact(text, secrets)
    try:
        return _json.loads(text)
    except ValueError:
        return text


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
