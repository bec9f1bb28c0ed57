"""Typed settings for every Meridian process.

Values come from environment variables (prefix ``MERIDIAN_``, plus the standard
``KAFKA_BOOTSTRAP_SERVERS``) or a ``.env`` file. Nothing reads the environment at import
time: call :func:`get_settings` where the value is needed, so tests can set variables first.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from streaming.kafka.topics import EVENTS_RAW, METRICS_REGION_MINUTE, STREAM_STATE

REPO_ROOT = Path(__file__).resolve().parent.parent


class Env(StrEnum):
    LOCAL = "local"
    DEV = "dev"
    PROD = "prod"


class LakeBackend(StrEnum):
    LOCAL = "local"
    GCS = "gcs"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MERIDIAN_", env_file=".env", extra="ignore")

    env: Env = Env.LOCAL
    regions: list[str] = Field(default_factory=lambda: ["us", "eu", "apac"])
    primary_region: str = "us"

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "MERIDIAN_KAFKA_BOOTSTRAP_SERVERS"),
    )
    events_topic: str = EVENTS_RAW
    events_topic_partitions: int = 6

    lake_backend: LakeBackend = LakeBackend.LOCAL
    lake_root: Path = REPO_ROOT / ".local" / "lake"
    gcs_bucket_prefix: str = "meridian-lake"
    gcs_project: str = "meridian-local"
    gcs_endpoint: str | None = None

    duckdb_path: Path = REPO_ROOT / ".local" / "warehouse.duckdb"
    dbt_target: str = "local"  # dbt profile target: local (DuckDB), dev/prod (BigQuery), emulator
    # BigQuery (dbt's dev/prod/emulator targets): where the warehouse and the raw bronze table live.
    bq_project: str = "meridian-dev"
    bq_dataset: str = "meridian"
    bq_raw_dataset: str = "raw"
    bq_location: str = "US"
    bq_endpoint: str | None = None  # emulators only; production talks to Google's endpoint
    # insert_overwrite in production; merge only where an emulator cannot run insert_overwrite
    bq_incremental_strategy: Literal["insert_overwrite", "merge"] = "insert_overwrite"
    partitions_start_date: str = "2026-10-01"
    gold_lookback_days: int = Field(default=3, ge=1)

    # Data quality (quality/ suites as Dagster checks) and the alerts they raise.
    quality_freshness_hours: int = Field(default=48, gt=0)
    quality_report_root: Path = REPO_ROOT / ".local" / "quality" / "reports"
    quality_max_quarantine_ratio: float = Field(default=0.05, ge=0, le=1)
    quality_volume_sigma: float = Field(default=3.0, gt=0)
    quality_schedule_cron: str = "15 * * * *"
    alert_webhook_url: str | None = None
    alert_slack_webhook_url: str | None = None
    alert_smtp_host: str | None = None
    alert_smtp_port: int = 25
    alert_email_from: str = "meridian@localhost"
    alert_email_to: list[str] = Field(default_factory=list)
    alert_warn_after_runs: int = Field(default=3, ge=1)
    dagster_ui_url: str = "http://127.0.0.1:3000"

    bronze_max_records_per_range: int = Field(default=50_000, gt=0)
    run_max_retries: int = Field(default=3, ge=0)

    # Kafka security, passed to every client the services create (tests run plaintext).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None

    # The streaming service (``meridian stream``).
    stream_group_id: str = "meridian-stream"
    stream_metrics_topic: str = METRICS_REGION_MINUTE
    stream_state_topic: str = STREAM_STATE
    stream_window_seconds: int = Field(default=60, gt=0)
    stream_allowed_lateness_seconds: int = Field(default=10, ge=0)
    stream_checkpoint_interval_seconds: float = Field(default=5.0, gt=0)
    stream_closed_windows_kept: int = Field(default=30, ge=0)  # per partition, served by the API
    stream_max_poll_records: int = Field(default=5000, gt=0)
    stream_http_host: str = "127.0.0.1"
    stream_http_port: int = 8081

    # The edge collector (``meridian edge``): HTTP ingestion with a disk buffer in front of Kafka.
    edge_id: str = "edge-local-1"
    edge_region: str = "us"
    edge_http_host: str = "127.0.0.1"
    edge_http_port: int = 8090
    # "<name>:<sha256 hex of the key>" entries; `meridian edge-key` mints a key and prints its entry.
    edge_api_keys: list[str] = Field(default_factory=list)
    edge_rate_limit: str = "20000/second"  # accepted events per API key, in `limits` notation
    edge_max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    edge_max_decompressed_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    edge_max_events_per_request: int = Field(default=5000, gt=0)
    edge_max_field_chars: int = Field(default=4096, gt=0)
    edge_max_depth: int = Field(default=4, ge=1)
    edge_buffer_dir: Path = REPO_ROOT / ".local" / "edge" / "buffer"
    edge_buffer_max_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    edge_buffer_segment_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # always: fsync before the response (an accepted event survives power loss); interval: fsync in
    # the background every edge_buffer_fsync_interval_ms (survives a crash of the process, not the host).
    edge_buffer_fsync: Literal["always", "interval", "never"] = "always"
    edge_buffer_fsync_interval_ms: int = Field(default=200, gt=0)
    edge_forward_batch_records: int = Field(default=5000, gt=0)
    edge_kafka_timeout_seconds: float = Field(default=10.0, gt=0)
    edge_backoff_max_seconds: float = Field(default=5.0, gt=0)
    edge_degraded_after_seconds: float = Field(default=5.0, gt=0)  # forward lag that /readyz calls degraded

    def kafka_client_config(self) -> dict[str, object]:
        """The security part of a kafka-python client's config (empty for PLAINTEXT)."""
        config: dict[str, object] = {}
        if self.kafka_security_protocol != "PLAINTEXT":
            config["security_protocol"] = self.kafka_security_protocol
        if self.kafka_sasl_mechanism:
            config["sasl_mechanism"] = self.kafka_sasl_mechanism
            config["sasl_plain_username"] = self.kafka_sasl_username
            config["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        for name in ("cafile", "certfile", "keyfile"):
            value = getattr(self, f"kafka_ssl_{name}")
            if value is not None:
                config[f"ssl_{name}"] = str(value)
        return config

    @property
    def uses_bigquery(self) -> bool:
        """Every dbt target but ``local`` is BigQuery (see dbt_project/profiles.yml)."""
        return self.dbt_target != "local"


def get_settings() -> Settings:
    return Settings()
