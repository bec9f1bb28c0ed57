"""Great Expectations suites as Dagster asset checks, one check per rule, on bronze, silver and gold.

ERROR rules are blocking: in a run that also builds what is downstream (``warehouse_job`` builds
silver, runs these checks, then gold), a failing ERROR check on silver stops gold. Each check
validates the run's event_date window (a partition or a single-run backfill range); run alone, as
``quality_job`` does, it validates the latest ``lookback_days`` days. Great Expectations is imported
by the first check a run process validates, on that step's thread (``quality.runner.warm_up``),
never when the code location loads and never on a thread of its own.
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from orchestration.defs.bronze.assets import BRONZE_EVENTS
from orchestration.defs.quality.resources import QualityResource
from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.defs.warehouse.jobs import ASSET_PARTITION_RANGE_END, ASSET_PARTITION_RANGE_START
from orchestration.defs.warehouse.project import model_key
from orchestration.defs.warehouse.resources import WarehouseResource
from orchestration.lib import quality_sql
from quality.rules import Severity, Suite
from quality.suites import BRONZE_EVENTS as BRONZE_SUITE
from quality.suites import GOLD_METRICS, SILVER_EVENTS

STG_EVENTS = model_key("stg_events")
FCT_REGION_HOURLY_METRICS = model_key("fct_region_hourly_metrics")
FRESHNESS_CHECK = "gold_fresh"

Frames = Callable[..., Mapping[str, Any]]


def run_window(context: dg.AssetCheckExecutionContext, lookback_days: int) -> tuple[str, str]:
    """The event_date window a check validates: the run's partitions, else the latest days."""
    tags = context.run.tags
    if ASSET_PARTITION_RANGE_START in tags:
        return tags[ASSET_PARTITION_RANGE_START], tags[ASSET_PARTITION_RANGE_END]
    if "dagster/partition" in tags:
        return tags["dagster/partition"], tags["dagster/partition"]
    today = datetime.now(UTC).date()
    return (today - timedelta(days=lookback_days)).isoformat(), today.isoformat()


def _results(
    suite: Suite, asset: dg.AssetKey, frames: Mapping[str, Any], quality: QualityResource, label: str, run_id: str
) -> Iterator[dg.AssetCheckResult]:
    from quality.report import write_report
    from quality.runner import validate

    outcomes = validate(suite, frames, quality.params())
    report = write_report(quality.report_dir(), suite, outcomes, label, run_id)
    evaluated = {o.rule for o in outcomes}
    for outcome in outcomes:
        yield dg.AssetCheckResult(
            asset_key=asset,
            check_name=outcome.rule,
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR if outcome.severity is Severity.ERROR else dg.AssetCheckSeverity.WARN,
            description=outcome.description,
            metadata={
                "validated": label,
                "observed": outcome.observed,
                "expected": outcome.expected,
                "unexpected_count": outcome.unexpected_count,
                "element_count": outcome.element_count,
                "failing_rows_sample": dg.MetadataValue.json(outcome.sample),
                "report": dg.MetadataValue.path(str(report)),
            },
        )
    for rule in suite.rules:  # a frame with no rows in the window: nothing to judge, said so
        if rule.name not in evaluated:
            yield dg.AssetCheckResult(
                asset_key=asset, check_name=rule.name, passed=True, metadata={"validated": f"{label}: no data"}
            )


def _specs(suite: Suite, asset: dg.AssetKey, deps: tuple[dg.AssetKey, ...] = ()) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            rule.name,
            asset=asset,
            blocking=rule.severity is Severity.ERROR,
            description=rule.description,
            additional_deps=deps,
        )
        for rule in suite.rules
    ]


@dg.multi_asset_check(specs=_specs(SILVER_EVENTS, STG_EVENTS), name="silver_events_quality")
def silver_events_quality(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, quality: QualityResource
) -> Iterator[dg.AssetCheckResult]:
    """GX suite ``silver_events`` on the run's event_date window of silver.stg_events."""
    from quality.frames import silver_frames

    window = run_window(context, quality.lookback_days)
    rows = warehouse.read_frame(
        quality_sql.silver_events_sql(window), quality_sql.SILVER_EVENTS_CATEGORIES, arrow_strings=("event_id",)
    )
    frames = silver_frames(rows)
    yield from _results(
        SILVER_EVENTS, STG_EVENTS, frames, quality, f"event_date {window[0]}..{window[1]}", context.run.run_id
    )


