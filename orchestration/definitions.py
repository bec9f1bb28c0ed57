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
from orchestration.defs.shared.resources import shared_resources
from orchestration.settings import Settings, get_settings


def build_definitions(settings: Settings) -> dg.Definitions:
    # dagster_dbt costs seconds to import: only code that builds the definitions pays for it.
    from orchestration.defs.warehouse.assets import build_warehouse_assets
    from orchestration.defs.warehouse.jobs import build_warehouse_jobs, build_warehouse_schedule, daily_partitions
    from orchestration.defs.warehouse.project import DBT_PROJECT_DIR
    from orchestration.defs.warehouse.resources import WarehouseResource, dbt_cli_resource

    kafka, lake = shared_resources(settings)
    bronze_job = build_bronze_job(settings.run_max_retries)
    partitions = daily_partitions(settings.partitions_start_date)
    reference, daily = build_warehouse_assets(partitions)
    return dg.Definitions(
        assets=[bronze_events, reference, daily],
        asset_checks=[bronze_events_offset_coverage],
        jobs=[bronze_job, *build_warehouse_jobs(reference, daily, partitions)],
        sensors=[build_bronze_sensor(bronze_job, settings.bronze_max_records_per_range)],
        schedules=[build_warehouse_schedule(settings.gold_lookback_days)],
        resources={
            # the dbt installed beside this interpreter, whether or not the virtualenv is activated
            "dbt": dbt_cli_resource(str(DBT_PROJECT_DIR), str(Path(sys.executable).parent / "dbt")),
            "warehouse": WarehouseResource(target=settings.dbt_target, duckdb_path=str(settings.duckdb_path)),
            "kafka": kafka,
            "lake": lake,
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(get_settings())
