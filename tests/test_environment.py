"""Environment variable names are a public interface: every one the README documents still works.

Each variable is set to a value that differs from its default and read back through the settings
of the component that uses it (and, where settings become Dagster resources, through the code
location's resources). The README is parsed for ``MERIDIAN_*`` names, so a variable documented
without a row here fails the suite, and so does a row whose name the code no longer reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from orchestration.defs.dr.settings import DrSettings
from orchestration.defs.warehouse.settings import WarehouseFollowSettings
from orchestration.settings import (
    BigQuerySettings,
    BronzeSettings,
    DagsterInstanceSettings,
    LakeSettings,
    PlatformSettings,
    ReplicationSettings,
    WarehouseSettings,
)
from quality.alerts.settings import AlertSettings
from quality.settings import QualitySettings
from streaming.edge.settings import EdgeSettings
from streaming.events.event_time import EventTimeSettings
from streaming.kafka.settings import KafkaSettings
from streaming.realtime.settings import StreamSettings
from tests.helpers import REPO_ROOT


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def kafka(field: str) -> Callable[[], Any]:
    return lambda: _plain(getattr(KafkaSettings(), field))


def component(cls: type, field: str) -> Callable[[], Any]:
    return lambda: _plain(getattr(cls(), field))


# (variable, value to set, how the component reads it, what it must read)
CASES: list[tuple[str, str, Callable[[], Any], Any]] = [
    ("KAFKA_BOOTSTRAP_SERVERS", "kafka-a:9093", kafka("bootstrap_servers"), "kafka-a:9093"),
    ("MERIDIAN_KAFKA_BOOTSTRAP_SERVERS", "kafka-b:9093", kafka("bootstrap_servers"), "kafka-b:9093"),
    ("MERIDIAN_EVENTS_TOPIC", "events.other.v1", kafka("events_topic"), "events.other.v1"),
    ("MERIDIAN_EVENTS_TOPIC_PARTITIONS", "12", kafka("events_topic_partitions"), 12),
    ("MERIDIAN_KAFKA_SECURITY_PROTOCOL", "SSL", kafka("security_protocol"), "SSL"),
    ("MERIDIAN_KAFKA_SSL_CAFILE", "/etc/ca.pem", kafka("ssl_cafile"), Path("/etc/ca.pem")),
    ("MERIDIAN_KAFKA_SSL_CERTFILE", "/etc/cert.pem", kafka("ssl_certfile"), Path("/etc/cert.pem")),
    ("MERIDIAN_KAFKA_SSL_KEYFILE", "/etc/key.pem", kafka("ssl_keyfile"), Path("/etc/key.pem")),
    ("MERIDIAN_KAFKA_BOOTSTRAP_TIMEOUT_SECONDS", "4", kafka("bootstrap_timeout_seconds"), 4),
    ("MERIDIAN_ENV", "dev", component(LakeSettings, "env"), "dev"),
    ("MERIDIAN_DR_ENABLED", "true", component(DrSettings, "enabled"), True),
    ("MERIDIAN_DR_LEASE_STORE", "gs://acme-lease", component(DrSettings, "lease_store"), "gs://acme-lease"),
    ("MERIDIAN_DR_FAILOVER_AFTER_SECONDS", "45", component(DrSettings, "failover_after_seconds"), 45.0),
    ("MERIDIAN_DR_PROBE_TIMEOUT_SECONDS", "2", component(DrSettings, "probe_timeout_seconds"), 2.0),
    ("MERIDIAN_DR_MIRROR_LAG_WARN_SECONDS", "30", component(DrSettings, "mirror_lag_warn_seconds"), 30.0),
    ("MERIDIAN_DR_MIRROR_LAG_FAIL_SECONDS", "600", component(DrSettings, "mirror_lag_fail_seconds"), 600.0),
    ("MERIDIAN_REGIONS", '["us", "eu"]', component(LakeSettings, "regions"), ["us", "eu"]),
    ("MERIDIAN_PRIMARY_REGION", "apac", lambda: LakeSettings(regions=["us", "apac"]).primary_region, "apac"),
    ("MERIDIAN_LAKE_BACKEND", "s3", component(LakeSettings, "backend"), "s3"),
    ("MERIDIAN_AGGREGATION_REGION", "eu", lambda: LakeSettings(regions=["us", "eu"]).aggregation, "eu"),
    ("MERIDIAN_REGION_STORES", '{"us": "s3://acme-us"}', component(LakeSettings, "stores"), {"us": "s3://acme-us"}),
    ("MERIDIAN_S3_BUCKET_PREFIX", "acme-s3", component(LakeSettings, "s3_bucket_prefix"), "acme-s3"),
    ("MERIDIAN_S3_ENDPOINT", "http://127.0.0.1:5", component(LakeSettings, "s3_endpoint"), "http://127.0.0.1:5"),
    ("MERIDIAN_S3_REGION", "eu-west-1", component(LakeSettings, "s3_region_name"), "eu-west-1"),
    (
        "MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS",
        '{"eu": "kafka-eu:9092"}',
        kafka("region_bootstrap_servers"),
        {"eu": "kafka-eu:9092"},
    ),
    ("MERIDIAN_REPLICATION_INTERVAL_MINUTES", "7", component(ReplicationSettings, "interval_minutes"), 7),
    ("MERIDIAN_REPLICATION_LAG_WARN_SECONDS", "60", component(ReplicationSettings, "lag_warn_seconds"), 60),
    ("MERIDIAN_REPLICATION_LAG_FAIL_SECONDS", "1200", component(ReplicationSettings, "lag_fail_seconds"), 1200),
    ("MERIDIAN_REPLICATION_WORKERS", "3", component(ReplicationSettings, "workers"), 3),
    ("MERIDIAN_LAKE_ROOT", "/data/lake", component(LakeSettings, "root"), Path("/data/lake")),
    ("MERIDIAN_GCS_BUCKET_PREFIX", "acme-lake", component(LakeSettings, "gcs_bucket_prefix"), "acme-lake"),
    ("MERIDIAN_GCS_PROJECT", "acme", component(LakeSettings, "gcs_project"), "acme"),
    ("MERIDIAN_GCS_ENDPOINT", "http://127.0.0.1:1", component(LakeSettings, "gcs_endpoint"), "http://127.0.0.1:1"),
    ("MERIDIAN_DBT_TARGET", "dev", component(WarehouseSettings, "dbt_target"), "dev"),
    ("MERIDIAN_DUCKDB_PATH", "/data/w.duckdb", component(WarehouseSettings, "duckdb_path"), Path("/data/w.duckdb")),
    ("MERIDIAN_GOLD_LOOKBACK_DAYS", "7", component(WarehouseSettings, "gold_lookback_days"), 7),
    ("MERIDIAN_WAREHOUSE_FOLLOW_INTERVAL_SECONDS", "300", component(WarehouseFollowSettings, "interval_seconds"), 300),
    ("MERIDIAN_WAREHOUSE_FOLLOW_LATE_MINUTES", "30", component(WarehouseFollowSettings, "late_minutes"), 30),
    (
        "MERIDIAN_PARTITIONS_START_DATE",
        "2026-01-02",
        lambda: str(EventTimeSettings().partitions_start_date),
        "2026-01-02",
    ),
    ("MERIDIAN_EVENTS_MAX_CLOCK_SKEW_SECONDS", "600", component(EventTimeSettings, "max_clock_skew_seconds"), 600),
    ("MERIDIAN_BQ_PROJECT", "acme-prod", component(BigQuerySettings, "project"), "acme-prod"),
    ("MERIDIAN_BQ_DATASET", "analytics", component(BigQuerySettings, "dataset"), "analytics"),
    ("MERIDIAN_BQ_RAW_DATASET", "landing", component(BigQuerySettings, "raw_dataset"), "landing"),
    ("MERIDIAN_BQ_LOCATION", "EU", component(BigQuerySettings, "location"), "EU"),
    ("MERIDIAN_BQ_ENDPOINT", "http://127.0.0.1:2", component(BigQuerySettings, "endpoint"), "http://127.0.0.1:2"),
    ("MERIDIAN_BQ_INCREMENTAL_STRATEGY", "merge", component(BigQuerySettings, "incremental_strategy"), "merge"),
    ("MERIDIAN_BRONZE_MAX_RECORDS_PER_RANGE", "777", component(BronzeSettings, "max_records_per_range"), 777),
    ("MERIDIAN_RUN_MAX_RETRIES", "5", component(BronzeSettings, "run_max_retries"), 5),
    ("MERIDIAN_DAGSTER_STORAGE", "postgres", component(DagsterInstanceSettings, "storage"), "postgres"),
    (
        "MERIDIAN_DAGSTER_POSTGRES_URL",
        "postgresql+psycopg2://dagster@db:5432/dagster",
        component(DagsterInstanceSettings, "postgres_url"),
        "postgresql+psycopg2://dagster@db:5432/dagster",
    ),
    ("MERIDIAN_QUALITY_FRESHNESS_HOURS", "12", component(QualitySettings, "freshness_hours"), 12),
    ("MERIDIAN_QUALITY_REPORT_ROOT", "/data/reports", component(QualitySettings, "report_root"), Path("/data/reports")),
    ("MERIDIAN_QUALITY_MAX_QUARANTINE_RATIO", "0.2", component(QualitySettings, "max_quarantine_ratio"), 0.2),
    ("MERIDIAN_QUALITY_VOLUME_SIGMA", "4.5", component(QualitySettings, "volume_sigma"), 4.5),
    ("MERIDIAN_QUALITY_SCHEDULE_CRON", "5 * * * *", component(QualitySettings, "schedule_cron"), "5 * * * *"),
    (
        "MERIDIAN_ALERT_WEBHOOK_URL",
        "http://127.0.0.1:3/h",
        component(AlertSettings, "webhook_url"),
        "http://127.0.0.1:3/h",
    ),
    (
        "MERIDIAN_ALERT_SLACK_WEBHOOK_URL",
        "http://127.0.0.1:4/s",
        component(AlertSettings, "slack_webhook_url"),
        "http://127.0.0.1:4/s",
    ),
    ("MERIDIAN_ALERT_SMTP_HOST", "smtp.acme", component(AlertSettings, "smtp_host"), "smtp.acme"),
    ("MERIDIAN_ALERT_SMTP_PORT", "2525", component(AlertSettings, "smtp_port"), 2525),
    ("MERIDIAN_ALERT_EMAIL_FROM", "dq@acme", component(AlertSettings, "email_from"), "dq@acme"),
    ("MERIDIAN_ALERT_EMAIL_TO", '["a@acme", "b@acme"]', component(AlertSettings, "email_to"), ["a@acme", "b@acme"]),
    ("MERIDIAN_ALERT_WARN_AFTER_RUNS", "6", component(AlertSettings, "warn_after_runs"), 6),
    (
        "MERIDIAN_DAGSTER_UI_URL",
        "https://dagster.acme",
        component(AlertSettings, "dagster_ui_url"),
        "https://dagster.acme",
    ),
    ("MERIDIAN_STREAM_GROUP_ID", "g2", component(StreamSettings, "group_id"), "g2"),
    ("MERIDIAN_STREAM_METRICS_TOPIC", "m.v2", component(StreamSettings, "metrics_topic"), "m.v2"),
    ("MERIDIAN_STREAM_STATE_TOPIC", "s.v2", component(StreamSettings, "state_topic"), "s.v2"),
    ("MERIDIAN_STREAM_WINDOW_SECONDS", "10", component(StreamSettings, "window_seconds"), 10),
    ("MERIDIAN_STREAM_ALLOWED_LATENESS_SECONDS", "3", component(StreamSettings, "allowed_lateness_seconds"), 3),
    (
        "MERIDIAN_STREAM_CHECKPOINT_INTERVAL_SECONDS",
        "2.5",
        component(StreamSettings, "checkpoint_interval_seconds"),
        2.5,
    ),
    ("MERIDIAN_STREAM_CLOSED_WINDOWS_KEPT", "9", component(StreamSettings, "closed_windows_kept"), 9),
    ("MERIDIAN_STREAM_MAX_POLL_RECORDS", "900", component(StreamSettings, "max_poll_records"), 900),
    ("MERIDIAN_STREAM_HTTP_HOST", "0.0.0.0", component(StreamSettings, "http_host"), "0.0.0.0"),  # noqa: S104
    ("MERIDIAN_STREAM_HTTP_PORT", "18081", component(StreamSettings, "http_port"), 18081),
    ("MERIDIAN_EDGE_ID", "edge-eu-7", component(EdgeSettings, "id"), "edge-eu-7"),
    ("MERIDIAN_EDGE_REGION", "eu", component(EdgeSettings, "region"), "eu"),
    ("MERIDIAN_EDGE_HTTP_HOST", "0.0.0.0", component(EdgeSettings, "http_host"), "0.0.0.0"),  # noqa: S104
    ("MERIDIAN_EDGE_HTTP_PORT", "18090", component(EdgeSettings, "http_port"), 18090),
    ("MERIDIAN_EDGE_API_KEYS", '["app:' + "a" * 64 + '"]', component(EdgeSettings, "api_keys"), ["app:" + "a" * 64]),
    ("MERIDIAN_EDGE_RATE_LIMIT", "10/second", component(EdgeSettings, "rate_limit"), "10/second"),
    ("MERIDIAN_EDGE_MAX_BODY_BYTES", "1000", component(EdgeSettings, "max_body_bytes"), 1000),
    ("MERIDIAN_EDGE_MAX_DECOMPRESSED_BYTES", "2000", component(EdgeSettings, "max_decompressed_bytes"), 2000),
    ("MERIDIAN_EDGE_MAX_EVENTS_PER_REQUEST", "30", component(EdgeSettings, "max_events_per_request"), 30),
    ("MERIDIAN_EDGE_MAX_FIELD_CHARS", "40", component(EdgeSettings, "max_field_chars"), 40),
    ("MERIDIAN_EDGE_MAX_DEPTH", "2", component(EdgeSettings, "max_depth"), 2),
    ("MERIDIAN_EDGE_BUFFER_DIR", "/data/buf", component(EdgeSettings, "buffer_dir"), Path("/data/buf")),
    ("MERIDIAN_EDGE_BUFFER_MAX_BYTES", "5000000", component(EdgeSettings, "buffer_max_bytes"), 5_000_000),
    ("MERIDIAN_EDGE_BUFFER_SEGMENT_BYTES", "500000", component(EdgeSettings, "buffer_segment_bytes"), 500_000),
    ("MERIDIAN_EDGE_BUFFER_FSYNC", "interval", component(EdgeSettings, "buffer_fsync"), "interval"),
    ("MERIDIAN_EDGE_BUFFER_FSYNC_INTERVAL_MS", "50", component(EdgeSettings, "buffer_fsync_interval_ms"), 50),
    ("MERIDIAN_EDGE_FORWARD_BATCH_RECORDS", "100", component(EdgeSettings, "forward_batch_records"), 100),
    ("MERIDIAN_EDGE_KAFKA_TIMEOUT_SECONDS", "4", component(EdgeSettings, "kafka_timeout_seconds"), 4),
    ("MERIDIAN_EDGE_BACKOFF_MAX_SECONDS", "2", component(EdgeSettings, "backoff_max_seconds"), 2),
    ("MERIDIAN_EDGE_DEGRADED_AFTER_SECONDS", "8", component(EdgeSettings, "degraded_after_seconds"), 8),
]
# SASL needs its three variables together (the settings refuse half a configuration): read as one.
SASL = {
    "MERIDIAN_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "MERIDIAN_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
    "MERIDIAN_KAFKA_SASL_USERNAME": "meridian",
    "MERIDIAN_KAFKA_SASL_PASSWORD": "pa55",
}
# Read by a command-line option, not by a settings class (checked through the CLI below).
CLI_ONLY = {"MERIDIAN_EDGE_API_KEY"}
# Read by the self-contained Locust file (Locust's own env_var option); tests/bench/load runs it.
LOCUST_ONLY = {"MERIDIAN_EDGE_URLS"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable of the machine or a .env file may leak into what a case reads."""
    import os

    for name in list(os.environ):
        if name.startswith("MERIDIAN_") or name == "KAFKA_BOOTSTRAP_SERVERS":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("name", "value", "read", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_variable_reaches_its_component(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, read: Callable[[], Any], expected: Any
) -> None:
    before = read()
    monkeypatch.setenv(name, value)
    assert read() == expected
    assert before != expected, f"{name}'s test value is its default: it would pass even if the name were ignored"


def test_sasl_variables_reach_every_kafka_client_config(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SASL.items():
        monkeypatch.setenv(name, value)
    config = KafkaSettings().client_config()
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-256"
    assert config["sasl_plain_username"] == "meridian"
    assert config["sasl_plain_password"] == SASL["MERIDIAN_KAFKA_SASL_PASSWORD"]
    assert "pa55" not in repr(KafkaSettings())


def test_half_a_sasl_configuration_is_refused_with_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    with pytest.raises(ValueError, match="MERIDIAN_KAFKA_SASL_USERNAME"):
        KafkaSettings()


def test_settings_become_the_code_locations_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the wiring, not only the classes: what Dagster's resources end up holding."""
    from orchestration.definitions import build_definitions

    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka-a:9093",
        "MERIDIAN_EVENTS_TOPIC": "events.other.v1",
        "MERIDIAN_LAKE_ROOT": "/data/lake",
        "MERIDIAN_PRIMARY_REGION": "eu",
        "MERIDIAN_REGIONS": '["us", "eu"]',
        "MERIDIAN_REGION_STORES": '{"us": "s3://acme-us"}',
        "MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS": '{"us": "kafka-us:9093"}',
        "MERIDIAN_DUCKDB_PATH": "/data/w.duckdb",
        "MERIDIAN_STREAM_METRICS_TOPIC": "m.v2",
        "MERIDIAN_PARTITIONS_START_DATE": "2026-11-03",
        "MERIDIAN_EVENTS_MAX_CLOCK_SKEW_SECONDS": "600",
        **SASL,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resources = build_definitions(PlatformSettings()).resources
    kafka, lake, warehouse, bronze = (resources[k] for k in ("kafka", "lake", "warehouse", "bronze"))
    assert (kafka.bootstrap_servers, kafka.events_topic, kafka.stream_metrics_topic) == (
        "kafka-a:9093",
        "events.other.v1",
        "m.v2",
    )
    assert kafka.kafka_settings().client_config()["sasl_plain_username"] == "meridian"
    assert (lake.root, lake.region, warehouse.duckdb_path) == ("/data/lake", "eu", "/data/w.duckdb")
    assert lake.stores == {"us": "s3://acme-us", "eu": "local"}
    assert kafka.for_region("us").bootstrap_servers == "kafka-us:9093"
    assert bronze.rules().start_date.isoformat() == "2026-11-03" and bronze.rules().skew.total_seconds() == 600


def test_the_edge_api_key_variable_reaches_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer.main

    from orchestration.cli.main import app

    generate = typer.main.get_command(app).commands["generate"]  # type: ignore[attr-defined]
    (option,) = [p for p in generate.params if p.name == "api_key"]
    assert option.envvar == "MERIDIAN_EDGE_API_KEY"


def test_the_locust_file_reads_its_variables() -> None:
    text = (REPO_ROOT / "bench" / "load" / "locustfile.py").read_text()
    for name in LOCUST_ONLY:
        assert f'env_var="{name}"' in text


def test_every_variable_the_readme_documents_has_a_case() -> None:
    documented = set(
        re.findall(
            r"\b(?:MERIDIAN_[A-Z0-9_]*[A-Z0-9]|KAFKA_BOOTSTRAP_SERVERS)\b", (REPO_ROOT / "README.md").read_text()
        )
    )
    covered = {c[0] for c in CASES} | set(SASL) | CLI_ONLY | LOCUST_ONLY
    missing = sorted(documented - covered)
    assert not missing, f"documented in the README but not tested here: {missing}"
