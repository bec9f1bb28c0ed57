"""How closely silver and gold follow bronze (``warehouse_sensor``): ``MERIDIAN_WAREHOUSE_FOLLOW_*``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WarehouseFollowSettings(BaseSettings):
    """``interval_seconds``: the least time between two builds the sensor starts (each is a dbt build of
    silver, its checks, then gold); ``late_minutes``: for how long after midnight (UTC) those builds
    also cover yesterday, for the events that were on their way at midnight. Stragglers after that are
    the daily ``warehouse_schedule``'s, which rebuilds the last ``MERIDIAN_GOLD_LOOKBACK_DAYS`` days."""

    model_config = SettingsConfigDict(
        env_prefix="MERIDIAN_WAREHOUSE_FOLLOW_", env_file=".env", extra="ignore", populate_by_name=True
    )

    interval_seconds: int = Field(default=120, ge=10)
    late_minutes: int = Field(default=60, ge=0, le=24 * 60)
