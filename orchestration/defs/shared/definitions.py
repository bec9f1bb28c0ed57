"""The resources every domain shares, built from the deployment's settings in one place."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg

from orchestration.defs.bronze.resources import BronzeResource
from orchestration.defs.shared.resources import shared_resources
from orchestration.settings import PlatformSettings
from streaming.events.reference import fx_rates_path


def build(settings: PlatformSettings) -> dg.Definitions:
    # dagster_dbt costs seconds to import: only code that builds the definitions pays for it.
    from orchestration.defs.quality.resources import AlertResource, QualityResource
    from orchestration.defs.warehouse.project import DBT_PROJECT_DIR
    from orchestration.defs.warehouse.resources import WarehouseResource, dbt_cli_resource

    kafka, lake = shared_resources(settings)
    resources: dict[str, object] = {
        # the dbt installed beside this interpreter, whether or not the virtualenv is activated
        "dbt": dbt_cli_resource(str(DBT_PROJECT_DIR), str(Path(sys.executable).parent / "dbt")),
        "warehouse": WarehouseResource.from_settings(settings.warehouse, settings.bigquery),
        "kafka": kafka,
        "lake": lake,
        "bronze": BronzeResource.from_settings(settings.event_time),
        "quality": QualityResource.from_settings(
            settings.quality, lookback_days=settings.warehouse.gold_lookback_days, fx_rates_csv=fx_rates_path()
        ),
        "alerts": AlertResource.from_settings(settings.alerts),
    }
    if settings.warehouse.uses_bigquery:
        # dagster_gcp costs seconds to import too: only BigQuery deployments load it.
        from orchestration.defs.bronze.bigquery import MeridianBigQueryResource

        resources["bigquery"] = MeridianBigQueryResource.from_settings(settings.bigquery)
    return dg.Definitions(resources=resources)
