"""Topic creation and offset look-ups shared by the CLI, the sensor and the tests."""

from __future__ import annotations

from kafka import TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streaming.kafka import clients
from streaming.kafka.settings import KafkaSettings


def ensure_topic(kafka: KafkaSettings, topic: str, partitions: int, configs: dict[str, str] | None = None) -> None:
    """Create ``topic`` if it does not exist; an existing topic is left as it is."""
    client = clients.admin(kafka)
    try:
        if topic in client.list_topics():
            return
        try:
            client.create_topics([NewTopic(topic, partitions, 1, topic_configs=configs or {})])
        except TopicAlreadyExistsError:
            return
    finally:
        client.close()


def list_topics(kafka: KafkaSettings) -> set[str]:
    """The topics on the cluster (one metadata request)."""
    client = clients.admin(kafka)
    try:
        return set(client.list_topics())
    finally:
        client.close()


def end_offsets(kafka: KafkaSettings, topic: str) -> dict[int, int]:
    """The next offset to be written in each partition of ``topic`` (committed records only)."""
    consumer = clients.range_consumer(kafka)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise LookupError(
                f"topic {topic!r} does not exist on {kafka.bootstrap_servers}; create it with `meridian topics`"
            )
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def beginning_offsets(kafka: KafkaSettings, topic: str) -> dict[int, int]:
    consumer = clients.range_consumer(kafka)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: off for tp, off in consumer.beginning_offsets(tps).items()}
    finally:
        consumer.close()
