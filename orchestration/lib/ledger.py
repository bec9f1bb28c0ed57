"""The lake's offset-range ledger: the one landing primitive for every topic the lake keeps.

A range ``[start, end)`` of one topic-partition counts as landed exactly when its rows file exists;
that file is written last, atomically, under a name derived from the range alone, after the range's
quarantine file (if any records were refused). So a retried run overwrites its own files instead of
adding a second copy, a crash before the rows file leaves nothing that counts, and nothing is
"committed" to Kafka at all: what landed is read back from the lake. Bronze (``bronze/events``) and
the streaming service's metrics (``streaming/region_minute``) both land through :func:`land_range`;
only how records become rows differs, and that is the caller's ``build``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from kafka import KafkaConsumer

from orchestration.lib.bronze.ranges import OffsetRange, landed_frontier, landed_ranges, range_path
from orchestration.lib.bronze.reader import RawRecord, read_range
from orchestration.lib.lake import LakeStorage

log = logging.getLogger(__name__)


class RangeConflictError(RuntimeError):
    """A different range overlapping this one already landed; landing it would double-count."""


@dataclass(frozen=True)
class Built:
    """What ``build`` made of a range's records: Parquet bytes for rows and quarantine, and the counts."""

    rows: bytes
    quarantine: bytes | None
    valid: int
    quarantined: int
    reasons: Counter[str] = field(default_factory=Counter)


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


@dataclass(frozen=True)
class Ledger:
    """Where one kind of range file lives: rows under ``rows_prefix``, refused records under ``quarantine_prefix``."""

    rows_prefix: str
    quarantine_prefix: str

    def topic_prefix(self, topic: str) -> str:
        return f"{self.rows_prefix}/topic={topic}/"

    def rows_paths(self, storage: LakeStorage, topic: str) -> list[str]:
        return [p for p in storage.list(self.topic_prefix(topic)) if p.endswith(".parquet")]

    def landed(self, storage: LakeStorage, topic: str) -> dict[int, list[OffsetRange]]:
        """What already landed for ``topic``, read from the lake (the ledger)."""
        return landed_ranges(storage.list(self.topic_prefix(topic)), topic)

    def frontier(self, storage: LakeStorage, topic: str) -> dict[int, int]:
        return landed_frontier(self.landed(storage, topic))

    def check_no_conflict(self, storage: LakeStorage, topic: str, r: OffsetRange) -> None:
        partition = f"{self.topic_prefix(topic)}partition={r.partition}/"
        landed = landed_ranges(storage.list(partition), topic)
        clashes = [x for x in landed.get(r.partition, []) if x.overlaps(r) and x != r]
        if clashes:
            raise RangeConflictError(
                f"{topic} {r} overlaps already landed {', '.join(map(str, clashes))} under {self.rows_prefix}; "
                "refusing to land it twice. Check bronze_events_sensor's cursor in the Dagster UI before re-running."
            )

    def land_range(
        self,
        storage: LakeStorage,
        consumer: KafkaConsumer,
        topic: str,
        r: OffsetRange,
        timeout_s: float,
        build: Callable[[Iterator[RawRecord]], Built],
        on_progress: Callable[[int], None] | None = None,
    ) -> LandedRange:
        """Read ``r`` whole, build its files, write quarantine first and the rows file (the commit) last."""
        self.check_no_conflict(storage, topic, r)
        built = build(read_range(consumer, topic, r, timeout_s, on_progress))
        q_uri = None
        if built.quarantine is not None:
            q_path = range_path(self.quarantine_prefix, topic, r)
            storage.write(q_path, built.quarantine)
            q_uri = storage.uri(q_path)
        path = range_path(self.rows_prefix, topic, r)
        storage.write(path, built.rows)
        log.info(
            "landed %s %s under %s: %d rows, %d quarantined", topic, r, self.rows_prefix, built.valid, built.quarantined
        )
        return LandedRange(
            topic,
            r,
            built.valid,
            built.quarantined,
            built.reasons,
            len(built.rows),
            len(built.quarantine or b""),
            storage.uri(path),
            q_uri,
        )
