"""Disaster recovery settings: ``MERIDIAN_DR_*``.

Off by default, so a single-region laptop (and every deployment that has not planned for a lost
region) keeps one static aggregation region. On, a deployment is one region's (its primary, its
home): it lands the other regions' topics that MirrorMaker mirrors into its cluster, builds global
gold only while it holds the aggregation lease, and takes the lease over when the holder has been
unreachable for ``failover_after_seconds``.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DrSettings(BaseSettings):
    """``lease_store``: where the aggregation lease lives, a store URI like the regions' (``local``,
    ``file:///path``, ``gs://bucket``, ``s3://bucket``). It must outlive any one region, so in
    production it is a multi-region bucket (the Terraform global stack makes one); ``local`` is a
    folder beside the regions' lakes (``<root>/_global``)."""

    model_config = SettingsConfigDict(env_prefix="MERIDIAN_DR_", env_file=".env", extra="ignore", populate_by_name=True)

    enabled: bool = False
    lease_store: str = "local"
    failover_after_seconds: float = Field(default=60.0, gt=0)  # the holder unreachable this long: take over
    probe_timeout_seconds: float = Field(default=3.0, gt=0)
    mirror_lag_warn_seconds: float = Field(default=60.0, gt=0)
    mirror_lag_fail_seconds: float = Field(default=300.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> DrSettings:
        if self.mirror_lag_warn_seconds > self.mirror_lag_fail_seconds:
            raise ValueError(
                "MERIDIAN_DR_MIRROR_LAG_WARN_SECONDS must not exceed MERIDIAN_DR_MIRROR_LAG_FAIL_SECONDS, got "
                f"{self.mirror_lag_warn_seconds} > {self.mirror_lag_fail_seconds}"
            )
        if self.probe_timeout_seconds >= self.failover_after_seconds:
            raise ValueError(
                "MERIDIAN_DR_PROBE_TIMEOUT_SECONDS must be shorter than MERIDIAN_DR_FAILOVER_AFTER_SECONDS"
            )
        return self
