"""``warehouse_sensor``: silver and gold follow bronze, one run at a time, at most every interval."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from orchestration.definitions import build_definitions
from orchestration.defs.bronze.assets import BRONZE_EVENTS
from orchestration.defs.warehouse.jobs import ASSET_PARTITION_RANGE_END, ASSET_PARTITION_RANGE_START
from orchestration.defs.warehouse.project import model_key
from orchestration.defs.warehouse.sensors import Decision, FollowCursor, decide, follow_window
from orchestration.settings import PlatformSettings

START = date(2026, 10, 1)
INTERVAL = timedelta(minutes=2)
LATE = timedelta(minutes=60)
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def tick(
    cursor: FollowCursor,
    now: datetime = NOON,
    *,
    latest_bronze: int | None = 10,
    in_flight: str | None = None,
    reference_missing: bool = False,
) -> Decision:
    return decide(
        cursor,
        now=now,
        latest_bronze=latest_bronze,
        in_flight=in_flight,
        reference_missing=reference_missing,
        interval=INTERVAL,
        late=LATE,
        first_partition=START,
    )


def test_the_window_is_today_and_yesterday_only_just_after_midnight() -> None:
    assert follow_window(NOON, LATE, START) == (date(2026, 12, 1), date(2026, 12, 1))
    just_after = datetime(2026, 12, 2, 0, 20, tzinfo=UTC)
    assert follow_window(just_after, LATE, START) == (date(2026, 12, 1), date(2026, 12, 2))
    assert follow_window(just_after + LATE, LATE, START) == (date(2026, 12, 2), date(2026, 12, 2))
    # never before the first partition, nothing at all before it
    assert follow_window(datetime(2026, 10, 1, 0, 5, tzinfo=UTC), LATE, START) == (START, START)
    assert follow_window(datetime(2026, 9, 30, 12, tzinfo=UTC), LATE, START) is None


def test_a_build_needs_a_new_landing_and_nothing_in_flight() -> None:
    assert tick(FollowCursor(), latest_bronze=None).job is None
    assert tick(FollowCursor(bronze=10)).job is None
    busy = tick(FollowCursor(), in_flight="warehouse_job run abc (started)")
    assert busy.job is None and "in flight" in busy.reason

    build = tick(FollowCursor(bronze=4))
    assert build.job == "warehouse_job"
    assert build.window == (date(2026, 12, 1), date(2026, 12, 1))
    assert build.cursor == FollowCursor(bronze=10, built_at=NOON.timestamp())
    assert build.run_key == "warehouse_job-follow-10"
    assert FollowCursor.parse(build.cursor.dump()) == build.cursor


def test_builds_start_at_most_once_per_interval() -> None:
    built = FollowCursor(bronze=10, built_at=NOON.timestamp())
    soon = tick(built, NOON + INTERVAL - timedelta(seconds=1), latest_bronze=11)
    assert soon.job is None and "12:02:00" in soon.reason and soon.cursor == built
    due = tick(built, NOON + INTERVAL, latest_bronze=11)
    assert due.job == "warehouse_job" and due.cursor.bronze == 11


def test_a_new_warehouse_builds_its_reference_tables_in_the_same_run_first() -> None:
    first = tick(FollowCursor(), reference_missing=True)
    assert first.job == "warehouse_bootstrap_job" and first.window == (date(2026, 12, 1), date(2026, 12, 1))
    # that run failed before building them: the next build tries again, no sooner than any other
    assert tick(first.cursor, NOON + timedelta(seconds=30), latest_bronze=11, reference_missing=True).job is None
    again = tick(first.cursor, NOON + INTERVAL, latest_bronze=11, reference_missing=True)
    assert again.job == "warehouse_bootstrap_job"
    assert tick(first.cursor, NOON + INTERVAL, latest_bronze=11).job == "warehouse_job"


def _sensor_result(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = defs.resolve_sensor_def("warehouse_sensor")(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_the_sensor_reads_landings_runs_and_reference_tables_from_the_instance(tmp_path: Path) -> None:
    defs = build_definitions(PlatformSettings.under(tmp_path, "127.0.0.1:9", "events.raw.v1"))
    reference = defs.resolve_assets_def(model_key("fx_rates")).keys
    with dg.instance_for_test() as instance:
        assert _sensor_result(defs, instance, None).run_requests == []

        instance.report_runless_asset_event(dg.AssetMaterialization(BRONZE_EVENTS))
        first = _sensor_result(defs, instance, None)
        (request,) = first.run_requests or []
        today = datetime.now(UTC).date().isoformat()
        assert request.job_name == "warehouse_bootstrap_job"
        assert request.tags[ASSET_PARTITION_RANGE_END] == today
        assert request.tags[ASSET_PARTITION_RANGE_START] <= today

        for key in reference:
            instance.report_runless_asset_event(dg.AssetMaterialization(key))
        instance.report_runless_asset_event(dg.AssetMaterialization(BRONZE_EVENTS))
        interval_passed = FollowCursor(bronze=FollowCursor.parse(first.cursor).bronze).dump()
        second = _sensor_result(defs, instance, interval_passed)
        assert [r.job_name for r in second.run_requests or []] == ["warehouse_job"]

        running = dg.DagsterRun(job_name="warehouse_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED)
        instance.add_run(running)
        instance.report_runless_asset_event(dg.AssetMaterialization(BRONZE_EVENTS))
        third = _sensor_result(defs, instance, second.cursor)
        assert third.run_requests == [] and "in flight" in str(third.skip_reason)
