"""From what the sources read (ledger listings, manifest names, Dagster records) to metric samples: no I/O.

What each metric means:

- ``meridian_lake_bronze_landed_offset{lake_region,topic,partition}``: the bronze ledger's frontier, the first
  offset after every range landed (the next offset to land), as ``Ledger.frontier`` and ``meridian regions``
  count it. It only grows while landing works; ``rate()`` of it is records landed per second.
- ``meridian_lake_bronze_last_landed_timestamp_seconds{lake_region}``: when the newest bronze range of the
  region counted as landed (its rows file's ``updated``, the commit of a landing). Absent until something has
  landed there: a region this deployment does not land raises no "not landing" alert.
- ``meridian_lake_replication_lag_seconds{source_region,target_region}``: the age of the oldest range landed in
  the source (bronze and stream metrics) that the target holds no manifest for, 0 when caught up: the
  ``replica_lag`` check's and ``meridian regions``' lag. While the source cannot be listed it is the lag the
  last replication run recorded in the target plus the time since, so a lost region's lag keeps growing.
- ``meridian_lake_gold_last_build_timestamp_seconds``: the newest materialization of any ``gold/*`` asset in
  the Dagster instance. Absent while gold was never built there (disaster recovery on: only the aggregation
  region builds it).
- ``meridian_quality_check_failed{asset,check}``: 1 when the latest completed evaluation of the asset check
  failed (any severity), else 0; a check whose latest execution is still running keeps its previous outcome.
- ``meridian_exporter_scrape_errors_total{source}``: reads that failed, per source (``lake:<region>``,
  ``replication:<source>-><target>``, ``dagster:gold``, ``dagster:checks``); every known source starts at 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import orjson
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from orchestration.lib.bronze.ranges import OffsetRange, parse_events_path, range_path
from orchestration.lib.json_fields import utc_time
from orchestration.lib.replication.layout import rows_key_of
from orchestration.lib.replication.progress import PartitionKey, lag_seconds

if TYPE_CHECKING:  # the records' types only: importing Dagster costs seconds, these functions never need it
    from dagster import AssetCheckKey
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecord

COMPLETED = {"SUCCEEDED": False, "FAILED": True}  # execution status -> failed; PLANNED: running or never ended


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One landed range, named by its rows file (the ledger entry itself)."""

    ledger: str  # the ledger's rows prefix
    topic: str
    range: OffsetRange
    key: str

    @property
    def partition_key(self) -> PartitionKey:
        return PartitionKey(self.ledger, self.topic, self.range.partition)


@dataclass(frozen=True)
class BronzeRegion:
    region: str
    frontiers: Mapping[tuple[str, int], int]  # (topic, partition) -> the next offset to land
    last_landed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CheckState:
    asset: str  # the asset key as the UI writes it: ``silver/stg_events``
    check: str
    failed: bool


@dataclass(frozen=True)
class Snapshot:
    """Everything one read of the sources found; a source that failed contributes nothing."""

    bronze: tuple[BronzeRegion, ...] = ()
    replication_lag: Mapping[tuple[str, str], float] = field(default_factory=dict)
    gold_last_build: float | None = None  # unix seconds
    checks: tuple[CheckState, ...] = ()


def ledger_entries(keys: Iterable[str], rows_prefix: str) -> list[LedgerEntry]:
    """The ledger's entries among listed keys: only a file named exactly as the ledger names a range counts."""
    entries = []
    for key in keys:
        parsed = parse_events_path(key)
        if parsed is not None and range_path(rows_prefix, *parsed) == key:
            entries.append(LedgerEntry(rows_prefix, parsed[0], parsed[1], key))
    return sorted(entries, key=lambda e: (e.topic, e.range))


def frontier_entries(entries: Iterable[LedgerEntry]) -> dict[PartitionKey, LedgerEntry]:
    """Per partition, the range ending furthest: its end is the frontier, its rows file the newest landing
    (ranges of a partition land in offset order)."""
    out: dict[PartitionKey, LedgerEntry] = {}
    for entry in entries:
        best = out.get(entry.partition_key)
        if best is None or entry.range.end > best.range.end:
            out[entry.partition_key] = entry
    return dict(sorted(out.items()))


def bronze_region(
    region: str, frontier: Mapping[PartitionKey, LedgerEntry], landed_at: Iterable[datetime]
) -> BronzeRegion:
    """``frontier`` from :func:`frontier_entries`; ``landed_at``: the ``updated`` of those entries' rows files."""
    frontiers = {(k.topic, k.partition): e.range.end for k, e in frontier.items()}
    return BronzeRegion(region, frontiers, max(landed_at, default=None))


