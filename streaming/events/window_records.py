"""The stream-metrics record format (``metrics.region_minute.v1``): partial windows and late tallies.

What the streaming service writes and what the lakehouse reads, kept at the bottom layer so that
reading the topic (Dagster's landing asset, the reconciliation with gold) needs neither the service
nor its Rust extension. Partial windows are per source partition; :func:`merge` combines the partials
of one window into what people read (counts add, the sketches merge), in one place for the HTTP API,
the landing asset and the tests.

Every record is keyed so that the latest value of a key is the truth: a window re-emitted after a
crash overwrites itself with the same bytes, and a late tally is a cumulative count.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from streaming.events import sketches

HOUR_MS = 3_600_000


class WindowKey(NamedTuple):
    """A tuple (hash and equality in C): the hot path looks windows up by a plain tuple."""

    start_ms: int
    region: str
    event_type: str


@dataclass(slots=True)
class Aggregate:
    """One partition's share of one window."""

    events: int = 0
    purchases: int = 0
    errors: int = 0
    revenue_usd: float = 0.0
    users: Any = field(default_factory=sketches.new_users)
    latency: Any = field(default_factory=sketches.new_latency)
    event_ids: set[str] = field(default_factory=set)

    def to_dict(self, with_ids: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "events": self.events,
            "purchases": self.purchases,
            "errors": self.errors,
            "revenue_usd": self.revenue_usd,
            "users_hll": base64.b64encode(sketches.users_bytes(self.users)).decode(),
            "latency_ddsketch": base64.b64encode(sketches.latency_bytes(self.latency)).decode(),
        }
        if with_ids:
            data["event_ids"] = list(self.event_ids)  # order is irrelevant, and sorting ~1M ids stalls the loop
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Aggregate:
        return cls(
            events=data["events"],
            purchases=data["purchases"],
            errors=data["errors"],
            revenue_usd=data["revenue_usd"],
            users=sketches.users_from(base64.b64decode(data["users_hll"])),
            latency=sketches.latency_from(base64.b64decode(data["latency_ddsketch"])),
            event_ids=set(data.get("event_ids", ())),
        )


@dataclass(frozen=True, slots=True)
class ClosedWindow:
    key: WindowKey
    partition: int
    aggregate: Aggregate


def window_record(closed: ClosedWindow, window_ms: int) -> tuple[bytes, bytes]:
    """Key and value of one partial window on ``metrics.region_minute.v1``.

    The key names the window and the partition, so a re-emission after a crash overwrites the
    same record (the topic can be compacted), and partials of other partitions never collide.
    """
    k = closed.key
    key = f"{k.start_ms}|{window_ms}|{k.region}|{k.event_type}|{closed.partition}".encode()
    value = orjson.dumps(
        {
            "kind": "window",
            "window_start_ms": k.start_ms,
            "window_ms": window_ms,
            "region": k.region,
            "event_type": k.event_type,
            "partition": closed.partition,
            **closed.aggregate.to_dict(False),
        }
    )
    return key, value


def late_record(hour_start_ms: int, region: str, partition: int, count: int) -> tuple[bytes, bytes]:
    """Key and value of one late tally: late events of (hour, region) seen so far on ``partition``.

    The batch layer counts late events and the speed layer does not, so reconciling the two needs to
    know which hours had late events; a tally is cumulative, so re-emissions overwrite.
    """
    key = f"late|{hour_start_ms}|{region}|{partition}".encode()
    value = orjson.dumps(
        {"kind": "late", "hour_start_ms": hour_start_ms, "region": region, "partition": partition, "late_events": count}
    )
    return key, value


@dataclass(frozen=True)
class MergedWindow:
    key: WindowKey
    window_ms: int
    partitions: tuple[int, ...]
    aggregate: Aggregate

    def to_json(self, closed: bool) -> dict[str, Any]:
        a = self.aggregate
        return {
            "window_start": datetime.fromtimestamp(self.key.start_ms / 1000, UTC).isoformat(),
            "window_seconds": self.window_ms / 1000,
            "region": self.key.region,
            "event_type": self.key.event_type,
            "closed": closed,
            "partitions": list(self.partitions),
            "events": a.events,
            "users": round(a.users.get_estimate()),
            "purchases": a.purchases,
            "revenue_usd": a.revenue_usd,
            "errors": a.errors,
            "latency_ms": sketches.quantiles(a.latency),
        }


def merge(partials: Iterable[tuple[WindowKey, int, Aggregate]], window_ms: int) -> list[MergedWindow]:
    """Combine partials of the same window (counts add, sketches merge), ordered by window."""
    grouped: dict[WindowKey, list[tuple[int, Aggregate]]] = {}
    for key, partition, aggregate in partials:
        grouped.setdefault(key, []).append((partition, aggregate))
    merged = []
    for key in sorted(grouped):
        parts = sorted(grouped[key], key=lambda p: p[0])
        latency = sketches.new_latency()
        for _, a in parts:
            latency.merge(a.latency)
        total = Aggregate(
            events=sum(a.events for _, a in parts),
            purchases=sum(a.purchases for _, a in parts),
            errors=sum(a.errors for _, a in parts),
            revenue_usd=sum(a.revenue_usd for _, a in parts),
            users=sketches.merge_users([a.users for _, a in parts]),
            latency=latency,
        )
        merged.append(MergedWindow(key, window_ms, tuple(p for p, _ in parts), total))
    return merged


def parse_partial(value: bytes) -> tuple[WindowKey, int, int, Aggregate] | None:
    """One window record of ``metrics.region_minute.v1``: (window, window_ms, partition, aggregate).

    None for the topic's other kind of record, the late tallies (``PartitionWindows.late_records``).
    """
    data = orjson.loads(value)
    if data.get("kind") == "late":
        return None
    key = WindowKey(data["window_start_ms"], data["region"], data["event_type"])
    return key, data["window_ms"], data["partition"], Aggregate.from_dict(data)
