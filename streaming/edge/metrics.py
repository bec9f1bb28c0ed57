"""Prometheus metrics of one edge instance (its own registry: tests run several in one process)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class EdgeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.accepted = Counter("meridian_edge_events_accepted", "Events durable in the buffer", registry=r)
        self.rejected = Counter("meridian_edge_events_rejected", "Events refused, by reason", ["reason"], registry=r)
        self.requests = Counter(
            "meridian_edge_requests", "HTTP requests to /v1/events, by status", ["status"], registry=r
        )
        self.request_seconds = Histogram(
            "meridian_edge_request_seconds",
            "Time from request to response on /v1/events",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.buffered_records = Gauge("meridian_edge_buffered_records", "Records waiting to be forwarded", registry=r)
        self.buffered_bytes = Gauge("meridian_edge_buffered_bytes", "Buffer bytes on disk", registry=r)
        self.forward_lag = Gauge(
            "meridian_edge_forward_lag_seconds", "Age of the oldest record not yet in Kafka", registry=r
        )
        self.forwarded = Counter("meridian_edge_events_forwarded", "Records acknowledged by Kafka", registry=r)
        self.kafka_errors = Counter(
            "meridian_edge_kafka_errors", "Failed forward attempts, by error", ["error"], registry=r
        )
        self.truncations = Counter(
            "meridian_edge_buffer_truncations", "Torn or corrupt buffer tails found and truncated", registry=r
        )
        self.truncated_bytes = Counter(
            "meridian_edge_buffer_truncated_bytes", "Bytes cut from torn or corrupt buffer tails", registry=r
        )
        self.buffer_full = Counter(
            "meridian_edge_buffer_full", "Requests refused because the buffer was full", registry=r
        )
        # With buffered_bytes, how close the buffer is to refusing requests (the alert's ratio).
        self.buffer_capacity = Gauge(
            "meridian_edge_buffer_capacity_bytes", "The disk buffer's configured maximum", registry=r
        )
        # Set to a function by the service: read at scrape time, so it always agrees with /readyz.
        self.ready = Gauge("meridian_edge_ready", "1 when /readyz answers 200 (not nearly full), else 0", registry=r)

    def serve_readiness(self, is_ready: Callable[[], bool]) -> None:
        """Have each scrape ask ``is_ready`` (what /readyz decides) rather than keep a copy that could go stale."""
        self.ready.set_function(lambda: 1.0 if is_ready() else 0.0)
