"""Generated malformed input: events, secrets and policy files, against the real handler.

One stack (simulators + moto) per test function; hypothesis drives many examples through it. After every
example the "nothing touched" property is checked: no request reached Okta or Zoom and the state table is
still empty. The expected outcome of each example comes from a small oracle written from the contract
(README "Invoking by hand", "The credentials secret", "The policy file"), not from the product's models.

The tests at the end pin product bugs this suite found (minimal inputs), now fixed.
"""

from __future__ import annotations

import io
import json
import re
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from okta_zoom_sync.boundary.request import parse_event
from okta_zoom_sync.errors import InvalidEventError

from tests.support.fixtures import add_person
from tests.support.stack import SECRET_ID, Stack, valid_secret

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}

# Every string the secret tests put in a secret starts with this marker; it must never be printed.
MARK = "s3cr3t-"

# Events that reach the configuration stage (a secret or policy problem fails the run the same way for each).
RUN_EVENTS = [
    {},
    {"mode": "incremental"},
    {"mode": "full"},
    {"mode": "full", "dry_run": True},
    {"mode": "full", "force": True},
    {"mode": "users", "users": ["alice@acme.example"]},
]


# ------------------------------------------------------------------------------------------------ helpers


def reset(stack: Stack) -> None:
    stack.okta.clear_log()
    stack.zoom.clear_log()


def assert_nothing_touched(stack: Stack) -> None:
    assert stack.okta.request_count() == 0, [(r.method, r.path) for r in stack.okta.requests]
    assert stack.zoom.request_count() == 0, [(r.method, r.path) for r in stack.zoom.requests]
    assert stack.table_items() == []


def put_secret(stack: Stack, value: dict[str, Any] | str) -> None:
    """Like `stack.set_secret`, but keeps Powertools' Secrets Manager client (a new one per example is slow)."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    stack.secrets.put_secret_value(
        SecretId=SECRET_ID, SecretString=value if isinstance(value, str) else json.dumps(value)
    )
    for provider in DEFAULT_PROVIDERS.values():
        provider.clear_cache()


@contextmanager
def log_stream() -> Iterator[io.StringIO]:
    """Powertools' Logger writes to the stream it was created with: point its handler at a buffer meanwhile."""
    from okta_zoom_sync.observability import logger

    handler = logger.registered_handler
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(old)


def names(message: str, path: str) -> bool:
    """`path` is named as a field of the message (`invalid …: a.b: problem; c: problem`), not just a substring."""
    return re.search(rf"(?:^|[\s;]){re.escape(path)}[:.]", message) is not None


identifiers = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_-]{0,15}\Z")

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


# ------------------------------------------------------------------------------------------------ 1. events

MODES = ("incremental", "full", "users", "check", "status")
EVENT_KEYS = frozenset({"mode", "users", "dry_run", "force"})
TRICKY_EVENT_KEYS = ["Mode", "MODE", " mode", "dryRun", "dry-run", "Force", "user", "detail-type", "source", "detail"]

user_refs = st.text(min_size=1, max_size=24).filter(str.strip)
blank_strings = st.sampled_from(["", " ", "\t", "\n", "  \u3000"])
mode_values = st.one_of(
    st.sampled_from(MODES),
    st.sampled_from(["FULL", "Full", " full", "full ", "", "scheduled", "delta", "user"]),
    json_values,
)
user_values = st.one_of(
    st.lists(user_refs, min_size=1, max_size=100),
    st.lists(user_refs, min_size=101, max_size=160),  # too many
    st.just([]),
    st.lists(st.one_of(user_refs, blank_strings, json_scalars), min_size=1, max_size=5),
    json_values,
)
flag_values = st.one_of(
    st.booleans(), st.sampled_from(["true", "false", "yes", 1, 0, "", None, [True], {"value": True}]), json_values
)
unknown_event_keys = st.one_of(identifiers, st.sampled_from(TRICKY_EVENT_KEYS)).filter(lambda k: k not in EVENT_KEYS)


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {}
    mode = draw(st.sampled_from((None, *MODES)))
    if mode is not None:
        event["mode"] = mode
    if mode == "users":
        event["users"] = draw(st.lists(user_refs, min_size=1, max_size=100))
    for flag in ("dry_run", "force"):
        if draw(st.booleans()):
            event[flag] = draw(st.booleans())
    return event


