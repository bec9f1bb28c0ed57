"""Prometheus metrics of one streaming service instance (its own registry: tests run several).

Besides the operational counters, the instance exports what it computes: the latest closed window per
(region, event type) it holds, so a dashboard shows real-time analytics per region, not only health.
Those are read at scrape time by :class:`WindowsCollector` from one consistent view, so a scrape never
mixes two batches and a window that left the instance (a rebalance) leaves no stale series behind.
"""

from __future__ import annotations

from collections import Counter as Counter_
from collections.abc import Callable, Iterator
from typing import Any

from kafka import TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from streaming.events.window_records import MergedWindow, merge
from streaming.realtime.view import WindowsView

# The window's region is `event_region`: `region` is the target label Prometheus adds to every series
# of a regional deployment, and an exported `region` would be renamed `exported_region` on scrape.
WINDOW_LABELS = ("event_region", "event_type")


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
        self._lag_partitions: set[int] = set()  # partitions with a lag series, so revoked ones can be removed

    def observe_partition(self, partition: int, records: int, late: int, duplicates: int, invalid: Counter_) -> None:
        """Count what one batch did to a partition (the deltas of its state's counters)."""
        self.records.labels(str(partition)).inc(records)
        self.late.inc(late)
        self.duplicates.inc(duplicates)
        for reason, count in invalid.items():
            self.invalid.labels(reason).inc(count)

    def observe_lag(self, consumer: Any, topic: str, owned: dict[int, Any]) -> None:
        """Lag of the owned partitions; a partition given away leaves, or its last lag would be summed
        with its new owner's for as long as this instance runs."""
        for partition, o in list(owned.items()):
            high = consumer.highwater(TopicPartition(topic, partition))
            if high is not None:
                self.lag.labels(str(partition)).set(max(0, high - o.state.offset))
                self._lag_partitions.add(partition)
        for gone in self._lag_partitions - set(owned):
            self.lag.remove(str(gone))
        self._lag_partitions &= set(owned)


def latest_closed(view: WindowsView) -> list[MergedWindow]:
    """The newest closed window of each (region, event type), its partials over the owned partitions merged.

    A window some owned partition still holds open is skipped for the one before it: its merged counts
    would still grow when that partition closes it, and a dashboard would draw a dip that never was.
    """
    still_open = {key for key, _, _ in view.open}
    latest: dict[tuple[str, str], MergedWindow] = {}
    for window in merge(view.closed, view.window_ms):  # in window order: a later start replaces an earlier
        if window.key not in still_open:
            latest[(window.key.region, window.key.event_type)] = window
    return [latest[k] for k in sorted(latest)]


class WindowsCollector(Collector):
    """The latest closed windows, readiness and the last checkpoint's time, computed at each scrape.

    ``view`` returns None when the service's state cannot be read at once (the loop holds its lock
    through a checkpoint or a recovery, which can last while Kafka is away): that scrape then carries
    readiness and the checkpoint time, which matter most then, and no window series.
    """

    def __init__(
        self,
        view: Callable[[], WindowsView | None],
        ready: Callable[[], bool],
        last_checkpoint_unix: Callable[[], float],
    ) -> None:
        self._view = view
        self._ready = ready
        self._last_checkpoint = last_checkpoint_unix

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "meridian_stream_ready",
            "1 when /readyz answers 200 (checkpoints succeed), else 0",
            1.0 if self._ready() else 0.0,
        )
        yield GaugeMetricFamily(
            "meridian_stream_last_checkpoint_timestamp_seconds",
            "Unix time of the last successful checkpoint (0 before the first)",
            self._last_checkpoint(),
        )
        view = self._view()
        windows = [] if view is None else latest_closed(view)
        families = {
            name: GaugeMetricFamily(f"meridian_stream_window_{name}", help_, labels=WINDOW_LABELS)
            for name, help_ in (
                ("events", "Events in the latest closed window (duplicates counted once)"),
                ("errors", "Error events in the latest closed window"),
                ("revenue_usd", "Purchase revenue in USD in the latest closed window"),
                ("latency_p95_seconds", "p95 of latency_ms in the latest closed window, in seconds (within 1%)"),
                ("end_timestamp_seconds", "Unix time at which the latest closed window ends"),
            )
        }
        for window in windows:
            labels = [window.key.region, window.key.event_type]
            a = window.aggregate
            families["events"].add_metric(labels, a.events)
            families["errors"].add_metric(labels, a.errors)
            families["revenue_usd"].add_metric(labels, a.revenue_usd)
            p95 = a.latency.quantile(0.95)
            if p95 is not None:  # a window of events without latencies has no p95, not a p95 of 0
                families["latency_p95_seconds"].add_metric(labels, p95 / 1000)
            families["end_timestamp_seconds"].add_metric(labels, (window.key.start_ms + window.window_ms) / 1000)
        yield from families.values()
