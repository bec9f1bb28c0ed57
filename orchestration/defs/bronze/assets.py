"""The bronze layer: Kafka micro-batches landed in the lake exactly once."""

from collections import Counter
from typing import Any

import dagster as dg

from orchestration.defs.bronze.regions import RegionBronze
from orchestration.defs.bronze.resources import BronzeResource
from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.lib.bronze.landing import LandedRange, land_range, landed_in
from orchestration.lib.bronze.ranges import (
    OffsetRange,
    landed_frontier,
    plan_ranges,
)
from orchestration.lib.lake import LakeStorage

BRONZE_EVENTS = dg.AssetKey(["bronze", "events"])  # the primary region's bronze


class RangeConfig(dg.Config):
    partition: int
    start: int
    end: int


class BronzeBatchConfig(dg.Config):
    """Which offset ranges to land. Empty (a materialization from the UI) lands what is pending."""

    ranges: list[RangeConfig] = []
    max_records_per_range: int = 50_000
    timeout_s: float = 60.0


def pending_ranges(
    kafka: KafkaResource, storage: LakeStorage, max_records: int, topic: str | None = None
) -> list[OffsetRange]:
    """What a region's Kafka holds of ``topic`` (its events topic unless a mirror's) past its lake's
    frontier, one bounded range per partition."""
    topic = topic or kafka.events_topic
    frontier = landed_frontier(landed_in(storage, topic))
    return plan_ranges(kafka.end_offsets(topic), frontier, kafka.beginning_offsets(topic), max_records)


def run_config_for(ranges: list[OffsetRange], node: str = "bronze__events") -> dict[str, Any]:
    """The run config that lands exactly ``ranges`` (used by the sensors and ``meridian run-once``)."""
    ranges_config = [{"partition": r.partition, "start": r.start, "end": r.end} for r in ranges]
    return {"ops": {node: {"config": {"ranges": ranges_config}}}}


def materialization_metadata(landed: list[LandedRange]) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    for item in landed:
        reasons.update(item.reasons)
    return {
        "dagster/row_count": sum(x.valid for x in landed),
        "quarantined": sum(x.quarantined for x in landed),
        "quarantined_by_reason": dg.MetadataValue.json(dict(sorted(reasons.items()))),
        "ranges": dg.MetadataValue.json(
            [
                {
                    "partition": x.range.partition,
                    "start": x.range.start,
                    "end": x.range.end,
                    "valid": x.valid,
                    "quarantined": x.quarantined,
                }
                for x in landed
            ]
        ),
        "records_read": sum(x.range.size for x in landed),
        "bytes_written": sum(x.events_bytes + x.quarantine_bytes for x in landed),
        "files": dg.MetadataValue.json(
            [x.events_uri for x in landed] + [x.quarantine_uri for x in landed if x.quarantine_uri]
        ),
    }


def build_bronze_asset(bronze: RegionBronze) -> dg.AssetsDefinition:
    """One region's bronze: its own Kafka topic (or a mirrored region's) landed into its own lake store."""
    region, origin, topic_of = bronze.region, bronze.origin, bronze.topic  # ``bronze`` is a resource below
    description = (
        f"Raw events from region {region}'s Kafka events topic, landed in {region}'s lake: one zstd Parquet "
        "file per topic-partition-range; invalid records go to bronze/quarantine with their reason."
    )
    if bronze.source:
        description = (
            f"Region {bronze.source}'s events as MirrorMaker mirrors them into {region}'s Kafka, landed in "
            f"{region}'s lake through their own ledger of mirrored offsets: how {bronze.source}'s events reach "
            f"global gold when {bronze.source} is lost (silver keeps one copy per event_id)."
        )

    @dg.asset(
        key=bronze.key,
        group_name="bronze",
        kinds={"kafka", "parquet"},
        tags={"meridian/region": region, **({"meridian/mirror_of": bronze.source} if bronze.source else {})},
        description=description,
    )
    def _bronze_events(
        context: dg.AssetExecutionContext,
        config: BronzeBatchConfig,
        kafka: KafkaResource,
        lake: LakeResource,
        bronze: BronzeResource,
    ) -> dg.MaterializeResult:
        """Land the requested offset ranges; each counts as landed only once its file is written."""
        regional = kafka.for_region(region)
        storage = lake.storage(region)
        topic = topic_of(regional.events_topic)
        ranges = [OffsetRange(r.partition, r.start, r.end) for r in config.ranges]
        if not ranges:
            ranges = pending_ranges(regional, storage, config.max_records_per_range, topic)
        consumer = regional.range_consumer()
        rules = bronze.rules()
        landed: list[LandedRange] = []
        try:
            for r in ranges:
                landed.append(
                    land_range(storage, consumer, topic, r, config.timeout_s, rules=rules, ingest_region=origin)
                )
                context.log.info(
                    f"landed {topic} {r} in {region}: {landed[-1].valid} valid, {landed[-1].quarantined} quarantined"
                )
        finally:
            consumer.close()
        return dg.MaterializeResult(
            metadata={**materialization_metadata(landed), "region": region, "ingest_region": origin}
        )

    return _bronze_events
