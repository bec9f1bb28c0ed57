"""Event-time tumbling windows for one Kafka partition: pure, deterministic, snapshot-able.

Everything a window holds depends only on the partition's records in offset order, never on how
polls happened to batch them: an event is late when its window's end is at or before the
watermark *at that event* (max event time seen so far on the partition minus the allowed
lateness), and a window is emitted once the watermark passes its end. So a restored snapshot
replayed from its offset emits byte-identical windows, which is what makes a crash invisible in
the output topic (keyed by window, so a re-emission overwrites with the same value).

Windows are per partition: events of one region arrive on several partitions (keyed by user), so
each partition emits a *partial* window, and ``streaming.realtime.view`` merges the partials
(counts add, the sketches merge). A partition that stops receiving events holds its own windows
open; it never holds back the others.

Duplicates: the same event_id inside one open window counts once (users retry within seconds);
a copy arriving after its window closed is late like any other late event, and the batch layer,
which deduplicates over the whole day, counts it there.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from streaming.events.contract import Accepted, parse_record
from streaming.realtime import sketches

SNAPSHOT_FORMAT = 1
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


def event_time_ms(occurred_at: str) -> int:
    """RFC 3339 (``Z`` or an offset; the contract has already checked it is a real instant) -> epoch ms."""
    return int(datetime.fromisoformat(occurred_at).timestamp() * 1000)


class PartitionWindows:
    """The open windows, watermark and counters of one partition, and the next offset to read."""

    def __init__(
        self, partition: int, window_ms: int, lateness_ms: int, fx_rates: dict[str, float], offset: int = 0
    ) -> None:
        self.partition = partition
        self.window_ms = window_ms
        self.lateness_ms = lateness_ms
        self.fx_rates = fx_rates
        self.offset = offset
        self.max_event_ms: int | None = None
        self.windows: dict[WindowKey, Aggregate] = {}
        self.late = 0
        self.late_by_hour: Counter[tuple[int, str]] = Counter()  # (hour start ms, region): late events
        self.late_changed: set[tuple[int, str]] = set()  # tallies not yet emitted
        self.duplicates = 0
        self.invalid: Counter[str] = Counter()

    @property
    def watermark_ms(self) -> int | None:
        return None if self.max_event_ms is None else self.max_event_ms - self.lateness_ms

    def process(self, offset: int, value: bytes | None) -> None:
        """Apply one record; ``offset`` must be the partition's next one (replays before it are skipped)."""
        if offset < self.offset:
            return
        self.offset = offset + 1
        outcome = parse_record(value)
        if not isinstance(outcome, Accepted):
            self.invalid[outcome.reason] += 1
            return
        event = outcome.event
        at = int(outcome.occurred_at.timestamp() * 1000) if outcome.occurred_at else event_time_ms(event["occurred_at"])
        start = at - at % self.window_ms
        if self.max_event_ms is not None and start + self.window_ms <= self.max_event_ms - self.lateness_ms:
            self.late += 1
            hour = (at - at % HOUR_MS, event["region"])
            self.late_by_hour[hour] += 1
            self.late_changed.add(hour)
            return
        if self.max_event_ms is None or at > self.max_event_ms:
            self.max_event_ms = at
        event_type = event["event_type"]
        key = (start, event["region"], event_type)
        window = self.windows.get(key)  # type: ignore[call-overload]
        if window is None:
            window = self.windows[WindowKey(*key)] = Aggregate()
        event_id = event["event_id"]
        if event_id in window.event_ids:
            self.duplicates += 1
            return
        window.event_ids.add(event_id)
        window.events += 1
        window.users.update(event["user_id"])
        latency = event.get("latency_ms")
        if latency is not None:
            window.latency.add(float(latency))
        if event_type == "purchase":
            window.purchases += 1
            rate = self.fx_rates.get(event["currency"])
            if rate is not None:  # as in gold: no fx rate, no amount_usd (silver's quality suite flags it)
                window.revenue_usd += float(event["amount"]) * rate
        elif event_type == "error":
            window.errors += 1

    def close_ready(self) -> list[ClosedWindow]:
        """Remove and return, oldest first, every window whose end the watermark has reached."""
        watermark = self.watermark_ms
        if watermark is None:
            return []
        ready = sorted(k for k in self.windows if k.start_ms + self.window_ms <= watermark)
        return [ClosedWindow(k, self.partition, self.windows.pop(k)) for k in ready]

    def late_records(self) -> list[tuple[bytes, bytes]]:
        """Key and value of each late tally that changed since the last call (latest value wins).

        The batch layer counts late events and the speed layer does not, so reconciling the two
        needs to know which hours had late events; each tally is a cumulative count keyed by
        (hour, region, partition), so re-emissions overwrite.
        """
        out = []
        for hour, region in sorted(self.late_changed):
            key = f"late|{hour}|{region}|{self.partition}".encode()
            value = orjson.dumps(
                {
                    "kind": "late",
                    "hour_start_ms": hour,
                    "region": region,
                    "partition": self.partition,
                    "late_events": self.late_by_hour[(hour, region)],
                }
            )
            out.append((key, value))
        self.late_changed.clear()
        return out

    def snapshot(self) -> bytes:
        """Everything needed to continue exactly here, with the offset it is valid at."""
        return orjson.dumps(
            {
                "format": SNAPSHOT_FORMAT,
                "partition": self.partition,
                "offset": self.offset,
                "window_ms": self.window_ms,
                "lateness_ms": self.lateness_ms,
                "max_event_ms": self.max_event_ms,
                "late": self.late,
                "late_by_hour": [[h, r, n] for (h, r), n in sorted(self.late_by_hour.items())],
                "late_changed": sorted([h, r] for h, r in self.late_changed),
                "duplicates": self.duplicates,
                "invalid": dict(self.invalid),
                "windows": [
                    {"start_ms": k.start_ms, "region": k.region, "event_type": k.event_type, **a.to_dict(True)}
                    for k, a in sorted(self.windows.items())
                ],
            }
        )

    @classmethod
    def restore(cls, data: bytes, fx_rates: dict[str, float]) -> PartitionWindows:
        state = orjson.loads(data)
        if state.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"snapshot format {state.get('format')} is not {SNAPSHOT_FORMAT}; cannot restore")
        restored = cls(state["partition"], state["window_ms"], state["lateness_ms"], fx_rates, state["offset"])
        restored.max_event_ms = state["max_event_ms"]
        restored.late = state["late"]
        restored.late_by_hour = Counter({(h, r): n for h, r, n in state["late_by_hour"]})
        restored.late_changed = {(h, r) for h, r in state["late_changed"]}
        restored.duplicates = state["duplicates"]
        restored.invalid = Counter(state["invalid"])
        for w in state["windows"]:
            restored.windows[WindowKey(w["start_ms"], w["region"], w["event_type"])] = Aggregate.from_dict(w)
        return restored


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
