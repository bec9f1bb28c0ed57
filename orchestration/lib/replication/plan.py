"""What each landed range needs: a copy, a repair, nothing, or a person.

Decided from the two listings and, only for ranges that look wrong, the range's manifest; never from re-reading
data. A manifested range whose replica the target lists exactly as the source lists its file is done. Otherwise
the manifest decides: a replica missing or different from it gets those files copied again (the manifest stands,
it records the source's truth); a source that no longer matches it is refused, because copying that would make
the replica disagree with its own proof.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from orchestration.lib.bronze.ranges import parse_events_path
from orchestration.lib.lake.base import ObjectInfo
from orchestration.lib.replication.guard import GuardedStore
from orchestration.lib.replication.inventory import SourceRange
from orchestration.lib.replication.layout import manifest_path, replica_path
from orchestration.lib.replication.manifest import Manifest, ManifestError, ManifestFile, decode_manifest
from orchestration.lib.replication.parallel import run_all
from orchestration.lib.replication.verify import FileProblem, ProblemKind, replica_problems, source_problems


@dataclass(frozen=True, slots=True)
class Copy:
    source: SourceRange


@dataclass(frozen=True, slots=True)
class Repair:
    source: SourceRange
    manifest: Manifest
    files: tuple[ManifestFile, ...]
    problems: tuple[FileProblem, ...]  # what the listing showed wrong with each of ``files``


@dataclass(frozen=True, slots=True)
class Skip:
    source: SourceRange


@dataclass(frozen=True, slots=True)
class Refuse:
    source: SourceRange
    problems: tuple[FileProblem, ...]


Action = Copy | Repair | Skip | Refuse


def plan_range(
    source: SourceRange, manifest: Manifest | FileProblem | None, replicas: Mapping[str, ObjectInfo]
) -> Action:
    """``manifest`` is None when the target has none, a problem when it has one that cannot be trusted."""
    if manifest is None:
        return Copy(source)
    if isinstance(manifest, FileProblem):
        return Refuse(source, (manifest,))
    changed = source_problems(manifest, {f.path: f for f in source.files})
    if changed:
        return Refuse(source, tuple(changed))
    broken = replica_problems(manifest, replicas)
    if broken:
        return Repair(source, manifest, tuple(f for f, _ in broken), tuple(p for _, p in broken))
    return Skip(source)


def listing_agrees(source: SourceRange, replicas: Mapping[str, ObjectInfo]) -> bool:
    """Whether the target lists every file of the range with the source's size and MD5 (both reported).

    A manifest is only ever created after its files verified and is never rewritten, so a manifested range whose
    replica still equals the source needs nothing, and its manifest need not be read: per run, replication reads
    only the manifests of ranges that look wrong. The audit reads them all.
    """
    for f in source.files:
        replica = replicas.get(f.path)
        if replica is None or f.md5 is None or (replica.size, replica.md5) != (f.size, f.md5):
            return False
    return True


def manifest_problem(source_region: str, rows_key: str, detail: str) -> FileProblem:
    """A manifest that cannot be trusted, named by its key in the target."""
    parsed = parse_events_path(rows_key)
    if parsed is None:
        raise ValueError(f"{rows_key!r} is not a range file's key")
    ledger = rows_key[: rows_key.rindex("/topic=")]
    path = manifest_path(source_region, rows_key)
    return FileProblem(ledger, parsed[0], parsed[1], path, ProblemKind.MANIFEST_UNREADABLE, detail)


def check_manifest(manifest: Manifest, rows_key: str, source_region: str) -> str | None:
    """Why a well-formed manifest does not belong at its key, if it does not."""
    if manifest.rows_path != rows_key:
        return f"it describes {manifest.rows_path}, not {rows_key}"
    if manifest.source_region != source_region:
        return f"it records source region {manifest.source_region!r}, not {source_region!r}"
    if manifest.files[-1].source_path != rows_key:
        return "its last file is not the range's rows file"
    for f in manifest.files:
        if f.replica_path != replica_path(source_region, f.source_path):
            return f"it puts {f.source_path} at {f.replica_path}, not {replica_path(source_region, f.source_path)}"
    return None


def read_manifests(
    target: GuardedStore, source_region: str, rows_keys: Iterable[str], pool: ThreadPoolExecutor
) -> dict[str, Manifest | FileProblem]:
    """Each manifest decoded, or the reason it cannot be trusted; one small read each, in parallel."""

    def read(rows_key: str) -> tuple[str, Manifest | FileProblem]:
        path = manifest_path(source_region, rows_key)
        try:
            manifest = decode_manifest(target.read(path), path)
        except ManifestError as exc:
            return rows_key, manifest_problem(source_region, rows_key, str(exc))
        wrong = check_manifest(manifest, rows_key, source_region)
        if wrong is not None:
            return rows_key, manifest_problem(source_region, rows_key, f"manifest {path} cannot be trusted: {wrong}")
        return rows_key, manifest

    return dict(run_all(pool, [partial(read, k) for k in rows_keys]))
