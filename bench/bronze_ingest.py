"""Bronze ingestion benchmark: Kafka -> validated zstd Parquet, next to a raw consume loop.

    .venv/bin/python -m bench.bronze_ingest [--events 1000000]

Starts its own Kafka broker (free loopback ports, temp dir), writes N generated events
(1% malformed, 2% duplicates, 30% v2) to a 6-partition topic, then in the same process:

1. baseline: a raw kafka-python loop (assign, seek to beginning, poll) that reads every record
   and does nothing with it: the floor for any Python consumer on this machine;
2. bronze: the landing code the asset runs (read range, validate, build Arrow tables, write
   Parquet to a local lake), range by range;
3. bronze through Dagster: ``run_pending(warehouse=False)`` (the ``meridian run-once`` path for
   bronze alone), i.e. with the Dagster job, metadata, the coverage check and the bronze quality
   suite (Great Expectations, imported once by the run), and no silver or gold.

It prints events/s for each and the ratio to the baseline, which is the figure that holds on a
noisy machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.kafka_setup import bench_broker, fill_topic, raw_consumer_at_start
from orchestration.lib.bronze.landing import land_range
from orchestration.lib.bronze.ranges import plan_ranges
from orchestration.lib.lake import LocalLakeStorage
from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec
from streaming.kafka import clients
from streaming.kafka.admin import end_offsets
from streaming.kafka.settings import KafkaSettings

TOPIC = "bench.events.v1"
RANGE = 50_000


def raw_consume(bootstrap: str, ends: dict[int, int]) -> int:
    consumer = raw_consumer_at_start(bootstrap, TOPIC, list(ends))
    seen, total, deadline = 0, sum(ends.values()), time.monotonic() + 600
    while seen < total and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            seen += len(batch)
    consumer.close()
    return seen


def land_all(bootstrap: str, ends: dict[int, int], lake_root: Path) -> tuple[int, int]:
    storage = LocalLakeStorage(lake_root, "us")
    consumer = clients.range_consumer(KafkaSettings(bootstrap_servers=bootstrap))
    frontier: dict[int, int] = {}
    valid = quarantined = 0
    while ranges := plan_ranges(ends, frontier, {}, RANGE):
        for r in ranges:
            landed = land_range(storage, consumer, TOPIC, r, timeout_s=120)
            valid, quarantined = valid + landed.valid, quarantined + landed.quarantined
            frontier[r.partition] = r.end
    consumer.close()
    return valid, quarantined


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meridian-bench-") as tmp, bench_broker(Path(tmp) / "kafka") as bootstrap:
        spec = TrafficSpec(count=args.events, seed=1, malformed=0.01, duplicates=0.02, v2=0.3)
        report, produce_s = timed(fill_topic, bootstrap, TOPIC, spec)
        ends = end_offsets(KafkaSettings(bootstrap_servers=bootstrap), TOPIC)
        print(f"prepared {report.acked:,} events in {produce_s:.1f}s (generate + produce)")

        raw_count, raw_s = timed(raw_consume, bootstrap, ends)
        (valid, bad), land_s = timed(land_all, bootstrap, ends, Path(tmp) / "lake-direct")
        settings = PlatformSettings.under(Path(tmp) / "dagster", bootstrap, TOPIC).replaced(
            bronze={"max_records_per_range": RANGE}
        )
        # bronze only: run-once would go on to build silver and gold, which this row does not measure
        summary, dagster_s = timed(lambda s: run_pending(s, warehouse=False), settings)
    assert raw_count == args.events == valid + bad, (raw_count, valid, bad)
    assert summary.success and summary.landed == valid
    raw_rate = raw_count / raw_s
    rows = [
        ("raw kafka-python consume loop (baseline)", raw_count, raw_s),
        ("bronze landing: validate + Parquet", valid + bad, land_s),
        ("bronze_job via run-once: landing + checks, no silver/gold", valid + bad, dagster_s),
    ]
    print(f"\n{'path':55} {'events':>10} {'seconds':>8} {'events/s':>10} {'vs baseline':>12}")
    for name, n, s in rows:
        print(f"{name:55} {n:>10,} {s:>8.1f} {n / s:>10,.0f} {n / s / raw_rate:>11.2f}x")
    print(f"\n{valid:,} landed, {bad:,} quarantined")


if __name__ == "__main__":
    main()
