"""``replication_job`` (copy, prove, check), ``replication_lag_job`` (the lag checks alone), their sensor and schedules.

A bronze landing in a region asks for that region's pairs at once (the sensor); the schedule runs every
pair every few minutes anyway, so replication goes on when nothing lands here (a region landed by
another deployment) and the lag checks keep running while a store is down.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.bronze.jobs import AssetJob
from orchestration.defs.replication.pairs import CHECK_LAG, REPLICATION_LANE, Pair
from orchestration.defs.shared.instance import latest_storage_id, max_runtime


def build_replication_job(pairs: list[Pair], max_retries: int) -> AssetJob:
    return dg.define_asset_job(
        "replication_job",
        selection=dg.AssetSelection.assets(*(p.key for p in pairs)),
        description="Copy every region's landed ranges into every other region's store, verify, manifest, check.",
        tags={
            "meridian/lane": REPLICATION_LANE,
            "dagster/max_retries": str(max_retries),
            "dagster/retry_strategy": "ALL_STEPS",
            **max_runtime("replication"),
        },
    )


def build_lag_job(pairs: list[Pair]) -> AssetJob:
    return dg.define_asset_job(
        "replication_lag_job",
        selection=dg.AssetSelection.checks(*(p.check_key(CHECK_LAG) for p in pairs)),
        description="How late every replica is, measured even when a copy cannot run.",
    )


def build_replication_schedules(job: AssetJob, lag_job: AssetJob, interval_minutes: int) -> list[dg.ScheduleDefinition]:
    cron = f"*/{interval_minutes} * * * *"
    return [
        dg.ScheduleDefinition(
            name="replication_schedule",
            job=job,
            cron_schedule=cron,
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description=f"Every pair every {interval_minutes} min, whether or not anything landed here.",
        ),
        dg.ScheduleDefinition(
            name="replication_lag_schedule",
            job=lag_job,
            cron_schedule=cron,
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description="The lag checks alone, so an unreachable source shows as growing lag, then alerts.",
        ),
    ]


def build_replication_sensor(
    job: AssetJob, pairs: list[Pair], landings: dict[str, list[dg.AssetKey]]
) -> dg.SensorDefinition:
    """``landings``: per source region, the assets whose materializations mean it has new ranges."""

    @dg.sensor(
        name="replication_sensor",
        job=job,
        minimum_interval_seconds=15,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Replicates a region's new ranges to every other region as soon as they land.",
    )
    def _replication_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        import json

        seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
        requests, advanced = [], dict(seen)
        for source, keys in sorted(landings.items()):
            latest = latest_storage_id(context.instance, keys)
            if latest is None or latest <= seen.get(source, 0):
                continue
            advanced[source] = latest
            selection = [p.key for p in pairs if p.source == source]
            if selection:
                requests.append(
                    dg.RunRequest(
                        run_key=f"replicate-{source}-{latest}",
                        asset_selection=selection,
                        tags={"meridian/source_region": source},
                    )
                )
        if not requests:
            return dg.SkipReason("no landing since the last replication request")
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(advanced, sort_keys=True))

    return _replication_sensor
