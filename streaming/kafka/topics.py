"""Kafka topic names, defined once (``<domain>.<entity>.v<N>``)."""

from __future__ import annotations

EVENTS_RAW = "events.raw.v1"
METRICS_REGION_MINUTE = "metrics.region_minute.v1"
STREAM_STATE = "stream.state.v1"  # the streaming service's window snapshots, one per source partition
