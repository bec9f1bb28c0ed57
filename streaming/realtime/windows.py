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

from collections import Counter
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from meridian_native import Batch, WindowCore

from streaming.events import sketches
from streaming.events.contract import SUPPORTED_VERSIONS, Accepted, load_schema, parse_record
from streaming.events.window_records import Aggregate, ClosedWindow, WindowKey, late_record

SNAPSHOT_FORMAT = 1


def event_time_ms(occurred_at: str) -> int:
    """RFC 3339 (``Z`` or an offset; the contract has already checked it is a real instant) -> epoch ms."""
    return int(datetime.fromisoformat(occurred_at).timestamp() * 1000)


def _judge(value: Any) -> str | tuple[Any, ...]:
    """Python's verdict on a record the native fast path did not accept outright: a reason code,
    or the accepted event's fields (a timestamp shape the fast path leaves to Python)."""
    outcome = parse_record(value)
    if not isinstance(outcome, Accepted):
        return outcome.reason
    event = outcome.event
    at = int(outcome.occurred_at.timestamp() * 1000) if outcome.occurred_at else event_time_ms(event["occurred_at"])
    latency = event.get("latency_ms")
    purchase = event["event_type"] == "purchase"
    return (
        at,
        event["region"],
        event["event_type"],
        event["event_id"],
        event["user_id"],
        None if latency is None else float(latency),
        float(event["amount"]) if purchase else None,
        event["currency"] if purchase else None,
    )


@cache
def _schemas() -> dict[int, str]:
    return {version: orjson.dumps(load_schema(version)).decode() for version in SUPPORTED_VERSIONS}


def _aggregate(data: dict[str, Any]) -> Aggregate:
    return Aggregate(
        events=data["events"],
        purchases=data["purchases"],
        errors=data["errors"],
        revenue_usd=data["revenue_usd"],
        users=data["users"],
        latency=sketches.LatencySketch.of(data["latency_zeros"], data["latency_buckets"]),
        event_ids=set(data.get("event_ids", ())),
    )


class PartitionWindows:
    """The open windows, watermark and counters of one partition, and the next offset to read.

    The per-record work (decode, contract, windows) runs in Rust (``meridian_native.WindowCore``,
    ``streaming/native``): in Python it cost as much per record as kafka-python's whole consume
    loop. Records the native path does not accept outright are judged here in Python
    (:func:`_judge`), so reason codes, and the decision to reject, stay Python's.
    """

    def __init__(
        self, partition: int, window_ms: int, lateness_ms: int, fx_rates: dict[str, float], offset: int = 0
    ) -> None:
        self.partition = partition
        self.window_ms = window_ms
        self.lateness_ms = lateness_ms
        self.fx_rates = fx_rates
        self.core = WindowCore(
            window_ms,
            lateness_ms,
            sketches.LatencySketch.LOG_GAMMA,
            fx_rates,
            _schemas(),
            _judge,
            sketches.new_users,
            offset,
        )

    @property
    def offset(self) -> int:
        """The next offset to read."""
        return int(self.core.offset)

    @property
    def max_event_ms(self) -> int | None:
        return self.core.max_event_ms  # type: ignore[no-any-return]

    @property
    def late(self) -> int:
        return int(self.core.late)

    @property
    def duplicates(self) -> int:
        return int(self.core.duplicates)

    @property
    def invalid(self) -> Counter[str]:
        """Invalid records by reason code (a copy)."""
        return Counter(self.core.invalid())

    @property
    def windows(self) -> dict[WindowKey, Aggregate]:
        """The open windows (built on each call: for the API and tests, not for the hot path)."""
        return {WindowKey(s, r, t): _aggregate(d) for s, r, t, d in self.core.open_windows(False)}

    @property
    def watermark_ms(self) -> int | None:
        return None if self.max_event_ms is None else self.max_event_ms - self.lateness_ms

    def process(self, offset: int, value: bytes | None) -> None:
        """Apply one record; ``offset`` must be the partition's next one (replays before it are skipped).

        Everything a window holds depends only on the records in offset order: an event is late
        when its window's end is at or before the watermark at that event; the same event_id in
        one open window counts once.
        """
        self.core.process(offset, value)

    def process_records(self, records: list[Any]) -> int:
        """Apply a poll's ``ConsumerRecord``s of this partition, in order."""
        return self.core.process_records(records)

    def decode(self, records: list[Any]) -> Batch:
        """Start decoding and checking a poll's records on a thread of their own (no GIL)."""
        return self.core.decode(records)

    def apply_batch(self, batch: Batch) -> int:
        """Fold a decoded batch in, in offset order: the same result as ``process_records``."""
        return self.core.apply_batch(batch)

    def close_ready(self) -> list[ClosedWindow]:
        """Remove and return, oldest first, every window whose end the watermark has reached."""
        return [
            ClosedWindow(WindowKey(s, r, t), self.partition, _aggregate(d)) for s, r, t, d in self.core.close_ready()
        ]

    def late_records(self) -> list[tuple[bytes, bytes]]:
        """Key and value of each late tally that changed since the last call (latest value wins).

        The batch layer counts late events and the speed layer does not, so reconciling the two
        needs to know which hours had late events; each tally is a cumulative count keyed by
        (hour, region, partition), so re-emissions overwrite.
        """
        return [
            late_record(hour, region, self.partition, count) for hour, region, count in self.core.take_late_changed()
        ]

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
                "late_by_hour": [list(t) for t in self.core.late_by_hour()],
                "late_changed": [list(t) for t in self.core.late_changed()],
                "duplicates": self.duplicates,
                "invalid": dict(sorted(self.core.invalid().items())),
                "windows": [
                    {"start_ms": s, "region": r, "event_type": t, **_aggregate(d).to_dict(True)}
                    for s, r, t, d in self.core.open_windows(True)
                ],
            }
        )

    @classmethod
    def restore(cls, data: bytes, fx_rates: dict[str, float]) -> PartitionWindows:
        state = orjson.loads(data)
        if state.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"snapshot format {state.get('format')} is not {SNAPSHOT_FORMAT}; cannot restore")
        restored = cls(state["partition"], state["window_ms"], state["lateness_ms"], fx_rates, state["offset"])
        core = restored.core
        core.max_event_ms = state["max_event_ms"]
        core.late = state["late"]
        core.duplicates = state["duplicates"]
        core.set_invalid(state["invalid"])
        core.restore_late([tuple(t) for t in state["late_by_hour"]], [tuple(t) for t in state["late_changed"]])
        for w in state["windows"]:
            a = Aggregate.from_dict(w)
            core.put_window(
                w["start_ms"],
                w["region"],
                w["event_type"],
                a.events,
                a.purchases,
                a.errors,
                a.revenue_usd,
                a.users,
                a.latency.zeros,
                a.latency.buckets,
                list(a.event_ids),
            )
        return restored
