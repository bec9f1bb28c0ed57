"""The warehouse domain: silver and gold as dbt assets, daily-partitioned, with their jobs and schedule."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import PlatformSettings


def build(settings: PlatformSettings) -> dg.Definitions:
    # dagster_dbt costs seconds to import: only code that builds the definitions pays for it.
    from orchestration.defs.quality.checks import FCT_REGION_HOURLY_METRICS, FRESHNESS_CHECK
    from orchestration.defs.warehouse.assets import build_warehouse_assets
    from orchestration.defs.warehouse.jobs import build_warehouse_jobs, build_warehouse_schedule, daily_partitions
    from orchestration.defs.warehouse.project import MeridianTranslator

    translator = MeridianTranslator()
    if settings.warehouse.uses_bigquery:
        from orchestration.defs.bronze import bigquery

        translator = MeridianTranslator(source_keys={("bronze", "events"): bigquery.BRONZE_EVENTS_BIGQUERY.path})
    partitions = daily_partitions(settings.event_time.partitions_start_date.isoformat())
    reference, silver, gold = build_warehouse_assets(partitions, translator)
    quality_only = [dg.AssetCheckKey(FCT_REGION_HOURLY_METRICS, FRESHNESS_CHECK)]
    return dg.Definitions(
        assets=[reference, silver, gold],
        jobs=build_warehouse_jobs(reference, [silver, gold], quality_only),
        schedules=[build_warehouse_schedule(settings.warehouse.gold_lookback_days)],
    )