mixed_events = st.builds(
    lambda known, extra: {**known, **extra},
    st.fixed_dictionaries(
        {}, optional={"mode": mode_values, "users": user_values, "dry_run": flag_values, "force": flag_values}
    ),
    st.one_of(st.just({}), st.dictionaries(unknown_event_keys, json_values, min_size=1, max_size=3)),
)
non_dict_events = st.one_of(
    st.lists(json_values, max_size=4),
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
)


def is_scheduled_envelope(event: object) -> bool:
    return isinstance(event, dict) and event.get("detail-type") == "Scheduled Event"


def event_offences(event: object) -> set[str] | None:
    """The oracle: None when the contract accepts the event, else the keys (or "object") that are wrong."""
    if event is None:
        return None
    if not isinstance(event, dict):
        return {"object"}
    bad = {key for key in event if key not in EVENT_KEYS}
    mode = event.get("mode", "incremental")
    mode_ok = isinstance(mode, str) and mode in MODES
    if not mode_ok:
        bad.add("mode")
    for flag in ("dry_run", "force"):
        if flag in event and type(event[flag]) is not bool:
            bad.add(flag)
    users = event.get("users")
    if "users" in event and users is None:
        bad.add("users")  # null is a bad value, not "not given"
    if users is not None and not (
        isinstance(users, list) and 1 <= len(users) <= 100 and all(isinstance(u, str) and u.strip() for u in users)
    ):
        bad.add("users")
    if mode_ok and (mode == "users") != (users is not None):
        bad.add("users")
    return bad or None


@pytest.mark.slow
def test_generated_events(stack: Stack) -> None:
    add_person(stack, "alice@acme.example")
    seen = {"valid": 0, "invalid": 0}

    @settings(max_examples=400, **SETTINGS)
    @given(st.one_of(valid_events(), mixed_events, mixed_events, non_dict_events))
    def check(event: object) -> None:
        if is_scheduled_envelope(event):
            return  # the EventBridge envelope is a valid incremental run, tested elsewhere
        offences = event_offences(event)
        if offences is None:
            seen["valid"] += 1
            parsed = parse_event(event)  # valid: must be accepted (not invoked: that would touch things)
            assert isinstance(event, dict)
            assert parsed.mode.value == event.get("mode", "incremental")
            assert parsed.dry_run is event.get("dry_run", False)
            assert parsed.force is event.get("force", False)
            if event.get("users") is not None:
                assert parsed.users == tuple(dict.fromkeys(u.strip() for u in event["users"]))
            return
        seen["invalid"] += 1
        reset(stack)
        with pytest.raises(InvalidEventError) as raised:
            stack.invoke(event)
        message = str(raised.value)
        if offences == {"object"}:
            assert "object" in message
        else:
            assert any(names(message, key) for key in offences), f"{message!r} names none of {sorted(offences)}"
        assert_nothing_touched(stack)

    check()
    assert seen["valid"] >= 20 and seen["invalid"] >= 100, seen
    # The counters are live: a valid event does reach Okta (a dry run, so nothing is written).
    reset(stack)
    result = stack.invoke({"mode": "full", "dry_run": True})
    assert result["status"] == "succeeded", result
    assert stack.okta.request_count() > 0 and stack.zoom.write_count() == 0


# ------------------------------------------------------------------------------------------------ 2. secrets

ZOOM_KEYS = ("zoom_account_id", "zoom_client_id", "zoom_client_secret")


