"""Edge collector benchmark: events/s accepted over HTTP next to a raw kafka-python producer.

    .venv/bin/python -m bench.edge_collector [--events 300000] [--clients 4]

Starts its own Kafka broker, generates valid events (no malformed ones: the rejected path is
cheaper and would flatter the figure), then in one run:

(a) the ceiling: a raw kafka-python producer (acks=all, idempotent, the edge's own settings)
    sending the same events, keyed by user, and waiting for every acknowledgement; and the same
    loop with the edge's caching partitioner (murmur2 once per key), so the table shows how much
    of the edge's figure that one change is;
(b) ``meridian edge`` as its own process (fsync=always), driven by ``--clients`` threads with
    keep-alive urllib3 connections, NDJSON bodies of 1, 100 and 1,000 events. "accepted/s" is events over
    the posting time (each response comes after the events are durable on disk); "in Kafka/s"
    is events over the time until the forwarder has Kafka's acknowledgement for all of them.
    p50/p99 are request latencies seen by the client;
(b') batch size 1 again with fsync=interval (200 ms): what one fsync per request costs;
(c) the same edge with Kafka unreachable: the disk buffer's throughput alone.

The client runs in this process on the same 2 cores as the edge and the broker, so every edge
figure pays for its load generator too; the raw producer has no HTTP client to pay for.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson
import urllib3

from bench.kafka_setup import bench_broker
from streaming.edge.auth import mint_key
from streaming.generator import TrafficSpec, generate
from streaming.kafka import clients
from streaming.kafka.admin import ensure_topic
from streaming.kafka.broker import free_port
from streaming.kafka.produce import CachingPartitioner
from streaming.kafka.settings import KafkaSettings

TOPIC = "bench.edge.v1"
FLEET_TARGET = 500_000


def raw_producer(bootstrap: str, records: list[tuple[bytes, bytes]], **config: object) -> float:
    producer = clients.producer(KafkaSettings(bootstrap_servers=bootstrap), linger_ms=5, **config)
    started = time.perf_counter()
    futures = [producer.send(TOPIC, key=key, value=value) for key, value in records]
    producer.flush(timeout=300)
    elapsed = time.perf_counter() - started
    assert all(f.succeeded() for f in futures), "the raw producer lost records"
    producer.close()
    return len(records) / elapsed


class Edge:
    def __init__(self, bootstrap: str, workdir: Path, key_entry: str, fsync: str = "always") -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "MERIDIAN_EVENTS_TOPIC": TOPIC,
            "MERIDIAN_EDGE_API_KEYS": orjson.dumps([key_entry]).decode(),
            "MERIDIAN_EDGE_RATE_LIMIT": "10000000/second",
            "MERIDIAN_EDGE_KAFKA_TIMEOUT_SECONDS": "2",
            "MERIDIAN_EDGE_BUFFER_FSYNC": fsync,
        }
        cmd = [sys.executable, "-m", "orchestration.cli.main", "edge", "--port", str(self.port)]
        cmd += ["--buffer-dir", str(workdir / "buffer")]
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = (workdir / "edge.log").open("ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"meridian edge did not start; see {workdir / 'edge.log'}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def counter(self, name: str) -> float:
        text = httpx.get(self.url + "/metrics", timeout=5).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + " "))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def post_all(edge: Edge, key: str, bodies: list[bytes], clients: int) -> tuple[float, list[float]]:
    """Post every body from ``clients`` threads, each on one keep-alive connection; (seconds, latencies).

    urllib3 rather than httpx: both are well kept, but httpx spends ~2 ms of CPU per request here,
    which at one event per request would measure the client instead of the edge.
    """
    latencies: list[float] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}

    def worker(mine: list[bytes]) -> None:
        pool = urllib3.HTTPConnectionPool("127.0.0.1", edge.port, maxsize=1, timeout=60)
        local = []
        for body in mine:
            t0 = time.perf_counter()
            response = pool.request("POST", "/v1/events", body=body, headers=headers)
            local.append(time.perf_counter() - t0)
            if response.status != 200:
                raise RuntimeError(f"edge answered {response.status}: {response.data[:300]!r}")
        pool.close()
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=worker, args=(bodies[i::clients],)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, sorted(latencies)


def drive(edge: Edge, key: str, lines: list[bytes], batch: int, clients: int) -> dict[str, float]:
    """Post every line in ``batch``-sized NDJSON bodies; time acceptance and delivery into Kafka."""
    bodies = [b"\n".join(lines[i : i + batch]) for i in range(0, len(lines), batch)]
    forwarded_before = edge.counter("meridian_edge_events_forwarded_total")
    started = time.perf_counter()
    posted, latencies = post_all(edge, key, bodies, clients)
    deadline = time.monotonic() + 600
    while edge.counter("meridian_edge_events_forwarded_total") - forwarded_before < len(lines):
        if time.monotonic() > deadline:
            raise RuntimeError("the edge did not forward everything within 600 s")
        time.sleep(0.05)
    delivered = time.perf_counter() - started
    return {
        "accepted": len(lines) / posted,
        "in_kafka": len(lines) / delivered,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "requests": len(bodies),
    }


def buffer_only(edge: Edge, key: str, lines: list[bytes], clients: int) -> dict[str, float]:
    bodies = [b"\n".join(lines[i : i + 1000]) for i in range(0, len(lines), 1000)]
    posted, _ = post_all(edge, key, bodies, clients)
    return {"accepted": len(lines) / posted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--single-requests", type=int, default=20_000, help="requests at batch size 1")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch-sizes", default="1,100,1000", help="comma-separated events per request")
    args = parser.parse_args()

    generated = list(generate(TrafficSpec(count=args.events, seed=5, duplicates=0, malformed=0, late=0)))
    lines = [r.value for r in generated]
    print(f"{len(lines)} generated events, {sum(map(len, lines)) / len(lines):.0f} bytes each on average")
    key, entry = mint_key("bench")
    with (
        tempfile.TemporaryDirectory(prefix="meridian-bench-edge-") as tmp,
        bench_broker(Path(tmp) / "kafka") as bootstrap,
    ):
        ensure_topic(KafkaSettings(bootstrap_servers=bootstrap), TOPIC, 6)
        # The raw producer sends what the edge would: the enriched event, keyed by user.
        enriched = []
        for line in lines:
            event = orjson.loads(line)
            event.update(received_at="2026-11-26T00:00:00.000Z", edge_id="edge-local-1", edge_region="us")
            enriched.append((event["user_id"].encode(), orjson.dumps(event)))
        raw = raw_producer(bootstrap, enriched)
        print(f"(a) raw kafka-python producer: {raw:,.0f} events/s")
        cached = raw_producer(bootstrap, enriched, partitioner=CachingPartitioner())
        print(f"(a') the same with the edge's caching partitioner: {cached:,.0f} events/s")

        edge = Edge(bootstrap, Path(tmp) / "up", entry)
        rows = []
        try:
            for batch in (int(b) for b in args.batch_sizes.split(",")):
                sample = lines[: args.single_requests] if batch == 1 else lines
                rows.append((batch, drive(edge, key, sample, batch, args.clients)))
        finally:
            edge.stop()
        relaxed = Edge(bootstrap, Path(tmp) / "interval", entry, fsync="interval")
        try:
            single = drive(relaxed, key, lines[: args.single_requests], 1, args.clients)
        finally:
            relaxed.stop()
        down = Edge(f"127.0.0.1:{free_port()}", Path(tmp) / "down", entry)
        try:
            buffered = buffer_only(down, key, lines, args.clients)
        finally:
            down.stop()

    print(f"\n{'path':<38}{'accepted/s':>12}{'vs (a)':>8}{'in Kafka/s':>12}{'p50 ms':>9}{'p99 ms':>9}")
    print(f"{'(a) raw producer':<38}{raw:>12,.0f}{1:>8.2f}{raw:>12,.0f}{'':>9}{'':>9}")
    print(f"{'(a) + caching partitioner':<38}{cached:>12,.0f}{cached / raw:>8.2f}{cached:>12,.0f}{'':>9}{'':>9}")
    for batch, r in rows:
        label = f"(b) edge, {batch} per request ({r['requests']:.0f} req)"
        print(
            f"{label:<38}{r['accepted']:>12,.0f}{r['accepted'] / raw:>8.2f}{r['in_kafka']:>12,.0f}"
            f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
        )
    label = "(b') 1 per request, fsync=interval"
    print(
        f"{label:<38}{single['accepted']:>12,.0f}{single['accepted'] / raw:>8.2f}{single['in_kafka']:>12,.0f}"
        f"{single['p50_ms']:>9.1f}{single['p99_ms']:>9.1f}"
    )
    print(
        f"{'(c) edge, Kafka down, 1000 per request':<38}"
        f"{buffered['accepted']:>12,.0f}{buffered['accepted'] / raw:>8.2f}"
    )
    best = rows[-1][1]["in_kafka"]
    print(
        f"\n{FLEET_TARGET:,} events/s at {best:,.0f} events/s per instance (1,000 per request, into Kafka) "
        f"needs {math.ceil(FLEET_TARGET / best)} instances of this size (2 cores, shared with broker and client)"
    )


if __name__ == "__main__":
    main()
