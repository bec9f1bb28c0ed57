"""Copy every landed range of one region's store into another's, prove each copy, then manifest it.

The order inside a range is the whole guarantee. Read the range's files from the source and check them against
the MD5 the source reports (a corrupt read is an error, never a copy); write them to the replica paths; ask the
target what it now holds (``stat``) and compare size and MD5 with the bytes sent, reading back only when the
target reports no MD5; count Parquet rows from the same bytes; and only then create the manifest, create-only,
last. A range is replicated exactly when its manifest exists, so a run that dies anywhere leaves every manifest
true, and the next run redoes only unmanifested ranges (overwriting their unproven files) and repairs manifested
ones whose replica the target no longer lists as recorded (see ``plan``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from orchestration.lib.lake.base import LakeStorage
from orchestration.lib.replication.guard import GuardedStore
from orchestration.lib.replication.inventory import (
    SourceRange,
    check_ledgers,
    take_replica_inventory,
    take_source_inventory,
)
from orchestration.lib.replication.layout import manifest_path, replica_path
from orchestration.lib.replication.manifest import (
    Manifest,
    ManifestError,
    ManifestFile,
    decode_manifest,
    encode_manifest,
)
from orchestration.lib.replication.parallel import run_all
from orchestration.lib.replication.plan import Copy, Refuse, Repair, Skip, listing_agrees, plan_range, read_manifests
from orchestration.lib.replication.progress import PartitionKey, PartitionProgress, lag_seconds, partition_progress
from orchestration.lib.replication.verify import (
    FileProblem,
    ProblemKind,
    content_problem,
    md5_hex,
    parquet_rows,
    read_problem,
)

if TYPE_CHECKING:
    from orchestration.lib.ledger import Ledger

log = logging.getLogger(__name__)
_CORRUPT, _NOT_PARQUET = ProblemKind.SOURCE_CORRUPT_READ, ProblemKind.SOURCE_NOT_PARQUET


@dataclass(frozen=True)
class ReplicationReport:
    """One run of one (source, target) pair. ``errors`` lists ranges left unreplicated or unrepaired, by file."""

    source_region: str
    target_region: str
    source_store: str
    target_store: str
    ranges_copied: int  # newly manifested by this run
    files_copied: int  # every file written, copies and repairs
    bytes_copied: int
    ranges_repaired: int
    ranges_skipped: int  # manifested, and the target lists the replica as the source (or as its manifest)
    manifests_raced: int  # copied, but another run created the same manifest first (with the same content)
    progress: Mapping[PartitionKey, PartitionProgress]
    lag_seconds: float  # age of the oldest range still unreplicated after this run
    errors: tuple[FileProblem, ...] = ()
    # replica files this run found missing or wrong under a manifest (repaired unless also in ``errors``)
    found_damaged: tuple[FileProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def replicated_up_to(self) -> dict[PartitionKey, int]:
        return {key: p.replicated_up_to for key, p in self.progress.items()}

    def metadata(self) -> dict[str, object]:
        """Plain values for a Dagster materialization."""
        return {
            "source_store": self.source_store,
            "target_store": self.target_store,
            "ranges_copied": self.ranges_copied,
            "files_copied": self.files_copied,
            "bytes_copied": self.bytes_copied,
            "ranges_repaired": self.ranges_repaired,
            "ranges_skipped": self.ranges_skipped,
            "manifests_raced": self.manifests_raced,
            "lag_seconds": self.lag_seconds,
            "replicated_up_to": {str(k): v for k, v in self.replicated_up_to.items()},
            "errors": [str(e) for e in self.errors],
            "found_damaged": [str(p) for p in self.found_damaged],
        }


@dataclass(frozen=True)
class _Outcome:
    key: str
    manifested: bool  # a manifest for the range exists after the task
    copied: bool = False
    repaired: bool = False
    raced: bool = False
    files: int = 0
    bytes: int = 0
    problems: tuple[FileProblem, ...] = field(default_factory=tuple)
    found: tuple[FileProblem, ...] = field(default_factory=tuple)  # damage this run found on the replica


def replicate(
    source: LakeStorage,
    target: LakeStorage,
    ledgers: Iterable[Ledger],
    now: datetime | None = None,
    workers: int = 8,
) -> ReplicationReport:
    """Replicate every landed range of ``ledgers`` from ``source`` into ``target`` under ``replicas/<source>/``.

    Raises :class:`~orchestration.lib.replication.guard.StoreUnavailableError` (naming the store) when a store
    fails; ranges manifested before stay valid. Problems with single ranges (a corrupt read, a source changed
    since its manifest) do not stop the run: they are in ``errors``. ``now`` is the manifests' ``replicated_at``.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    replicated_at = _aware(now)
    ledgers = check_ledgers(ledgers)
    src, dst = GuardedStore(source, "source"), GuardedStore(target, "target")
    if src.region == dst.region:
        raise ValueError(f"{src.name} and {dst.name} are both region {src.region!r}: a region is not its own replica")
    sources = take_source_inventory(src, ledgers)
    replicas = take_replica_inventory(dst, src.region, ledgers)
    manifested_before = {k for k in sources.ranges if k in replicas.manifests}
    done = {k for k in manifested_before if listing_agrees(sources.ranges[k], replicas.replicas)}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"replicate-{src.region}-{dst.region}") as pool:
        manifests = read_manifests(dst, src.region, sorted(manifested_before - done), pool)
        actions = [
            Skip(rng) if key in done else plan_range(rng, manifests.get(key), replicas.replicas)
            for key, rng in sources.ranges.items()
        ]
        tasks = [_task(src, dst, a, replicated_at) for a in actions if isinstance(a, Copy | Repair)]
        results = iter(run_all(pool, tasks))
    outcomes = [_planned(a) if isinstance(a, Skip | Refuse) else next(results) for a in actions]
    manifested = set(replicas.manifests) | {o.key for o in outcomes if o.manifested}
    ranges = list(sources.ranges.values())
    report = ReplicationReport(
        source_region=src.region,
        target_region=dst.region,
        source_store=src.name,
        target_store=dst.name,
        ranges_copied=sum(o.copied for o in outcomes),
        files_copied=sum(o.files for o in outcomes),
        bytes_copied=sum(o.bytes for o in outcomes),
        ranges_repaired=sum(o.repaired for o in outcomes),
        ranges_skipped=sum(1 for a in actions if isinstance(a, Skip)),
        manifests_raced=sum(o.raced for o in outcomes),
        progress=partition_progress((r.partition_key, r.range, r.key in manifested) for r in ranges),
        lag_seconds=lag_seconds((r.landed_at for r in ranges if r.key not in manifested), replicated_at),
        errors=tuple(p for o in outcomes for p in o.problems),
        found_damaged=tuple(p for o in outcomes for p in o.found),
    )
    for problem in report.errors:
        log.warning("replicating %s -> %s: %s", src.name, dst.name, problem)
    log.info(
        "replicated %s -> %s: %d ranges copied, %d repaired, %d skipped, %d bytes, %d errors",
        src.name, dst.name, report.ranges_copied, report.ranges_repaired, report.ranges_skipped,
        report.bytes_copied, len(report.errors),
    )  # fmt: skip
    return report


