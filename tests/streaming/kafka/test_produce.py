"""The caching partitioner puts every keyed record where Kafka's default partitioner would."""

from __future__ import annotations

import pytest

from streaming.kafka import clients
from streaming.kafka.broker import LocalBroker
from streaming.kafka.produce import CachingPartitioner
from streaming.kafka.settings import KafkaSettings

pytestmark = pytest.mark.integration


def test_cached_partitions_equal_the_default_partitioners(kafka_broker: LocalBroker, topic: str) -> None:
    keys = [f"u-{region}-{n}".encode() for region in ("us", "eu", "apac") for n in range(300)] * 2
    partitioner = CachingPartitioner(max_keys=500)  # small: the cache is cleared and refilled on the way
    placements = []
    for config in ({}, {"partitioner": partitioner}):
        producer = clients.producer(KafkaSettings(bootstrap_servers=kafka_broker.bootstrap_servers), **config)
        futures = [producer.send(topic, key=key, value=b"{}") for key in keys]
        producer.flush(timeout=60)
        placements.append([f.get(timeout=1).partition for f in futures])
        producer.close()
    default, cached = placements
    assert cached == default
    assert len(set(default)) == 6  # the keys spread over every partition: the test can tell them apart
    assert 0 < len(partitioner.cache) <= 500
    assert partitioner.partition("t", None, None, None, None, _NoTopics()) == 0  # keyless: the default decides


class _NoTopics:
    """A stand-in for kafka-python's cluster metadata with one partition (the keyless path reads only this)."""

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0}

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return {0}
