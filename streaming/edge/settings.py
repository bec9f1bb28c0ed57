"""The edge collector's settings (``MERIDIAN_EDGE_*``).

The edge process composes them with Kafka's and the event-time rules, and with nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EdgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MERIDIAN_EDGE_", env_file=".env", extra="ignore")

    id: str = "edge-local-1"
    region: str = "us"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8090, ge=0, le=65535)
    # "<name>:<sha256 hex of the key>" entries; `meridian edge-key` mints a key and prints its entry.
    api_keys: list[str] = Field(default_factory=list)
    rate_limit: str = "20000/second"  # accepted events per API key, in `limits` notation
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    max_decompressed_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    max_events_per_request: int = Field(default=5000, gt=0)
    max_field_chars: int = Field(default=4096, gt=0)
    max_depth: int = Field(default=4, ge=1)
    # Relative to the working directory, like every default path: nothing depends on a source checkout.
    buffer_dir: Path = Path(".local/edge/buffer")
    buffer_max_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    buffer_segment_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # always: fsync before the response (an accepted event survives power loss); interval: fsync in
    # the background every buffer_fsync_interval_ms (survives a crash of the process, not the host).
    buffer_fsync: Literal["always", "interval", "never"] = "always"
    buffer_fsync_interval_ms: int = Field(default=200, gt=0)
    forward_batch_records: int = Field(default=5000, gt=0)
    kafka_timeout_seconds: float = Field(default=10.0, gt=0)
    backoff_max_seconds: float = Field(default=5.0, gt=0)
    degraded_after_seconds: float = Field(default=5.0, gt=0)  # forward lag that /readyz calls degraded
