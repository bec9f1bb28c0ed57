"""What the source holds and what the target holds, each from one listing per prefix.

Listing with sizes and checksums (``list_info``) is the cheap way to know a store's state: one paged call
returns every object's size and MD5 as the store computed them, where a ``stat`` per file would cost a round
trip each. So a run lists each ledger's two prefixes in the source and ``replicas/<source>/`` in the target
once, and decides everything else from those listings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from orchestration.lib.bronze.ranges import OffsetRange, parse_events_path, range_path
from orchestration.lib.lake.base import ObjectInfo
from orchestration.lib.replication.guard import GuardedStore
from orchestration.lib.replication.layout import (
    MANIFESTS,
    manifest_root,
    replica_path,
    replica_root,
    rows_key_of,
    source_key_of,
)
from orchestration.lib.replication.progress import PartitionKey

if TYPE_CHECKING:  # the ledger module imports the Kafka client; replication only needs its two prefixes
    from orchestration.lib.ledger import Ledger


@dataclass(frozen=True, slots=True)
class SourceRange:
    """One landed range in the source: its rows file exists, and its quarantine file if it has one."""

    ledger: Ledger
    topic: str
    range: OffsetRange
    rows: ObjectInfo
    quarantine: ObjectInfo | None

    @property
    def key(self) -> str:
        return self.rows.path

    @property
    def files(self) -> tuple[ObjectInfo, ...]:
        """Quarantine first, rows last: the order the ledger lands them, and the order they are copied."""
        return (self.rows,) if self.quarantine is None else (self.quarantine, self.rows)

    @property
    def landed_at(self) -> datetime:
        return self.rows.updated

    @property
    def partition_key(self) -> PartitionKey:
        return PartitionKey(self.ledger.rows_prefix, self.topic, self.range.partition)


@dataclass(frozen=True)
class SourceInventory:
    region: str
    store: str
    ranges: Mapping[str, SourceRange]  # by rows key, sorted
    file_ranges: Mapping[str, SourceRange] = field(default_factory=dict)  # every file key of a landed range


@dataclass(frozen=True)
class ReplicaInventory:
    """What the target holds under ``replicas/<source>/`` for the ledgers in scope."""

    source_region: str
    target_region: str
    store: str
    manifests: Mapping[str, ObjectInfo]  # by the rows key they are named after
    replicas: Mapping[str, ObjectInfo]  # by the source key they mirror
    strays: tuple[str, ...] = ()  # under the manifests folder but not named after a range: orphans by definition


def check_ledgers(ledgers: Iterable[Ledger]) -> list[Ledger]:
    """The ledgers, refusing prefixes that nest (one listing would then hold another ledger's files)."""
    ledgers = list(ledgers)
    prefixes = [p for ledger in ledgers for p in (ledger.rows_prefix, ledger.quarantine_prefix)]
    for p in prefixes:
        if not p or p.startswith(("/", MANIFESTS)) or p.endswith("/"):
            raise ValueError(f"ledger prefix {p!r} must be a relative key without a trailing '/'")
    for i, a in enumerate(prefixes):
        for b in prefixes[i + 1 :]:
            if a == b or a.startswith(f"{b}/") or b.startswith(f"{a}/"):
                raise ValueError(f"ledger prefixes {a!r} and {b!r} overlap")
    return ledgers


def take_source_inventory(source: GuardedStore, ledgers: Iterable[Ledger]) -> SourceInventory:
    ranges: dict[str, SourceRange] = {}
    for ledger in check_ledgers(ledgers):
        rows = source.list_info(f"{ledger.rows_prefix}/")
        quarantine = {info.path: info for info in source.list_info(f"{ledger.quarantine_prefix}/")}
        for info in rows:
            parsed = parse_events_path(info.path)
            # Only a file named exactly as the ledger names it is a ledger entry (not a stray copy elsewhere).
            if parsed is None or range_path(ledger.rows_prefix, *parsed) != info.path:
                continue
            topic, r = parsed
            q = quarantine.get(range_path(ledger.quarantine_prefix, topic, r))
            ranges[info.path] = SourceRange(ledger, topic, r, info, q)
    ordered = dict(sorted(ranges.items()))
    file_ranges = {f.path: rng for rng in ordered.values() for f in rng.files}
    return SourceInventory(source.region, source.name, ordered, file_ranges)


def take_replica_inventory(target: GuardedStore, source_region: str, ledgers: Iterable[Ledger]) -> ReplicaInventory:
    """One listing of ``replicas/<source>/``, split into manifests and replica files of the ledgers in scope.

    Files of ledgers not passed are left out rather than reported, so an audit of one ledger never calls
    another ledger's replicas orphans.
    """
    ledgers = check_ledgers(ledgers)
    prefixes = [p for ledger in ledgers for p in (ledger.rows_prefix, ledger.quarantine_prefix)]
    file_scopes = tuple(replica_path(source_region, f"{p}/") for p in prefixes)
    manifest_scopes = tuple(f"{manifest_root(source_region)}{ledger.rows_prefix}/" for ledger in ledgers)
    manifests: dict[str, ObjectInfo] = {}
    replicas: dict[str, ObjectInfo] = {}
    strays: list[str] = []
    for info in target.list_info(replica_root(source_region)):
        if info.path.startswith(manifest_scopes):
            rows_key = rows_key_of(source_region, info.path)
            parsed = parse_events_path(rows_key) if rows_key else None
            if rows_key and parsed and any(range_path(lg.rows_prefix, *parsed) == rows_key for lg in ledgers):
                manifests[rows_key] = info
            else:
                strays.append(info.path)
        elif info.path.startswith(file_scopes):
            key = source_key_of(source_region, info.path)
            if key is not None:
                replicas[key] = info
    return ReplicaInventory(source_region, target.region, target.name, manifests, replicas, tuple(strays))