@cache
def rsa_pem() -> tuple[str, str]:
    """A real PKCS#8 RSA key (private, public), made once."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def pem_body(pem: str) -> str:
    """A line from the middle of the PEM: what would show if the key leaked."""
    return pem.splitlines()[3]


def wrong_types(key: str) -> st.SearchStrategy[Any]:
    """Non-string values; strings inside them carry the marker so a leak would show."""
    return st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.just([f"{MARK}{key}"]),
        st.just({"value": f"{MARK}{key}"}),
        st.just([]),
        st.just({}),
    )


def key_states(key: str, *, required: bool) -> st.SearchStrategy[tuple[str, Any]]:
    """("keep", _) or a breakage of one key: ("drop"|"blank"|"retype"|"null", value)."""
    blank = st.sampled_from(["", " ", "\t", "  \n"]) if required else st.just("")
    return st.one_of(
        st.just(("keep", None)),
        st.just(("drop", None)),
        st.tuples(st.just("blank"), blank),
        st.tuples(st.just("retype"), wrong_types(key)),
        st.just(("null", None)),
    )


@st.composite
def broken_secrets(draw: st.DrawFn) -> tuple[dict[str, Any], set[str]]:
    """A secret dict with at least one broken key, and the keys an error may name."""
    private, _ = rsa_pem()
    secret: dict[str, Any] = {key: f"{MARK}{key}" for key in ZOOM_KEYS}
    broken: set[str] = set()

    def apply(key: str, state: tuple[str, Any]) -> None:
        how, value = state
        if how == "keep":
            return
        broken.add(key)
        if how == "drop":
            secret.pop(key, None)
        elif how == "null":
            secret[key] = None
        else:
            secret[key] = value

    method = draw(st.sampled_from(["token", "app"]))
    if method == "token":
        secret["okta_api_token"] = f"{MARK}okta_api_token"
        token_state = draw(key_states("okta_api_token", required=True))
        apply("okta_api_token", token_state)
        if token_state[0] == "keep" and draw(st.booleans()):
            # Both Okta methods at once (all or part of the service app's keys).
            extra = draw(
                st.sampled_from([("okta_client_id",), ("okta_private_key",), ("okta_client_id", "okta_private_key")])
            )
            for key in extra:
                secret[key] = f"{MARK}okta_client_id" if key == "okta_client_id" else private
            broken |= {"okta_api_token", *extra}
    else:
        secret["okta_client_id"] = f"{MARK}okta_client_id"
        secret["okta_private_key"] = private
        client_state = draw(key_states("okta_client_id", required=False))
        apply("okta_client_id", client_state)
        key_state = draw(
            st.one_of(
                key_states("okta_private_key", required=True),
                # Not PEM at all (PEM armour around garbage: test_unusable_private_key_…).
                st.tuples(st.just("non_pem"), st.sampled_from([f"{MARK}pem", f"{MARK}BEGIN RSA", "MII" + MARK])),
            )
        )
        apply("okta_private_key", key_state)
        kid = draw(st.one_of(st.just(None), st.just(f"{MARK}kid"), wrong_types("okta_key_id")))
        if kid is not None:
            secret["okta_key_id"] = kid
            if not isinstance(kid, str):
                broken.add("okta_key_id")
        # A blank optional key counts as absent (the console's key/value editor leaves empty values behind).
        app_present = client_state[0] in ("keep", "retype") or key_state[0] in ("keep", "retype", "non_pem")
        if app_present and draw(st.booleans()):
            secret["okta_api_token"] = f"{MARK}okta_api_token"  # both methods
            broken |= {"okta_api_token"}
    for key in ZOOM_KEYS:
        apply(key, draw(key_states(key, required=True)))
    # Unknown keys are ignored; with string values they change nothing.
    for key in draw(st.lists(identifiers.filter(lambda k: not k.startswith(("okta_", "zoom_"))), max_size=2)):
        secret[key] = f"{MARK}{key}"
    if not broken:
        key = draw(st.sampled_from(ZOOM_KEYS))
        secret.pop(key)
        broken.add(key)
    return secret, broken


not_json_objects = st.one_of(
    st.sampled_from(
        [
            f"{MARK}plain text",
            f"okta_api_token={MARK}x",
            f"{{'okta_api_token': '{MARK}x'}}",  # a Python repr, not JSON
            f'{{"okta_api_token": "{MARK}x"',  # truncated
            f'["{MARK}x"]',
            f'"{MARK}x"',
            "null",
            "true",
            "42",
            "-1.5e3",
            "[]",
            f'[{{"okta_api_token": "{MARK}x"}}]',
        ]
    ),
    st.builds(lambda value: json.dumps(value), st.lists(st.just(f"{MARK}x"), max_size=3) | st.integers()),
    st.text(min_size=1, max_size=20).filter(lambda t: not t.lstrip().startswith("{")).map(lambda t: MARK + t),
)


@pytest.mark.slow
def test_generated_secrets(stack: Stack, capfd: pytest.CaptureFixture[str]) -> None:
    private, _ = rsa_pem()
    leaks = (MARK, pem_body(private))

    with log_stream() as logs:

        @settings(max_examples=250, **SETTINGS)
        @given(
            st.one_of(broken_secrets(), broken_secrets(), not_json_objects.map(lambda s: (s, {"JSON"}))),
            st.sampled_from(RUN_EVENTS),
        )
        def check(case: tuple[dict[str, Any] | str, set[str]], event: dict[str, Any]) -> None:
            secret, expected = case
            put_secret(stack, secret)
            reset(stack)
            logs.seek(0)
            logs.truncate()
            capfd.readouterr()
            result = stack.invoke(event)
            captured = capfd.readouterr()
            printed = "\n".join((json.dumps(result), captured.out, captured.err, logs.getvalue()))
            for leak in leaks:
                assert leak not in printed, "a secret value was printed"
            assert result["status"] == "failed", result
            message = result["errors"][0]["message"]
            assert any(key in message for key in expected), f"{message!r} names none of {sorted(expected)}"
            assert "configuration error" in logs.getvalue()  # the capture is live
            assert_nothing_touched(stack)

        check()

    # The same stack runs once the secret is right again.
    stack.set_secret(valid_secret())
    add_person(stack, "alice@acme.example")
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded", result
    assert stack.zoom_user("alice@acme.example") is not None


# ------------------------------------------------------------------------------------------------ 3. policy

POLICY_KEYS = frozenset(
    {
        "create_action",
        "default_license",
        "license_rules",
        "role_rules",
        "group_rules",
        "suspended_users",
        "deprovision",
        "delete_after_days",
        "managed_domains",
        "protected_users",
        "max_deprovisions",
    }
)
# Keys the README documents that these generators do not draw values for (max_license_downgrades and issue 10's);
# tests/unit/test_policy_keys.py covers them. They are never drawn as "unknown" keys either.
OTHER_KEYS = frozenset(
    {
        "max_license_downgrades",
        "license_fallback",
        "attributes",
        "custom_attributes",
        "picture_attribute",
        "create_missing_groups",
        "transfer_to",
    }
)
ENUMS = {
    "create_action": ("ssoCreate", "create", "autoCreate", "custCreate"),
    "default_license": ("basic", "licensed", "unassigned"),
    "suspended_users": ("deactivate", "keep"),
    "deprovision": ("deactivate", "delete"),
}
BAD_ENUM_WORDS = ["SSOCREATE", "sso_create", "Basic", "pro", "delete ", " keep", "", "none", "yes", "deactivated"]

safe_text = st.text(alphabet=string.ascii_letters + string.digits + " -_.", min_size=1, max_size=12).filter(str.strip)
yaml_junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**9), max_value=10**9),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(alphabet=string.ascii_letters + " ", max_size=8),
    ),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(identifiers, inner, max_size=2),
    max_leaves=4,
)
not_strings = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False))
not_lists = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    safe_text,
    st.dictionaries(identifiers, st.integers(), min_size=1, max_size=2),
)
not_ints = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),  # 1.0 included: a YAML float is not an int
    st.sampled_from(["30", "ten", ""]),
    st.lists(st.integers(), max_size=2),
)
blank = st.sampled_from(["", " ", "   "])
group_names = st.builds(lambda s: f"Okta {s}", safe_text)
domains = st.sampled_from(["acme.example", "@corp.example", "Sub.Acme.Example"])
emails = st.sampled_from(["breakglass@acme.example", "Svc@Acme.Example"])

RULES: dict[str, dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]]] = {
    # rule list -> field -> (good values, bad values)
    "license_rules": {
        "group": (group_names, st.one_of(blank, not_strings)),
        "license": (st.sampled_from(ENUMS["default_license"]), st.one_of(st.sampled_from([*BAD_ENUM_WORDS, 1, 2, 4]))),
    },
    "role_rules": {
        "group": (group_names, st.one_of(blank, not_strings)),
        "role": (
            st.sampled_from(["Admin", "Member", "Helpdesk"]),
            st.one_of(st.sampled_from(["Owner", "owner", "OWNER"]), blank, not_strings),
        ),
    },
    "group_rules": {
        "group": (group_names, st.one_of(blank, not_strings)),
        "zoom_group": (safe_text, st.one_of(blank, not_strings)),
    },
}


def good_values(key: str) -> st.SearchStrategy[Any]:
    if key in ENUMS:
        return st.sampled_from(ENUMS[key])
    if key in RULES:
        return st.lists(st.fixed_dictionaries({f: good for f, (good, _) in RULES[key].items()}), max_size=2)
    return {
        "delete_after_days": st.integers(min_value=0, max_value=10**6),
        "managed_domains": st.lists(domains, max_size=2),
        "protected_users": st.lists(emails, max_size=2),
        "max_deprovisions": st.fixed_dictionaries(
            {}, optional={"count": st.integers(0, 10**4), "percent": st.integers(0, 100)}
        ),
    }[key]


@st.composite
def bad_value(draw: st.DrawFn, key: str) -> tuple[Any, str]:
    """A wrong value for a policy key, and the path the error must name."""
    if key in ENUMS:
        return draw(st.one_of(st.sampled_from(BAD_ENUM_WORDS), not_strings, st.just([ENUMS[key][0]]))), key
    if key in RULES:
        fields = RULES[key]
        rules = draw(good_values(key))
        kind = draw(st.sampled_from(["not_list", "entry_not_mapping", "missing", "bad_value", "extra"]))
        if kind == "not_list":
            return draw(not_lists), key
        at = draw(st.integers(0, len(rules)))
        entry: Any = {f: draw(good) for f, (good, _) in fields.items()}
        path = f"{key}.{at}"
        if kind == "entry_not_mapping":
            entry = draw(st.one_of(not_strings, safe_text, st.lists(st.integers(), max_size=2)))
        elif kind == "missing":
            field = draw(st.sampled_from(sorted(fields)))
            del entry[field]
            path += f".{field}"
        elif kind == "bad_value":
            field = draw(st.sampled_from(sorted(fields)))
            entry[field] = draw(fields[field][1])
            path += f".{field}"
        else:
            extra = draw(identifiers.filter(lambda k: k not in fields))
            entry[extra] = draw(yaml_junk)
            path += f".{extra}"
        rules.insert(at, entry)
        return rules, path
    if key == "delete_after_days":
        return draw(st.one_of(st.integers(max_value=-1), not_ints)), key
    if key in ("managed_domains", "protected_users"):
        if draw(st.booleans()):
            return draw(not_lists), key
        good = draw(good_values(key))
        wrong = ["", "  ", "nodot", "a@b.example", "@"] if key == "managed_domains" else ["", " ", "no-at-sign"]
        good.insert(draw(st.integers(0, len(good))), draw(st.one_of(st.sampled_from(wrong), not_strings)))
        return good, key
    assert key == "max_deprovisions"
    kind = draw(st.sampled_from(["not_mapping", "count", "percent", "extra"]))
    if kind == "not_mapping":
        return draw(st.one_of(not_strings, safe_text, st.lists(st.integers(), max_size=2))), key
    value = draw(good_values(key))
    if kind == "count":
        value["count"] = draw(st.one_of(st.integers(max_value=-1), not_ints))
    elif kind == "percent":
        value["percent"] = draw(st.one_of(st.integers(max_value=-1), st.integers(min_value=101), not_ints))
    else:
        kind = draw(identifiers.filter(lambda k: k not in ("count", "percent")))
        value[kind] = draw(yaml_junk)
    return value, f"{key}.{kind}"


@st.composite
def broken_policies(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A YAML policy with one to three wrong keys (the rest right), and the paths the error must name."""
    wrong = draw(st.lists(st.sampled_from(sorted(POLICY_KEYS)), max_size=3, unique=True))
    unknown = draw(st.lists(identifiers.filter(lambda k: k not in POLICY_KEYS | OTHER_KEYS), max_size=2, unique=True))
    if not wrong and not unknown:
        wrong = [draw(st.sampled_from(sorted(POLICY_KEYS)))]
    doc: dict[str, Any] = {}
    paths = []
    for key in wrong:
        doc[key], path = draw(bad_value(key))
        paths.append(path)
    for key in unknown:
        doc[key] = draw(yaml_junk)
        paths.append(key)
    for key in draw(st.lists(st.sampled_from(sorted(POLICY_KEYS - set(wrong))), max_size=4, unique=True)):
        doc[key] = draw(good_values(key))
    order = draw(st.permutations(list(doc)))
    doc = {key: doc[key] for key in order}
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=draw(st.sampled_from([False, None, True])))
    assert yaml.safe_load(text) == doc  # the generator's own check: the YAML says what we meant
    return text, paths


