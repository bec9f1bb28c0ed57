"""From a request body to Kafka records: limits, decoding, validation, enrichment. Pure functions.

Whole-request problems (wrong content type, a body or a decompressed body over its limit, a
JSON array that does not parse, too many events) raise :class:`IntakeError` with the HTTP
status and a message that says what to change. Problems of one event (a broken NDJSON line,
a rule of the contract, a field too long, nesting too deep, a number JSON consumers cannot
hold exactly) reject that event alone, with a reason code, and the others go on. Reason codes
are a closed set (the detail names the field), so they can label metrics safely.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from streaming.events.contract import Accepted, Rejected, validate_event
from streaming.events.event_time import EventTimeRules

BodyKind = Literal["json", "ndjson"]
CONTENT_TYPES: dict[str, BodyKind] = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/x-jsonlines": "ndjson",
}
MAX_SAFE_NUMBER = 2**53  # beyond it, JSON readers in other languages (and BigQuery's FLOAT64) lose digits


class IntakeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_decompressed_bytes: int
    max_events: int
    max_field_chars: int
    max_depth: int


@dataclass
class Intake:
    records: list[tuple[bytes, bytes]] = field(default_factory=list)  # (key, value) for Kafka
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"index", "reason", "detail"}
    total: int = 0


def body_kind(content_type: str | None) -> BodyKind:
    media = (content_type or "").split(";")[0].strip().lower()
    kind = CONTENT_TYPES.get(media)
    if kind is None:
        raise IntakeError(
            415, f"content-type {media or '(none)'!r} is not accepted; send application/json or application/x-ndjson"
        )
    return kind


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo ``Content-Encoding: gzip`` without ever holding more than ``limit`` bytes (gzip bombs)."""
    coding = (encoding or "identity").strip().lower()
    if coding == "identity":
        if len(body) > limit:
            raise IntakeError(413, f"the body is {len(body)} bytes; the limit is {limit}")
        return body
    if coding not in ("gzip", "x-gzip"):
        raise IntakeError(415, f"content-encoding {coding!r} is not accepted; send gzip or none")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise IntakeError(400, f"the body is not valid gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise IntakeError(413, f"the body decompresses to more than {limit} bytes")
    if not inflater.eof:
        raise IntakeError(400, "the gzip body is truncated")
    return out


def _json_problem(exc: orjson.JSONDecodeError) -> tuple[str, str]:
    message = str(exc)
    if "UTF-8" in message:
        return "invalid_utf8", f"not valid UTF-8: {message}"
    return "invalid_json", f"not valid JSON: {message}"


def parse_items(body: bytes, kind: BodyKind, max_events: int) -> list[Any]:
    """The events of a body: decoded values, or :class:`Rejected` for NDJSON lines that do not parse."""
    if kind == "json":
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            _, detail = _json_problem(exc)
            raise IntakeError(400, f"the body is {detail}") from None
        if isinstance(value, dict):
            items: list[Any] = [value]
        elif isinstance(value, list):
            items = value
        else:
            raise IntakeError(400, "the body must be a JSON array of events (or one event object)")
    else:
        items = []
        for line in body.split(b"\n"):
            line = line.strip()
            if not line:
                continue
            try:
                items.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                items.append(Rejected(*_json_problem(exc)))
            if len(items) > max_events:
                break
    if len(items) > max_events:
        raise IntakeError(413, f"more than {max_events} events in one request; split the batch")
    if not items:
        raise IntakeError(400, "the body holds no events")
    return items


def check_shape(value: Any, limits: Limits, path: str = "", depth: int = 1) -> Rejected | None:
    """Field sizes, nesting depth and number range of one decoded event."""
    kind = type(value)
    if kind is str:
        if len(value) > limits.max_field_chars:
            return Rejected("too_long", f"{path} has {len(value)} characters; the limit is {limits.max_field_chars}")
    elif kind is int or kind is float:
        if not math.isfinite(value) or abs(value) > MAX_SAFE_NUMBER:
            return Rejected("number_out_of_range", f"{path}={value!r} is beyond ±2^53")
    elif kind is dict or kind is list:
        if depth > limits.max_depth:
            return Rejected("too_deep", f"{path} nests deeper than {limits.max_depth} levels")
        pairs: Any = value.items() if kind is dict else enumerate(value)
        for name, item in pairs:
            if kind is dict and len(name) > limits.max_field_chars:
                return Rejected("too_long", f"a field name has {len(name)} characters")
            found = check_shape(item, limits, f"{path}.{name}" if path else str(name), depth + 1)
            if found is not None:
                return found
    return None


def utc_text(instant: datetime) -> str:
    """RFC 3339 in UTC with ``Z``: milliseconds, or microseconds when the client sent them."""
    moment = instant.astimezone(UTC)
    spec = "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def enrich(accepted: Accepted, received_at: str, edge_id: str, edge_region: str) -> tuple[bytes, bytes]:
    """Add where and when the edge took the event; normalise occurred_at to UTC. Keyed by user_id,
    so one user's events land on one partition, in order."""
    event = accepted.event
    occurred = event["occurred_at"]
    if accepted.occurred_at is not None and not (occurred[-1] == "Z" and occurred[10] == "T"):
        event["occurred_at"] = utc_text(accepted.occurred_at)
    event["received_at"] = received_at
    event["edge_id"] = edge_id
    event["edge_region"] = edge_region
    return event["user_id"].encode(), orjson.dumps(event)


def take(
    items: list[Any],
    limits: Limits,
    edge_id: str,
    edge_region: str,
    now: datetime | None = None,
    rules: EventTimeRules | None = None,
) -> Intake:
    """Validate and enrich every item; the rejected ones keep their index for the response.

    With ``rules``, an event no daily partition will read (too far ahead of ``now``, or before the
    first partition) is rejected here, where the client still hears why, instead of vanishing later.
    """
    moment = now or datetime.now(UTC)
    received_at = utc_text(moment)
    intake = Intake(total=len(items))
    for index, item in enumerate(items):
        outcome = item if isinstance(item, Rejected) else check_shape(item, limits) or validate_event(item)
        if isinstance(outcome, Accepted) and rules is not None and outcome.occurred_at is not None:
            outcome = rules.check(outcome.occurred_at, moment) or outcome
        if isinstance(outcome, Accepted):
            intake.records.append(enrich(outcome, received_at, edge_id, edge_region))
        else:
            intake.rejected.append({"index": index, "reason": outcome.reason, "detail": outcome.detail})
    return intake
