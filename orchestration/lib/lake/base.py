"""The interface every lake backend implements.

Paths are relative, ``/``-separated keys such as ``bronze/events/...``; each backend maps them
to its own place for one region's store. ``write`` must be atomic: a reader (or a retried
run) sees either the whole object or none of it. The bronze exactly-once rule relies on that.

Replication between regions needs two more things of every store: what it says it holds
(:meth:`LakeStorage.stat` / :meth:`LakeStorage.list_info`, with the checksum the store computed
itself, so a copy is verified by the target rather than by the writer's belief), and a create-only
write (:meth:`LakeStorage.write_if_absent`) for manifests, so two runs racing on one range cannot
both claim it.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


class LakeStorageError(RuntimeError):
    """A lake operation failed; the message names the path and the backend."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a store reports about one object.

    ``md5`` is the hex MD5 of the object's bytes as the store computed it (S3's ETag of a single-part
    upload, GCS's ``md5Hash``, or hashed from the file locally); None when the store gives no reliable
    MD5 (an S3 multi-part ETag, a composite GCS object). ``updated`` is when the object was last
    written, timezone-aware UTC.
    """

    path: str
    size: int
    md5: str | None
    updated: datetime


@runtime_checkable
class LakeStorage(Protocol):
    region: str

    def write(self, path: str, data: bytes) -> ObjectInfo | None:
        """Store ``data`` at ``path`` (atomically) and return what the store reported about the stored
        object in its answer (size, the MD5 it computed), or None when its answer says nothing."""
        ...

    def write_if_absent(self, path: str, data: bytes) -> bool:
        """Create ``path`` only if no object is there; True when this call created it.

        Atomic against concurrent writers: of two racing calls exactly one returns True.
        """
        ...

    def read(self, path: str) -> bytes: ...

    def exists(self, path: str) -> bool: ...

    def stat(self, path: str) -> ObjectInfo | None:
        """What the store holds at ``path``; None when nothing is there."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""
        ...

    def list_info(self, prefix: str) -> builtins.list[ObjectInfo]:
        """Every object under ``prefix`` with its size and checksum, sorted by path (one listing call)."""
        ...

    def delete(self, path: str) -> None: ...

    def uri(self, path: str) -> str:
        """Where a person or another engine (DuckDB, BigQuery) finds ``path``."""
        ...

    def describe(self) -> str:
        """The store in one phrase, for errors and ``meridian regions`` (``s3://bucket``, a folder)."""
        ...
