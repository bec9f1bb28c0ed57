"""Checks on the bronze layer."""

import dagster as dg

from orchestration.defs.bronze.assets import BRONZE_EVENTS
from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.lib.bronze.landing import landed_in
from orchestration.lib.bronze.ranges import coverage_problems


@dg.asset_check(
    asset=BRONZE_EVENTS,
    blocking=True,
    description="Landed offset ranges are contiguous from the log start, with no gap and no overlap.",
)
def bronze_events_offset_coverage(kafka: KafkaResource, lake: LakeResource) -> dg.AssetCheckResult:
    """A gap loses records and an overlap double-counts them; either fails the check."""
    landed = landed_in(lake.storage(), kafka.events_topic)
    problems = coverage_problems(landed, kafka.beginning_offsets(kafka.events_topic))
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "problems": dg.MetadataValue.json(problems),
            "partitions": len(landed),
            "ranges": sum(len(rs) for rs in landed.values()),
            "landed_until": dg.MetadataValue.json({str(p): rs[-1].end for p, rs in landed.items()}),
        },
    )
