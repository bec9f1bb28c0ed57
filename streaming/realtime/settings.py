"""The streaming service's settings (``MERIDIAN_STREAM_*``); ``meridian stream`` composes them with Kafka's."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streaming.kafka.topics import METRICS_REGION_MINUTE, STREAM_STATE


class StreamSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MERIDIAN_STREAM_", env_file=".env", extra="ignore")

    group_id: str = "meridian-stream"
    metrics_topic: str = METRICS_REGION_MINUTE
    state_topic: str = STREAM_STATE
    window_seconds: int = Field(default=60, gt=0)
    allowed_lateness_seconds: int = Field(default=10, ge=0)
    checkpoint_interval_seconds: float = Field(default=5.0, gt=0)
    closed_windows_kept: int = Field(default=30, ge=0)  # per partition, served by the API
    max_poll_records: int = Field(default=5000, gt=0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8081, ge=0, le=65535)