BROKEN_FRAGMENTS = ["key: [unclosed", "a: b: c", "'unterminated", "x: *undefined_alias", "{a: 1", "\tindented: tab"]
RAW_BROKEN_YAML = [
    "create_action: create\n  default_license: basic\n",
    "license_rules:\n  - group: a\n   license: basic\n",
    "a: [1, 2\nb: 3\n",
    'protected_users: ["\\q"]\n',
    "create_action: create\n---\ndefault_license: basic\n",
    "!!python/object/apply:os.system ['true']\n",
    "%YAML 9.9\n---\ncreate_action: create\n",
    "create_action: @create\n",
]


@st.composite
def broken_yaml(draw: st.DrawFn) -> str:
    """Valid policy text with a syntax error spliced in at some line, or a hand-written broken document."""
    if draw(st.booleans()):
        return draw(st.sampled_from(RAW_BROKEN_YAML))
    doc = {key: draw(good_values(key)) for key in draw(st.lists(st.sampled_from(sorted(POLICY_KEYS)), unique=True))}
    lines = yaml.safe_dump(doc, sort_keys=False).splitlines() if doc else []
    lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(BROKEN_FRAGMENTS)))
    text = "\n".join(lines) + "\n"
    try:  # the generator's own check: the splice did break the YAML
        yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    assume(False)
    raise AssertionError("unreachable")


