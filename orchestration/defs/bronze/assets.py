"""The bronze layer: Kafka micro-batches landed in the lake exactly once."""

from collections import Counter
from typing import Any

import dagster as dg

from orchestration.defs.bronze.resources import BronzeResource
from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.lib.bronze.landing import LandedRange, land_range, landed_in
from orchestration.lib.bronze.ranges import (
    OffsetRange,
    landed_frontier,
    plan_ranges,
)

BRONZE_EVENTS = dg.AssetKey(["bronze", "events"])


class RangeConfig(dg.Config):
    partition: int
    start: int
    end: int


class BronzeBatchConfig(dg.Config):
    """Which offset ranges to land. Empty (a materialization from the UI) lands what is pending."""

    ranges: list[RangeConfig] = []
    max_records_per_range: int = 50_000
    timeout_s: float = 60.0


def pending_ranges(kafka: KafkaResource, lake: LakeResource, max_records: int) -> list[OffsetRange]:
    """What Kafka holds past the lake's frontier, one bounded range per partition."""
    topic = kafka.events_topic
    frontier = landed_frontier(landed_in(lake.storage(), topic))
    return plan_ranges(kafka.end_offsets(topic), frontier, kafka.beginning_offsets(topic), max_records)


def run_config_for(ranges: list[OffsetRange]) -> dict[str, Any]:
    """The run config that lands exactly ``ranges`` (used by the sensor and ``meridian run-once``)."""
    ranges_config = [{"partition": r.partition, "start": r.start, "end": r.end} for r in ranges]
    return {"ops": {"bronze__events": {"config": {"ranges": ranges_config}}}}


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


@dg.asset(
    key=BRONZE_EVENTS,
    group_name="bronze",
    kinds={"kafka", "parquet"},
    description=(
        "Raw events from the Kafka events topic (events.raw.v1), one zstd Parquet file per "
        "topic-partition-range; invalid records go to bronze/quarantine with their reason."
    ),
)
def bronze_events(
    context: dg.AssetExecutionContext,
    config: BronzeBatchConfig,
    kafka: KafkaResource,
    lake: LakeResource,
    bronze: BronzeResource,
) -> dg.MaterializeResult:
    """Land the requested offset ranges; each counts as landed only once its file is written."""
    ranges = [OffsetRange(r.partition, r.start, r.end) for r in config.ranges]
    if not ranges:
        ranges = pending_ranges(kafka, lake, config.max_records_per_range)
    storage = lake.storage()
    consumer = kafka.range_consumer()
    rules = bronze.rules()
    landed: list[LandedRange] = []
    try:
        for r in ranges:
            landed.append(land_range(storage, consumer, kafka.events_topic, r, config.timeout_s, rules=rules))
            context.log.info(
                f"landed {kafka.events_topic} {r}: {landed[-1].valid} valid, {landed[-1].quarantined} quarantined"
            )
    finally:
        consumer.close()
    return dg.MaterializeResult(metadata=materialization_metadata(landed))
