"""The speed layer in the lake: ``metrics.region_minute.v1`` landed exactly once, and checked against gold."""

from collections import Counter
from typing import Any

import dagster as dg
import pyarrow.parquet as pq

from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.defs.warehouse.project import model_key
from orchestration.defs.warehouse.resources import WarehouseResource
from orchestration.lib import stream_metrics as sm
from orchestration.lib.bronze.ranges import plan_ranges

STREAM_REGION_MINUTE = dg.AssetKey(["streaming", "region_minute"])
MAX_RECORDS_PER_RANGE = 50_000
GOLD_HOURLY_SQL = "select region, event_hour, events, p95_latency_ms from gold.fct_region_hourly_metrics"


@dg.asset(
    key=STREAM_REGION_MINUTE,
    group_name="streaming",
    kinds={"kafka", "parquet"},
    description=(
        "The streaming service's per-partition windows and late tallies (metrics.region_minute.v1), one "
        "Parquet file per Kafka offset range, landed exactly once like bronze; the latest record per key wins."
    ),
)
def streaming_region_minute(
    context: dg.AssetExecutionContext, kafka: KafkaResource, lake: LakeResource
) -> dg.MaterializeResult:
    """Land every offset range of the metrics topic that the lake does not hold yet."""
    storage, topic = lake.storage(), kafka.stream_metrics_topic
    ledger = sm.STREAM_METRICS
    frontier = ledger.frontier(storage, topic)
    ranges = plan_ranges(kafka.end_offsets(topic), frontier, kafka.beginning_offsets(topic), MAX_RECORDS_PER_RANGE)
    consumer = kafka.range_consumer()
    rows = quarantined = 0
    reasons: Counter[str] = Counter()
    files: list[str] = []
    try:
        while ranges:
            for r in ranges:
                landed = ledger.land_range(storage, consumer, topic, r, 60, sm.built)
                files.append(landed.events_uri)
                rows, quarantined = rows + landed.valid, quarantined + landed.quarantined
                reasons.update(landed.reasons)
                frontier[r.partition] = r.end
            ranges = plan_ranges(kafka.end_offsets(topic), frontier, {}, MAX_RECORDS_PER_RANGE)
    finally:
        consumer.close()
    context.log.info(f"landed {rows} records of {topic} in {len(files)} files ({quarantined} quarantined)")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "quarantined": quarantined,
            "quarantined_by_reason": dg.MetadataValue.json(dict(reasons)),
            "files": dg.MetadataValue.json(files),
            "frontier": dg.MetadataValue.json({str(p): o for p, o in sorted(frontier.items())}),
        }
    )


def _gold(warehouse: WarehouseResource) -> dict[tuple[str, int], tuple[int, float | None]]:
    frame = warehouse.read_frame(GOLD_HOURLY_SQL)
    out: dict[tuple[str, int], tuple[int, float | None]] = {}
    for region, hour, events, p95 in frame.itertuples(index=False):
        out[(region, int(hour.value // 1_000_000))] = (int(events), None if p95 != p95 else float(p95))
    return out


def _hour(check: sm.HourCheck) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "region": check.region,
        "hour": datetime.fromtimestamp(check.hour_start_ms / 1000, UTC).isoformat(),
        "stream_events": check.stream_events,
        "gold_events": check.gold_events,
        "stream_p95_ms": check.stream_p95,
        "gold_p95_ms": check.gold_p95,
    }


@dg.asset_check(
    asset=STREAM_REGION_MINUTE,
    name="streaming_matches_gold",
    additional_deps=[model_key("fct_region_hourly_metrics")],
    description=(
        "Speed layer vs batch layer per (region, hour) without late events: event counts equal, p95 latency "
        "within 2%. Hours with late events (gold counts them, the stream leaves them to gold) are skipped."
    ),
)
def streaming_matches_gold(
    kafka: KafkaResource, lake: LakeResource, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    storage, topic = lake.storage(), kafka.stream_metrics_topic
    paths = sm.STREAM_METRICS.rows_paths(storage, topic)
    tables = [pq.read_table(pa_file) for pa_file in (_buffer(storage.read(p)) for p in paths)]
    result = sm.reconcile(sm.latest(tables), _gold(warehouse), kafka.stream_allowed_lateness_seconds * 1000)
    mismatches = result.mismatches
    return dg.AssetCheckResult(
        passed=not mismatches,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(mismatches)} of {len(result.compared)} hours disagree"
            if mismatches
            else f"{len(result.compared)} hours agree"
        ),
        metadata={
            "hours_compared": len(result.compared),
            "hours_skipped_late_events": len(result.skipped_late),
            "hours_skipped_still_open": len(result.skipped_open),
            "mismatches": dg.MetadataValue.json([_hour(c) for c in mismatches[:20]]),
            "compared": dg.MetadataValue.json([_hour(c) for c in result.compared[:50]]),
        },
    )


def _buffer(data: bytes) -> Any:
    import pyarrow as pa

    return pa.BufferReader(data)


stream_metrics_job = dg.define_asset_job(
    "stream_metrics_job",
    selection=dg.AssetSelection.assets(STREAM_REGION_MINUTE),
    description="Land the streaming service's windows and reconcile them with gold.",
)
stream_metrics_schedule = dg.ScheduleDefinition(
    job=stream_metrics_job, cron_schedule="*/10 * * * *", default_status=dg.DefaultScheduleStatus.RUNNING
)
