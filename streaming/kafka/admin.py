"""Topic creation and offset look-ups shared by the CLI, the sensor and the tests."""

from __future__ import annotations

from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

# A group's first join takes about half the session timeout; kafka-python's 45 s default
# would make every consumer start take ~23 s. Services and tests use these instead.
CONSUMER_GROUP_TIMEOUTS = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 2000}


def ensure_topic(
    bootstrap: str,
    topic: str,
    partitions: int,
    configs: dict[str, str] | None = None,
    client_config: dict[str, object] | None = None,
) -> None:
    """Create ``topic`` if it does not exist; an existing topic is left as it is."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **(client_config or {}))
    try:
        if topic in admin.list_topics():
            return
        try:
            admin.create_topics([NewTopic(topic, partitions, 1, topic_configs=configs or {})])
        except TopicAlreadyExistsError:
            return
    finally:
        admin.close()


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """The next offset to be written in each partition of ``topic`` (committed records only)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed")
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise LookupError(f"topic {topic!r} does not exist on {bootstrap}; create it with `meridian topics`")
        tps: Iterable[TopicPartition] = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: off for tp, off in consumer.end_offsets(list(tps)).items()}
    finally:
        consumer.close()


def beginning_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: off for tp, off in consumer.beginning_offsets(tps).items()}
    finally:
        consumer.close()
