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

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestration.defs.warehouse.settings import WarehouseFollowSettings
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
    LOCAL = "local"
    GCS = "gcs"


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore", populate_by_name=True)


class LakeSettings(BaseSettings):
    """The regions, where each region's lake is, and which region this deployment lands (the primary)."""

    model_config = _config("MERIDIAN_LAKE_")

    env: Env = Field(default=Env.LOCAL, validation_alias=AliasChoices("MERIDIAN_ENV"))
    regions: list[str] = Field(default_factory=lambda: ["us", "eu", "apac"], validation_alias="MERIDIAN_REGIONS")
    primary_region: str = Field(default="us", validation_alias="MERIDIAN_PRIMARY_REGION")
    backend: LakeBackend = LakeBackend.LOCAL
    root: Path = Path(".local/lake")  # local backend: <root>/<region>/
    gcs_bucket_prefix: str = Field(default="meridian-lake", validation_alias="MERIDIAN_GCS_BUCKET_PREFIX")
    gcs_project: str = Field(default="meridian-local", validation_alias="MERIDIAN_GCS_PROJECT")
    gcs_endpoint: str | None = Field(default=None, validation_alias="MERIDIAN_GCS_ENDPOINT")  # emulators only

    @model_validator(mode="after")
    def _primary_is_a_region(self) -> LakeSettings:
        if self.primary_region not in self.regions:
            raise ValueError(
                f"MERIDIAN_PRIMARY_REGION={self.primary_region!r} is not in MERIDIAN_REGIONS {self.regions}"
            )
        return self

    def bucket(self, region: str) -> str:
        """A region's GCS bucket (``<prefix>-<region>``)."""
        return f"{self.gcs_bucket_prefix}-{region}"


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


@dataclass(frozen=True)
class PlatformSettings:
    """What a Dagster process (the code location, ``meridian run-once``) composes; the edge and stream do not."""

    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    lake: LakeSettings = field(default_factory=LakeSettings)
    warehouse: WarehouseSettings = field(default_factory=WarehouseSettings)
    follow: WarehouseFollowSettings = field(default_factory=WarehouseFollowSettings)
    bigquery: BigQuerySettings = field(default_factory=BigQuerySettings)
    bronze: BronzeSettings = field(default_factory=BronzeSettings)
    event_time: EventTimeSettings = field(default_factory=EventTimeSettings)
    stream: StreamSettings = field(default_factory=StreamSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)

    def __post_init__(self) -> None:
        if self.lake.env is Env.PROD:
            problems = []
            if self.lake.backend is LakeBackend.LOCAL:
                problems.append("MERIDIAN_LAKE_BACKEND=local (use gcs)")
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
