"""One edge instance: keys, limits, the disk buffer and its forwarder, wired from settings."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from streaming.edge.auth import ApiKeys, ConfigError, RateLimits
from streaming.edge.buffer import BufferFull, DiskBuffer
from streaming.edge.forwarder import Forwarder
from streaming.edge.intake import BodyKind, Intake, Limits, decompress, parse_items, take
from streaming.edge.metrics import EdgeMetrics
from streaming.edge.settings import EdgeSettings
from streaming.events.event_time import EventTimeSettings
from streaming.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)
FULL_RATIO = 0.9  # /readyz answers 503 above this share of the buffer, or after a refusal until space frees


@dataclass(frozen=True)
class Health:
    status: str  # ready | degraded | full
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """What /readyz answers 200 for (and meridian_edge_ready reports): a buffering edge still takes traffic."""
        return self.status != "full"


class EdgeService:
    def __init__(
        self, settings: EdgeSettings, kafka: KafkaSettings, event_time: EventTimeSettings | None = None
    ) -> None:
        self.settings = settings
        self.rules = (event_time or EventTimeSettings()).rules()
        self.keys = ApiKeys.parse(settings.api_keys)
        if not self.keys.by_hash:
            raise ConfigError("no API keys: set MERIDIAN_EDGE_API_KEYS (mint one with `meridian edge-key`)")
        self.rate = RateLimits(settings.rate_limit)
        self.limits = Limits(
            max_decompressed_bytes=settings.max_decompressed_bytes,
            max_events=settings.max_events_per_request,
            max_field_chars=settings.max_field_chars,
            max_depth=settings.max_depth,
        )
        self.metrics = EdgeMetrics()
        self.buffer = DiskBuffer(
            settings.buffer_dir,
            max_bytes=settings.buffer_max_bytes,
            segment_bytes=settings.buffer_segment_bytes,
            fsync=settings.buffer_fsync,
        )
        found = self.buffer.recovery
        self.metrics.truncations.inc(len(found.truncations))
        self.metrics.truncated_bytes.inc(found.truncated_bytes)
        self.forwarder = Forwarder(self.buffer, settings, kafka, self.metrics)
        self.metrics.buffer_capacity.set(settings.buffer_max_bytes)
        self.metrics.serve_readiness(lambda: self.health().ready)
        self._full_at_bytes: int | None = None  # buffer size when a request was last refused for space
        self._stopping = threading.Event()
        self._syncer = threading.Thread(target=self._sync_every_interval, name="edge-fsync", daemon=True)

    def start(self) -> None:
        self.forwarder.start()
        if self.settings.buffer_fsync == "interval":
            self._syncer.start()

    def stop(self) -> None:
        self._stopping.set()
        self.forwarder.stop()
        self.buffer.close()

    def _sync_every_interval(self) -> None:
        while not self._stopping.wait(self.settings.buffer_fsync_interval_ms / 1000):
            self.buffer.sync()

    def accept(self, body: bytes, kind: BodyKind, encoding: str | None, key_name: str) -> Intake | int:
        """Decode, check the key's rate, validate, enrich and make durable. Returns the intake, or the
        seconds to wait when the key is over its rate. Raises IntakeError and BufferFull."""
        items = parse_items(
            decompress(body, encoding, self.limits.max_decompressed_bytes), kind, self.limits.max_events
        )
        allowed, retry_after = self.rate.allow(key_name, len(items))
        if not allowed:
            return retry_after
        intake = take(items, self.limits, self.settings.id, self.settings.region, rules=self.rules)
        if intake.records:
            try:
                self.buffer.append_durable(intake.records)
            except BufferFull:
                self._full_at_bytes = self.buffer.total_bytes
                raise
            self.metrics.accepted.inc(len(intake.records))
        for rejected in intake.rejected:
            self.metrics.rejected.labels(rejected["reason"]).inc()
        return intake

    def health(self) -> Health:
        records, size = self.buffer.pending()
        extra = {"buffered_records": records, "buffered_bytes": size, "edge_id": self.settings.id}
        total = self.buffer.total_bytes
        if self._full_at_bytes is not None and total < self._full_at_bytes:
            self._full_at_bytes = None  # forwarding has freed space since the last refusal
        used = total / self.buffer.max_bytes
        if used >= FULL_RATIO or self._full_at_bytes is not None:
            return Health("full", f"the disk buffer is {used:.0%} full; Kafka is not keeping up", extra)
        if self.forwarder.failing_since is not None:
            return Health("degraded", f"buffering on disk: Kafka is failing ({self.forwarder.last_error})", extra)
        if self.forwarder.lag_seconds > self.settings.degraded_after_seconds:
            return Health("degraded", f"buffering on disk: forwarding {self.forwarder.lag_seconds:.1f}s behind", extra)
        return Health("ready", "forwarding to Kafka", extra)
