"""The lakehouse's own settings, and the composition a Dagster process uses.

Each component owns its settings class with its own prefix: Kafka (``streaming.kafka.settings``),
event-time rules (``streaming.events.event_time``), the stream (``streaming.realtime.settings``),
quality and alerts (``quality``), and here the lake, the warehouse, BigQuery and bronze. A process
composes only the ones it uses, so a bad ``MERIDIAN_ALERT_*`` value cannot stop ``meridian edge``.
Nothing reads the environment at import time: :func:`get_settings` reads it when called. Every
default path is relative to the working directory, never to where this source file lives.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestration.defs.dr.settings import DrSettings
from orchestration.defs.warehouse.settings import WarehouseFollowSettings
from orchestration.lib.dagster_instance import POSTGRES_URL_SCHEME, DagsterStorage
from quality.alerts.settings import AlertSettings
from quality.settings import QualitySettings
from streaming.events.event_time import EventTimeSettings
from streaming.kafka.settings import KafkaSettings
from streaming.realtime.settings import StreamSettings


class Env(StrEnum):
    LOCAL = "local"
    DEV = "dev"
    PROD = "prod"


class LakeBackend(StrEnum):
    """Where a region's lake is unless ``MERIDIAN_REGION_STORES`` names its store."""

    LOCAL = "local"
    GCS = "gcs"
    S3 = "s3"


STORE_SCHEMES = ("local", "file://", "gs://", "s3://")


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore", populate_by_name=True)


class LakeSettings(BaseSettings):
    """The regions, each region's lake store, the region this deployment calls home (the primary) and
    the region that builds global silver and gold (the aggregation region, by default the primary).

    A region's store is ``MERIDIAN_REGION_STORES[region]`` when given (``local``, ``file:///path``,
    ``gs://bucket`` or ``s3://bucket``), so one deployment may keep ``us`` on GCS and ``eu`` on S3;
    otherwise the default backend's: ``<root>/<region>/``, ``gs://<prefix>-<region>`` or
    ``s3://<prefix>-<region>``.
    """

    model_config = _config("MERIDIAN_LAKE_")

    env: Env = Field(default=Env.LOCAL, validation_alias=AliasChoices("MERIDIAN_ENV"))
    regions: list[str] = Field(default_factory=lambda: ["us"], validation_alias="MERIDIAN_REGIONS")
    primary_region: str = Field(default="us", validation_alias="MERIDIAN_PRIMARY_REGION")
    aggregation_region: str | None = Field(default=None, validation_alias="MERIDIAN_AGGREGATION_REGION")
    stores: dict[str, str] = Field(default_factory=dict, validation_alias="MERIDIAN_REGION_STORES")
    backend: LakeBackend = LakeBackend.LOCAL
    root: Path = Path(".local/lake")  # local backend: <root>/<region>/
    gcs_bucket_prefix: str = Field(default="meridian-lake", validation_alias="MERIDIAN_GCS_BUCKET_PREFIX")
    gcs_project: str = Field(default="meridian-local", validation_alias="MERIDIAN_GCS_PROJECT")
    gcs_endpoint: str | None = Field(default=None, validation_alias="MERIDIAN_GCS_ENDPOINT")  # emulators only
    s3_bucket_prefix: str = Field(default="meridian-lake", validation_alias="MERIDIAN_S3_BUCKET_PREFIX")
    s3_endpoint: str | None = Field(default=None, validation_alias="MERIDIAN_S3_ENDPOINT")  # SeaweedFS, MinIO
    s3_region_name: str = Field(default="us-east-1", validation_alias="MERIDIAN_S3_REGION")

    @model_validator(mode="after")
    def _regions_consistent(self) -> LakeSettings:
        if len(set(self.regions)) != len(self.regions) or not self.regions:
            raise ValueError(f"MERIDIAN_REGIONS must name each region once, got {self.regions}")
        if self.primary_region not in self.regions:
            raise ValueError(
                f"MERIDIAN_PRIMARY_REGION={self.primary_region!r} is not in MERIDIAN_REGIONS {self.regions}"
            )
        if self.aggregation_region is not None and self.aggregation_region not in self.regions:
            raise ValueError(
                f"MERIDIAN_AGGREGATION_REGION={self.aggregation_region!r} is not in MERIDIAN_REGIONS {self.regions}"
            )
        unknown = sorted(set(self.stores) - set(self.regions))
        if unknown:
            raise ValueError(f"MERIDIAN_REGION_STORES names regions {unknown} that are not in MERIDIAN_REGIONS")
        for region, uri in self.stores.items():
            if not uri.startswith(STORE_SCHEMES) or uri in ("file://", "gs://", "s3://"):
                raise ValueError(
                    f"MERIDIAN_REGION_STORES[{region!r}]={uri!r}: use local, file:///path, gs://bucket or s3://bucket"
                )
        return self

    @property
    def aggregation(self) -> str:
        """Where global silver and gold are built."""
        return self.aggregation_region or self.primary_region

    def bucket(self, region: str) -> str:
        """A region's GCS bucket (``<prefix>-<region>``) under the GCS backend."""
        return f"{self.gcs_bucket_prefix}-{region}"

    def store_uri(self, region: str) -> str:
        """The store of ``region``: the one named for it, else the default backend's."""
        if region in self.stores:
            return self.stores[region]
        if self.backend is LakeBackend.GCS:
            return f"gs://{self.bucket(region)}"
        if self.backend is LakeBackend.S3:
            return f"s3://{self.s3_bucket_prefix}-{region}"
        return "local"


