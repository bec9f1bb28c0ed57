"""The manifest: a replicated range's proof, written once, last, after every file of the range verified.

It records the source's truth at copy time (each file's size, MD5 and Parquet row count, and when the
range landed), so a later run or audit can tell a damaged replica (re-copy it, the manifest stands) from a
source that changed since (an error for a person: the region's ledger was rewritten under a replica that
already claimed the range). It is never rewritten; a manifest that exists is the replication ledger's entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.json_fields import typed, utc_time

FORMAT_VERSION = 1


class ManifestError(ValueError):
    """A manifest could not be read as this format; the message names the object."""


@dataclass(frozen=True, slots=True)
class ManifestFile:
    source_path: str
    replica_path: str
    size: int
    md5: str  # hex, of the bytes read from the source and verified on the target
    rows: int  # from the Parquet footer of those bytes


@dataclass(frozen=True, slots=True)
class Manifest:
    source_region: str
    target_region: str
    rows_prefix: str  # which ledger the range belongs to
    topic: str
    range: OffsetRange
    files: tuple[ManifestFile, ...]  # the quarantine file first when there is one, the rows file last
    source_landed_at: datetime  # the source rows file's ``updated``: when the range counted as landed
    replicated_at: datetime
    format_version: int = FORMAT_VERSION

    @property
    def rows_path(self) -> str:
        return range_path(self.rows_prefix, self.topic, self.range)


def encode_manifest(manifest: Manifest) -> bytes:
    r = manifest.range
    doc = {
        "format_version": manifest.format_version,
        "source_region": manifest.source_region,
        "target_region": manifest.target_region,
        "rows_prefix": manifest.rows_prefix,
        "topic": manifest.topic,
        "partition": r.partition,
        "start": r.start,
        "end": r.end,
        "files": [
            {"source_path": f.source_path, "replica_path": f.replica_path, "size": f.size, "md5": f.md5, "rows": f.rows}
            for f in manifest.files
        ],
        "source_landed_at": _utc(manifest.source_landed_at, "source_landed_at"),
        "replicated_at": _utc(manifest.replicated_at, "replicated_at"),
    }
    return orjson.dumps(doc, option=orjson.OPT_UTC_Z | orjson.OPT_INDENT_2)


def decode_manifest(data: bytes, path: str) -> Manifest:
    """Parse a manifest, refusing anything not exactly this format (a half-understood proof proves nothing)."""
    try:
        doc = orjson.loads(data)
        if not isinstance(doc, dict):
            raise TypeError("not a JSON object")
        version = doc["format_version"]
        if version != FORMAT_VERSION:
            raise ValueError(f"format_version {version!r}, this code reads {FORMAT_VERSION}")
        files = tuple(
            ManifestFile(
                typed(f["source_path"], str),
                typed(f["replica_path"], str),
                typed(f["size"], int),
                typed(f["md5"], str),
                typed(f["rows"], int),
            )
            for f in doc["files"]
        )
        if not files:
            raise ValueError("no files")
        return Manifest(
            source_region=typed(doc["source_region"], str),
            target_region=typed(doc["target_region"], str),
            rows_prefix=typed(doc["rows_prefix"], str),
            topic=typed(doc["topic"], str),
            range=OffsetRange(typed(doc["partition"], int), typed(doc["start"], int), typed(doc["end"], int)),
            files=files,
            source_landed_at=utc_time(doc["source_landed_at"]),
            replicated_at=utc_time(doc["replicated_at"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"manifest {path} is not a replication manifest v{FORMAT_VERSION}: {exc!r}") from exc


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)
