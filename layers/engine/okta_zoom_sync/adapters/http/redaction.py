"""Secret redaction: which strings of a request are credentials, and scrubbing them out of text.

The transport scrubs every error body with these before anything reads it, so that no token, secret,
Authorization header, DPoP proof or client assertion reaches an exception message or a log line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

CREDENTIAL_HEADERS = frozenset({"authorization", "dpop"})
REDACTED = "[redacted]"


def credentials_of(headers: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """The secrets a request carried: `extra`, and each credential header's value with and without its scheme.
    Longest first, so that a secret is never left half scrubbed by a shorter one inside it."""
    out = [s for s in extra if s]
    for name, value in headers.items():
        if name.lower() in CREDENTIAL_HEADERS and value:
            out.append(value)
            _scheme, _, credential = value.partition(" ")
            if credential:
                out.append(credential)
    return sorted(set(out), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret of four characters or more replaced by "[redacted]"."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text
