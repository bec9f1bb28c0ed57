"""The event contract: JSON Schema files per version, and validation with reason codes.

Schemas live as files (``schemas/event.v<N>.json``) so that other languages and tools can
read the same contract. Two validators read the same files: jsonschema-rs (Rust) answers
"valid?" in ~5 us, which is all a valid event needs; only a rejected event goes through
fastjsonschema, whose errors say which field broke which rule (jsonschema-rs would too, but the
reason codes and the conditional rule below were built on fastjsonschema's errors). The two agree on
every generated and malformed event (``tests/streaming/events/test_contract.py``); validation
was 80% of the streaming service's per-event cost with fastjsonschema alone.

A record that is not valid JSON, not an object, or breaks a rule is never dropped: callers
get a :class:`Rejected` with a short, stable reason code to store in quarantine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema_rs
import orjson

SUPPORTED_VERSIONS: tuple[int, ...] = (1, 2)
LATEST_VERSION = SUPPORTED_VERSIONS[-1]
EVENT_TYPES = ("page_view", "add_to_cart", "checkout", "purchase", "error")
REGIONS = ("us", "eu", "apac")
DEVICES = ("web", "ios", "android")


@dataclass(frozen=True, slots=True)
class Accepted:
    event: dict[str, Any]
    occurred_at: datetime | None = None  # parsed while checking it, for callers that need the instant


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    detail: str


Outcome = Accepted | Rejected


@cache
def load_schema(version: int) -> dict[str, Any]:
    """The JSON Schema document of one contract version."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"no event schema version {version}; supported: {SUPPORTED_VERSIONS}")
    text = resources.files("streaming.events").joinpath(f"schemas/event.v{version}.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True, slots=True)
class _Conditional:
    """The schema's one ``if/then/else``: when ``field == value``, ``required`` fields must be
    present; otherwise ``forbidden`` fields must be absent."""

    field: str
    value: Any
    required: tuple[str, ...]
    forbidden: tuple[str, ...]


def _conditional(schema: dict[str, Any]) -> _Conditional | None:
    """Read the conditional rule out of the schema file, so the file stays the contract.

    fastjsonschema evaluates ``if``/``not``/``anyOf`` by raising and catching exceptions, which
    made validation ~4x slower; this one rule is checked directly instead, from the same file.
    """
    if "if" not in schema:
        return None
    try:
        ((field, spec),) = schema["if"]["properties"].items()
        forbidden = tuple(branch["required"][0] for branch in schema["else"]["not"]["anyOf"])
        return _Conditional(field, spec["const"], tuple(schema["then"]["required"]), forbidden)
    except (KeyError, ValueError, IndexError) as exc:
        raise ValueError(f"unsupported if/then/else shape in the event schema: {exc}") from exc


@cache
def _fast(version: int) -> Any:
    return jsonschema_rs.validator_for(load_schema(version))


def _instant(text: str) -> datetime | ValueError:
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        return exc


@cache
def _compiled(version: int) -> tuple[Any, _Conditional | None]:
    schema = load_schema(version)
    plain = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
    return fastjsonschema.compile(plain), _conditional(schema)


def reason_for(error: fastjsonschema.JsonSchemaValueException, event: dict[str, Any]) -> str:
    """A stable reason code (``missing:<field>``, ``invalid:<field>``, ...) for a schema error."""
    field = (error.name or "").removeprefix("data").lstrip(".") or None
    if error.rule == "required":
        wanted = error.rule_definition or []
        missing = [name for name in wanted if name not in event]
        return f"missing:{missing[0]}" if missing else "missing:unknown"
    return f"invalid:{field}" if field else f"invalid:{error.rule}"


def validate_event(event: Any, reader_version: int | None = None) -> Outcome:
    """Validate a decoded event with the schema of its own version (or ``reader_version``)."""
    if not isinstance(event, dict):
        return Rejected("not_an_object", f"expected a JSON object, got {type(event).__name__}")
    version = reader_version
    if version is None:
        declared = event.get("schema_version")
        if type(declared) is not int:
            return Rejected("invalid:schema_version", f"schema_version must be an integer, got {declared!r}")
        if declared not in SUPPORTED_VERSIONS:
            return Rejected(
                "unsupported_schema_version", f"schema_version {declared} is not one of {SUPPORTED_VERSIONS}"
            )
        version = declared
    if _fast(version).is_valid(event):
        instant = _instant(event["occurred_at"])
        if isinstance(instant, datetime):
            return Accepted(event, instant)
    validate, rule = _compiled(version)
    try:
        validate(event)
    except fastjsonschema.JsonSchemaValueException as exc:
        return Rejected(reason_for(exc, event), exc.message)
    if rule is not None:
        if event.get(rule.field) == rule.value:
            missing = [name for name in rule.required if name not in event]
            if missing:
                return Rejected(f"missing:{missing[0]}", f"{rule.field}={rule.value} requires {list(rule.required)}")
        elif any(name in event for name in rule.forbidden):
            return Rejected(
                f"unexpected:{'_or_'.join(rule.forbidden)}_on_non_{rule.value}",
                f"{list(rule.forbidden)} are allowed only when {rule.field}={rule.value}",
            )
    instant = _instant(event["occurred_at"])
    if isinstance(instant, ValueError):
        return Rejected("invalid:occurred_at", f"occurred_at is not a real instant: {instant}")
    return Accepted(event, instant)


def parse_record(raw: bytes | None, reader_version: int | None = None) -> Outcome:
    """Decode one Kafka record value and validate it."""
    if raw is None:
        return Rejected("empty_record", "the record has no value (tombstone)")
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Rejected("invalid_json", str(exc))
    return validate_event(event, reader_version)
