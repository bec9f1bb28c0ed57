"""How far a replica has caught up: replicated-up-to offsets and lag, from listings alone.

A replica is only useful up to the first range it lacks: a reader of ``replicas/<region>/`` that restores a
partition needs every range from the start, so the replicated-up-to offset stops at the first source range
without a manifest, however many later ranges already made it. Gaps between source ranges are the landing's
business (``coverage_problems``); the walk steps over them, because nothing the source holds is in a gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from orchestration.lib.bronze.ranges import OffsetRange


class PartitionKey(NamedTuple):
    ledger: str  # the ledger's rows prefix, e.g. ``bronze/events``
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.ledger} {self.topic} p{self.partition}"


@dataclass(frozen=True, slots=True)
class PartitionProgress:
    source_frontier: int  # the first offset after every range landed in the source
    replicated_up_to: int  # every source offset below this is replicated (manifested)
    ranges: int
    replicated_ranges: int

    @property
    def behind(self) -> int:
        """Offsets landed in the source and not yet usable from the replica."""
        return max(0, self.source_frontier - self.replicated_up_to)


def partition_progress(
    ranges: Iterable[tuple[PartitionKey, OffsetRange, bool]],
) -> dict[PartitionKey, PartitionProgress]:
    """Per partition, from (partition, source range, has a manifest) triples.

    With no manifest at all the replica is "up to" the first range's start: ``behind`` is then exactly the
    offsets landed, rather than counting from 0 offsets that Kafka's retention dropped before landing.
    """
    grouped: dict[PartitionKey, list[tuple[OffsetRange, bool]]] = {}
    for key, r, replicated in ranges:
        grouped.setdefault(key, []).append((r, replicated))
    progress = {}
    for key, items in sorted(grouped.items()):
        items.sort()
        up_to = items[0][0].start
        for r, replicated in items:
            if not replicated:
                break
            up_to = max(up_to, r.end)
        progress[key] = PartitionProgress(
            source_frontier=max(r.end for r, _ in items),
            replicated_up_to=up_to,
            ranges=len(items),
            replicated_ranges=sum(1 for _, replicated in items if replicated),
        )
    return progress


def lag_seconds(unreplicated_landed_at: Iterable[datetime], now: datetime) -> float:
    """Age of the oldest range landed in the source and not replicated; 0 when none is waiting."""
    oldest = min(unreplicated_landed_at, default=None)
    if oldest is None:
        return 0.0
    return max(0.0, (now - oldest).total_seconds())
