"""Streaming service benchmark: throughput next to a raw loop and Quix Streams, then end-to-end latency.

    .venv/bin/python -m bench.streaming_service [--events 300000] [--latency-seconds 20]

Starts its own Kafka broker (free loopback ports, temp dir), writes N generated events (ordered
event time over 30 minutes, 2% duplicates, 1% late, 1% malformed) to a 6-partition topic, then in
this one process, each reading the whole topic from the beginning:

(a) the ceiling: a raw kafka-python consume loop that decodes every value with orjson;
(b) this service: ``StreamService`` (validation, 1-minute windows per region and event type,
    HLL users, DDSketch latency, emission to the metrics topic, snapshots every 5 s), its
    per-record work in Rust (``streaming/native``) on the machine's cores, its Kafka client
    kafka-python like (a);
(c) Quix Streams 3.x doing the same windowed aggregation with its built-in tools: JSON
    deserialization, the same contract filter, ``group_by`` (region, event_type), a 1-minute
    tumbling window with 10 s grace on event time, Count + Sum(revenue) + Max(latency). It has
    no HLL or DDSketch aggregator, so it computes less than (b).

Throughput is records / (time of the last record - time of the first), so group joins and
startup are not counted for anyone. Then latency: the service runs as ``meridian stream``
while background traffic (us, eu) flows at 50% of (b)'s rate, and probe events (apac, one every
200 ms, occurred_at = now) are timed from the producer's acknowledgement to the moment
``GET /v1/metrics/realtime?region=apac`` counts them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.kafka_setup import bench_broker, fill_topic, raw_consumer_at_start
from orchestration.settings import PlatformSettings
from streaming.events.contract import Accepted, validate_event
from streaming.generator import TrafficSpec, generate
from streaming.kafka import clients
from streaming.kafka.admin import end_offsets, ensure_topic
from streaming.kafka.broker import free_port
from streaming.kafka.settings import KafkaSettings
from streaming.realtime.service import StreamService

TOPIC = "bench.events.v1"


def raw_loop(bootstrap: str, total: int) -> tuple[int, float]:
    consumer = raw_consumer_at_start(bootstrap, TOPIC, list(range(6)))
    seen, first, deadline = 0, 0.0, time.monotonic() + 600
    while seen < total and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            if not first:
                first = time.perf_counter()
            for record in batch:
                try:
                    orjson.loads(record.value)
                except orjson.JSONDecodeError:
                    pass
            seen += len(batch)
    elapsed = time.perf_counter() - first
    consumer.close()
    return seen, elapsed


def service_run(settings: PlatformSettings, total: int) -> tuple[int, float]:
    service = StreamService(settings.stream, settings.kafka)
    first = [0.0]

    def done() -> bool:
        if service.consumed and not first[0]:
            first[0] = time.perf_counter()
        return service.consumed >= total

    service.run(stop_when=done)
    return service.consumed, time.perf_counter() - first[0]


def quix_run(bootstrap: str, total: int, state_dir: Path) -> tuple[int, float]:
    from quixstreams import Application
    from quixstreams.dataframe.windows import Count, Max, Sum

    def event_time(value: Any, headers: Any, timestamp: float, ts_type: Any) -> int:
        try:
            return int(datetime.fromisoformat(value["occurred_at"]).timestamp() * 1000)
        except (TypeError, KeyError, ValueError):
            return int(timestamp)

    seen = [0, 0.0, 0.0]

    def count(value: Any) -> None:
        seen[0] += 1
        now = time.perf_counter()
        if not seen[1]:
            seen[1] = now
        seen[2] = now

    app = Application(
        broker_address=bootstrap,
        consumer_group=f"quix-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        state_dir=str(state_dir),
        on_consumer_error=lambda *_: True,  # undecodable JSON: skip, as (b) counts it invalid
        on_processing_error=lambda *_: True,
        loglevel="ERROR",  # it logs a warning per late event, which would slow it down further
    )
    topic = app.topic(TOPIC, value_deserializer="json", timestamp_extractor=event_time)
    sdf = app.dataframe(topic)
    sdf = sdf.update(count)
    sdf = sdf.filter(lambda e: isinstance(validate_event(e), Accepted))
    sdf = sdf.group_by(lambda e: f"{e['region']}|{e['event_type']}", name="region_type")
    sdf = sdf.tumbling_window(duration_ms=60_000, grace_ms=10_000).agg(
        events=Count(), revenue=Sum("amount"), max_latency=Max("latency_ms")
    )
    sdf = sdf.final()
    runner = threading.Thread(target=lambda: _watch(app, seen, total), daemon=True)
    runner.start()
    app.run()
    return seen[0], seen[2] - seen[1]


def _watch(app: Any, seen: list[Any], total: int) -> None:
    """Stop Quix once it has read every record it can (it has no 'until the end of the topic' mode).

    Records its JSON deserializer rejects never reach the dataframe, so it also stops after 5 s
    without progress once it has started.
    """
    deadline, last, last_change = time.monotonic() + 600, -1, time.monotonic()
    while seen[0] < total and time.monotonic() < deadline:
        if seen[0] != last:
            last, last_change = seen[0], time.monotonic()
        elif last > 0 and time.monotonic() - last_change > 5:
            break
        time.sleep(0.05)
    app.stop()


def latency(bootstrap: str, settings: PlatformSettings, rate: float, seconds: float, log: Path) -> list[float]:
    """Probe latencies (s) with ``meridian stream`` running and background traffic at ``rate``."""
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "MERIDIAN_EVENTS_TOPIC": "bench.live.v1",
        "MERIDIAN_STREAM_GROUP_ID": "bench-live",
        "MERIDIAN_STREAM_METRICS_TOPIC": "bench.live.metrics.v1",
        "MERIDIAN_STREAM_STATE_TOPIC": "bench.live.state.v1",
        "MERIDIAN_STREAM_HTTP_PORT": str(port),
    }
    ensure_topic(KafkaSettings(bootstrap_servers=bootstrap), "bench.live.v1", 6)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli.main", "stream"], stdout=out, stderr=out, env=env
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if len(httpx.get(f"{url}/readyz", timeout=2).json().get("partitions", [])) == 6:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        stop = threading.Event()
        background = threading.Thread(target=_background, args=(bootstrap, rate, stop), daemon=True)
        background.start()
        time.sleep(2)
        producer = clients.producer(KafkaSettings(bootstrap_servers=bootstrap), linger_ms=0)
        samples: list[float] = []
        with httpx.Client(base_url=url, timeout=5) as client:
            for i in range(1, int(seconds / 0.2) + 1):
                event = {
                    "event_id": str(uuid.uuid4()),
                    "event_type": "checkout",
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "region": "apac",
                    "user_id": "u-apac-probe",
                    "schema_version": 1,
                }
                sent = time.perf_counter()
                producer.send("bench.live.v1", key=b"probe", value=orjson.dumps(event)).get(timeout=10)
                give_up = time.monotonic() + 10
                while time.monotonic() < give_up:
                    body = client.get("/v1/metrics/realtime", params={"region": "apac"}).json()
                    if sum(w["events"] for w in body["windows"]) >= i:
                        samples.append(time.perf_counter() - sent)
                        break
                    time.sleep(0.002)
                time.sleep(max(0.0, 0.2 - (time.perf_counter() - sent)))
        stop.set()
        producer.close()
        return samples
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _background(bootstrap: str, rate: float, stop: threading.Event) -> None:
    producer = clients.producer(KafkaSettings(bootstrap_servers=bootstrap), linger_ms=5)
    spec = TrafficSpec(count=10_000_000, seed=3, live=True, duplicates=0.0, late=0.0, malformed=0.0)
    started, sent = time.perf_counter(), 0
    for record in generate(spec):
        event = orjson.loads(record.value)
        if event["region"] == "apac":
            continue
        if stop.is_set():
            break
        producer.send("bench.live.v1", key=record.key, value=record.value)
        sent += 1
        ahead = sent / rate - (time.perf_counter() - started)
        if ahead > 0:
            time.sleep(ahead)
    producer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meridian-bench-") as tmp, bench_broker(Path(tmp) / "kafka") as bootstrap:
        spec = TrafficSpec(
            count=args.events, seed=1, start=datetime(2026, 11, 20, tzinfo=UTC), days=30 / 1440, ordered=True
        )
        fill_topic(bootstrap, TOPIC, spec)
        total = sum(end_offsets(KafkaSettings(bootstrap_servers=bootstrap), TOPIC).values())
        print(f"prepared {total:,} events on {TOPIC}")
        settings = PlatformSettings(kafka=KafkaSettings(bootstrap_servers=bootstrap, events_topic=TOPIC)).replaced(
            stream={"group_id": "bench-service", "metrics_topic": "bench.metrics.v1", "state_topic": "bench.state.v1"}
        )
        print(f"\n{'path':50} {'records':>9} {'seconds':>8} {'events/s':>10} {'vs (a)':>8}")
        runs = [
            ("(a) raw kafka-python consume + orjson decode", lambda: raw_loop(bootstrap, total)),
            ("(b) meridian stream (StreamService)", lambda: service_run(settings, total)),
            (
                "(c) Quix Streams 3 (group_by + tumbling window)",
                lambda: quix_run(bootstrap, total, Path(tmp) / "q"),
            ),
        ]
        results = []
        for name, run in runs:
            n, s = run()
            results.append((name, n, s))
            ceiling = results[0][1] / results[0][2]
            print(f"{name:50} {n:>9,} {s:>8.2f} {n / s:>10,.0f} {n / s / ceiling:>7.2f}x", flush=True)
        rate = 0.5 * results[1][1] / results[1][2]
        samples = latency(bootstrap, settings, rate, args.latency_seconds, Path(tmp) / "stream.log")
    if not samples:
        raise SystemExit("no probe became visible: see the service log")
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(0.99 * len(samples)))]
    print(
        f"\nend-to-end latency at {rate:,.0f} events/s (50% of (b)), {len(samples)} probes: "
        f"p50 {statistics.median(samples) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {samples[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
