"""Proof that bytes are what they should be: MD5, Parquet row counts, and the comparisons that name a problem.

MD5 is the one checksum every store reports itself (S3's single-part ETag, GCS's ``md5Hash``, a local hash),
so comparing the MD5 of the bytes sent with the MD5 the target reports proves the copy without reading it
back. Row counts come from the Parquet footer of those same bytes: equal bytes have equal rows, so the count
needs checking again only where MD5 could not prove equality.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.bronze.ranges import OffsetRange
from orchestration.lib.lake.base import ObjectInfo
from orchestration.lib.replication.manifest import Manifest, ManifestFile


class ProblemKind(StrEnum):
    """Stable names for what is wrong, for alerts and asset-check metadata."""

    SOURCE_CORRUPT_READ = "source_corrupt_read"  # the bytes read differ from what the source reports
    SOURCE_NOT_PARQUET = "source_not_parquet"
    SOURCE_CHANGED = "source_changed"  # the source's file differs from what its manifest recorded
    SOURCE_MISSING = "source_missing"  # a manifested file is no longer in the source
    REPLICA_MISSING = "replica_missing"
    REPLICA_SIZE = "replica_size"
    REPLICA_MD5 = "replica_md5"
    MANIFEST_UNREADABLE = "manifest_unreadable"
    MANIFEST_CONFLICT = "manifest_conflict"  # a racing run's manifest records other bytes than this run sent


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One file that is not what it should be; ``path`` is its key in the source."""

    ledger: str
    topic: str
    range: OffsetRange
    path: str
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def parquet_rows(data: bytes) -> int | None:
    """Rows in the Parquet footer of ``data``; None when it is not a readable Parquet file."""
    try:
        return int(pq.read_metadata(pa.BufferReader(data)).num_rows)
    except (pa.ArrowException, OSError, ValueError):
        return None


def read_problem(info: ObjectInfo, data: bytes, digest: str) -> str | None:
    """Why bytes just read do not match what their store listed (a corrupt read, or rewritten since the listing)."""
    if len(data) != info.size:
        return f"read {len(data)} bytes, the store lists {info.size}"
    if info.md5 is not None and digest != info.md5:
        return f"read bytes with md5 {digest}, the store reports {info.md5}"
    return None


def content_problem(expected_size: int, expected_md5: str, info: ObjectInfo | None) -> tuple[ProblemKind, str] | None:
    """How a replica listed by the target differs from the expected content, as far as the listing can tell.

    A target that reports no MD5 can only be caught by size here; the caller reads such files when it must prove them.
    """
    if info is None:
        return ProblemKind.REPLICA_MISSING, "not in the target"
    if info.size != expected_size:
        return ProblemKind.REPLICA_SIZE, f"target has {info.size} bytes, expected {expected_size}"
    if info.md5 is not None and info.md5 != expected_md5:
        return ProblemKind.REPLICA_MD5, f"target reports md5 {info.md5}, expected {expected_md5}"
    return None


def problem(manifest: Manifest, path: str, kind: ProblemKind, detail: str) -> FileProblem:
    return FileProblem(manifest.rows_prefix, manifest.topic, manifest.range, path, kind, detail)


def source_problems(manifest: Manifest, source_files: Mapping[str, ObjectInfo] | None) -> list[FileProblem]:
    """How the source now differs from what ``manifest`` recorded; ``source_files`` None when the range is gone.

    A source that reports no MD5 is compared by size only: the bytes are hashed when a repair reads them.
    """
    if source_files is None:
        return [problem(manifest, f.source_path, ProblemKind.SOURCE_MISSING, "the range is no longer in the source")
                for f in manifest.files]  # fmt: skip
    found: list[FileProblem] = []
    for f in manifest.files:
        info = source_files.get(f.source_path)
        if info is None:
            found.append(problem(manifest, f.source_path, ProblemKind.SOURCE_MISSING, "no longer in the source"))
        elif info.size != f.size or (info.md5 is not None and info.md5 != f.md5):
            detail = f"source has {info.size} bytes md5 {info.md5}, the manifest recorded {f.size} bytes md5 {f.md5}"
            found.append(problem(manifest, f.source_path, ProblemKind.SOURCE_CHANGED, detail))
    for path in sorted(set(source_files) - {f.source_path for f in manifest.files}):
        found.append(problem(manifest, path, ProblemKind.SOURCE_CHANGED, "in the source but not in the manifest"))
    return found


def replica_problems(manifest: Manifest, replicas: Mapping[str, ObjectInfo]) -> list[tuple[ManifestFile, FileProblem]]:
    """The manifest's files whose replica (by source key) the target's listing shows missing or different."""
    found = []
    for f in manifest.files:
        differs = content_problem(f.size, f.md5, replicas.get(f.source_path))
        if differs is not None:
            found.append((f, problem(manifest, f.source_path, *differs)))
    return found
