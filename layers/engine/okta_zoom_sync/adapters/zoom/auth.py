"""Zoom's Server-to-Server OAuth: `ZoomServerToServerToken` mints access tokens with the
account_credentials grant (HTTP Basic client authentication) and caches them (`CachedOAuthToken`).

`zoom_token_error` is the token endpoint's error dialect: 429 and 5xx are classified as any Zoom answer;
any other refusal, whether in OAuth's `{"error","reason"}` shape or Zoom's `{"code","message"}`, is an
AuthError naming what Zoom said, so the operator knows which credential to fix.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from okta_zoom_sync.adapters.http.oauth import CachedOAuthToken, MintedToken
from okta_zoom_sync.adapters.http.transport import ApiTransport
from okta_zoom_sync.adapters.zoom.errors import classify_zoom, parse_zoom_error, zoom_dialect
from okta_zoom_sync.errors import ApiError, AuthError, InvalidSecretError


def parse_zoom_token_error(status: int, body: Any, retry_after: float | None) -> ApiError:
    if status == 429 or status >= 500:
        return parse_zoom_error(status, body, retry_after)
    if isinstance(body, Mapping) and ("error" in body or "reason" in body):
        error = str(body.get("error") or "")
        reason = str(body.get("reason") or body.get("error_description") or "")
        detail = error + (f" ({reason})" if reason else "")
        code = error or str(status)
    elif isinstance(body, Mapping) and "code" in body:
        classified = classify_zoom(status, _int(body.get("code")), str(body.get("message") or ""))
        detail, code = str(classified), classified.code
    else:
        detail, code = f"HTTP {status}", str(status)
    return AuthError(
        f"Zoom rejected the Server-to-Server OAuth credentials: {detail}", api="zoom", code=code, status=status
    )


zoom_token_error = zoom_dialect(parse_zoom_token_error)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class ZoomServerToServerToken(CachedOAuthToken):
    """Access tokens for one Zoom account's Server-to-Server OAuth app."""

    def __init__(
        self, transport: ApiTransport, *, token_url: str, account_id: str, client_id: str, secret: str
    ) -> None:
        super().__init__(transport)
        if not (account_id and client_id and secret):
            raise InvalidSecretError("the Zoom account_id, client_id and client_secret must all be set")
        self.token_url = token_url
        self.account_id = account_id
        self._basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self._secret = secret

    def _mint(self) -> MintedToken:
        body = self.transport.request_json(
            "POST",
            self.token_url,
            data={"grant_type": "account_credentials", "account_id": self.account_id},
            headers={"Authorization": f"Basic {self._basic}"},
            redact=(self._secret,),
        )
        return self._parse(body)
