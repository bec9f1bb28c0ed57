"""Faults, not assumptions: Kafka down for 30 s under load, the edge killed -9 while buffering, a full
buffer, a torn buffer tail. Each ends by reading the real topic: every accepted event is there."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson
import pytest

from orchestration.settings import PlatformSettings
from streaming.edge.client import EdgeClient, PostReport
from streaming.generator import TrafficSpec, generate
from streaming.kafka.broker import LocalBroker, free_port
from tests.streaming.edge.edge_helpers import (
    KEY,
    EdgeProcess,
    InProcessEdge,
    edge_settings,
    metric,
    read_topic,
    wait_for,
)

pytestmark = pytest.mark.integration
OUTAGE_SECONDS = 30


def events(count: int, seed: int) -> list[bytes]:
    return [r.value for r in generate(TrafficSpec(count=count, seed=seed, duplicates=0, malformed=0, late=0))]


def ids(lines: list[bytes]) -> list[str]:
    return [orjson.loads(line)["event_id"] for line in lines]


def dead_kafka(settings: PlatformSettings) -> PlatformSettings:
    """PlatformSettings whose bootstrap address has nothing listening: Kafka is down from the start."""
    return settings.replaced(kafka={"bootstrap_servers": f"127.0.0.1:{free_port()}"})


def test_kafka_stopped_for_30s_under_load_loses_no_accepted_event(
    kafka_broker: LocalBroker, settings: PlatformSettings, tmp_path: Path
) -> None:
    edge = InProcessEdge(edge_settings(settings, tmp_path / "buffer"))
    lines = events(40_000, seed=21)
    accepted: list[str] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def client() -> None:  # ~20 requests/s of 20 events until told to stop (bounded by the lines and the time)
        poster = EdgeClient(edge.url, KEY)
        deadline = time.monotonic() + OUTAGE_SECONDS + 90
        try:
            for start in range(0, len(lines), 20):
                if stop.is_set() or time.monotonic() > deadline:
                    break
                batch = lines[start : start + 20]
                answer = poster.send(batch, PostReport(), deadline_s=30)
                assert answer["accepted"] == len(batch), answer
                accepted.extend(ids(batch))
                time.sleep(0.05)
        except BaseException as exc:  # the test thread reports it
            failures.append(exc)
        finally:
            poster.close()

    poster = threading.Thread(target=client)
    poster.start()
    try:
        wait_for(lambda: len(accepted) > 500, 30, "traffic before the outage")
        kafka_broker.kill()
        down_at = time.monotonic()
        statuses = set()
        while time.monotonic() - down_at < OUTAGE_SECONDS:  # the outage itself, observed once a second
            statuses.add(httpx.get(edge.url + "/readyz").json()["status"])
            time.sleep(1)
        during = len(accepted)
    finally:
        if not kafka_broker.is_running():
            kafka_broker.start(timeout_s=120)
    wait_for(lambda: len(accepted) > during + 500 or failures, 60, "traffic after the outage")
    stop.set()
    poster.join(timeout=60)
    assert not failures, failures
    wait_for(lambda: edge.service.buffer.pending()[0] == 0, 120, "the buffer to drain into Kafka")
    text = httpx.get(edge.url + "/metrics").text
    edge.stop()

    assert "degraded" in statuses  # /readyz said so while Kafka was away
    assert metric(text, "meridian_edge_kafka_errors_total") > 0
    landed = Counter(
        event["event_id"]
        for _, event in read_topic(settings.kafka.bootstrap_servers, settings.kafka.events_topic, len(accepted))
    )
    assert set(accepted) <= set(landed), f"{len(set(accepted) - set(landed))} accepted events never reached Kafka"
    assert set(landed) <= set(accepted)  # nothing unknown; re-sent batches repeat their event_ids only
    assert len(accepted) > 2000


def test_an_edge_killed_while_buffering_forwards_every_accepted_event_after_restart(
    settings: PlatformSettings, tmp_path: Path
) -> None:
    buffer = tmp_path / "buffer"
    down = EdgeProcess(edge_settings(dead_kafka(settings), buffer), tmp_path / "edge.log").start()
    lines = events(3000, seed=22)
    poster = EdgeClient(down.url, KEY, compress=True)
    for start in range(0, len(lines), 100):
        assert poster.send(lines[start : start + 100], PostReport())["accepted"] == 100
    poster.close()
    ready = httpx.get(down.url + "/readyz").json()
    assert ready["buffered_records"] == 3000
    wait_for(lambda: httpx.get(down.url + "/readyz").json()["status"] == "degraded", 15, "/readyz to say degraded")

    def all_buffered() -> str | None:
        text = httpx.get(down.url + "/metrics").text
        return text if metric(text, "meridian_edge_buffered_records") == 3000 else None

    buffering = wait_for(all_buffered, 30, "the buffered-records gauge to show all 3000")
    assert metric(buffering, "meridian_edge_forward_lag_seconds") > 0
    assert metric(buffering, "meridian_edge_buffered_bytes") > 3000 * 200
    assert metric(buffering, "meridian_edge_kafka_errors_total") > 0
    down.kill()

    back = EdgeProcess(edge_settings(settings, buffer), tmp_path / "edge.log").start()
    try:
        landed = read_topic(settings.kafka.bootstrap_servers, settings.kafka.events_topic, len(lines))
        wait_for(lambda: httpx.get(back.url + "/readyz").json()["buffered_records"] == 0, 30, "an empty buffer")
    finally:
        back.stop()
    assert Counter(event["event_id"] for _, event in landed) == Counter(ids(lines))  # all, and once each


def test_a_full_buffer_answers_503_and_loses_nothing_it_accepted(settings: PlatformSettings, tmp_path: Path) -> None:
    buffer = tmp_path / "buffer"
    small = {"buffer_max_bytes": 300_000, "buffer_segment_bytes": 64_000}
    edge = InProcessEdge(edge_settings(dead_kafka(settings), buffer, **small))
    lines = events(5000, seed=23)
    accepted: list[str] = []
    refused = None
    http = httpx.Client(headers={"authorization": f"Bearer {KEY}", "content-type": "application/x-ndjson"})
    for start in range(0, len(lines), 100):  # bounded: 50 requests
        response = http.post(edge.url + "/v1/events", content=b"\n".join(lines[start : start + 100]))
        if response.status_code == 503:
            refused = response
            break
        assert response.status_code == 200
        accepted += ids(lines[start : start + 100])
    assert refused is not None, "the buffer never filled"
    assert int(refused.headers["retry-after"]) > 0 and "disk buffer holds" in refused.text
    assert httpx.get(edge.url + "/readyz").status_code == 503
    assert httpx.get(edge.url + "/healthz").status_code == 200
    edge.stop()

    back = InProcessEdge(edge_settings(settings, buffer, **small))
    landed = read_topic(settings.kafka.bootstrap_servers, settings.kafka.events_topic, len(accepted))
    back.stop()
    assert Counter(event["event_id"] for _, event in landed) == Counter(accepted)


def test_a_torn_buffer_tail_is_truncated_counted_logged_and_the_rest_forwarded(
    settings: PlatformSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    buffer = tmp_path / "buffer"
    edge = InProcessEdge(edge_settings(dead_kafka(settings), buffer))
    lines = events(400, seed=24)
    poster = EdgeClient(edge.url, KEY)
    for start in range(0, len(lines), 100):
        poster.send(lines[start : start + 100], PostReport())
    poster.close()
    edge.stop()
    (segment,) = buffer.glob("*.seg")
    with segment.open("ab") as f:  # a write the crash cut short: a header, half its record
        f.write(segment.read_bytes()[:16] + b'{"event_id": "cut')

    with caplog.at_level(logging.ERROR, logger="streaming.edge.buffer"):
        back = InProcessEdge(edge_settings(settings, buffer))
    landed = read_topic(settings.kafka.bootstrap_servers, settings.kafka.events_topic, len(lines))
    text = httpx.get(back.url + "/metrics").text
    back.stop()
    assert metric(text, "meridian_edge_buffer_truncations_total") == 1
    assert metric(text, "meridian_edge_buffer_truncated_bytes_total") == 16 + len(b'{"event_id": "cut')
    assert "torn record" in caplog.text and segment.name in caplog.text
    assert Counter(event["event_id"] for _, event in landed) == Counter(ids(lines))
