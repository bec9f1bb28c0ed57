"""Kafka -> bronze on a real broker: exactly once per Kafka record, quarantine with reasons."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from tests.helpers import produce_and_place, read_layer

pytestmark = pytest.mark.integration


def test_100k_generated_events_land_exactly_once_with_malformed_ones_quarantined(settings: PlatformSettings) -> None:
    records = list(generate(TrafficSpec(count=100_000, seed=11, duplicates=0.03, malformed=0.02, late=0.02)))
    placed = produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, records)

    summary = run_pending(settings, warehouse=False)

    assert summary.success, summary.render()
    assert summary.failed_checks == []
    events = read_layer(settings.lake.root, "us", "events", settings.kafka.events_topic)
    quarantine = read_layer(settings.lake.root, "us", "quarantine", settings.kafka.events_topic)
    assert events.num_rows + quarantine.num_rows == len(records)

    landed = {
        (p, o): eid
        for p, o, eid in zip(
            events["kafka_partition"].to_pylist(),
            events["kafka_offset"].to_pylist(),
            events["event_id"].to_pylist(),
            strict=True,
        )
    }
    quarantined = {
        (p, o): (reason, raw)
        for p, o, reason, raw in zip(
            quarantine["kafka_partition"].to_pylist(),
            quarantine["kafka_offset"].to_pylist(),
            quarantine["reason"].to_pylist(),
            quarantine["raw_value"].to_pylist(),
            strict=True,
        )
    }
    assert len(landed) == events.num_rows, "a Kafka record landed twice in bronze"
    assert len(quarantined) == quarantine.num_rows, "a Kafka record was quarantined twice"
    for item in placed:
        where = (item.partition, item.offset)
        if item.record.expected_reason:
            assert quarantined[where] == (item.record.expected_reason, item.record.value)
        else:
            assert landed[where] == orjson.loads(item.record.value)["event_id"]

    expected_reasons = Counter(r.expected_reason for r in records if r.expected_reason)
    assert summary.quarantined == expected_reasons
    assert summary.landed == events.num_rows
    # Duplicates are distinct Kafka records: each lands once, so the same event_id appears as often as it was sent.
    sent_ids = Counter(orjson.loads(r.value)["event_id"] for r in records if not r.expected_reason)
    assert Counter(events["event_id"].to_pylist()) == sent_ids

    again = run_pending(settings, warehouse=False)
    assert (again.runs, again.landed) == (0, 0), "a second run must find nothing pending"
