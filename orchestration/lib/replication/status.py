"""Every region at a glance, for ``meridian regions``: its store, what landed, how far each replica is behind.

Built from listings only (no manifest or data reads), so it is cheap enough to run by hand against production;
the audit is what proves replicas. A store that cannot be reached is shown with its error instead of failing
the whole table: the point of the command is to see which region is in trouble.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from orchestration.lib.lake.base import LakeStorage
from orchestration.lib.replication.guard import GuardedStore, StoreUnavailableError
from orchestration.lib.replication.inventory import (
    SourceInventory,
    check_ledgers,
    take_replica_inventory,
    take_source_inventory,
)
from orchestration.lib.replication.progress import PartitionKey, PartitionProgress, lag_seconds, partition_progress

if TYPE_CHECKING:
    from orchestration.lib.ledger import Ledger


@dataclass(frozen=True, slots=True)
class TopicFrontier:
    ledger: str
    topic: str
    partitions: Mapping[int, int]  # partition -> first offset after everything landed

    @property
    def landed(self) -> int:
        return sum(self.partitions.values())


@dataclass(frozen=True)
class TargetStatus:
    """One source region's replica in ``region``."""

    region: str
    store: str
    progress: Mapping[PartitionKey, PartitionProgress] = field(default_factory=dict)
    lag_seconds: float = 0.0
    lag_by_topic: Mapping[tuple[str, str], float] = field(default_factory=dict)  # (ledger, topic) -> seconds
    unreplicated_ranges: int = 0
    error: str | None = None

    @property
    def replicated_up_to(self) -> dict[PartitionKey, int]:
        return {key: p.replicated_up_to for key, p in self.progress.items()}


@dataclass(frozen=True)
class RegionStatus:
    region: str
    store: str
    frontiers: tuple[TopicFrontier, ...] = ()
    targets: tuple[TargetStatus, ...] = ()
    error: str | None = None


def region_status(
    stores: Mapping[str, LakeStorage],
    ledgers: Iterable[Ledger],
    now: datetime | None = None,
    pairs: Iterable[tuple[str, str]] | None = None,
) -> list[RegionStatus]:
    """Per region (in ``stores`` order): landed frontiers, and per target region replicated-up-to and lag.

    ``pairs`` are the (source, target) regions replicated; by default every ordered pair of distinct regions,
    as ``PlatformSettings.replication_pairs`` configures them.
    """
    ledgers = check_ledgers(ledgers)
    at = datetime.now(UTC) if now is None else now.astimezone(UTC)
    pairs = [(s, t) for s in stores for t in stores if s != t] if pairs is None else list(pairs)
    unknown = sorted({r for pair in pairs for r in pair} - set(stores))
    if unknown:
        raise ValueError(f"replication pairs name regions {unknown} with no store")
    statuses = []
    for region, store in stores.items():
        src = GuardedStore(store, "source")
        try:
            sources = take_source_inventory(src, ledgers)
        except StoreUnavailableError as exc:
            statuses.append(RegionStatus(region, src.name, error=str(exc)))
            continue
        targets = tuple(_target(sources, stores[t], ledgers, at) for s, t in pairs if s == region)
        statuses.append(RegionStatus(region, src.name, _frontiers(sources), targets))
    return statuses


def _frontiers(sources: SourceInventory) -> tuple[TopicFrontier, ...]:
    by_topic: dict[tuple[str, str], dict[int, int]] = {}
    for r in sources.ranges.values():
        partitions = by_topic.setdefault((r.ledger.rows_prefix, r.topic), {})
        partitions[r.range.partition] = max(partitions.get(r.range.partition, 0), r.range.end)
    ordered = sorted(by_topic.items())
    return tuple(TopicFrontier(ledger, topic, dict(sorted(p.items()))) for (ledger, topic), p in ordered)


def _target(sources: SourceInventory, store: LakeStorage, ledgers: list[Ledger], now: datetime) -> TargetStatus:
    dst = GuardedStore(store, "target")
    try:
        replicas = take_replica_inventory(dst, sources.region, ledgers)
    except StoreUnavailableError as exc:
        return TargetStatus(dst.region, dst.name, error=str(exc))
    ranges = list(sources.ranges.values())
    waiting = [r for r in ranges if r.key not in replicas.manifests]
    topics = sorted({(r.ledger.rows_prefix, r.topic) for r in ranges})
    return TargetStatus(
        region=dst.region,
        store=dst.name,
        progress=partition_progress((r.partition_key, r.range, r.key in replicas.manifests) for r in ranges),
        lag_seconds=lag_seconds((r.landed_at for r in waiting), now),
        lag_by_topic={
            t: lag_seconds((r.landed_at for r in waiting if (r.ledger.rows_prefix, r.topic) == t), now) for t in topics
        },
        unreplicated_ranges=len(waiting),
    )


def render_status(statuses: Iterable[RegionStatus]) -> str:
    """Two plain-text tables: what each region landed, and how far each of its replicas is behind."""
    statuses = list(statuses)
    landed = [["REGION", "STORE", "LEDGER", "TOPIC", "LANDED", "PARTITIONS"]]
    replicated = [["SOURCE", "TARGET", "LEDGER", "TOPIC", "LANDED", "REPLICATED", "BEHIND", "LAG"]]
    errors = []
    for s in statuses:
        if s.error is not None:
            landed.append([s.region, s.store, "-", "-", "-", "unreachable"])
            errors.append(s.error)
            continue
        for f in s.frontiers or (TopicFrontier("-", "-", {}),):
            parts = " ".join(f"{p}:{end}" for p, end in f.partitions.items()) or "-"
            landed.append([s.region, s.store, f.ledger, f.topic, str(f.landed), parts])
        for t in s.targets:
            if t.error is not None:
                replicated.append([s.region, t.region, "-", "-", "-", "-", "-", "unreachable"])
                errors.append(t.error)
                continue
            for f in s.frontiers:
                mine = [p for k, p in t.progress.items() if (k.ledger, k.topic) == (f.ledger, f.topic)]
                up_to = sum(p.replicated_up_to for p in mine)
                behind = sum(p.behind for p in mine)
                lag = format_age(t.lag_by_topic.get((f.ledger, f.topic), 0.0))
                replicated.append([s.region, t.region, f.ledger, f.topic, str(f.landed), str(up_to), str(behind), lag])
    out = [_table(landed)]
    if len(replicated) > 1:
        out.append(_table(replicated))
    out += errors
    return "\n\n".join(out)


def format_age(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
