"""Checks on the bronze layer."""

import dagster as dg

from orchestration.defs.bronze.regions import RegionBronze
from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.lib.bronze.landing import landed_in
from orchestration.lib.bronze.ranges import coverage_problems


def build_coverage_check(bronze: RegionBronze) -> dg.AssetChecksDefinition:
    region = bronze.region

    @dg.asset_check(
        asset=bronze.key,
        name=bronze.check_name,
        blocking=True,
        description="Landed offset ranges are contiguous from the log start, with no gap and no overlap.",
    )
    def _coverage(kafka: KafkaResource, lake: LakeResource) -> dg.AssetCheckResult:
        """A gap loses records and an overlap double-counts them; either fails the check."""
        regional = kafka.for_region(region)
        topic = bronze.topic(regional.events_topic)
        landed = landed_in(lake.storage(region), topic)
        problems = coverage_problems(landed, regional.beginning_offsets(topic))
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

    return _coverage
