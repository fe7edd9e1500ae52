"""Turns a pydantic ValidationError into one readable line per problem, naming the field, never the value."""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation_error(what: str, exc: ValidationError, *, by_alias: bool = False) -> str:
    """One readable line per problem, naming the field; never echoes the rejected value."""
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) if p != "" else '""' for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known key"
        problems.append(f"{loc}: {msg}" if loc else msg)
    return f"invalid {what}: " + "; ".join(problems)
