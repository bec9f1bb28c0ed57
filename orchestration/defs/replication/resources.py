"""How the replication domain is tuned: lag thresholds and copy concurrency, from ReplicationSettings."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import ReplicationSettings


class ReplicationResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    lag_warn_seconds: float = 300.0
    lag_fail_seconds: float = 900.0
    workers: int = 8

    @classmethod
    def from_settings(cls, replication: ReplicationSettings) -> ReplicationResource:
        return cls(
            lag_warn_seconds=replication.lag_warn_seconds,
            lag_fail_seconds=replication.lag_fail_seconds,
            workers=replication.workers,
        )
