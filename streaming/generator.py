"""Synthetic multi-region traffic: realistic enough to exercise every rule of the contract.

Deterministic for a seed: the same arguments give the same bytes, so tests can compute the
expected bronze/silver/gold contents independently. Each record carries the ``kind`` it was
made as and, for malformed ones, the quarantine reason the contract must give it, which is
the tests' oracle.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import accumulate
from typing import Any

import orjson

REGION_WEIGHTS = {"us": 0.45, "eu": 0.35, "apac": 0.20}
# Hours from UTC where most of a region's users live: drives the diurnal curve.
REGION_UTC_OFFSET = {"us": -5, "eu": 1, "apac": 8}
REGION_COUNTRIES = {"us": ["US", "CA", "MX"], "eu": ["DE", "FR", "GB", "NL", "ES"], "apac": ["JP", "SG", "AU", "IN"]}
REGION_CURRENCIES = {"us": ["USD", "CAD"], "eu": ["EUR", "GBP"], "apac": ["JPY", "SGD", "AUD"]}
EVENT_WEIGHTS = {"page_view": 0.62, "add_to_cart": 0.18, "checkout": 0.08, "purchase": 0.06, "error": 0.06}
DEVICES = ["web", "ios", "android"]
RECENT = 5000
APP_VERSIONS = ["5.1.0", "5.2.0", "5.2.1", "6.0.0"]

# kind -> (mutation, the reason code the contract must quarantine it with)
MALFORMED_KINDS: dict[str, str] = {
    "truncated_json": "invalid_json",
    "not_an_object": "not_an_object",
    "missing_event_id": "missing:event_id",
    "bad_region": "invalid:region",
    "negative_amount": "invalid:amount",
    "bad_timestamp": "invalid:occurred_at",
    "purchase_without_amount": "missing:amount",
    "empty_user_id": "invalid:user_id",
}


@dataclass(frozen=True, slots=True)
class GeneratedRecord:
    value: bytes
    kind: str  # "event", "v2", "late", "duplicate" or a malformed kind
    key: bytes | None = None
    expected_reason: str | None = None


@dataclass(frozen=True)
class TrafficSpec:
    count: int
    seed: int = 0
    start: datetime = datetime(2026, 11, 1, tzinfo=UTC)
    days: float = 1.0
    duplicates: float = 0.02
    late: float = 0.01
    malformed: float = 0.01
    v2: float = 0.3
    users_per_region: int = 2000
    live: bool = False  # occurred_at is the time of generation instead of a point in [start, start+days)
    # occurred_at follows the record's position through [start, start+days), up to jitter_seconds early:
    # the near-ordered stream a real producer sends, which event-time windows expect.
    ordered: bool = False
    jitter_seconds: float = 2.0


def diurnal_weight(ts: datetime, region: str) -> float:
    """Relative traffic at ``ts`` for a region: low at 04:00 local time, peak at 16:00."""
    local_hour = (ts.hour + ts.minute / 60 + REGION_UTC_OFFSET[region]) % 24
    return 1.0 + 0.8 * math.sin((local_hour - 10) / 24 * 2 * math.pi)


_CUMULATIVE = {id(w): (list(w), list(accumulate(w.values()))) for w in (REGION_WEIGHTS, EVENT_WEIGHTS)}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    names, cum = _CUMULATIVE[id(weights)]
    return rng.choices(names, cum_weights=cum)[0]


def _timestamp(rng: random.Random, spec: TrafficSpec, region: str, progress: float) -> datetime:
    if spec.ordered:
        return spec.start + timedelta(seconds=progress * spec.days * 86400 - rng.random() * spec.jitter_seconds)
    if spec.live:
        return datetime.now(UTC) - timedelta(milliseconds=rng.randint(0, 2000))
    span = spec.days * 86400
    for _ in range(20):  # rejection sampling against the diurnal curve (max weight 1.8)
        ts = spec.start + timedelta(seconds=rng.random() * span)
        if rng.random() * 1.8 <= diurnal_weight(ts, region):
            return ts
    return ts


def _rfc3339(ts: datetime, rng: random.Random) -> str:
    """Mostly UTC with Z, sometimes a local offset, as real clients send."""
    if rng.random() < 0.2:
        offset = timedelta(hours=rng.choice([-8, -5, 1, 2, 5.5, 9]))
        return ts.astimezone(timezone(offset)).isoformat(timespec="milliseconds")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def make_event(
    rng: random.Random, spec: TrafficSpec, version: int, late: bool, progress: float = 0.0
) -> dict[str, Any]:
    region = _pick(rng, REGION_WEIGHTS)
    event_type = _pick(rng, EVENT_WEIGHTS)
    ts = _timestamp(rng, spec, region, progress)
    if late:
        ts -= timedelta(hours=rng.uniform(2, 72))
    user = rng.randrange(spec.users_per_region)
    event: dict[str, Any] = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "event_type": event_type,
        "occurred_at": _rfc3339(ts, rng),
        "region": region,
        "user_id": f"u-{region}-{user}",
        "session_id": f"s-{region}-{user}-{rng.randrange(50)}",
        "country": rng.choice(REGION_COUNTRIES[region]),
        "device": rng.choice(DEVICES),
        "schema_version": version,
    }
    if rng.random() < 0.9:
        base = 900.0 if event_type == "error" else 120.0
        event["latency_ms"] = round(rng.lognormvariate(math.log(base), 0.6), 3)
    if event_type == "purchase":
        event["amount"] = round(rng.lognormvariate(math.log(40), 0.8), 2)
        event["currency"] = rng.choice(REGION_CURRENCIES[region])
    if version == 2:
        event["app_version"] = rng.choice(APP_VERSIONS)
    return event


def _malform(rng: random.Random, event: dict[str, Any], kind: str) -> bytes:
    bad = dict(event)
    if kind == "truncated_json":
        text = orjson.dumps(event)
        return text[: rng.randrange(1, len(text) - 1)]
    if kind == "not_an_object":
        return orjson.dumps([event["event_id"], event["event_type"]])
    if kind == "missing_event_id":
        del bad["event_id"]
    elif kind == "bad_region":
        bad["region"] = rng.choice(["mars", "US", "", "latam"])
    elif kind == "negative_amount":
        bad.update(event_type="purchase", amount=-round(rng.uniform(1, 100), 2), currency="USD")
    elif kind == "bad_timestamp":
        bad["occurred_at"] = rng.choice(["2026-13-45T10:00:00Z", "2026-02-30T25:61:00Z"])
    elif kind == "purchase_without_amount":
        bad["event_type"] = "purchase"
        bad.pop("amount", None)
        bad["currency"] = "USD"
    elif kind == "empty_user_id":
        bad["user_id"] = ""
    return orjson.dumps(bad)


def generate(spec: TrafficSpec) -> Iterator[GeneratedRecord]:
    """``spec.count`` records: events, re-sent duplicates, late, v2 and malformed ones."""
    rng = random.Random(spec.seed)
    recent: list[GeneratedRecord] = []  # ring buffer: duplicates repeat one of the last RECENT events
    written = 0
    for index in range(spec.count):
        roll = rng.random()
        if roll < spec.duplicates and recent:
            original = rng.choice(recent)
            yield GeneratedRecord(original.value, "duplicate", original.key)
            continue
        roll -= spec.duplicates
        version = 2 if rng.random() < spec.v2 else 1
        if roll < spec.malformed:
            kind = rng.choice(list(MALFORMED_KINDS))
            event = make_event(rng, spec, version, late=False)
            yield GeneratedRecord(_malform(rng, event, kind), kind, None, MALFORMED_KINDS[kind])
            continue
        roll -= spec.malformed
        late = roll < spec.late
        event = make_event(rng, spec, version, late, index / spec.count)
        record = GeneratedRecord(
            orjson.dumps(event), "late" if late else ("v2" if version == 2 else "event"), event["user_id"].encode()
        )
        if len(recent) < RECENT:
            recent.append(record)
        else:
            recent[written % RECENT] = record
        written += 1
        yield record
