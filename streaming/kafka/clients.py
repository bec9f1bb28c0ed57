"""The one place that builds Kafka clients: every consumer, producer and admin client, with security applied.

Each builder starts from :meth:`KafkaSettings.client_config` (bootstrap servers, SASL, TLS), so no
caller can forget security, then adds the defaults its role needs; keyword overrides come last.
kafka-python is the client (pure Python, no librdkafka to build or ship).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from streaming.kafka.settings import KafkaSettings

Client = TypeVar("Client")


class KafkaUnavailable(KafkaError):  # type: ignore[misc]
    """A new client could not reach the cluster: down, wrong address, or refused (wrong or missing credentials).

    A ``KafkaError`` (retriable), so loops that retry Kafka outages retry this too.
    """

    retriable = True


def _connect(kafka: KafkaSettings, build: Callable[..., Client], config: dict[str, object]) -> Client:
    """kafka-python reports a refused login as a bootstrap time-out; say what to check instead."""
    try:
        return build(**config)
    except KafkaTimeoutError as exc:
        raise KafkaUnavailable(
            f"could not connect to Kafka at {kafka.describe()} within {kafka.bootstrap_timeout_seconds:g}s ({exc}). "
            "Check KAFKA_BOOTSTRAP_SERVERS and, when the listener requires authentication, "
            "MERIDIAN_KAFKA_SECURITY_PROTOCOL, MERIDIAN_KAFKA_SASL_MECHANISM, MERIDIAN_KAFKA_SASL_USERNAME and "
            "MERIDIAN_KAFKA_SASL_PASSWORD: a listener that wants credentials refuses a client without them."
        ) from exc


# A group's first join takes about half the session timeout; kafka-python's 45 s default
# would make every consumer start take ~23 s. Services and tests use these instead.
CONSUMER_GROUP_TIMEOUTS = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 2000}


def producer(kafka: KafkaSettings, **overrides: object) -> KafkaProducer:
    """acks=all + idempotence: an acknowledged record is on the log once, even across retries."""
    config: dict[str, object] = {
        **kafka.client_config(),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 10,
        "batch_size": 256 * 1024,
        "max_in_flight_requests_per_connection": 5,
        "delivery_timeout_ms": 120_000,
        "request_timeout_ms": 15_000,
    }
    config.update(overrides)
    return _connect(kafka, KafkaProducer, config)


def range_consumer(kafka: KafkaSettings, **overrides: object) -> KafkaConsumer:
    """For reading exact offset ranges (assign + seek): no group, no commit, committed records only."""
    config: dict[str, object] = {
        **kafka.client_config(),
        "group_id": None,
        "enable_auto_commit": False,
        "auto_offset_reset": "none",  # a range no longer retained must fail, not silently skip
        "isolation_level": "read_committed",
        "max_partition_fetch_bytes": 8 * 1024 * 1024,
        "fetch_max_bytes": 64 * 1024 * 1024,
        "max_poll_records": 5000,
    }
    config.update(overrides)
    return _connect(kafka, KafkaConsumer, config)


def group_consumer(kafka: KafkaSettings, group_id: str, **overrides: object) -> KafkaConsumer:
    """A member of ``group_id`` that commits only when told (the caller owns its checkpoints)."""
    config: dict[str, object] = {
        **kafka.client_config(),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "fetch_max_bytes": 64 * 1024 * 1024,
        "max_partition_fetch_bytes": 8 * 1024 * 1024,
        **CONSUMER_GROUP_TIMEOUTS,
    }
    config.update(overrides)
    return _connect(kafka, KafkaConsumer, config)


def admin(kafka: KafkaSettings, **overrides: object) -> KafkaAdminClient:
    return _connect(kafka, KafkaAdminClient, {**kafka.client_config(), **overrides})
