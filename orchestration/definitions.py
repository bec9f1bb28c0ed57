"""The one Definitions object: ``dagster dev -m orchestration.definitions``.

Built inside a ``@dg.definitions`` function so settings are read when Dagster loads the code
location, not when Python imports this module.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg

from orchestration.defs.bronze.assets import bronze_events
from orchestration.defs.bronze.checks import bronze_events_offset_coverage
from orchestration.defs.bronze.jobs import build_bronze_job
from orchestration.defs.bronze.sensors import build_bronze_sensor
from orchestration.defs.quality.alerts import AlertResource, build_quality_alert_sensor
from orchestration.defs.quality.checks import FCT_REGION_HOURLY_METRICS, FRESHNESS_CHECK, QUALITY_CHECKS
from orchestration.defs.quality.jobs import build_quality_job, build_quality_schedule
from orchestration.defs.quality.resources import QualityResource
from orchestration.defs.shared.resources import shared_resources
from orchestration.settings import Settings, get_settings


def build_definitions(settings: Settings) -> dg.Definitions:
    # dagster_dbt costs seconds to import: only code that builds the definitions pays for it.
    from orchestration.defs.streaming.assets import (
        stream_metrics_job,
        stream_metrics_schedule,
        streaming_matches_gold,
        streaming_region_minute,
    )
    from orchestration.defs.warehouse.assets import build_warehouse_assets
    from orchestration.defs.warehouse.jobs import build_warehouse_jobs, build_warehouse_schedule, daily_partitions
    from orchestration.defs.warehouse.project import DBT_PROJECT_DIR, MeridianTranslator
    from orchestration.defs.warehouse.resources import WarehouseResource, dbt_cli_resource

    kafka, lake = shared_resources(settings)
    bronze_assets: list[dg.AssetsDefinition] = [bronze_events]
    checks: list[dg.AssetChecksDefinition] = [bronze_events_offset_coverage]
    extra_resources: dict[str, object] = {}
    translator = MeridianTranslator()
    if settings.uses_bigquery:
        # dagster_gcp costs seconds to import too: only BigQuery deployments load it.
        from orchestration.defs.bronze import bigquery

        bronze_assets.append(bigquery.bronze_events_bigquery)
        checks.append(bigquery.bronze_events_bigquery_matches_lake)
        extra_resources["bigquery"] = bigquery.MeridianBigQueryResource.from_settings(settings)
        translator = MeridianTranslator(source_keys={("bronze", "events"): bigquery.BRONZE_EVENTS_BIGQUERY.path})
    bronze_job = build_bronze_job(settings.run_max_retries, [asset.key for asset in bronze_assets])
    partitions = daily_partitions(settings.partitions_start_date)
    reference, silver, gold = build_warehouse_assets(partitions, translator)
    quality_only = [dg.AssetCheckKey(FCT_REGION_HOURLY_METRICS, FRESHNESS_CHECK)]
    return dg.Definitions(
        assets=[*bronze_assets, reference, silver, gold, streaming_region_minute],
        asset_checks=[*checks, *QUALITY_CHECKS, streaming_matches_gold],
        jobs=[
            bronze_job,
            *build_warehouse_jobs(reference, [silver, gold], quality_only),
            build_quality_job(QUALITY_CHECKS),
            stream_metrics_job,
        ],
        sensors=[
            build_bronze_sensor(bronze_job, settings.bronze_max_records_per_range),
            build_quality_alert_sensor(settings.alert_warn_after_runs),
        ],
        schedules=[
            build_warehouse_schedule(settings.gold_lookback_days),
            build_quality_schedule(settings.quality_schedule_cron),
            stream_metrics_schedule,
        ],
        resources={
            # the dbt installed beside this interpreter, whether or not the virtualenv is activated
            "dbt": dbt_cli_resource(str(DBT_PROJECT_DIR), str(Path(sys.executable).parent / "dbt")),
            "warehouse": WarehouseResource.from_settings(settings),
            "kafka": kafka,
            "lake": lake,
            "quality": QualityResource.from_settings(settings),
            "alerts": AlertResource.from_settings(settings),
            **extra_resources,
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(get_settings())
