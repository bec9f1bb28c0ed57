"""The loopback object stores the tests start (they live with the lake code: the DR drill starts them too)."""

from orchestration.lib.lake.servers import FakeGcs, SeaweedS3

__all__ = ["FakeGcs", "SeaweedS3"]
