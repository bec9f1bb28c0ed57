"""The one Definitions object: ``dagster dev -m orchestration.definitions``.

Built inside a ``@dg.definitions`` function so settings are read when Dagster loads the code
location, not when Python imports this module.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.bronze.assets import bronze_events
from orchestration.defs.bronze.checks import bronze_events_offset_coverage
from orchestration.defs.bronze.jobs import build_bronze_job
from orchestration.defs.bronze.sensors import build_bronze_sensor
from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.settings import Settings, get_settings


def build_definitions(settings: Settings) -> dg.Definitions:
    bronze_job = build_bronze_job(settings.run_max_retries)
    return dg.Definitions(
        assets=[bronze_events],
        asset_checks=[bronze_events_offset_coverage],
        jobs=[bronze_job],
        sensors=[build_bronze_sensor(bronze_job, settings.bronze_max_records_per_range)],
        resources={
            "kafka": KafkaResource(
                bootstrap_servers=settings.kafka_bootstrap_servers, events_topic=settings.events_topic
            ),
            "lake": LakeResource.from_settings(settings),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(get_settings())
