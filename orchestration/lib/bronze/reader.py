"""Read exactly one offset range from Kafka: assign + seek, no consumer group, no commit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

from kafka import KafkaConsumer, TopicPartition

from orchestration.lib.bronze.ranges import OffsetRange


class RawRecord(NamedTuple):
    partition: int
    offset: int
    timestamp_ms: int
    value: bytes | None


class RangeReadError(RuntimeError):
    """The range could not be read whole; nothing is written for it."""


def read_range(
    consumer: KafkaConsumer,
    topic: str,
    r: OffsetRange,
    timeout_s: float,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[RawRecord]:
    """Yield the records of ``r`` in offset order, or raise if they don't all arrive in time.

    Offsets can have holes (transaction markers, compaction), so the loop ends when the
    consumer's position reaches ``end``, not after ``end - start`` records.
    """
    tp = TopicPartition(topic, r.partition)
    consumer.assign([tp])
    consumer.seek(tp, r.start)
    deadline = time.monotonic() + timeout_s
    while consumer.position(tp) < r.end:
        if time.monotonic() > deadline:
            raise RangeReadError(
                f"reading {topic} {r} timed out after {timeout_s}s at offset "
                f"{consumer.position(tp)}; is the broker reachable and the range still retained?"
            )
        polled = consumer.poll(timeout_ms=500).get(tp, [])
        count = 0
        for msg in polled:
            if msg.offset >= r.end:
                break
            if msg.offset < r.start:
                continue
            count += 1
            yield RawRecord(r.partition, msg.offset, msg.timestamp, msg.value)
        if polled and on_progress:
            on_progress(count)
        if polled and polled[-1].offset >= r.end - 1:
            return
