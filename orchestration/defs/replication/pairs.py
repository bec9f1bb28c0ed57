"""The names of one replication pair (source region -> target region): its asset and checks."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

REPLICATION_GROUP = "replication"
REPLICATION_LANE = "replication"
CHECK_COMPLETE = "replica_complete"
CHECK_CHECKSUMS = "replica_checksums_and_rows"
CHECK_ORPHANS = "replica_no_orphans"
CHECK_LAG = "replica_lag"


@dataclass(frozen=True)
class Pair:
    source: str
    target: str

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(["replication", f"{self.source}_to_{self.target}"])

    def check_key(self, name: str) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(self.key, name)

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


def pairs_of(settings_pairs: list[tuple[str, str]]) -> list[Pair]:
    return [Pair(source, target) for source, target in settings_pairs]


def status_path(source: str) -> str:
    """Where a target store keeps how far its replica of ``source`` was last seen (outside ``replicas/``,
    so the audit never counts it an orphan): the lag check's evidence while the source is unreachable."""
    return f"_replication/{source}.json"
