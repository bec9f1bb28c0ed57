"""Is every replica of one source region in one target region complete and true? Asked by the asset checks.

What is cheap and still honest. The listings (one per prefix) give each replica's size and the MD5 the target
computed; where the target reports an MD5, equal MD5 proves the replica holds the very bytes whose Parquet
footer was counted when the manifest was written, so its row count is proven too and the file is not read.
Only a file whose MD5 the target does not report (an S3 multi-part object, a composite GCS object) is read:
that one download gives both its hash and its footer's row count. ``deep=True`` reads every replica file
anyway, for a periodic check that trusts neither the store's checksums nor the manifests' row counts. The
protocol has no ranged read, so reading a footer means reading the object; that is why reads are kept rare.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from orchestration.lib.bronze.ranges import OffsetRange
from orchestration.lib.lake.base import LakeStorage
from orchestration.lib.replication.guard import GuardedStore
from orchestration.lib.replication.inventory import check_ledgers, take_replica_inventory, take_source_inventory
from orchestration.lib.replication.layout import replica_path
from orchestration.lib.replication.manifest import Manifest, ManifestFile
from orchestration.lib.replication.parallel import run_all
from orchestration.lib.replication.plan import read_manifests
from orchestration.lib.replication.progress import PartitionKey, PartitionProgress, lag_seconds, partition_progress
from orchestration.lib.replication.verify import (
    FileProblem,
    ProblemKind,
    content_problem,
    md5_hex,
    parquet_rows,
    problem,
    source_problems,
)

if TYPE_CHECKING:
    from orchestration.lib.ledger import Ledger


@dataclass(frozen=True, slots=True)
class UnreplicatedRange:
    """A range landed in the source without a manifest in the target."""

    ledger: str
    topic: str
    range: OffsetRange
    path: str  # its rows file in the source
    landed_at: datetime


@dataclass(frozen=True, slots=True)
class RowCountMismatch:
    ledger: str
    topic: str
    range: OffsetRange
    path: str  # in the source
    replica_path: str
    manifest_rows: int
    replica_rows: int | None  # None when the replica's footer cannot be read

    def __str__(self) -> str:
        return f"{self.replica_path}: manifest says {self.manifest_rows} rows, the replica's footer {self.replica_rows}"


@dataclass(frozen=True)
class ReplicaAudit:
    source_region: str
    target_region: str
    source_store: str
    target_store: str
    audited_at: datetime
    ranges_replicated: int  # ranges with a manifest that could be read
    missing: tuple[UnreplicatedRange, ...]  # landed in the source, no manifest yet
    pending: tuple[str, ...]  # replica files of a source range, in no manifest (a copy under way or interrupted)
    mismatched: tuple[FileProblem, ...]  # manifest vs replica, or manifest vs the source now
    row_count_mismatches: tuple[RowCountMismatch, ...]
    orphans: tuple[str, ...]  # under the replica root, in no manifest and no file of a source range
    lag_seconds: float  # age of the oldest unreplicated source range; 0 when none
    progress: Mapping[PartitionKey, PartitionProgress]
    files_read: int  # replica objects downloaded to prove them (see the module docstring)

    @property
    def clean(self) -> bool:
        """Nothing wrong and nothing waiting."""
        return not (self.missing or self.pending or self.mismatched or self.row_count_mismatches or self.orphans)

    @property
    def replicated_up_to(self) -> dict[PartitionKey, int]:
        return {key: p.replicated_up_to for key, p in self.progress.items()}

    def metadata(self) -> dict[str, object]:
        """Plain values for a Dagster asset check result."""
        return {
            "source_store": self.source_store,
            "target_store": self.target_store,
            "ranges_replicated": self.ranges_replicated,
            "missing": len(self.missing),
            "pending": len(self.pending),
            "mismatched": [str(p) for p in self.mismatched],
            "row_count_mismatches": [str(m) for m in self.row_count_mismatches],
            "orphans": list(self.orphans),
            "lag_seconds": self.lag_seconds,
            "replicated_up_to": {str(k): v for k, v in self.replicated_up_to.items()},
            "files_read": self.files_read,
        }


def audit(
    source: LakeStorage,
    target: LakeStorage,
    ledgers: Iterable[Ledger],
    now: datetime | None = None,
    *,
    deep: bool = False,
    workers: int = 8,
) -> ReplicaAudit:
    """Compare the replicas of ``source`` in ``target`` with their manifests and the source as listed now."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    audited_at = datetime.now(UTC) if now is None else now.astimezone(UTC)
    ledgers = check_ledgers(ledgers)
    src, dst = GuardedStore(source, "source"), GuardedStore(target, "target")
    sources = take_source_inventory(src, ledgers)
    replicas = take_replica_inventory(dst, src.region, ledgers)
    mismatched: list[FileProblem] = []
    claimed: set[str] = set()  # source keys some manifest accounts for
    to_read: list[tuple[Manifest, ManifestFile]] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"audit-{src.region}-{dst.region}") as pool:
        manifests = read_manifests(dst, src.region, replicas.manifests, pool)
        for key, manifest in manifests.items():
            rng = sources.ranges.get(key)
            if isinstance(manifest, FileProblem):
                mismatched.append(manifest)
                claimed |= {f.path for f in rng.files} if rng else set()
                continue
            claimed |= {f.source_path for f in manifest.files}
            mismatched += source_problems(manifest, {f.path: f for f in rng.files} if rng else None)
            for f in manifest.files:
                info = replicas.replicas.get(f.source_path)
                wrong = content_problem(f.size, f.md5, info)
                if wrong is not None:
                    mismatched.append(problem(manifest, f.source_path, *wrong))
                elif info is not None and (deep or info.md5 is None):
                    to_read.append((manifest, f))
        read = run_all(pool, [partial(_prove_by_reading, dst, m, f) for m, f in to_read])
    mismatched += [p for p, _ in read if p is not None]
    pending: list[str] = []
    orphans = list(replicas.strays)
    for key in replicas.replicas:
        if key not in claimed:
            (pending if key in sources.file_ranges else orphans).append(replica_path(src.region, key))
    unreplicated = [r for key, r in sources.ranges.items() if key not in replicas.manifests]
    return ReplicaAudit(
        source_region=src.region,
        target_region=dst.region,
        source_store=src.name,
        target_store=dst.name,
        audited_at=audited_at,
        ranges_replicated=sum(1 for m in manifests.values() if isinstance(m, Manifest)),
        missing=tuple(
            UnreplicatedRange(r.ledger.rows_prefix, r.topic, r.range, r.key, r.landed_at) for r in unreplicated
        ),
        pending=tuple(sorted(pending)),
        mismatched=tuple(mismatched),
        row_count_mismatches=tuple(m for _, m in read if m is not None),
        orphans=tuple(sorted(orphans)),
        lag_seconds=lag_seconds((r.landed_at for r in unreplicated), audited_at),
        progress=partition_progress(
            (r.partition_key, r.range, key in replicas.manifests) for key, r in sources.ranges.items()
        ),
        files_read=len(to_read),
    )


def _prove_by_reading(
    dst: GuardedStore, manifest: Manifest, f: ManifestFile
) -> tuple[FileProblem | None, RowCountMismatch | None]:
    """One download: the replica's hash against the manifest, and its footer's rows against the manifest's."""
    data = dst.read(f.replica_path)
    digest = md5_hex(data)
    wrong = None
    if (len(data), digest) != (f.size, f.md5):
        detail = f"read {len(data)} bytes md5 {digest}, the manifest recorded {f.size} bytes md5 {f.md5}"
        wrong = problem(manifest, f.source_path, ProblemKind.REPLICA_MD5, detail)
    rows = parquet_rows(data)
    counted = None
    if rows != f.rows:
        r = manifest.range
        counted = RowCountMismatch(manifest.rows_prefix, manifest.topic, r, f.source_path, f.replica_path, f.rows, rows)
    return wrong, counted
