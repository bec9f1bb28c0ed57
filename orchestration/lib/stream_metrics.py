"""The streaming service's output (``metrics.region_minute.v1``) in the lake, and its reconciliation with gold.

Landing reuses bronze's exactly-once scheme: one Parquet file per Kafka offset range, named by the
range, written whole; the file names are the ledger of what landed. The topic holds two kinds of
record, both keyed so the latest value of a key is the truth (``streaming.realtime.windows``):
partial windows and per-hour late tallies. Records that are not one of those go to a quarantine
file with a reason, like bronze's.

Reconciliation compares, per (region, hour), the speed layer with gold: the number of events and
the p95 latency. The batch layer also counts late events, which the speed layer leaves to it, so
only hours in which the service saw no late event are compared (the others are reported as
skipped), and only hours the stream has moved past (a window starting after the hour's end plus
the allowed lateness has landed).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.bronze.reader import RawRecord
from orchestration.lib.ledger import Built, Ledger
from streaming.events import sketches
from streaming.events.window_records import HOUR_MS, Aggregate, WindowKey, merge

METRICS_PREFIX = "streaming/region_minute"
QUARANTINE_PREFIX = "streaming/region_minute_quarantine"

SCHEMA = pa.schema(
    [
        pa.field("record_key", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("window_start_ms", pa.int64()),
        pa.field("window_ms", pa.int64()),
        pa.field("hour_start_ms", pa.int64()),
        pa.field("region", pa.string()),
        pa.field("event_type", pa.string()),
        pa.field("source_partition", pa.int32()),
        pa.field("events", pa.int64()),
        pa.field("purchases", pa.int64()),
        pa.field("errors", pa.int64()),
        pa.field("revenue_usd", pa.float64()),
        pa.field("users_hll", pa.string()),
        pa.field("latency_ddsketch", pa.string()),
        pa.field("late_events", pa.int64()),
        pa.field("kafka_partition", pa.int32(), nullable=False),
        pa.field("kafka_offset", pa.int64(), nullable=False),
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("kafka_partition", pa.int32(), nullable=False),
        pa.field("kafka_offset", pa.int64(), nullable=False),
        pa.field("raw_value", pa.binary()),
        pa.field("reason", pa.string(), nullable=False),
    ]
)
_WINDOW_FIELDS = ("window_start_ms", "window_ms", "region", "event_type", "partition", "events", "purchases")


STREAM_METRICS = Ledger(METRICS_PREFIX, QUARANTINE_PREFIX)


@dataclass
class MetricsBatch:
    rows: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)


def _row(record: RawRecord, data: dict[str, Any]) -> dict[str, Any]:
    """One lake row; ``record_key`` is rebuilt from the value (the same key the service sent it with)."""
    base = {"kafka_partition": record.partition, "kafka_offset": record.offset}
    if data.get("kind") == "late":
        key = f"late|{data['hour_start_ms']}|{data['region']}|{data['partition']}"
        return {**base, "record_key": key, "kind": "late", "hour_start_ms": data["hour_start_ms"],
                "region": data["region"], "source_partition": data["partition"],
                "late_events": data["late_events"]}  # fmt: skip
    missing = [name for name in _WINDOW_FIELDS if name not in data]
    if missing:
        raise ValueError(f"missing:{missing[0]}")
    key = f"{data['window_start_ms']}|{data['window_ms']}|{data['region']}|{data['event_type']}|{data['partition']}"
    return {
        **base,
        "record_key": key,
        "kind": "window",
        "window_start_ms": data["window_start_ms"],
        "window_ms": data["window_ms"],
        "region": data["region"],
        "event_type": data["event_type"],
        "source_partition": data["partition"],
        "events": data["events"],
        "purchases": data["purchases"],
        "errors": data["errors"],
        "revenue_usd": data["revenue_usd"],
        "users_hll": data["users_hll"],
        "latency_ddsketch": data["latency_ddsketch"],
    }


def build(records: Iterable[RawRecord]) -> MetricsBatch:
    """Rows for the lake, and the records that are not metrics, each with its reason."""
    batch = MetricsBatch()
    for record in records:
        try:
            data = orjson.loads(record.value or b"")
            if not isinstance(data, dict):
                raise ValueError("not_an_object")
            batch.rows.append(_row(record, data))
        except (orjson.JSONDecodeError, ValueError, KeyError) as exc:
            reason = "invalid_json" if isinstance(exc, orjson.JSONDecodeError) else str(exc).strip("'")
            batch.reasons[reason] += 1
            batch.quarantine.append(
                {
                    "kafka_partition": record.partition,
                    "kafka_offset": record.offset,
                    "raw_value": record.value,
                    "reason": reason,
                }  # fmt: skip
            )
    return batch


def built(records: Iterable[RawRecord]) -> Built:
    """A range's records as the ledger's files (``Ledger.land_range``'s ``build``)."""
    batch = build(records)
    quarantine = to_parquet(batch.quarantine, QUARANTINE_SCHEMA) if batch.quarantine else None
    return Built(to_parquet(batch.rows, SCHEMA), quarantine, len(batch.rows), len(batch.quarantine), batch.reasons)


def to_parquet(rows: list[dict[str, Any]], schema: pa.Schema) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def latest(tables: list[pa.Table]) -> list[dict[str, Any]]:
    """The latest row of every record key (a key always lives on one Kafka partition)."""
    best: dict[str, dict[str, Any]] = {}
    for table in tables:
        for row in table.to_pylist():
            seen = best.get(row["record_key"])
            if seen is None or row["kafka_offset"] > seen["kafka_offset"]:
                best[row["record_key"]] = row
    return list(best.values())


@dataclass(frozen=True)
class HourCheck:
    region: str
    hour_start_ms: int
    stream_events: int
    gold_events: int | None
    stream_p95: float | None
    gold_p95: float | None

    @property
    def agrees(self) -> bool:
        if self.gold_events != self.stream_events:
            return False
        if self.stream_p95 is None or self.gold_p95 is None:
            return self.stream_p95 == self.gold_p95
        return abs(self.stream_p95 - self.gold_p95) <= 0.02 * abs(self.gold_p95)


@dataclass
class Reconciliation:
    compared: list[HourCheck] = field(default_factory=list)
    skipped_late: list[tuple[str, int]] = field(default_factory=list)
    skipped_open: list[tuple[str, int]] = field(default_factory=list)

    @property
    def mismatches(self) -> list[HourCheck]:
        return [c for c in self.compared if not c.agrees]


def reconcile(
    rows: list[dict[str, Any]], gold: dict[tuple[str, int], tuple[int, float | None]], lateness_ms: int
) -> Reconciliation:
    """Compare the speed layer's hours with gold's ``(region, hour start ms) -> (events, p95)``."""
    windows = [r for r in rows if r["kind"] == "window"]
    late = Counter({(r["region"], r["hour_start_ms"]): 0 for r in rows if r["kind"] == "late"})
    for r in rows:
        if r["kind"] == "late":
            late[(r["region"], r["hour_start_ms"])] += r["late_events"]
    if not windows:
        return Reconciliation()
    frontier = max(r["window_start_ms"] for r in windows)
    by_hour: dict[tuple[str, int], list[tuple[WindowKey, int, Aggregate]]] = {}
    for r in windows:
        aggregate = Aggregate.from_dict(r)
        key = WindowKey(r["window_start_ms"], r["region"], r["event_type"])
        hour = r["window_start_ms"] - r["window_start_ms"] % HOUR_MS
        by_hour.setdefault((r["region"], hour), []).append((key, r["source_partition"], aggregate))
    result = Reconciliation()
    for (region, hour), partials in sorted(by_hour.items()):
        if late.get((region, hour), 0):
            result.skipped_late.append((region, hour))
            continue
        if hour + HOUR_MS + lateness_ms > frontier:
            result.skipped_open.append((region, hour))
            continue
        latency = sketches.new_latency()
        events = 0
        for merged in merge(partials, windows[0]["window_ms"]):
            events += merged.aggregate.events
            latency.merge(merged.aggregate.latency)
        gold_events, gold_p95 = gold.get((region, hour), (None, None))
        result.compared.append(HourCheck(region, hour, events, gold_events, latency.quantile(0.95), gold_p95))
    return result
