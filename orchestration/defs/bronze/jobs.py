"""The bronze job: land ranges, then check coverage. Retries re-run the same ranges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import dagster as dg

from orchestration.defs.bronze.assets import BRONZE_EVENTS

AssetJob: TypeAlias = dg.JobDefinition | Any
"""What ``dg.define_asset_job`` returns: a job the Definitions resolve into a ``dg.JobDefinition``.

Dagster exports no name for the unresolved type (1.13), so the hint admits it rather than import
``dagster._core``; everything that takes one (``dg.Definitions``, ``@dg.sensor``) accepts either.
"""


def build_bronze_job(max_retries: int, assets: Sequence[dg.AssetKey] = (BRONZE_EVENTS,)) -> AssetJob:
    """The ranges land first; ``assets`` may add what follows the lake run by run (BigQuery's raw table)."""
    return dg.define_asset_job(
        "bronze_job",
        selection=dg.AssetSelection.assets(*assets),
        description="Land Kafka offset ranges in bronze and verify offset coverage.",
        # One process per run, no subprocess per step: a bronze run is one read-and-write step.
        executor_def=dg.in_process_executor,
        tags={
            "dagster/max_retries": str(max_retries),
            "dagster/retry_strategy": "ALL_STEPS",
            "meridian/lane": "bronze",
        },
    )
