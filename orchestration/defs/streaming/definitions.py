"""The speed layer in the lake: the streaming service's windows landed, and reconciled with gold."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import PlatformSettings


def build(settings: PlatformSettings) -> dg.Definitions:
    from orchestration.defs.streaming.assets import (
        stream_metrics_job,
        stream_metrics_schedule,
        streaming_matches_gold,
        streaming_region_minute,
    )

    return dg.Definitions(
        assets=[streaming_region_minute],
        asset_checks=[streaming_matches_gold],
        jobs=[stream_metrics_job],
        schedules=[stream_metrics_schedule],
    )
