"""``meridian stream`` against the real broker: exact windows, a kill -9, a second instance, a broker restart.

The service runs as a real process; the expected windows come from ``oracle.py`` (exact sets and
sorted lists) over each partition's records in the order the broker acknowledged them, and the
"undisturbed run" is the pure window code replayed in-process over the same partitions.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from streaming.kafka.admin import ensure_topic
from streaming.kafka.broker import LocalBroker
from tests.helpers import platform_settings
from tests.streaming.realtime.oracle import assert_windows_match, closed_before, expected_windows
from tests.streaming.realtime.service_helpers import (
    LATENESS_MS,
    WINDOW_MS,
    StreamProcess,
    emitted_windows,
    end_of,
    place,
    read_partials,
    stream_settings,
    tick,
    undisturbed,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 20, tzinfo=UTC)


def spec(count: int, seed: int, minutes: float) -> TrafficSpec:
    return TrafficSpec(
        count=count,
        seed=seed,
        start=START,
        days=minutes / 1440,
        ordered=True,
        duplicates=0.03,
        late=0.02,
        malformed=0.02,
    )


def wait_until_emitted(service: StreamProcess, settings: PlatformSettings, wanted: dict[bytes, bytes]) -> None:
    service.wait_for("every window to be emitted", lambda: set(wanted) <= set(read_partials(settings)), 120)


def assert_window_metrics_are_the_latest_closed_windows(service: StreamProcess, expected: dict[Any, Any]) -> None:
    """/metrics carries the latest closed window of every (region, type) the JSON API shows, exactly."""
    served: dict[tuple[str, str], int] = {}
    for w in service.get("/v1/metrics/realtime").json()["windows"]:
        if w["closed"]:
            start = int(datetime.fromisoformat(w["window_start"]).timestamp() * 1000)
            served[(w["region"], w["event_type"])] = max(start, served.get((w["region"], w["event_type"]), 0))
    gauges: dict[str, dict[tuple[str, str], float]] = {}
    for family in text_string_to_metric_families(service.get("/metrics").text):
        for sample in family.samples:
            if "event_region" in sample.labels:
                gauges.setdefault(sample.name, {})[(sample.labels["event_region"], sample.labels["event_type"])] = (
                    sample.value
                )
            elif sample.name in ("meridian_stream_ready", "meridian_stream_last_checkpoint_timestamp_seconds"):
                gauges[sample.name] = {("", ""): sample.value}
    assert gauges["meridian_stream_ready"][("", "")] == 1
    assert 0 < time.time() - gauges["meridian_stream_last_checkpoint_timestamp_seconds"][("", "")] < 120
    assert len(served) == 15 and set(gauges["meridian_stream_window_events"]) == set(served)
    for (region, event_type), start in served.items():
        assert gauges["meridian_stream_window_end_timestamp_seconds"][(region, event_type)] * 1000 == start + WINDOW_MS
        exact = expected[(start, region, event_type)]
        assert gauges["meridian_stream_window_events"][(region, event_type)] == exact.events
        assert gauges["meridian_stream_window_errors"][(region, event_type)] == exact.errors


def test_windows_equal_an_independent_computation_and_are_served(settings: PlatformSettings, tmp_path: Path) -> None:
    s = stream_settings(settings)
    records = list(generate(spec(8_000, 21, 12)))
    by_partition = place(s, records)
    tick(s, by_partition, end_of(START, 12 / 1440), 6)
    service = StreamProcess(s, tmp_path / "stream.log").start()
    try:
        expected_bytes = undisturbed(by_partition)
        wait_until_emitted(service, s, expected_bytes)
        expected, late = expected_windows(by_partition, WINDOW_MS, LATENESS_MS)
        compared = assert_windows_match(emitted_windows(s), expected, closed_before(by_partition, LATENESS_MS))
        assert compared >= 150 and late > 0
        assert read_partials(s) == expected_bytes  # each window exactly once per partition, nothing extra

        service.wait_for("metrics", lambda: service.metric("meridian_stream_late_events_total") == late)
        invalid = sum(1 for r in records if r.expected_reason is not None)
        assert service.metric("meridian_stream_invalid_records_total") == invalid
        assert service.get("/healthz").status_code == 200 and sorted(service.partitions()) == list(range(6))
        assert_window_metrics_are_the_latest_closed_windows(service, expected)

        body = service.get("/v1/metrics/realtime?region=eu&window=1m").json()
        closed = [w for w in body["windows"] if w["closed"]]
        assert closed and {w["region"] for w in body["windows"]} == {"eu"}
        first = closed[0]
        exact = expected[
            (int(datetime.fromisoformat(first["window_start"]).timestamp() * 1000), "eu", first["event_type"])
        ]
        assert (first["events"], first["purchases"], first["errors"]) == (exact.events, exact.purchases, exact.errors)

        bad = service.get("/v1/metrics/realtime?region=mars")
        assert bad.status_code == 400 and "mars" in bad.json()["error"]
        assert service.get("/v1/metrics/realtime?window=10s").status_code == 400  # this service computes 60 s
    finally:
        service.stop()


def test_killed_mid_stream_and_restarted_emits_what_an_undisturbed_run_emits(
    settings: PlatformSettings, tmp_path: Path
) -> None:
    s = stream_settings(settings)
    by_partition = place(s, list(generate(spec(40_000, 22, 30))))
    tick(s, by_partition, end_of(START, 30 / 1440), 6)
    total = sum(len(r) for r in by_partition.values())
    # small polls: the kill lands between checkpoints, with windows emitted after the last one
    service = StreamProcess(s, tmp_path / "stream.log", max_poll_records=200).start()
    service.wait_for("a third of the stream", lambda: service.metric("meridian_stream_records_total") > total / 3)
    assert service.metric("meridian_stream_checkpoints_total") >= 1
    service.kill9()
    before_restart = read_partials(s)
    restarted = StreamProcess(s, tmp_path / "stream2.log").start()
    try:
        expected = undisturbed(by_partition)
        assert 0 < len(before_restart) < len(expected)  # it really died mid-stream
        wait_until_emitted(restarted, s, expected)
        assert read_partials(s) == expected
    finally:
        restarted.stop()


def test_the_survivor_of_two_instances_takes_over_with_correct_state(
    settings: PlatformSettings, tmp_path: Path
) -> None:
    s = stream_settings(settings)
    a = StreamProcess(s, tmp_path / "a.log", max_poll_records=200).start()
    b = StreamProcess(s, tmp_path / "b.log", max_poll_records=200).start()
    try:
        a.wait_for("a's share", lambda: len(a.partitions()) > 0)
        b.wait_for("b's share", lambda: len(b.partitions()) > 0 and len(a.partitions()) + len(b.partitions()) == 6)
        by_partition = place(s, list(generate(spec(30_000, 23, 20))))
        tick(s, by_partition, end_of(START, 20 / 1440), 6)
        total = sum(len(r) for r in by_partition.values())
        a.wait_for("some progress", lambda: a.metric("meridian_stream_records_total") > total / 6)
        a.kill9()
        b.wait_for("b to own every partition", lambda: sorted(b.partitions()) == list(range(6)), 60)
        expected = undisturbed(by_partition)
        wait_until_emitted(b, s, expected)
        assert read_partials(s) == expected
    finally:
        a.stop()
        b.stop()


def test_a_broker_killed_and_restarted_is_survived_without_a_manual_step(tmp_path: Path) -> None:
    broker = LocalBroker(home=tmp_path / "kafka", partitions=6)
    broker.start(timeout_s=120)
    service: StreamProcess | None = None
    try:
        s = stream_settings(platform_settings(broker.bootstrap_servers, "crash.stream.v1", tmp_path))
        ensure_topic(s.kafka, "crash.stream.v1", 6)
        by_partition = place(s, list(generate(spec(20_000, 24, 15))))
        service = StreamProcess(s, tmp_path / "stream.log", max_poll_records=200).start()
        service.wait_for("progress", lambda: service.metric("meridian_stream_checkpoints_total") >= 2)
        broker.kill()
        broker.restart(timeout_s=120)
        tick(s, by_partition, end_of(START, 15 / 1440), 6)
        expected = undisturbed(by_partition)
        wait_until_emitted(service, s, expected)
        assert read_partials(s) == expected
        service.wait_for("ready again", lambda: service.get("/readyz").status_code == 200)
    finally:
        if service is not None:
            service.stop()
        broker.stop()
