"""The bronze job: land ranges, then check coverage. Retries re-run the same ranges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import dagster as dg

from orchestration.defs.bronze.regions import RegionBronze
from orchestration.defs.shared.instance import max_runtime

AssetJob: TypeAlias = dg.JobDefinition | Any
"""What ``dg.define_asset_job`` returns: a job the Definitions resolve into a ``dg.JobDefinition``.

Dagster exports no name for the unresolved type (1.13), so the hint admits it rather than import
``dagster._core``; everything that takes one (``dg.Definitions``, ``@dg.sensor``) accepts either.
"""


def build_bronze_job(bronze: RegionBronze, max_retries: int, also: Sequence[dg.AssetKey] = ()) -> AssetJob:
    """A region's ranges land first; ``also`` may add what follows the lake run by run (BigQuery's raw table)."""
    return dg.define_asset_job(
        bronze.job_name,
        selection=dg.AssetSelection.assets(bronze.key, *also),
        description=f"Land region {bronze.region}'s Kafka offset ranges in its bronze and verify offset coverage.",
        # One process per run, no subprocess per step: a bronze run is one read-and-write step.
        executor_def=dg.in_process_executor,
        tags={
            "dagster/max_retries": str(max_retries),
            "dagster/retry_strategy": "ALL_STEPS",
            "meridian/lane": bronze.lane,
            "meridian/region": bronze.region,
            **max_runtime("bronze"),
        },
    )
