"""``quality_job``: every quality check on the latest data, on a schedule (hourly by default)."""

from typing import Any

import dagster as dg


def build_quality_job(checks: list[dg.AssetChecksDefinition]) -> Any:
    return dg.define_asset_job(
        "quality_job",
        selection=dg.AssetSelection.checks(*checks),
        description="Validate the latest partitions of bronze, silver and gold, and gold's freshness.",
        executor_def=dg.in_process_executor,  # one process: Great Expectations is imported once
    )


def build_quality_schedule(cron: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="quality_schedule",
        job_name="quality_job",
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Runs quality_job; its failures reach people through quality_alert_sensor.",
    )