non_mapping_yaml = st.one_of(
    st.sampled_from(["- create_action: create\n", "just words\n", "42\n", "true\n", "''\n", "[a, b]\n", "1.5\n"]),
    st.lists(yaml_junk, min_size=1, max_size=3).map(yaml.safe_dump),
)


@pytest.mark.slow
def test_generated_policies(stack: Stack) -> None:
    seen = {"keys": 0, "yaml": 0, "mapping": 0}

    @settings(max_examples=400, **SETTINGS)
    @given(
        st.one_of(
            broken_policies().map(lambda c: ("keys", *c)),
            broken_policies().map(lambda c: ("keys", *c)),
            broken_yaml().map(lambda t: ("yaml", t, ["YAML"])),
            non_mapping_yaml.map(lambda t: ("mapping", t, ["mapping"])),
        ),
        st.sampled_from(RUN_EVENTS),
    )
    def check(case: tuple[str, str, list[str]], event: dict[str, Any]) -> None:
        kind, text, expected = case
        seen[kind] += 1
        stack.set_policy(text)
        reset(stack)
        result = stack.invoke(event)
        assert result["status"] == "failed", (text, result)
        message = result["errors"][0]["message"]
        if kind == "keys":
            missing = [path for path in expected if not names(message, path)]
            assert not missing, f"{message!r} does not name {missing} for:\n{text}"
        else:
            assert expected[0] in message, (text, message)
            if kind == "yaml":
                assert re.search(r"\bline \d+", message), (text, message)
        assert_nothing_touched(stack)

    check()
    assert min(seen.values()) >= 20, seen

    # Sanity: a policy using every key, right, does run on the same stack.
    okta_group = stack.okta.add_group("Zoom Licensed")
    stack.zoom.add_group("Engineering")
    alice = add_person(stack, "alice@acme.example")
    stack.okta.add_member(okta_group, alice)
    stack.set_policy(
        "create_action: ssoCreate\n"
        "default_license: basic\n"
        "license_rules: [{group: Zoom Licensed, license: licensed}]\n"
        "role_rules: [{group: zoom licensed, role: Admin}]\n"
        f"group_rules: [{{group: {okta_group}, zoom_group: Engineering}}]\n"
        "suspended_users: keep\n"
        "deprovision: delete\n"
        "delete_after_days: 0\n"
        "managed_domains: ['@acme.example']\n"
        "protected_users: [breakglass@acme.example]\n"
        "max_deprovisions: {count: 5, percent: 50}\n"
    )
    reset(stack)
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "succeeded", result
    user = stack.zoom_user("alice@acme.example")
    assert user is not None and user["type"] == 2


