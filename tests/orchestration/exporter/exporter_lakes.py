"""Two regional lakes built by the project's own landing and replication code, with known ages, and a Dagster
instance holding real gold materializations and asset check evaluations: what the exporter is read against."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from orchestration.lib import stream_metrics as sm
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.lake import LocalLakeStorage
from orchestration.lib.replication import replicate
from orchestration.settings import LakeSettings
from tests.orchestration.lib.replication.replication_lakes import (
    METRICS_TOPIC,
    TOPIC,
    land_bronze,
    land_metrics,
    set_updated,
)

LEDGERS = [BRONZE, sm.STREAM_METRICS]
GOLD = dg.AssetKey(["gold", "fct_events"])
SILVER = dg.AssetKey(["silver", "stg_events"])


@dataclass(frozen=True)
class Lakes:
    settings: LakeSettings
    built_at: datetime  # the ages below count from here
    us_last_landed: datetime
    eu_last_landed: datetime
    us_to_eu_waiting_since: datetime  # the oldest us range eu has no manifest for
    eu_to_us_waiting_since: datetime  # nothing of eu replicated: its oldest range, of either ledger


def build_lakes(root: Path) -> Lakes:
    """us lands two partitions, is replicated into eu, then lands one range more (2 min ago); eu lands bronze
    (15 min ago) and stream metrics (20 min ago), none of it replicated into us."""
    now = datetime.now(UTC)
    us, eu = LocalLakeStorage(root, "us"), LocalLakeStorage(root, "eu")
    land_bronze(us, OffsetRange(0, 0, 10))
    land_bronze(us, OffsetRange(1, 0, 4), bad=1)
    replicate(us, eu, LEDGERS)
    land_bronze(us, OffsetRange(0, 10, 25))
    land_bronze(eu, OffsetRange(0, 0, 6))
    land_metrics(eu, OffsetRange(0, 0, 5))
    ages = {
        (us, BRONZE.rows_prefix, TOPIC, OffsetRange(0, 0, 10)): timedelta(hours=1),
        (us, BRONZE.rows_prefix, TOPIC, OffsetRange(1, 0, 4)): timedelta(minutes=30),
        (us, BRONZE.rows_prefix, TOPIC, OffsetRange(0, 10, 25)): timedelta(minutes=2),
        (eu, BRONZE.rows_prefix, TOPIC, OffsetRange(0, 0, 6)): timedelta(minutes=15),
        (eu, sm.METRICS_PREFIX, METRICS_TOPIC, OffsetRange(0, 0, 5)): timedelta(minutes=20),
    }
    for (store, prefix, topic, r), age in ages.items():
        set_updated(store, range_path(prefix, topic, r), now - age)
    settings = LakeSettings(root=root, regions=["us", "eu"], primary_region="us")
    return Lakes(
        settings=settings,
        built_at=now,
        us_last_landed=now - timedelta(minutes=2),
        eu_last_landed=now - timedelta(minutes=15),
        us_to_eu_waiting_since=now - timedelta(minutes=2),
        eu_to_us_waiting_since=now - timedelta(minutes=20),
    )


def record_builds(instance: dg.DagsterInstance) -> dict[str, float]:
    """Two builds of gold, each with two checks, then a third whose step fails before any check runs, and a
    materialization of silver reported by an external tool (a runless event, as the instance API records one).

    The checks swap outcomes between the first two builds: the latest evaluation (not any evaluation) decides,
    so ``no_null_ids`` (failed, then passed) is not failing and ``revenue_matches`` (passed, then failed) is.
    The third run leaves both checks planned and never evaluated: their last completed outcome stands.
    Returns the materialization times that matter.
    """
    outcome = {"no_null_ids": False, "revenue_matches": True}
    broken = {"build": False}

    @dg.asset(
        key=GOLD,
        check_specs=[dg.AssetCheckSpec("no_null_ids", asset=GOLD), dg.AssetCheckSpec("revenue_matches", asset=GOLD)],
    )
    def gold() -> Iterator[dg.Output[int] | dg.AssetCheckResult]:
        if broken["build"]:
            raise RuntimeError("dbt build failed")  # as a failed warehouse build: no output, no evaluation
        yield dg.Output(1)
        for name, passed in outcome.items():
            yield dg.AssetCheckResult(check_name=name, passed=passed, severity=dg.AssetCheckSeverity.WARN)

    assert dg.materialize([gold], instance=instance).success
    outcome.update(no_null_ids=True, revenue_matches=False)
    assert dg.materialize([gold], instance=instance).success
    gold_at = instance.get_latest_materialization_event(GOLD)
    broken["build"] = True
    assert not dg.materialize([gold], instance=instance, raise_on_error=False).success
    instance.report_runless_asset_event(dg.AssetMaterialization(SILVER))  # later, and not gold: no gold build
    silver_at = instance.get_latest_materialization_event(SILVER)
    assert gold_at is not None and silver_at is not None
    return {"gold": gold_at.timestamp, "silver": silver_at.timestamp}
