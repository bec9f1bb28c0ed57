"""Partial windows (one per partition) merged into what people read: a region's window.

Used by the HTTP API, by the Dagster asset that lands ``metrics.region_minute.v1`` and by tests,
so "what a window says" is computed in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from streaming.realtime import sketches
from streaming.realtime.windows import Aggregate, WindowKey


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
