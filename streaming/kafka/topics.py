"""Kafka topic names, defined once (``<domain>.<entity>.v<N>``)."""

from __future__ import annotations

EVENTS_RAW = "events.raw.v1"
