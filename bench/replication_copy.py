"""Replication throughput: ``replicate`` (verified, manifested, 8 workers) next to a plain upload loop.

    .venv/bin/python -m bench.replication_copy [--ranges 200] [--rows 5000] [--latency-ms 20] [--workers 8]

1. Lands R bronze ranges of N rows each in a source region's local lake (real Parquet from the batch builder).
2. baseline: the least a copy needs: for every range file, read it from the source and write it to the
   target, one after the other, with no checks (what a hand-written upload loop does).
3. replicate: the same files through ``orchestration.lib.replication.replicate`` into a fresh target: source
   MD5 checked, every copy stat-verified, rows counted, one manifest per range.

Both stores add ``--latency-ms`` to every call, standing in for an object store's round trip (a local disk
has none, which would measure only hashing). It prints seconds and MB/s for each and the replicate/baseline
ratio, the figure that holds on a noisy machine; a ratio at or below 1 means the checks cost nothing visible.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.bronze.reader import RawRecord
from orchestration.lib.lake import LakeStorage, LocalLakeStorage
from orchestration.lib.replication import replica_path, replicate

TOPIC = "bench.events.v1"


class Latent:
    """A store that waits ``seconds`` before every call, like a request to a remote object store."""

    def __init__(self, inner: LakeStorage, seconds: float) -> None:
        self.inner, self.seconds, self.region = inner, seconds, inner.region

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr) or name in ("describe", "uri"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            time.sleep(self.seconds)
            return attr(*args, **kwargs)

        return call


def land(source: LakeStorage, ranges: int, rows: int) -> list[str]:
    """R ranges over 6 partitions, one quarantined record each (two files per range, as bronze lands)."""
    keys = []
    for i in range(ranges):
        r = OffsetRange(i % 6, (i // 6) * rows, (i // 6 + 1) * rows)
        value = b'{"event_id":"0f8fad5b-d9cb-469f-a165-70867728950e","event_type":"page_view","region":"us",'
        records = [RawRecord(r.partition, o, 0, value + b'"user_id":"u","schema_version":1,'
                             b'"occurred_at":"2026-11-26T10:15:00Z"}') for o in range(r.start, r.end - 1)]  # fmt: skip
        records.append(RawRecord(r.partition, r.end - 1, 0, b"{oops"))
        batch = build_batch(TOPIC, records)
        source.write(range_path(BRONZE.quarantine_prefix, TOPIC, r), to_parquet(batch.quarantine))
        source.write(range_path(BRONZE.rows_prefix, TOPIC, r), to_parquet(batch.events))
        keys += [range_path(BRONZE.quarantine_prefix, TOPIC, r), range_path(BRONZE.rows_prefix, TOPIC, r)]
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranges", type=int, default=200)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = LocalLakeStorage(root, "us")
        keys = land(source, args.ranges, args.rows)
        size = sum(len(source.read(k)) for k in keys)
        latency = args.latency_ms / 1000

        loop_src, loop_dst = Latent(source, latency), Latent(LocalLakeStorage(root / "loop", "eu"), latency)
        started = time.perf_counter()
        for key in keys:
            loop_dst.write(replica_path("us", key), loop_src.read(key))
        baseline = time.perf_counter() - started

        target = LocalLakeStorage(root / "replicate", "eu")
        started = time.perf_counter()
        report = replicate(Latent(source, latency), Latent(target, latency), [BRONZE], workers=args.workers)
        verified = time.perf_counter() - started
        assert report.ok and report.files_copied == len(keys), report.errors

    mb = size / 1e6
    print(f"{args.ranges} ranges, {len(keys)} files, {mb:.1f} MB, {args.latency_ms:g} ms per store call")
    runs = [("baseline (plain loop)", baseline), (f"replicate (verified, {args.workers} workers)", verified)]
    for label, seconds in runs:
        print(f"{label:<34}: {seconds:7.2f} s  {mb / seconds:7.1f} MB/s")
    print(f"{'replicate/baseline':<34}: {verified / baseline:7.2f}")


if __name__ == "__main__":
    main()
