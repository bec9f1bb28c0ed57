"""The exporter's own settings (``MERIDIAN_EXPORTER_*``); which regions and stores it reads are the lake's."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExporterSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MERIDIAN_EXPORTER_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Loopback by default like every local service; a pod sets 0.0.0.0 so Prometheus can reach it.
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=9108, ge=0, le=65535)
    # A scrape within this many seconds of the last read is answered from it: two Prometheus replicas, or a
    # person reloading /metrics, do not each list every region's store. Lake signals move in minutes.
    cache_seconds: float = Field(default=10.0, ge=0)
