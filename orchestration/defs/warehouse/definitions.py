"""The warehouse domain: silver and gold as dbt assets, daily-partitioned, with their jobs, sensor and schedule."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from orchestration.settings import PlatformSettings


def build(settings: PlatformSettings) -> dg.Definitions:
    # dagster_dbt costs seconds to import: only code that builds the definitions pays for it.
    from dagster_dbt import get_asset_key_for_model

    from orchestration.defs.bronze.assets import BRONZE_EVENTS
    from orchestration.defs.bronze.regions import all_bronzes
    from orchestration.defs.quality.checks import FRESHNESS_CHECK
    from orchestration.defs.replication.pairs import Pair
    from orchestration.defs.warehouse.assets import build_warehouse_assets
    from orchestration.defs.warehouse.jobs import build_warehouse_jobs, build_warehouse_schedule, daily_partitions
    from orchestration.defs.warehouse.project import MeridianTranslator
    from orchestration.defs.warehouse.sensors import build_warehouse_sensor

    translator = MeridianTranslator()
    upstream = BRONZE_EVENTS
    if settings.warehouse.uses_bigquery:
        from orchestration.defs.bronze import bigquery

        # dbt reads bronze from the raw table there: silver follows that table's loads
        upstream = bigquery.BRONZE_EVENTS_BIGQUERY
        translator = MeridianTranslator(source_keys={tuple(BRONZE_EVENTS.path): upstream.path})
    start = settings.event_time.partitions_start_date
    reference, silver, gold = build_warehouse_assets(daily_partitions(start.isoformat()), translator)
    hourly_metrics = get_asset_key_for_model([gold], "fct_region_hourly_metrics")
    reference_job, warehouse_job, bootstrap_job = build_warehouse_jobs(
        reference, [silver, gold], [dg.AssetCheckKey(hourly_metrics, FRESHNESS_CHECK)]
    )
    follow = settings.follow
    # global silver also follows every replication into the aggregation region (with disaster recovery
    # on, this deployment's home region builds it while it holds the lease) and the mirrors landed there
    aggregation = settings.lake.primary_region if settings.dr.enabled else settings.lake.aggregation
    replicas = [Pair(source, target).key for source, target in settings.replication_pairs() if target == aggregation]
    mirrors = [b.key for b in all_bronzes(settings) if b.source and b.region == aggregation]
    fenced = _lease_guard(settings) if settings.dr.enabled else None
    return dg.Definitions(
        assets=[reference, silver, gold],
        jobs=[reference_job, warehouse_job, bootstrap_job],
        sensors=[
            build_warehouse_sensor(
                [warehouse_job, bootstrap_job],
                [upstream, *mirrors, *replicas],
                list(reference.keys),
                start,
                follow,
                fenced,
            )
        ],
        schedules=[build_warehouse_schedule(settings.warehouse.gold_lookback_days)],
    )


def _lease_guard(settings: PlatformSettings) -> Callable[[], str | None]:
    """Why this deployment may not build global gold now (another region holds the lease), or None."""
    from orchestration.defs.shared.resources import LakeResource

    lake = LakeResource.from_settings(settings.lake, settings.dr)

    def fenced() -> str | None:
        lease = lake.aggregation_lease()
        if lease is None or lease.aggregation_region == lake.region:
            return None
        return (
            f"fenced: {lease.aggregation_region} holds the aggregation lease (epoch {lease.epoch}, {lease.reason}); "
            f"{lake.region} builds no global gold"
        )

    return fenced
