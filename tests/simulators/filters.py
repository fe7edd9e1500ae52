"""A small SCIM-style filter expression evaluator (the subset Okta's ``filter``/``search`` parameters need).

Grammar: ``expr := term ("or" term)*``, ``term := factor ("and" factor)*``,
``factor := "not"? "(" expr ")" | ATTR OP VALUE | ATTR "pr"``; ``OP`` is one of eq ne sw ew co gt ge lt le;
``VALUE`` is a double-quoted string, a number, ``true``, ``false`` or ``null``. ``ATTR`` is a dotted path into the
JSON object; a list on the path matches when any element matches (``target.id eq "..."``). String comparisons
ignore case; ordering comparisons of ISO-8601 timestamps compare instants.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["FilterError", "attributes", "compile_filter"]

Predicate = Callable[[Any], bool]

_TOKEN = re.compile(r'\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+)')
_OPS = {"eq", "ne", "sw", "ew", "co", "gt", "ge", "lt", "le"}
_ORDER = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


class FilterError(ValueError):
    """The expression could not be parsed."""


def _tokens(text: str) -> list[str]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise FilterError(f"unexpected input at {pos}: {text[pos:]!r}")
        out.append(match.group(1))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _literal(token: str) -> Any:
    if token.startswith('"'):
        return json.loads(token)
    low = token.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    try:
        return float(token) if "." in token else int(token)
    except ValueError as exc:
        raise FilterError(f"bad value {token!r}") from exc


def _values(obj: Any, path: list[str]) -> list[Any]:
    if isinstance(obj, list):
        return [v for item in obj for v in _values(item, path)]
    if not path:
        return [obj]
    if not isinstance(obj, dict) or path[0] not in obj:
        return []
    return _values(obj[path[0]], path[1:])


def _as_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-":
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        a, e = actual.lower(), expected.lower()
        if op == "eq":
            return a == e
        if op == "ne":
            return a != e
        if op == "sw":
            return a.startswith(e)
        if op == "ew":
            return a.endswith(e)
        if op == "co":
            return e in a
        ta, te = _as_time(actual), _as_time(expected)
        if ta is not None and te is not None:
            a_cmp: Any = ta
            e_cmp: Any = te
        else:
            a_cmp, e_cmp = a, e
    else:
        if op == "eq":
            return bool(actual == expected)
        if op == "ne":
            return bool(actual != expected)
        if op in ("sw", "ew", "co"):
            return False
        a_cmp, e_cmp = actual, expected
    try:
        return bool(_ORDER[op](a_cmp, e_cmp))
    except TypeError:
        return False


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.attrs: list[str] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise FilterError("unexpected end of expression")
        self.pos += 1
        return token

    def expr(self) -> Predicate:
        parts = [self.term()]
        while (self.peek() or "").lower() == "or":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda obj: any(p(obj) for p in parts))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while (self.peek() or "").lower() == "and":
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda obj: all(p(obj) for p in parts))

    def factor(self) -> Predicate:
        token = self.take()
        if token.lower() == "not":
            inner = self.factor()
            return lambda obj: not inner(obj)
        if token == "(":
            inner = self.expr()
            if self.take() != ")":
                raise FilterError("missing )")
            return inner
        if token in (")",) or token.startswith('"'):
            raise FilterError(f"unexpected {token!r}")
        attr = token
        if not re.fullmatch(r"[A-Za-z_][\w.]*", attr):
            raise FilterError(f"bad attribute {attr!r}")
        op = self.take().lower()
        self.attrs.append(attr)
        path = attr.split(".")
        if op == "pr":
            return lambda obj: any(v not in (None, "", []) for v in _values(obj, path))
        if op not in _OPS:
            raise FilterError(f"unknown operator {op!r}")
        expected = _literal(self.take())
        return lambda obj: any(_compare(op, v, expected) for v in _values(obj, path))


def compile_filter(text: str) -> Predicate:
    """Compile an expression into a predicate over JSON objects; raises :class:`FilterError`."""
    parser = _Parser(_tokens(text))
    if not parser.tokens:
        raise FilterError("empty expression")
    predicate = parser.expr()
    if parser.peek() is not None:
        raise FilterError(f"unexpected {parser.peek()!r}")
    return predicate


def attributes(text: str) -> list[str]:
    """The attribute names an expression uses (raises :class:`FilterError` like :func:`compile_filter`)."""
    parser = _Parser(_tokens(text))
    parser.expr()
    return parser.attrs
