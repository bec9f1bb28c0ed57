"""What the Kafka benchmarks share: a broker of their own, and a topic filled with generated traffic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from streaming.generator import TrafficSpec, generate
from streaming.kafka import clients
from streaming.kafka.admin import ensure_topic
from streaming.kafka.broker import LocalBroker
from streaming.kafka.produce import SendReport, send_all
from streaming.kafka.settings import KafkaSettings


@contextmanager
def bench_broker(home: Path) -> Iterator[str]:
    """A KRaft broker on free loopback ports under ``home``, for the benchmark's lifetime."""
    broker = LocalBroker(home=home, heap="1g")
    broker.start(timeout_s=120)
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


def fill_topic(bootstrap: str, topic: str, spec: TrafficSpec) -> SendReport:
    """Create a 6-partition ``topic`` and send ``spec``'s records, keyed by user."""
    ensure_topic(KafkaSettings(bootstrap_servers=bootstrap), topic, 6)
    producer = clients.producer(KafkaSettings(bootstrap_servers=bootstrap), linger_ms=50)
    report = send_all(producer, topic, ((r.key, r.value) for r in generate(spec)))
    producer.close()
    return report


def raw_consumer_at_start(bootstrap: str, topic: str, partitions: list[int]) -> KafkaConsumer:
    """The baselines' consumer: every partition assigned, at its beginning, big fetches, no group."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
        max_poll_records=5000,
    )
    consumer.assign([TopicPartition(topic, p) for p in partitions])
    consumer.seek_to_beginning()
    return consumer
