"""Every store call replication makes, failing with the store's name.

A backend raises whatever its client raises (a socket timeout, a 403, a full disk). Replication turns any of
those into :class:`StoreUnavailableError` naming which region's store failed (``describe()``), in which role
and on which key, so the Dagster run fails with a message a person can act on. The cause stays chained.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from orchestration.lib.lake.base import LakeStorage, LakeStorageError, ObjectInfo

T = TypeVar("T")


class StoreUnavailableError(LakeStorageError):
    """A source or target store failed; replicated ranges stay valid, a re-run continues where this one stopped."""

    def __init__(self, role: str, store: str, region: str, operation: str, path: str, cause: BaseException) -> None:
        self.role = role
        self.store = store
        self.region = region
        super().__init__(
            f"{role} store {store} (region {region}) failed to {operation} {path!r}: {type(cause).__name__}: {cause}. "
            "Check that the store is reachable and its credentials, then re-run: ranges already replicated stay valid."
        )


class GuardedStore:
    """The few calls replication makes on one store, each failure re-raised naming the store."""

    def __init__(self, store: LakeStorage, role: str) -> None:
        self.store = store
        self.role = role
        self.region = store.region
        self.name = store.describe()

    def _call(self, operation: str, path: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except StoreUnavailableError:
            raise
        except Exception as exc:
            raise StoreUnavailableError(self.role, self.name, self.region, operation, path, exc) from exc

    def list_info(self, prefix: str) -> list[ObjectInfo]:
        return self._call("list", prefix, lambda: self.store.list_info(prefix))

    def read(self, path: str) -> bytes:
        return self._call("read", path, lambda: self.store.read(path))

    def write(self, path: str, data: bytes) -> ObjectInfo | None:
        return self._call("write", path, lambda: self.store.write(path, data))

    def write_if_absent(self, path: str, data: bytes) -> bool:
        return self._call("create", path, lambda: self.store.write_if_absent(path, data))

    def stat(self, path: str) -> ObjectInfo | None:
        return self._call("stat", path, lambda: self.store.stat(path))
