"""Land one offset range in the lake: read it whole, write quarantine, then events last.

The events file is the commit marker (see :mod:`ranges`). It is written after the
quarantine file, so a range that counts as landed always has both halves; a crash before
the events file leaves nothing that counts, and the retry writes the same files again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from kafka import KafkaConsumer

from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.ranges import (
    EVENTS_PREFIX,
    OffsetRange,
    events_path,
    landed_ranges,
    quarantine_path,
)
from orchestration.lib.bronze.reader import read_range
from orchestration.lib.lake import LakeStorage
from streaming.events.event_time import EventTimeRules

log = logging.getLogger(__name__)


class RangeConflictError(RuntimeError):
    """A different range overlapping this one already landed; landing it would double-count."""


@dataclass(frozen=True)
class LandedRange:
    topic: str
    range: OffsetRange
    valid: int
    quarantined: int
    reasons: Counter[str] = field(default_factory=Counter)
    events_bytes: int = 0
    quarantine_bytes: int = 0
    events_uri: str = ""
    quarantine_uri: str | None = None


def partition_prefix(topic: str, partition: int) -> str:
    return f"{EVENTS_PREFIX}/topic={topic}/partition={partition}/"


def landed_in(storage: LakeStorage, topic: str) -> dict[int, list[OffsetRange]]:
    """What already landed for ``topic``, read from the lake (the ledger)."""
    return landed_ranges(storage.list(f"{EVENTS_PREFIX}/topic={topic}/"), topic)


def check_no_conflict(storage: LakeStorage, topic: str, r: OffsetRange) -> None:
    landed = landed_ranges(storage.list(partition_prefix(topic, r.partition)), topic)
    clashes = [x for x in landed.get(r.partition, []) if x.overlaps(r) and x != r]
    if clashes:
        raise RangeConflictError(
            f"{topic} {r} overlaps already landed {', '.join(map(str, clashes))}; refusing to land it twice. "
            "Check the sensor cursor (`meridian status`) before re-running."
        )


def land_range(
    storage: LakeStorage,
    consumer: KafkaConsumer,
    topic: str,
    r: OffsetRange,
    timeout_s: float,
    now: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
    rules: EventTimeRules | None = None,
) -> LandedRange:
    check_no_conflict(storage, topic, r)
    batch = build_batch(topic, read_range(consumer, topic, r, timeout_s, on_progress), now, rules)
    q_bytes = 0
    q_uri = None
    if batch.quarantined:
        data = to_parquet(batch.quarantine)
        q_path = quarantine_path(topic, r)
        storage.write(q_path, data)
        q_bytes, q_uri = len(data), storage.uri(q_path)
    data = to_parquet(batch.events)
    e_path = events_path(topic, r)
    storage.write(e_path, data)
    log.info("landed %s %s: %d valid, %d quarantined", topic, r, batch.valid, batch.quarantined)
    return LandedRange(
        topic, r, batch.valid, batch.quarantined, batch.reasons, len(data), q_bytes, storage.uri(e_path), q_uri
    )