# ------------------------------------------------------------------------------------------------ known bugs


def run_and_expect_failed_run(stack: Stack, key: str, capfd: pytest.CaptureFixture[str]) -> None:
    """The contract for a malformed secret or policy: status failed naming `key`, nothing touched, no leak."""
    reset(stack)
    capfd.readouterr()
    try:
        result = stack.invoke({"mode": "full"})
    except Exception as exc:  # the contract says the run fails; the handler must not raise
        captured = capfd.readouterr()
        assert MARK not in str(exc) + captured.out + captured.err
        pytest.fail(f"the handler raised {type(exc).__name__}: {exc}")
    captured = capfd.readouterr()
    assert MARK not in json.dumps(result) + captured.out + captured.err
    assert result["status"] == "failed", result
    assert key in result["errors"][0]["message"], result["errors"]
    assert_nothing_touched(stack)


def ed25519_pem() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def short_rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: f"-----BEGIN PRIVATE KEY-----\n{MARK}garbage\n-----END PRIVATE KEY-----\n",
        short_rsa_pem,
        ed25519_pem,
    ],
    ids=["armoured-garbage", "rsa-1024", "ed25519"],
)
def test_unusable_private_key_fails_the_run_naming_the_key(
    stack: Stack,
    capfd: pytest.CaptureFixture[str],
    make_key: Callable[[], str],
) -> None:
    secret = {k: v for k, v in valid_secret().items() if k != "okta_api_token"}
    stack.set_secret({**secret, "okta_client_id": f"{MARK}client", "okta_private_key": make_key()})
    run_and_expect_failed_run(stack, "okta_private_key", capfd)


