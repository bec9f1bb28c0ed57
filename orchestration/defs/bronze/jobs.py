"""The bronze job: land ranges, then check coverage. Retries re-run the same ranges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.defs.bronze.assets import BRONZE_EVENTS

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def build_bronze_job(
    max_retries: int, assets: Sequence[dg.AssetKey] = (BRONZE_EVENTS,)
) -> UnresolvedAssetJobDefinition:
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