def _task(src: GuardedStore, dst: GuardedStore, action: Copy | Repair, at: datetime) -> Callable[[], _Outcome]:
    if isinstance(action, Copy):
        return partial(_copy_range, src, dst, action.source, at)
    return partial(_repair_range, src, dst, action)


def _planned(action: Skip | Refuse) -> _Outcome:
    """What a range needing no copy contributes: it stays manifested; a refused one brings its problems."""
    return _Outcome(action.source.key, manifested=True, problems=action.problems if isinstance(action, Refuse) else ())


def _file_problem(rng: SourceRange, path: str, kind: ProblemKind, detail: str) -> FileProblem:
    return FileProblem(rng.ledger.rows_prefix, rng.topic, rng.range, path, kind, detail)


def _put(dst: GuardedStore, path: str, data: bytes, digest: str) -> tuple[ProblemKind, str] | None:
    """Write, then verify by what the target itself reports: the MD5 its write answer carries (S3's ETag, GCS's
    md5Hash, computed by the store from the bytes it received), else a stat; read back and hash only when it
    reports no MD5 at all."""
    info = dst.write(path, data) or dst.stat(path)
    wrong = content_problem(len(data), digest, info)
    if wrong is not None:
        return wrong[0], f"after writing: {wrong[1]}"
    if info is not None and info.md5 is None:
        back = md5_hex(dst.read(path))
        if back != digest:
            return ProblemKind.REPLICA_MD5, f"after writing: read back md5 {back}, sent {digest}"
    return None


