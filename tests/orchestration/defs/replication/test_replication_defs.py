"""The replication domain's wiring: which pairs exist, what the sensor asks for, how lag is judged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import orjson
import pytest

from orchestration.defs.replication import definitions as replication
from orchestration.defs.replication.checks import lag_severity, last_known_lag
from orchestration.defs.replication.pairs import Pair, status_path
from orchestration.defs.shared.resources import LakeResource
from orchestration.settings import PlatformSettings


def regional(tmp_path: Path, regions: list[str]) -> PlatformSettings:
    return PlatformSettings.under(tmp_path, "127.0.0.1:1", "events.raw.v1").replaced(lake={"regions": regions})


def test_one_region_has_no_replication_and_three_have_six_pairs(tmp_path: Path) -> None:
    assert not replication.build(regional(tmp_path, ["us"])).assets
    defs = replication.build(regional(tmp_path, ["us", "eu", "apac"]))
    keys = {key.to_user_string() for a in defs.assets for key in a.keys}  # type: ignore[union-attr]
    assert keys == {f"replication/{s}_to_{t}" for s in ("us", "eu", "apac") for t in ("us", "eu", "apac") if s != t}
    assert {s.name for s in defs.schedules} == {"replication_schedule", "replication_lag_schedule"}  # type: ignore[union-attr]
    schedule = next(s for s in defs.schedules if s.name == "replication_schedule")  # type: ignore[union-attr]
    assert schedule.cron_schedule == "*/5 * * * *"


@pytest.mark.parametrize(
    ("lag", "expected"),
    [(0.0, None), (300.0, None), (301.0, dg.AssetCheckSeverity.WARN), (900.5, dg.AssetCheckSeverity.ERROR)],
)
def test_lag_warns_above_five_minutes_and_fails_above_fifteen(lag: float, expected: object) -> None:
    assert lag_severity(lag, 300.0, 900.0) == expected


def test_without_the_source_the_lag_is_the_last_known_one_plus_the_time_since(tmp_path: Path) -> None:
    lake = LakeResource.from_settings(regional(tmp_path, ["us", "eu"]).lake)
    pair = Pair("eu", "us")
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert last_known_lag(lake, pair, now)[0] == float("inf")  # never replicated: as late as can be
    as_of = now - timedelta(minutes=7)
    lake.storage("us").write(status_path("eu"), orjson.dumps({"as_of": as_of.isoformat(), "lag_seconds": 30.0}))
    lag, basis = last_known_lag(lake, pair, now)
    assert lag == 30.0 + 420.0 and "as of" in basis


def test_the_sensor_asks_for_the_pairs_of_the_region_that_landed(tmp_path: Path) -> None:
    settings = regional(tmp_path, ["us", "eu", "apac"])
    defs = replication.build(settings)
    sensor = next(s for s in defs.sensors if s.name == "replication_sensor")  # type: ignore[union-attr]
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        assert isinstance(sensor(context), dg.SkipReason)  # nothing landed yet
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=dg.AssetKey(["bronze", "events"])))
        result = sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SensorResult)
        (request,) = result.run_requests or []
        assert {k.to_user_string() for k in request.asset_selection or []} == {
            "replication/us_to_eu",
            "replication/us_to_apac",
        }
        # the same landing asks once: the cursor remembers it
        again = sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
        assert isinstance(again, dg.SkipReason)
        assert json.loads(result.cursor or "{}") == {"us": request.run_key and int(request.run_key.split("-")[-1])}


def test_a_replication_that_copied_nothing_is_not_new_data_for_the_warehouse() -> None:
    from orchestration.defs.shared.instance import latest_storage_id

    key = dg.AssetKey(["replication", "eu_to_us"])
    with dg.instance_for_test() as instance:
        assert latest_storage_id(instance, [key]) is None
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, metadata={"files_copied": 4}))
        copied = latest_storage_id(instance, [key])
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, metadata={"files_copied": 0}))
        assert copied is not None and latest_storage_id(instance, [key]) == copied


def test_complete_counts_only_ranges_the_copy_saw_and_names_what_is_missing(tmp_path: Path) -> None:
    """A range landed after the copy listed the source is the next run's (and the lag's), not a failure."""
    from orchestration.defs.replication.assets import LEDGERS, check_results
    from orchestration.lib.bronze.ranges import OffsetRange
    from orchestration.lib.lake import LocalLakeStorage
    from orchestration.lib.replication import audit, manifest_path, replicate
    from tests.orchestration.lib.replication.replication_lakes import land_bronze

    us, eu = LocalLakeStorage(tmp_path, "us"), LocalLakeStorage(tmp_path, "eu")
    land_bronze(us, OffsetRange(0, 0, 10))
    report = replicate(us, eu, LEDGERS)
    land_bronze(us, OffsetRange(0, 10, 20))  # after the copy's listing
    results = {r.check_name: r for r in check_results(Pair("us", "eu"), report, audit(us, eu, LEDGERS))}
    assert results["replica_complete"].passed

    first = us.list("bronze/events/")[0]
    eu.delete(manifest_path("us", first))  # the copy it saw is no longer proven
    results = {r.check_name: r for r in check_results(Pair("us", "eu"), report, audit(us, eu, LEDGERS))}
    complete = results["replica_complete"]
    assert not complete.passed
    assert complete.metadata["unreplicated_ranges"].value == 1
    assert first in complete.metadata["sample"].value[0]
