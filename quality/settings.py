"""The quality suites' thresholds, where their reports go and when ``quality_job`` runs.

Environment variables ``MERIDIAN_QUALITY_*`` (e.g. ``MERIDIAN_QUALITY_FRESHNESS_HOURS``); their
names are a public interface. The lookback window the checks validate is the warehouse's
(``MERIDIAN_GOLD_LOOKBACK_DAYS``), not ours: the process composing both passes it along.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class QualitySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MERIDIAN_QUALITY_", env_file=".env", extra="ignore", populate_by_name=True
    )

    freshness_hours: int = Field(default=48, gt=0)  # gold older than this fails ``gold_fresh``
    report_root: Path = Path(".local/quality/reports")  # relative to the working directory
    max_quarantine_ratio: float = Field(default=0.05, ge=0, le=1)
    volume_sigma: float = Field(default=3.0, gt=0)
    schedule_cron: str = "15 * * * *"  # quality_schedule, UTC
