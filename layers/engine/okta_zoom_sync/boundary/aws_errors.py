"""What AWS said when a read through Powertools Parameters failed: the error code and message, never a value."""

from __future__ import annotations


def aws_error_reason(exc: Exception) -> str:
    """Powertools wraps the SDK's error in GetParameterError; the AWS error code and message are on the cause."""
    cause = exc.__cause__ or exc.__context__
    response = getattr(cause, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return type(cause).__name__ if cause else "unknown error"
