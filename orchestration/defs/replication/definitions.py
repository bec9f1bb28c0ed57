"""The replication domain: every region's lake copied into every other region's store, proven, checked.

Empty for a one-region deployment. Each pair's asset depends on the source's landings when this
deployment lands that region (bronze, and the stream metrics for the home region), so the lineage shows
what it copies; a region landed by another deployment is replicated on the schedule alone.
"""

from __future__ import annotations

import dagster as dg

from orchestration.settings import PlatformSettings


def build(settings: PlatformSettings) -> dg.Definitions:
    if not settings.replication_pairs():
        return dg.Definitions()
    from orchestration.defs.bronze.regions import all_bronzes
    from orchestration.defs.replication.assets import build_replication_asset
    from orchestration.defs.replication.checks import build_lag_check
    from orchestration.defs.replication.jobs import (
        build_lag_job,
        build_replication_job,
        build_replication_schedules,
        build_replication_sensor,
    )
    from orchestration.defs.replication.pairs import pairs_of
    from orchestration.defs.replication.resources import ReplicationResource
    from orchestration.defs.streaming.assets import STREAM_REGION_MINUTE

    pairs = pairs_of(settings.replication_pairs())
    landings: dict[str, list[dg.AssetKey]] = {}
    for b in all_bronzes(settings):  # a region's own bronze and the mirrors it lands
        landings.setdefault(b.region, []).append(b.key)
    landings.get(settings.lake.primary_region, []).append(STREAM_REGION_MINUTE)
    assets = [build_replication_asset(p, landings.get(p.source, [])) for p in pairs]
    job = build_replication_job(pairs, settings.bronze.run_max_retries)
    lag_job = build_lag_job(pairs)
    return dg.Definitions(
        assets=assets,
        asset_checks=[build_lag_check(p) for p in pairs],
        jobs=[job, lag_job],
        sensors=[build_replication_sensor(job, pairs, landings)],
        schedules=build_replication_schedules(job, lag_job, settings.replication.interval_minutes),
        resources={"replication": ReplicationResource.from_settings(settings.replication)},
    )
