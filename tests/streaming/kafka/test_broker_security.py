"""The local broker's SCRAM-SHA-512 listener admits the users it was formatted with, and nobody else.

The pipeline's authenticated runs rely on this listener behaving like a production one: the
right credentials work end to end, wrong or missing ones are refused, and a restart keeps the
users. One broker serves the session (``scram_broker``: a JVM takes seconds to start); each test uses its own topic
and leaves the broker running, so the tests pass in any order.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaTimeoutError

from streaming.kafka.broker import LocalBroker, server_properties
from tests.helpers import SCRAM_PASSWORD, SCRAM_USER

pytestmark = pytest.mark.integration

USER, PASSWORD = SCRAM_USER, SCRAM_PASSWORD

# A refused client retries until its bootstrap deadline (30 s by default); a short one keeps each
# refusal to a few seconds while leaving an admitted client ample time on a loaded machine.
REFUSED_WITHIN = {"bootstrap_timeout_ms": 3000, "request_timeout_ms": 2000}


def _scram(username: str, password: str) -> dict[str, object]:
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": username,
        "sasl_plain_password": password,
    }


@pytest.fixture()
def broker(scram_broker: LocalBroker) -> LocalBroker:
    return scram_broker


def _create_topic(bootstrap: str, credentials: dict[str, object]) -> str:
    topic = f"test.scram.{uuid.uuid4().hex[:8]}.v1"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **credentials)
    try:
        admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1}}, wait_for_metadata=True)
    finally:
        admin.close()
    return topic


def _send(bootstrap: str, credentials: dict[str, object], topic: str, value: bytes) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **credentials)
    try:
        producer.send(topic, value).get(timeout=30)
    finally:
        producer.close()


def _read(bootstrap: str, credentials: dict[str, object], topic: str, count: int, timeout_s: float = 30) -> list[bytes]:
    """The first ``count`` values of ``topic``, or fewer if the deadline passes first."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **credentials,
    )
    try:
        consumer.assign([TopicPartition(topic, 0)])
        values: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        while len(values) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(record.value for record in records)
        return values
    finally:
        consumer.close()


def _brokers(bootstrap: str, credentials: dict[str, object]) -> list[dict[str, object]]:
    """The brokers a metadata request lists: proof that the client was let in."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **credentials)
    try:
        return list(admin.describe_cluster()["brokers"])
    finally:
        admin.close()


def _unable_to_bootstrap(broker: LocalBroker) -> str:
    return re.escape(f"Unable to bootstrap from {broker.sasl_bootstrap_servers}")


def test_config_adds_a_loopback_sasl_listener_and_keeps_the_broker_links_plaintext() -> None:
    """Exposing the broker beyond loopback, or moving the controller to SASL (no broker credential), would break."""
    config = dict(
        line.split("=", 1) for line in server_properties(Path("/x"), 9092, 9093, 1, sasl_port=9094).splitlines() if line
    )
    assert config["listeners"] == (
        "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093"
    )
    assert config["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9094"
    assert "SASL_PLAINTEXT:SASL_PLAINTEXT" in config["listener.security.protocol.map"].split(",")
    assert config["inter.broker.listener.name"] == "PLAINTEXT"
    assert config["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert "SASL" not in server_properties(Path("/x"), 9092, 9093, 1)


def test_a_credential_the_storage_tool_would_misparse_is_refused_up_front(tmp_path: Path) -> None:
    """A comma would end the password early and store a different one, so users could never log in."""
    with pytest.raises(ValueError, match="no comma or double quote"):
        LocalBroker(home=tmp_path, scram_users={USER: "pass,word"})


def test_the_right_credentials_create_send_and_read(broker: LocalBroker) -> None:
    credentials = _scram(USER, PASSWORD)
    topic = _create_topic(broker.sasl_bootstrap_servers, credentials)
    _send(broker.sasl_bootstrap_servers, credentials, topic, b"over scram")
    assert _read(broker.sasl_bootstrap_servers, credentials, topic, count=1) == [b"over scram"]


@pytest.mark.parametrize(("username", "password"), [(USER, "wrong-password"), ("nobody", PASSWORD)])
def test_wrong_credentials_are_refused(broker: LocalBroker, username: str, password: str) -> None:
    """kafka-python 3.0 retries a refused SASL login until its bootstrap deadline, then raises
    KafkaTimeoutError (the SaslAuthenticationFailedError only reaches its log, and not every time:
    the broker may close the socket before its error response is read). A down broker would raise
    the same, so the right credentials must still get in on the same port."""
    credentials = _scram(username, password)
    with pytest.raises(KafkaTimeoutError, match=_unable_to_bootstrap(broker)):
        KafkaAdminClient(bootstrap_servers=broker.sasl_bootstrap_servers, **credentials, **REFUSED_WITHIN)
    assert _brokers(broker.sasl_bootstrap_servers, _scram(USER, PASSWORD))


def test_a_client_without_sasl_gets_no_metadata_from_the_sasl_port(broker: LocalBroker) -> None:
    """The port is open and the same client is served on PLAINTEXT, so the refusal is the listener's."""
    socket.create_connection(("127.0.0.1", broker.sasl_port), timeout=5).close()
    with pytest.raises(KafkaTimeoutError, match=_unable_to_bootstrap(broker)):
        KafkaAdminClient(bootstrap_servers=broker.sasl_bootstrap_servers, **REFUSED_WITHIN)
    assert _brokers(broker.bootstrap_servers, {})


def test_the_credentials_survive_a_restart(broker: LocalBroker) -> None:
    """A restart re-runs prepare() but must not re-format: the users live in the formatted metadata."""
    credentials = _scram(USER, PASSWORD)
    topic = _create_topic(broker.sasl_bootstrap_servers, credentials)
    _send(broker.sasl_bootstrap_servers, credentials, topic, b"before")
    broker.restart(timeout_s=120)
    _send(broker.sasl_bootstrap_servers, credentials, topic, b"after")
    assert _read(broker.sasl_bootstrap_servers, credentials, topic, count=2) == [b"before", b"after"]
