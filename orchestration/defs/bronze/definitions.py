"""The bronze domain: each ingesting region's Kafka offset ranges landed in its lake, with their
sensor, job and coverage check (one set per region, so regions land in parallel)."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.bronze.assets import build_bronze_asset
from orchestration.defs.bronze.checks import build_coverage_check
from orchestration.defs.bronze.jobs import build_bronze_job
from orchestration.defs.bronze.regions import all_bronzes
from orchestration.defs.bronze.sensors import build_bronze_sensor
from orchestration.settings import PlatformSettings


def build(settings: PlatformSettings) -> dg.Definitions:
    assets: list[dg.AssetsDefinition] = []
    checks: list[dg.AssetChecksDefinition] = []
    jobs = []
    sensors = []
    for bronze in all_bronzes(settings):
        assets.append(build_bronze_asset(bronze))
        checks.append(build_coverage_check(bronze))
        also = []
        if bronze.primary and not bronze.source and settings.warehouse.uses_bigquery:
            from orchestration.defs.bronze import bigquery

            assets.append(bigquery.bronze_events_bigquery)
            checks.append(bigquery.bronze_events_bigquery_matches_lake)
            also.append(bigquery.BRONZE_EVENTS_BIGQUERY)
        job = build_bronze_job(bronze, settings.bronze.run_max_retries, also)
        jobs.append(job)
        sensors.append(build_bronze_sensor(bronze, job, settings.bronze.max_records_per_range))
    return dg.Definitions(assets=assets, asset_checks=checks, jobs=jobs, sensors=sensors)
