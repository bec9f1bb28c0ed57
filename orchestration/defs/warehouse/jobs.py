"""Jobs and the daily schedule for the warehouse (silver + gold)."""

from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.bronze.jobs import AssetJob
from orchestration.defs.shared.instance import k8s_resources, max_runtime
from orchestration.lib.warehouse import lookback_window

ASSET_PARTITION_RANGE_START = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END = "dagster/asset_partition_range_end"
REFERENCE_JOB = "reference_job"
WAREHOUSE_JOB = "warehouse_job"
BOOTSTRAP_JOB = "warehouse_bootstrap_job"


def daily_partitions(start_date: str) -> dg.DailyPartitionsDefinition:
    """One partition per UTC event date, today's included: it fills up as bronze lands, and is rebuilt as it does."""
    return dg.DailyPartitionsDefinition(start_date=start_date, timezone="UTC", end_offset=1)


def build_warehouse_jobs(
    reference: dg.AssetsDefinition,
    daily: list[dg.AssetsDefinition],
    checks_elsewhere: list[dg.AssetCheckKey],
) -> list[AssetJob]:
    """``checks_elsewhere``: checks on these assets that only ``quality_job`` runs (freshness).

    Every job runs its steps in one process: they run one after another anyway (each needs the
    previous), and the run imports dbt's adapters and Great Expectations once.
    """
    daily_selection = dg.AssetSelection.assets(*daily) - dg.AssetSelection.checks(*checks_elsewhere)
    return [
        dg.define_asset_job(
            REFERENCE_JOB,
            selection=dg.AssetSelection.assets(reference),
            description="Seeds and dimensions (fx rates, regions).",
            executor_def=dg.in_process_executor,
            tags={**max_runtime("warehouse"), **k8s_resources(REFERENCE_JOB)},
        ),
        dg.define_asset_job(
            WAREHOUSE_JOB,
            selection=daily_selection,
            description="Silver, its quality checks, then gold, for a range of event dates (one dbt build each).",
            executor_def=dg.in_process_executor,
            tags={**max_runtime("warehouse"), **k8s_resources(WAREHOUSE_JOB)},
        ),
        dg.define_asset_job(
            BOOTSTRAP_JOB,
            selection=dg.AssetSelection.assets(reference) | daily_selection,
            description=(
                "The first build of a new warehouse: the reference tables, then what warehouse_job builds "
                "(warehouse_sensor runs it while the reference tables were never built)."
            ),
            executor_def=dg.in_process_executor,
            tags={**max_runtime("warehouse"), **k8s_resources(BOOTSTRAP_JOB)},
        ),
    ]


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags that make one run cover partitions ``first..last`` (a single-run backfill)."""
    return {ASSET_PARTITION_RANGE_START: first, ASSET_PARTITION_RANGE_END: last}


def build_warehouse_schedule(lookback_days: int) -> dg.ScheduleDefinition:
    @dg.schedule(
        job_name=WAREHOUSE_JOB,
        cron_schedule="30 0 * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Rebuilds the last {lookback_days} days of silver and gold, catching late events.",
    )
    def warehouse_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        """One run over the lookback window ending yesterday (UTC)."""
        now = context.scheduled_execution_time or datetime.now(UTC)
        first, last = lookback_window(now.date(), lookback_days)
        return dg.RunRequest(run_key=f"warehouse-{first}-{last}", tags=range_tags(first.isoformat(), last.isoformat()))

    return warehouse_schedule
