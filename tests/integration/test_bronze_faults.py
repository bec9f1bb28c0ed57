"""Faults on the Kafka -> bronze path: a run killed mid-batch, a broker killed -9 mid-stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from streaming.kafka import clients
from streaming.kafka.admin import ensure_topic
from streaming.kafka.broker import LocalBroker
from streaming.kafka.settings import KafkaSettings
from tests.helpers import platform_settings, produce_and_place, read_layer, settings_env

pytestmark = pytest.mark.integration


def assert_exactly_once(settings: PlatformSettings, expected_records: int) -> None:
    events = read_layer(settings.lake.root, "us", "events", settings.kafka.events_topic)
    quarantine = read_layer(settings.lake.root, "us", "quarantine", settings.kafka.events_topic)
    positions = list(
        zip(
            events["kafka_partition"].to_pylist() + quarantine["kafka_partition"].to_pylist(),
            events["kafka_offset"].to_pylist() + quarantine["kafka_offset"].to_pylist(),
            strict=True,
        )
    )
    assert len(positions) == expected_records
    assert len(set(positions)) == expected_records, "some Kafka record landed twice"


def test_a_run_killed_mid_batch_and_retried_leaves_exactly_once_bronze(
    settings: PlatformSettings, tmp_path: Path
) -> None:
    records = list(generate(TrafficSpec(count=60_000, seed=5, malformed=0.01)))
    produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, records)
    env = {
        **os.environ,
        **settings_env(settings),
        "MERIDIAN_BRONZE_MAX_RECORDS_PER_RANGE": "2000",
    }
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli.main", "run-once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    lake = settings.lake.root / "us" / "bronze" / "events"
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(lake.rglob("*.parquet"))) >= 3:  # some ranges landed, most not yet
                break
            time.sleep(0.05)
        assert proc.poll() is None, "run-once finished before it could be killed; the batch is too small"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    landed_before = len(list(lake.rglob("*.parquet")))
    assert 3 <= landed_before < 30, landed_before

    retry = run_pending(settings, warehouse=False)

    assert retry.success, retry.render()
    assert retry.failed_checks == []
    assert_exactly_once(settings, len(records))


def _send_during_broker_crash(broker: LocalBroker, topic: str, records: list[bytes]) -> dict[bytes, int]:
    """Send records in a bounded loop while the broker is killed -9 and restarted; return acks per value."""
    acked: Counter[bytes] = Counter()
    lock = threading.Lock()
    producer = clients.producer(
        KafkaSettings(bootstrap_servers=broker.bootstrap_servers), retries=2_147_483_647, delivery_timeout_ms=120_000
    )

    def ack(value: bytes):  # type: ignore[no-untyped-def]
        def _ok(_meta: object) -> None:
            with lock:
                acked[value] += 1

        return _ok

    kill_at, deadline = len(records) // 3, time.monotonic() + 240
    for i, value in enumerate(records):
        assert time.monotonic() < deadline, "sending took too long"
        if i == kill_at:
            broker.kill()  # with batches in flight: no flush first
        if i == kill_at + 2000:
            broker.start(timeout_s=120)
        producer.send(topic, value=value).add_callback(ack(value))
        if i % 500 == 0:
            time.sleep(0.01)
    producer.flush(timeout=150)
    producer.close()
    return dict(acked)


def test_a_broker_killed_mid_stream_loses_no_acknowledged_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = LocalBroker(home=tmp_path / "kafka", partitions=3)
    broker.start(timeout_s=120)
    try:
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
        settings = platform_settings(broker.bootstrap_servers, "crash.events.v1", tmp_path)
        ensure_topic(settings.kafka, "crash.events.v1", 3)
        values = [r.value for r in generate(TrafficSpec(count=12_000, seed=9, duplicates=0, malformed=0))]
        half = len(values) // 2
        acked = _send_during_broker_crash(broker, settings.kafka.events_topic, values[:half])
        # land what is there, then crash the broker again while more traffic flows and land the rest
        assert run_pending(settings, warehouse=False).success
        acked_more = _send_during_broker_crash(broker, settings.kafka.events_topic, values[half:])
        summary = run_pending(settings, warehouse=False)
        assert summary.success, summary.render()
    finally:
        broker.stop()

    events = read_layer(settings.lake.root, "us", "events", settings.kafka.events_topic)
    landed = Counter(events["event_id"].to_pylist())
    all_acked = {**acked, **acked_more}
    assert len(all_acked) > 0.9 * len(values), "most records should be acknowledged"
    missing = [v for v in all_acked if landed[orjson.loads(v)["event_id"]] == 0]
    assert missing == [], f"{len(missing)} acknowledged records were lost"
    doubled = [eid for eid, n in landed.items() if n > 1]
    assert doubled == [], f"{len(doubled)} records were written twice by producer retries"
    positions = list(zip(events["kafka_partition"].to_pylist(), events["kafka_offset"].to_pylist(), strict=True))
    assert len(set(positions)) == len(positions)
