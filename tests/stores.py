"""The loopback object stores the tests start (they live with the lake code: the DR drill starts them too)."""

from collections.abc import Callable

from orchestration.lib.lake import LakeStorage
from orchestration.lib.lake.servers import FakeGcs, SeaweedS3

StoreFactory = Callable[[], LakeStorage]  # makes a new handle (its own client) on one store

__all__ = ["FakeGcs", "SeaweedS3", "StoreFactory"]
