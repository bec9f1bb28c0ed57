"""Replication lag under steady traffic: a writer lands ranges while a loop replicates on a fixed interval.

The loop stands in for ``replication_sensor`` (Dagster, ``minimum_interval_seconds=15``) launching a
replication run: it calls ``replicate`` every ``interval_s``, serially, and stamps each call's manifests with
the moment the call started (``now``). It leaves out what a Dagster run adds on top: the sensor tick, the
run's launch and process start, and the audit the asset runs after the copy.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.replication_data import RangeFiles, Traffic, land
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.lake import LakeStorage
from orchestration.lib.replication import decode_manifest, replicate
from orchestration.lib.replication.layout import manifest_root
from orchestration.lib.stream_metrics import STREAM_METRICS

LEDGERS = (BRONZE, STREAM_METRICS)  # what the replication asset passes
DRAIN_S = 60.0  # after the last landing, how long the loop may take to catch up before the run counts as failed


@dataclass(frozen=True)
class Call:
    stamped: datetime  # the ``now`` given to replicate: every manifest it wrote carries it as ``replicated_at``
    returned: datetime
    seconds: float
    ranges_copied: int


@dataclass(frozen=True)
class LagResult:
    ranges: list[RangeFiles]
    calls: list[Call]
    manifest_lag_s: list[float]  # replicated_at - source_landed_at, per range, from the manifests
    visible_lag_s: list[float]  # the call that wrote the manifest returned - source_landed_at


def steady_traffic(
    source: LakeStorage,
    target: LakeStorage,
    traffic: Traffic,
    *,
    duration_s: float,
    land_every_s: float,
    interval_s: float,
    records: int,
) -> LagResult:
    """Land a range every ``land_every_s`` for ``duration_s``; replicate every ``interval_s`` until all are copied."""
    # Built before the clock starts: the Parquet builds are bronze's cost, not replication's.
    ranges = [traffic.next_range(records, clean=i % 3 == 2) for i in range(math.ceil(duration_s / land_every_s))]
    stop = threading.Event()
    failed: list[BaseException] = []

    def writer(began: float) -> None:
        try:
            for i, files in enumerate(ranges):
                if stop.wait(max(0.0, began + i * land_every_s - time.monotonic())):
                    return
                land(source, files)
        except BaseException as exc:
            failed.append(exc)
            raise

    began = time.monotonic()
    thread = threading.Thread(target=writer, args=(began,), name="bench-landing", daemon=True)
    thread.start()
    calls: list[Call] = []
    next_call = began + interval_s
    give_up = began + duration_s + DRAIN_S
    try:
        while sum(c.ranges_copied for c in calls) < len(ranges):
            if time.monotonic() > give_up or failed:
                raise RuntimeError(
                    f"replicated {sum(c.ranges_copied for c in calls)} of {len(ranges)} ranges within "
                    f"{DRAIN_S:.0f} s of the last landing (writer failed: {failed or 'no'})"
                )
            time.sleep(max(0.0, next_call - time.monotonic()))
            stamped, started = datetime.now(UTC), time.perf_counter()
            report = replicate(source, target, LEDGERS, now=stamped)
            calls.append(Call(stamped, datetime.now(UTC), time.perf_counter() - started, report.ranges_copied))
            if not report.ok:
                raise RuntimeError(f"replicate reported errors: {report.errors}")
            next_call = max(next_call + interval_s, time.monotonic())  # a call that overruns delays the next
    finally:
        stop.set()
        thread.join(timeout=30)
    returned = {c.stamped: c.returned for c in calls}
    manifest_lag, visible_lag = [], []
    for path in target.list(manifest_root(source.region)):
        manifest = decode_manifest(target.read(path), path)
        manifest_lag.append((manifest.replicated_at - manifest.source_landed_at).total_seconds())
        visible_lag.append((returned[manifest.replicated_at] - manifest.source_landed_at).total_seconds())
    if len(manifest_lag) != len(ranges):
        raise RuntimeError(f"{len(manifest_lag)} manifests in the target for {len(ranges)} landed ranges")
    return LagResult(ranges, calls, manifest_lag, visible_lag)
