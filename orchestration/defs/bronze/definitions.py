"""The bronze domain: Kafka offset ranges landed in the lake, their sensor, job and coverage check."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.bronze.assets import bronze_events
from orchestration.defs.bronze.checks import bronze_events_offset_coverage
from orchestration.defs.bronze.jobs import build_bronze_job
from orchestration.defs.bronze.sensors import build_bronze_sensor
from orchestration.settings import PlatformSettings


def build(settings: PlatformSettings) -> dg.Definitions:
    assets: list[dg.AssetsDefinition] = [bronze_events]
    checks: list[dg.AssetChecksDefinition] = [bronze_events_offset_coverage]
    if settings.warehouse.uses_bigquery:
        from orchestration.defs.bronze import bigquery

        assets.append(bigquery.bronze_events_bigquery)
        checks.append(bigquery.bronze_events_bigquery_matches_lake)
    job = build_bronze_job(settings.bronze.run_max_retries, [asset.key for asset in assets])
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[job],
        sensors=[build_bronze_sensor(job, settings.bronze.max_records_per_range)],
    )
