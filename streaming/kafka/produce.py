"""Send records to Kafka and know which were acknowledged."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.partitioner.abc import Partitioner
from kafka.partitioner.default import DefaultPartitioner


class CachingPartitioner(Partitioner):
    """Kafka's default key partitioning (murmur2, as the Java client), remembered per key.

    kafka-python hashes every key in pure Python and sorts the partition list on every send
    (~15% of a send). Keys repeat (a user sends many events), so each distinct key is hashed once
    per partition count; the mapping is exactly the default partitioner's, so records land where
    any other producer would put them. Keyless records go to the default partitioner.
    """

    def __init__(self, max_keys: int = 200_000) -> None:
        self.default = DefaultPartitioner()
        self.max_keys = max_keys
        self.cache: dict[tuple[str, bytes, int], int] = {}

    def partition(  # type: ignore[override]
        self,
        topic: str,
        key: object,
        serialized_key: bytes | None,
        value: object,
        serialized_value: object,
        cluster: Any,
    ) -> int:
        if serialized_key is None:
            return int(self.default.partition(topic, key, serialized_key, value, serialized_value, cluster))
        partitions = cluster.partitions_for_topic(topic)
        slot = (topic, serialized_key, len(partitions) if partitions else 0)
        found = self.cache.get(slot)
        if found is None:
            if len(self.cache) >= self.max_keys:
                self.cache.clear()
            found = self.cache[slot] = int(
                self.default.partition(topic, key, serialized_key, value, serialized_value, cluster)
            )
        return found


@dataclass
class SendReport:
    sent: int = 0
    acked: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def send_all(
    producer: KafkaProducer,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes]],
    rate: float | None = None,
    on_sent: Callable[[int], None] | None = None,
    flush_timeout_s: float = 120.0,
) -> SendReport:
    """Send every (key, value); pace to ``rate`` records/s when given; wait for all acks."""
    report = SendReport()

    def ok(_: object) -> None:
        report.acked += 1

    def failed(exc: BaseException) -> None:
        report.failed += 1
        if len(report.errors) < 10:
            report.errors.append(repr(exc))

    started = time.monotonic()
    for key, value in records:
        if rate:
            ahead = report.sent / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        try:
            producer.send(topic, key=key, value=value).add_callback(ok).add_errback(failed)
        except KafkaError as exc:
            failed(exc)
        report.sent += 1
        if on_sent:
            on_sent(1)
    producer.flush(timeout=flush_timeout_s)
    return report