@dg.multi_asset_check(
    # revenue is reconciled with fct_events: in a run that builds both, wait for it too
    specs=_specs(GOLD_METRICS, FCT_REGION_HOURLY_METRICS, deps=(model_key("fct_events"),)),
    name="gold_metrics_quality",
)
def gold_metrics_quality(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, quality: QualityResource
) -> Iterator[dg.AssetCheckResult]:
    """GX suite ``gold_metrics``: hourly metrics, revenue against fct_events, daily volume against its history."""
    from quality.frames import complete_days, daily_volume, gold_hourly

    params = quality.params()
    window = run_window(context, quality.lookback_days)
    hourly = warehouse.read_frame(quality_sql.gold_hourly_sql(window))
    frames: dict[str, Any] = {}
    if len(hourly):
        purchases = warehouse.read_frame(quality_sql.gold_purchases_sql(warehouse.engine, window))
        frames["rows"] = gold_hourly(hourly, purchases)
    volumes = warehouse.read_frame(quality_sql.daily_volume_sql(window, params.volume_trailing_days))
    first, last = (datetime.fromisoformat(d).date() for d in window)
    days = complete_days(first, last, datetime.now(UTC).date())
    daily = daily_volume(volumes, days, params.volume_trailing_days, params.volume_min_history_days)
    if len(daily):
        frames["daily_volume"] = daily
    yield from _results(
        GOLD_METRICS,
        FCT_REGION_HOURLY_METRICS,
        frames,
        quality,
        f"event_date {window[0]}..{window[1]}",
        context.run.run_id,
    )


@dg.multi_asset_check(specs=_specs(BRONZE_SUITE, BRONZE_EVENTS), name="bronze_events_quality")
def bronze_events_quality(
    context: dg.AssetCheckExecutionContext, lake: LakeResource, kafka: KafkaResource, quality: QualityResource
) -> Iterator[dg.AssetCheckResult]:
    """GX suite ``bronze_events`` on the ranges of the latest bronze landing."""
    import io

    import pandas as pd
    import pyarrow.parquet as pq

    from orchestration.lib.bronze.ranges import OffsetRange, events_path
    from quality.frames import bronze_summary

    event = context.instance.get_latest_materialization_event(BRONZE_EVENTS)
    materialization = event.asset_materialization if event else None
    frames: dict[str, Any] = {}
    label = "no bronze landing yet"
    if materialization is not None:
        meta = {key: value.value for key, value in materialization.metadata.items()}
        ranges = [OffsetRange(r["partition"], r["start"], r["end"]) for r in meta.get("ranges", [])]
        storage = lake.storage()
        topic = kafka.events_topic
        paths = [events_path(topic, r) for r in ranges]
        tables = [pq.read_table(io.BytesIO(storage.read(p))) for p in paths if storage.exists(p)]
        if tables:
            frames["rows"] = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
        frames["summary"] = bronze_summary(int(meta.get("dagster/row_count", 0)), meta.get("quarantined_by_reason", {}))
        label = f"latest landing: {len(ranges)} range(s) of {topic}"
    yield from _results(BRONZE_SUITE, BRONZE_EVENTS, frames, quality, label, context.run.run_id)


@dg.asset_check(asset=FCT_REGION_HOURLY_METRICS, name=FRESHNESS_CHECK, blocking=False)
def gold_fresh(warehouse: WarehouseResource, quality: QualityResource) -> dg.AssetCheckResult:
    """Gold holds an hour no older than the freshness window: staleness is a failure."""
    latest = warehouse.read_frame(quality_sql.latest_hour_sql()).iat[0, 0]
    now = datetime.now(UTC).replace(tzinfo=None)
    limit = now - timedelta(hours=quality.freshness_hours)
    fresh = latest is not None and str(latest) != "NaT" and latest.to_pydatetime() >= limit
    return dg.AssetCheckResult(
        passed=bool(fresh),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "observed": f"latest event_hour {latest}",
            "expected": f">= {limit:%Y-%m-%d %H:%M} UTC (now - {quality.freshness_hours} h)",
        },
    )


STG_EVENT_CONFLICTS = model_key("stg_event_conflicts")


@dg.asset_check(
    asset=STG_EVENT_CONFLICTS,
    name="cross_region_conflicts",
    blocking=False,
    description=(
        "The same event_id with different content in two copies (two regions, or a client that changed an event "
        "and re-sent it): counted and sampled as a warning, never resolved silently."
    ),
)
def cross_region_conflicts(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, quality: QualityResource
) -> dg.AssetCheckResult:
    window = run_window(context, quality.lookback_days)
    rows = warehouse.read_frame(quality_sql.conflicts_sql(window))
    count = int(rows["conflicts"].iat[0]) if len(rows) else 0
    sample = rows.drop(columns=["conflicts"]).astype(str).to_dict(orient="records")
    return dg.AssetCheckResult(
        passed=count == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "conflicts": count,
            "observed": f"{count} conflicting event_id(s)",
            "expected": "0",
            "validated": f"event_date {window[0]}..{window[1]}",
            "sample": dg.MetadataValue.json(sample),
        },
    )


QUALITY_CHECKS = [
    bronze_events_quality,
    silver_events_quality,
    gold_metrics_quality,
    gold_fresh,
    cross_region_conflicts,
]
