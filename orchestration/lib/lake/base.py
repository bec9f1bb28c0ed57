"""The interface every lake backend implements.

Paths are relative, ``/``-separated keys such as ``bronze/events/...``; each backend maps them
to its own place for one storage region. ``write`` must be atomic: a reader (or a retried
run) sees either the whole object or none of it. The bronze exactly-once rule relies on that.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class LakeStorageError(RuntimeError):
    """A lake operation failed; the message names the path and the backend."""


@runtime_checkable
class LakeStorage(Protocol):
    region: str

    def write(self, path: str, data: bytes) -> None: ...

    def read(self, path: str) -> bytes: ...

    def exists(self, path: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""
        ...

    def delete(self, path: str) -> None: ...

    def uri(self, path: str) -> str:
        """Where a person or another engine (DuckDB, BigQuery) finds ``path``."""
        ...
