"""Land one offset range of events in bronze through the lake's ledger (:mod:`orchestration.lib.ledger`).

Valid events become the range's events file (the commit marker, written last); records the contract
or the event-time rules refuse become its quarantine file, written first, with their reasons. Both
carry the region of the lake they land in (``ingest_region``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from kafka import KafkaConsumer

from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.ranges import EVENTS_PREFIX, QUARANTINE_PREFIX, OffsetRange
from orchestration.lib.bronze.reader import RawRecord
from orchestration.lib.lake import LakeStorage
from orchestration.lib.ledger import Built, LandedRange, Ledger, RangeConflictError
from streaming.events.event_time import EventTimeRules

BRONZE = Ledger(EVENTS_PREFIX, QUARANTINE_PREFIX)

__all__ = ["BRONZE", "LandedRange", "RangeConflictError", "land_range", "landed_in"]


def landed_in(storage: LakeStorage, topic: str) -> dict[int, list[OffsetRange]]:
    """What already landed in bronze for ``topic``."""
    return BRONZE.landed(storage, topic)


def land_range(
    storage: LakeStorage,
    consumer: KafkaConsumer,
    topic: str,
    r: OffsetRange,
    timeout_s: float,
    now: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
    rules: EventTimeRules | None = None,
    ingest_region: str | None = None,
) -> LandedRange:
    """``ingest_region`` is the lake's own region unless the topic is another region's mirror."""

    def build(records: Iterator[RawRecord]) -> Built:
        batch = build_batch(topic, records, now, rules, ingest_region=ingest_region or storage.region)
        quarantine = to_parquet(batch.quarantine) if batch.quarantined else None
        return Built(to_parquet(batch.events), quarantine, batch.valid, batch.quarantined, batch.reasons)

    return BRONZE.land_range(storage, consumer, topic, r, timeout_s, build, on_progress)
