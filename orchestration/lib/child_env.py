"""The environment that makes a child process (the CLI, a webserver, a drill deployment) use given settings."""

from __future__ import annotations

import json

from orchestration.settings import PlatformSettings
from streaming.kafka.settings import KafkaSettings


def settings_env(settings: PlatformSettings) -> dict[str, str]:
    """The environment that makes a child process (CLI, webserver, dagster dev) use ``settings``."""
    lake = settings.lake
    env = {
        **kafka_env(settings.kafka),
        "MERIDIAN_LAKE_ROOT": str(lake.root),
        "MERIDIAN_REGIONS": json.dumps(lake.regions),
        "MERIDIAN_PRIMARY_REGION": lake.primary_region,
        "MERIDIAN_DUCKDB_PATH": str(settings.warehouse.duckdb_path),
        "MERIDIAN_BRONZE_MAX_RECORDS_PER_RANGE": str(settings.bronze.max_records_per_range),
    }
    if lake.stores:
        env["MERIDIAN_REGION_STORES"] = json.dumps(lake.stores)
    for name, value in (("MERIDIAN_S3_ENDPOINT", lake.s3_endpoint), ("MERIDIAN_GCS_ENDPOINT", lake.gcs_endpoint)):
        if value:
            env[name] = value
    if lake.aggregation_region:
        env["MERIDIAN_AGGREGATION_REGION"] = lake.aggregation_region
    dr = settings.dr
    if dr.enabled:
        env |= {
            "MERIDIAN_DR_ENABLED": "true",
            "MERIDIAN_DR_LEASE_STORE": dr.lease_store,
            "MERIDIAN_DR_FAILOVER_AFTER_SECONDS": str(dr.failover_after_seconds),
            "MERIDIAN_DR_PROBE_TIMEOUT_SECONDS": str(dr.probe_timeout_seconds),
        }
    return env


def kafka_env(kafka: KafkaSettings) -> dict[str, str]:
    """The environment of a child process that connects as ``kafka`` does, credentials included."""
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers, "MERIDIAN_EVENTS_TOPIC": kafka.events_topic}
    if kafka.region_bootstrap_servers:
        env["MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS"] = json.dumps(kafka.region_bootstrap_servers)
    if kafka.security_protocol != "PLAINTEXT":
        env["MERIDIAN_KAFKA_SECURITY_PROTOCOL"] = kafka.security_protocol
    if kafka.sasl_mechanism and kafka.sasl_username and kafka.sasl_password:
        env["MERIDIAN_KAFKA_SASL_MECHANISM"] = kafka.sasl_mechanism
        env["MERIDIAN_KAFKA_SASL_USERNAME"] = kafka.sasl_username
        env["MERIDIAN_KAFKA_SASL_PASSWORD"] = kafka.sasl_password.get_secret_value()
    return env