def manifested(manifest_keys: Iterable[str], source_region: str) -> set[str]:
    """The source rows keys that listed manifest objects (under ``replicas/<source>/_manifests/``) vouch for."""
    return {rows for key in manifest_keys if (rows := rows_key_of(source_region, key)) is not None}


def oldest_unreplicated(entries: Iterable[LedgerEntry], replicated: set[str]) -> list[LedgerEntry]:
    """Per partition, the first range (lowest offsets) without a manifest: it has waited longest, since the
    ranges of a partition land in offset order. The lag is its age, so only these need their times read."""
    first: dict[PartitionKey, LedgerEntry] = {}
    for entry in entries:
        if entry.key in replicated:
            continue
        best = first.get(entry.partition_key)
        if best is None or entry.range.start < best.range.start:
            first[entry.partition_key] = entry
    return [first[k] for k in sorted(first)]


def replication_lag(waiting_landed_at: Iterable[datetime], now: datetime) -> float:
    """Seconds the oldest waiting range has waited (0 when nothing waits), as the ``replica_lag`` check says."""
    return lag_seconds(waiting_landed_at, now)


def lag_from_status(doc: bytes, now: datetime) -> float:
    """The lag while the source cannot be listed: what the last replication run recorded in the target
    (``_replication/<source>.json``) plus the time since, as the ``replica_lag`` check falls back to."""
    parsed = orjson.loads(doc)
    as_of = utc_time(parsed["as_of"])
    return float(parsed["lag_seconds"]) + max(0.0, (now - as_of).total_seconds())


def gold_last_build(timestamps: Iterable[float | None]) -> float | None:
    """The newest of the gold assets' latest materialization times (None: gold never built here)."""
    return max((t for t in timestamps if t is not None), default=None)


def check_states(records: Iterable[AssetCheckExecutionRecord]) -> list[CheckState]:
    """The outcome of each completed execution record (FAILED: an evaluation that did not pass); a PLANNED one
    (running, or its run died first) says nothing: the caller passes the check's last completed record."""
    return [
        CheckState(r.key.asset_key.to_user_string(), r.key.name, COMPLETED[r.status.value])
        for r in records
        if r.status.value in COMPLETED
    ]


def running(records: Mapping[AssetCheckKey, AssetCheckExecutionRecord]) -> list[AssetCheckKey]:
    """The checks whose latest execution has not completed: their outcome is their previous execution's."""
    return sorted((k for k, r in records.items() if r.status.value not in COMPLETED), key=lambda k: k.to_user_string())


def families(snapshot: Snapshot, errors: Mapping[str, int]) -> list[Metric]:
    """The exposition of one snapshot and the error counts so far, in the contract's names."""
    landed_offset = GaugeMetricFamily(
        "meridian_lake_bronze_landed_offset",
        "The bronze ledger's frontier: the next offset to land (first after every landed range)",
        labels=["lake_region", "topic", "partition"],
    )
    last_landed = GaugeMetricFamily(
        "meridian_lake_bronze_last_landed_timestamp_seconds",
        "Unix time the newest bronze range of the lake region landed",
        labels=["lake_region"],
    )
    for region in snapshot.bronze:
        for (topic, partition), offset in sorted(region.frontiers.items()):
            landed_offset.add_metric([region.region, topic, str(partition)], offset)
        if region.last_landed_at is not None:
            last_landed.add_metric([region.region], region.last_landed_at.timestamp())
    lag = GaugeMetricFamily(
        "meridian_lake_replication_lag_seconds",
        "Age of the oldest range landed in the source region without a manifest in the target (0: caught up)",
        labels=["source_region", "target_region"],
    )
    for (source, target), seconds in sorted(snapshot.replication_lag.items()):
        lag.add_metric([source, target], seconds)
    gold = GaugeMetricFamily(
        "meridian_lake_gold_last_build_timestamp_seconds",
        "Unix time of the newest materialization of a gold asset",
    )
    if snapshot.gold_last_build is not None:
        gold.add_metric([], snapshot.gold_last_build)
    checks = GaugeMetricFamily(
        "meridian_quality_check_failed",
        "1 when the latest evaluation of the asset check failed, else 0",
        labels=["asset", "check"],
    )
    for state in sorted(snapshot.checks, key=lambda s: (s.asset, s.check)):
        checks.add_metric([state.asset, state.check], 1.0 if state.failed else 0.0)
    scrape_errors = CounterMetricFamily(
        "meridian_exporter_scrape_errors",
        "Reads of a source (a region's store, a replica, the Dagster instance) that failed",
        labels=["source"],
    )
    for source, count in sorted(errors.items()):
        scrape_errors.add_metric([source], count)
    return [landed_offset, last_landed, lag, gold, checks, scrape_errors]
