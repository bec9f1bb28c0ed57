"""Prometheus metrics of one streaming service instance (its own registry: tests run several)."""

from __future__ import annotations

from collections import Counter as Counter_
from typing import Any

from kafka import TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class StreamMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.records = Counter("meridian_stream_records", "Records consumed", ["partition"], registry=r)
        self.late = Counter("meridian_stream_late_events", "Events after their window closed", registry=r)
        self.duplicates = Counter("meridian_stream_duplicate_events", "Same event_id in one window", registry=r)
        self.invalid = Counter(
            "meridian_stream_invalid_records", "Records the contract rejects", ["reason"], registry=r
        )
        self.windows_emitted = Counter("meridian_stream_windows_emitted", "Partial windows emitted", registry=r)
        self.window_delay = Histogram(
            "meridian_stream_window_emit_delay_seconds",
            "Wall time between a window's end and its emission (lateness + processing)",
            buckets=(0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300),
            registry=r,
        )
        self.lag = Gauge(
            "meridian_stream_consumer_lag", "Records behind the partition's end", ["partition"], registry=r
        )
        self.partitions = Gauge("meridian_stream_partitions_owned", "Partitions this instance owns", registry=r)
        self.checkpoints = Counter("meridian_stream_checkpoints", "Snapshots written", registry=r)
        self.recoveries = Counter("meridian_stream_recoveries", "Restores after Kafka refused a write", registry=r)

    def observe_partition(self, partition: int, records: int, late: int, duplicates: int, invalid: Counter_) -> None:
        """Count what one batch did to a partition (the deltas of its state's counters)."""
        self.records.labels(str(partition)).inc(records)
        self.late.inc(late)
        self.duplicates.inc(duplicates)
        for reason, count in invalid.items():
            self.invalid.labels(reason).inc(count)

    def observe_lag(self, consumer: Any, topic: str, owned: dict[int, Any]) -> None:
        for partition, o in list(owned.items()):
            high = consumer.highwater(TopicPartition(topic, partition))
            if high is not None:
                self.lag.labels(str(partition)).set(max(0, high - o.state.offset))
