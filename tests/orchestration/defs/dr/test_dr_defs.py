"""The disaster-recovery wiring: mirror bronzes, what global silver reads, and the lease's fence on gold."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.defs.bronze.regions import RegionBronze, all_bronzes
from orchestration.defs.dr.fencing import builder_lease, current_gold, publish_gold
from orchestration.defs.replication.pairs import Pair
from orchestration.defs.shared.resources import LakeResource
from orchestration.defs.warehouse.definitions import _lease_guard
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange
from orchestration.lib.lake import LakeStorageError, LocalLakeStorage
from orchestration.lib.lease import FencedError
from orchestration.lib.replication import replicate
from orchestration.settings import PlatformSettings
from tests.orchestration.lib.replication.replication_lakes import land_bronze

TOPIC = "events.raw.v1"


def dr_settings(tmp_path: Path, home: str = "eu", enabled: bool = True) -> PlatformSettings:
    return PlatformSettings.under(tmp_path, "127.0.0.1:1", TOPIC).replaced(
        lake={"regions": ["us", "eu"], "primary_region": home, "aggregation_region": "us"},
        kafka={"region_bootstrap_servers": {"us" if home == "eu" else "eu": "127.0.0.1:2"}},
        dr={"enabled": enabled},
    )


def test_a_dr_deployment_lands_its_own_region_and_the_mirrors_in_its_cluster(tmp_path: Path) -> None:
    settings = dr_settings(tmp_path)
    assert settings.ingest_regions() == ["eu"]  # the other cluster is watched, not landed
    assert [b.key.to_user_string() for b in all_bronzes(settings)] == ["bronze/events", "bronze/us/via_eu/events"]
    mirror = RegionBronze("eu", True, "us")
    assert (mirror.topic(TOPIC), mirror.origin, mirror.job_name, mirror.lane) == (
        "us.events.raw.v1",
        "us",
        "bronze_us_via_eu_job",
        "bronze-us-via-eu",
    )
    defs = build_definitions(settings)
    assert {s.name for s in defs.sensors} >= {"bronze_us_via_eu_events_sensor", "dr_failover_sensor"}  # type: ignore[union-attr]
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys if key.asset_key == mirror.key}
    assert checks == {"bronze_events_offset_coverage", "mirror_lag"}
    schedule = defs.resolve_schedule_def("dr_drill_schedule")
    assert schedule.default_status is dg.DefaultScheduleStatus.STOPPED and schedule.job_name == "dr_drill_job"
    # without DR: no mirrors, no failover sensor, every configured cluster landed as before
    plain = dr_settings(tmp_path, enabled=False)
    assert plain.ingest_regions() == ["us", "eu"] and not [b for b in all_bronzes(plain) if b.source]


def test_global_silver_reads_own_mirrored_and_replicated_ranges_of_both_kinds(tmp_path: Path) -> None:
    lake = LakeResource.from_settings(dr_settings(tmp_path).lake, dr_settings(tmp_path).dr)
    us, eu = lake.storage("us"), lake.storage("eu")
    land_bronze(eu, OffsetRange(0, 0, 5))  # eu's own events
    land_bronze(eu, OffsetRange(0, 0, 4), topic="us.events.raw.v1")  # us's events, mirrored into eu
    land_bronze(us, OffsetRange(1, 0, 3))  # us's own, replicated into eu below
    land_bronze(us, OffsetRange(2, 0, 2), topic="eu.events.raw.v1")  # eu's events mirrored into us
    replicate(us, eu, [BRONZE])
    store, files = lake.bronze_in("eu", TOPIC)
    assert store.region == "eu"
    assert sorted(f.split("/topic=")[0] + "/topic=" + f.split("/topic=")[1].split("/")[0] for f in files) == [
        "bronze/events/topic=events.raw.v1",
        "bronze/events/topic=us.events.raw.v1",
        "replicas/us/bronze/events/topic=events.raw.v1",
    ]
    # eu's own events mirrored into us and replicated back are left out: eu's own bronze holds them all


def test_only_the_lease_holder_builds_and_publishes_global_gold(tmp_path: Path) -> None:
    eu_settings, us_settings = dr_settings(tmp_path, "eu"), dr_settings(tmp_path, "us")
    eu = LakeResource.from_settings(eu_settings.lake, eu_settings.dr)
    us = LakeResource.from_settings(us_settings.lake, us_settings.dr)
    # the lease starts with the configured aggregation region, us
    assert us.aggregation_holder() == "us" and eu.aggregation_holder() == "us"
    assert _lease_guard(us_settings)() is None
    assert "fenced: us holds the aggregation lease (epoch 1" in str(_lease_guard(eu_settings)())
    with pytest.raises(FencedError, match="'us' holds epoch 1"):
        builder_lease(eu)
    stale = builder_lease(us)  # us starts a build under epoch 1 ...
    assert stale is not None
    promoted = eu.leases().promote("eu", expected_epoch=1, by="test", reason="us silent")  # ... and loses the lease
    with pytest.raises(FencedError, match="'eu' holds epoch 2"):
        publish_gold(us, stale, {"run_id": "stale"})  # its publication carries epoch 1: refused
    assert current_gold(eu) is None  # nothing published under epoch 2 yet
    publish_gold(eu, promoted, {"run_id": "fresh"})
    gold = current_gold(us)
    assert gold is not None and (gold["region"], gold["epoch"], gold["run_id"]) == ("eu", 2, "fresh")
    assert _lease_guard(us_settings)() is not None and _lease_guard(eu_settings)() is None


def test_a_lake_whose_folder_is_gone_is_an_error_not_an_empty_lake(tmp_path: Path) -> None:
    store = LocalLakeStorage(None, "us", path=tmp_path / "lake")
    assert store.list("bronze/") == []  # a new lake: empty
    (tmp_path / "lake").write_text("lost")
    with pytest.raises(LakeStorageError, match="not a folder: the store is unreachable"):
        store.list("bronze/")


def test_the_warehouse_sensor_follows_the_mirrors_and_replicas_into_home(tmp_path: Path) -> None:
    defs = build_definitions(dr_settings(tmp_path))
    sensor = defs.resolve_sensor_def("warehouse_sensor")
    with dg.instance_for_test() as instance:
        result = sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SensorResult) and "fenced: us holds" in str(result.skip_reason)
    assert Pair("us", "eu").key.to_user_string() == "replication/us_to_eu"


def test_every_job_the_daemon_launches_has_a_deadline(tmp_path: Path) -> None:
    """A run left STARTED by a process that died while PostgreSQL was down is failed by run monitoring, and
    retried, instead of holding its lane for good."""
    defs = build_definitions(dr_settings(tmp_path))
    for name in ("bronze_job", "bronze_us_via_eu_job", "replication_job", "warehouse_job", "warehouse_bootstrap_job"):
        assert int(defs.resolve_job_def(name).tags["dagster/max_runtime"]) >= 900, name