class ReplicationSettings(BaseSettings):
    """How often every region's lake is copied into the others and how late a replica may be."""

    model_config = _config("MERIDIAN_REPLICATION_")

    interval_minutes: int = Field(default=5, ge=1, le=59)  # the scheduled fallback when no landing triggers it
    lag_warn_seconds: float = Field(default=300.0, gt=0)
    lag_fail_seconds: float = Field(default=900.0, gt=0)
    workers: int = Field(default=8, ge=1, le=64)  # concurrent copies per pair (I/O bound)

    @model_validator(mode="after")
    def _warn_before_fail(self) -> ReplicationSettings:
        if self.lag_warn_seconds > self.lag_fail_seconds:
            raise ValueError(
                f"MERIDIAN_REPLICATION_LAG_WARN_SECONDS={self.lag_warn_seconds} is above "
                f"MERIDIAN_REPLICATION_LAG_FAIL_SECONDS={self.lag_fail_seconds}"
            )
        return self


class WarehouseSettings(BaseSettings):
    """Where silver and gold are built: DuckDB (dbt target ``local``) or BigQuery (``dev``, ``prod``, ``emulator``)."""

    model_config = _config("MERIDIAN_")

    dbt_target: str = "local"
    duckdb_path: Path = Path(".local/warehouse.duckdb")
    gold_lookback_days: int = Field(default=3, ge=1)

    @property
    def uses_bigquery(self) -> bool:
        """Every dbt target but ``local`` is BigQuery (see dbt_project/profiles.yml)."""
        return self.dbt_target != "local"


class BigQuerySettings(BaseSettings):
    model_config = _config("MERIDIAN_BQ_")

    project: str = "meridian-dev"
    dataset: str = "meridian"
    raw_dataset: str = "raw"
    location: str = "US"
    endpoint: str | None = None  # emulators only; production talks to Google's endpoint
    # insert_overwrite in production; merge only where an emulator cannot run insert_overwrite
    incremental_strategy: Literal["insert_overwrite", "merge"] = "insert_overwrite"


class BronzeSettings(BaseSettings):
    model_config = _config("MERIDIAN_BRONZE_")

    max_records_per_range: int = Field(default=50_000, gt=0)
    run_max_retries: int = Field(default=3, ge=0, validation_alias=AliasChoices("MERIDIAN_RUN_MAX_RETRIES"))