def test_whitespace_okta_client_id_fails_the_run_naming_the_key(
    stack: Stack,
    capfd: pytest.CaptureFixture[str],
) -> None:
    secret = {k: v for k, v in valid_secret().items() if k != "okta_api_token"}
    stack.set_secret({**secret, "okta_client_id": "  ", "okta_private_key": rsa_pem()[0]})
    run_and_expect_failed_run(stack, "okta_client_id", capfd)


@pytest.mark.parametrize("token", ["", "   "])
def test_blank_api_token_next_to_a_service_app_does_not_crash(
    stack: Stack,
    token: str,
) -> None:
    private, public = rsa_pem()
    stack.okta.oauth_client_id = "0oaservice"
    stack.okta.add_oauth_key(public, "key-1")
    secret = {k: v for k, v in valid_secret().items() if k != "okta_api_token"}
    stack.set_secret({**secret, "okta_api_token": token, "okta_client_id": "0oaservice", "okta_private_key": private})
    add_person(stack, "alice@acme.example")
    reset(stack)
    result = stack.invoke({"mode": "full"})  # either the service app is used, or the run fails naming the key
    if result["status"] == "failed":
        assert "okta_api_token" in result["errors"][0]["message"]
        assert_nothing_touched(stack)
    else:
        assert result["status"] == "succeeded", result
        assert stack.okta.request_count(method="POST", path_prefix=stack.okta.token_path) >= 1  # signed in as the app


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"create_action: cr\xe9ate\n", "UTF-8"),
        (b"delete_after_days: !!int x\n", "YAML"),
        (b"a: " + b"[" * 2000 + b"]" * 2000 + b"\n", "YAML"),
    ],
    ids=["latin-1", "int-tag", "deep-nesting"],
)
def test_undecodable_or_unconstructable_policy_fails_the_run(
    stack: Stack,
    capfd: pytest.CaptureFixture[str],
    content: bytes,
    named: str,
) -> None:
    stack.policy_path.write_bytes(content)
    run_and_expect_failed_run(stack, named, capfd)


def test_control_character_in_policy_names_the_line(stack: Stack) -> None:
    stack.set_policy("create_action: create\ndefault_license: \x07basic\n")
    reset(stack)
    result = stack.invoke({"mode": "full"})
    assert result["status"] == "failed"
    assert "YAML" in result["errors"][0]["message"]
    assert_nothing_touched(stack)
    assert "line 2" in result["errors"][0]["message"]