def _copy_range(src: GuardedStore, dst: GuardedStore, rng: SourceRange, replicated_at: datetime) -> _Outcome:
    """Read and check every file first, so a corrupt read writes nothing; manifest only after all verified."""
    loaded: list[tuple[str, bytes, str, int]] = []
    for info in rng.files:
        data = src.read(info.path)
        digest = md5_hex(data)
        wrong = read_problem(info, data, digest)
        if wrong is not None:
            detail = f"{wrong}; not copied (re-run; if it persists the source file is damaged: re-land the range)"
            return _Outcome(rng.key, False, problems=(_file_problem(rng, info.path, _CORRUPT, detail),))
        rows = parquet_rows(data)
        if rows is None:
            detail = "not a readable Parquet file; not copied"
            return _Outcome(rng.key, False, problems=(_file_problem(rng, info.path, _NOT_PARQUET, detail),))
        loaded.append((info.path, data, digest, rows))
    files: list[ManifestFile] = []
    for path, data, digest, rows in loaded:
        target_path = replica_path(src.region, path)
        failed = _put(dst, target_path, data, digest)
        if failed is not None:
            return _Outcome(rng.key, False, files=len(files) + 1, bytes=sum(f.size for f in files) + len(data),
                            problems=(_file_problem(rng, path, *failed),))  # fmt: skip
        files.append(ManifestFile(path, target_path, len(data), digest, rows))
    manifest = Manifest(
        source_region=src.region,
        target_region=dst.region,
        rows_prefix=rng.ledger.rows_prefix,
        topic=rng.topic,
        range=rng.range,
        files=tuple(files),
        source_landed_at=rng.landed_at,
        replicated_at=replicated_at,
    )
    sent = len(files), sum(f.size for f in files)
    path = manifest_path(src.region, rng.key)
    if dst.write_if_absent(path, encode_manifest(manifest)):
        return _Outcome(rng.key, True, copied=True, files=sent[0], bytes=sent[1])
    # Another run created it first. Fine if it proves the same bytes; if not, the replica now holds this run's
    # bytes under the other run's proof, which the next run or audit would flag: say so now.
    try:
        theirs = decode_manifest(dst.read(path), path).files
    except ManifestError as exc:
        theirs, why = (), str(exc)
    else:
        why = "it records other files than this run copied (the source changed between the two runs)"
    if [(f.source_path, f.size, f.md5) for f in theirs] == [(f.source_path, f.size, f.md5) for f in files]:
        return _Outcome(rng.key, True, copied=True, raced=True, files=sent[0], bytes=sent[1])
    conflict = _file_problem(rng, path, ProblemKind.MANIFEST_CONFLICT, f"a racing run created {path} first: {why}")
    return _Outcome(rng.key, True, files=sent[0], bytes=sent[1], problems=(conflict,))


def _repair_range(src: GuardedStore, dst: GuardedStore, action: Repair) -> _Outcome:
    """Copy the damaged files again, but only bytes that still match the manifest: it is the proof, not the source."""
    rng, listed = action.source, {f.path: f for f in action.source.files}
    for why in action.problems:
        log.info("repairing the replica of %s", why)
    files = size = 0
    problems = []
    for f in action.files:
        data = src.read(f.source_path)
        digest = md5_hex(data)
        wrong = read_problem(listed[f.source_path], data, digest)
        if wrong is not None:
            problems.append(_file_problem(rng, f.source_path, _CORRUPT, f"{wrong}; not repaired"))
            continue
        if (len(data), digest) != (f.size, f.md5):
            detail = (
                f"source bytes ({len(data)} bytes, md5 {digest}) differ from the manifest's ({f.size}, {f.md5}); "
                "not repaired"
            )
            problems.append(_file_problem(rng, f.source_path, ProblemKind.SOURCE_CHANGED, detail))
            continue
        failed = _put(dst, f.replica_path, data, digest)
        files, size = files + 1, size + len(data)
        if failed is not None:
            problems.append(_file_problem(rng, f.source_path, *failed))
    return _Outcome(
        rng.key, True, repaired=not problems, files=files, bytes=size, problems=tuple(problems), found=action.problems
    )


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return now.astimezone(UTC)