class DagsterInstanceSettings(BaseSettings):
    """Where the Dagster instance keeps runs, event logs and schedule state (``meridian up`` writes its dagster.yaml).

    ``postgres`` without a URL: ``meridian up`` starts a local PostgreSQL in ``.local/postgres``. With
    ``MERIDIAN_DAGSTER_POSTGRES_URL`` the instance uses that server, as production does; Dagster itself
    reads the variable when the instance loads, so the password never lands in a file.
    """

    # The URL may hold a password: a validation error must not echo it.
    model_config = SettingsConfigDict(
        env_prefix="MERIDIAN_DAGSTER_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,
    )

    storage: DagsterStorage = DagsterStorage.SQLITE
    postgres_url: SecretStr | None = None

    @field_validator("postgres_url")
    @classmethod
    def _url_names_its_driver(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(POSTGRES_URL_SCHEME):
            raise ValueError(
                f"MERIDIAN_DAGSTER_POSTGRES_URL must start with {POSTGRES_URL_SCHEME} (the driver dagster-postgres "
                "installs; SQLAlchemy reads a bare postgresql:// as psycopg 3, which is not installed)"
            )
        return url


@dataclass(frozen=True)
class PlatformSettings:
    """What a Dagster process (the code location, ``meridian run-once``) composes; the edge and stream do not."""

    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    lake: LakeSettings = field(default_factory=LakeSettings)
    warehouse: WarehouseSettings = field(default_factory=WarehouseSettings)
    follow: WarehouseFollowSettings = field(default_factory=WarehouseFollowSettings)
    bigquery: BigQuerySettings = field(default_factory=BigQuerySettings)
    bronze: BronzeSettings = field(default_factory=BronzeSettings)
    replication: ReplicationSettings = field(default_factory=ReplicationSettings)
    dr: DrSettings = field(default_factory=DrSettings)
    event_time: EventTimeSettings = field(default_factory=EventTimeSettings)
    stream: StreamSettings = field(default_factory=StreamSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.kafka.region_bootstrap_servers) - set(self.lake.regions))
        if unknown:
            raise ValueError(
                f"MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS names regions {unknown} that are not in MERIDIAN_REGIONS"
            )
        if self.lake.env is Env.PROD:
            problems = []
            local = [r for r in self.lake.regions if self.lake.store_uri(r).startswith(("local", "file://"))]
            if local:
                problems.append(f"a local lake for {', '.join(local)} (use gcs or s3)")
            if not self.warehouse.uses_bigquery:
                problems.append("MERIDIAN_DBT_TARGET=local (use prod)")
            if problems:
                raise ValueError("MERIDIAN_ENV=prod refuses a laptop setup: " + "; ".join(problems))

    @classmethod
    def under(cls, root: Path, bootstrap: str, topic: str) -> PlatformSettings:
        """A local deployment whose lake and warehouse live under ``root`` (tests, benchmarks)."""
        return cls(
            kafka=KafkaSettings(bootstrap_servers=bootstrap, events_topic=topic),
            lake=LakeSettings(root=root / "lake"),
            warehouse=WarehouseSettings(duckdb_path=root / "warehouse.duckdb"),
        )

    def ingest_regions(self) -> list[str]:
        """The regions whose Kafka this deployment lands: its own, and every region with a cluster configured.

        With disaster recovery on, a deployment is its home region's alone: the other clusters it names are
        watched (mirror lag, failover), and their events reach it through MirrorMaker and replication."""
        if self.dr.enabled:
            return [self.lake.primary_region]
        return [
            r for r in self.lake.regions if r == self.lake.primary_region or r in self.kafka.region_bootstrap_servers
        ]

    def mirror_sources(self, region: str) -> list[str]:
        """The regions whose events topic a DR deployment lands from ``region``'s cluster, where MirrorMaker
        mirrors them (``<source>.<topic>``): every other region, when disaster recovery is on."""
        return [r for r in self.lake.regions if r != region] if self.dr.enabled else []

    def replication_pairs(self) -> list[tuple[str, str]]:
        """Every (source, target) pair of distinct regions: each region's lake is copied into every other."""
        return [(s, t) for s in self.lake.regions for t in self.lake.regions if s != t]

    def replaced(self, **updates: dict[str, object]) -> PlatformSettings:
        """These settings with some fields of some components changed, validated as from the environment.

        ``updates`` name components: ``settings.replaced(bronze={"max_records_per_range": 80})``.
        """
        changed = {
            name: type(getattr(self, name))(**{**getattr(self, name).model_dump(), **fields})
            for name, fields in updates.items()
        }
        return replace(self, **changed)


def get_settings() -> PlatformSettings:
    return PlatformSettings()
