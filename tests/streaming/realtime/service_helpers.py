"""Run ``meridian stream`` as a real process, feed it, and read what it emitted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from kafka import KafkaConsumer, TopicPartition

from orchestration.settings import PlatformSettings
from streaming.events.contract import Accepted, validate_event
from streaming.events.reference import load_fx_rates
from streaming.events.window_records import MergedWindow, merge, parse_partial, window_record
from streaming.generator import GeneratedRecord
from streaming.kafka import clients
from streaming.kafka.broker import free_port
from streaming.realtime.windows import PartitionWindows
from tests.helpers import kill_group, metric_sum, produce_and_place, settings_env, stop_group

WINDOW_MS, LATENESS_MS = 60_000, 10_000


def stream_settings(settings: PlatformSettings) -> PlatformSettings:
    """Topics and a consumer group of the test's own on the shared broker."""
    suffix = uuid.uuid4().hex[:8]
    return settings.replaced(
        stream={
            "group_id": f"stream-{suffix}",
            "metrics_topic": f"test.metrics.{suffix}",
            "state_topic": f"test.state.{suffix}",
            "checkpoint_interval_seconds": 0.5,
        },
    )


@dataclass
class StreamProcess:
    settings: PlatformSettings
    log: Path
    max_poll_records: int = 5000
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0

    def start(self) -> StreamProcess:
        self.port = free_port()
        s = self.settings
        env = {
            **{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
            **settings_env(s),
            "MERIDIAN_EVENTS_TOPIC_PARTITIONS": "6",
            "MERIDIAN_STREAM_GROUP_ID": s.stream.group_id,
            "MERIDIAN_STREAM_METRICS_TOPIC": s.stream.metrics_topic,
            "MERIDIAN_STREAM_STATE_TOPIC": s.stream.state_topic,
            "MERIDIAN_STREAM_CHECKPOINT_INTERVAL_SECONDS": str(s.stream.checkpoint_interval_seconds),
            "MERIDIAN_STREAM_MAX_POLL_RECORDS": str(self.max_poll_records),
            "MERIDIAN_STREAM_HTTP_PORT": str(self.port),
        }
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "orchestration.cli.main", "stream"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=5)

    def wait_for(self, what: str, ok: Callable[[], bool], timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, f"service exited:\n{self.tail()}"
            try:
                if ok():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}:\n{self.tail()}")

    def partitions(self) -> list[int]:
        response = self.get("/readyz")
        return list(response.json()["partitions"]) if response.status_code == 200 else []

    def metric(self, name: str) -> float:
        return metric_sum(self.get("/metrics").text, name)

    def kill9(self) -> None:
        assert self.proc is not None
        kill_group(self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, timeout_s=30)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def place(settings: PlatformSettings, records: list[GeneratedRecord]) -> dict[int, list[tuple[bytes, bool]]]:
    """Produce ``records``, then each partition's (value, valid) in offset order, for the oracle."""
    placed = produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, records)
    out: dict[int, list[tuple[int, bytes, bool]]] = {}
    for p in placed:
        out.setdefault(p.partition, []).append((p.offset, p.record.value, p.record.expected_reason is None))
    return {part: [(v, ok) for _, v, ok in sorted(rows)] for part, rows in out.items()}


def tick(
    settings: PlatformSettings, by_partition: dict[int, list[tuple[bytes, bool]]], at: datetime, partitions: int
) -> None:
    """One valid event per partition at ``at``: every partition's watermark moves past the stream's end."""
    producer = clients.producer(settings.kafka)
    for partition in range(partitions):
        value = orjson.dumps(
            {
                "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"tick-{partition}-{at.isoformat()}")),
                "event_type": "page_view",
                "occurred_at": at.isoformat(),
                "region": "us",
                "user_id": "u-tick",
                "schema_version": 1,
            }
        )
        producer.send(settings.kafka.events_topic, value=value, partition=partition).get(timeout=30)
        assert isinstance(validate_event(orjson.loads(value)), Accepted)
        by_partition.setdefault(partition, []).append((value, True))
    producer.close()


def end_of(start: datetime, days: float) -> datetime:
    return start + timedelta(days=days) + timedelta(milliseconds=WINDOW_MS + LATENESS_MS) + timedelta(minutes=2)


def read_partials(settings: PlatformSettings) -> dict[bytes, bytes]:
    """The latest value of every key on the metrics topic (what compaction converges to)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        tps = [
            TopicPartition(settings.stream.metrics_topic, p)
            for p in consumer.partitions_for_topic(settings.stream.metrics_topic) or []
        ]
        if not tps:
            return {}
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        latest: dict[bytes, bytes] = {}
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    latest[r.key] = r.value
        return latest
    finally:
        consumer.close()


def emitted_windows(settings: PlatformSettings) -> list[MergedWindow]:
    partials: list[Any] = []
    for value in read_partials(settings).values():
        parsed = parse_partial(value)
        if parsed is not None:
            key, _, partition, aggregate = parsed
            partials.append((key, partition, aggregate))
    return merge(partials, WINDOW_MS)


def undisturbed(by_partition: dict[int, list[tuple[bytes, bool]]]) -> dict[bytes, bytes]:
    """What one uninterrupted consumer emits: the pure window code over each partition in order."""
    fx, out = load_fx_rates(), {}
    for partition, records in by_partition.items():
        state = PartitionWindows(partition, WINDOW_MS, LATENESS_MS, fx)
        for offset, (value, _) in enumerate(records):
            state.process(offset, value)
        for closed in state.close_ready():
            key, value = window_record(closed, WINDOW_MS)
            out[key] = value
        out.update(state.late_records())
    return out
