"""Late events for a day already built are picked up by the scheduled lookback run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.defs.warehouse.jobs import ASSET_PARTITION_RANGE_END, ASSET_PARTITION_RANGE_START
from orchestration.lib.warehouse import lookback_window
from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from tests.dbt_project.oracle import expected_gold
from tests.helpers import produce_and_place, query_warehouse


def test_the_lookback_window_is_the_full_days_before_today() -> None:
    assert lookback_window(date(2026, 11, 10), 3) == (date(2026, 11, 7), date(2026, 11, 9))


def daily_users(settings: PlatformSettings) -> dict[tuple[str, date], int]:
    rows = query_warehouse(settings, "select region, event_date, users from gold.fct_daily_active_users")
    return {(str(r[0]), r[1]): int(r[2]) for r in rows}  # type: ignore[misc]


@pytest.mark.integration
def test_the_scheduled_lookback_run_updates_a_day_when_late_events_arrive(settings: PlatformSettings) -> None:
    on_time = list(
        generate(
            TrafficSpec(
                count=2000, seed=31, start=datetime(2026, 11, 7, tzinfo=UTC), days=3, late=0, malformed=0, duplicates=0
            )
        )
    )
    produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, on_time)
    assert run_pending(settings).success
    before = daily_users(settings)

    late = list(
        generate(
            TrafficSpec(
                count=800,
                seed=32,
                start=datetime(2026, 11, 8, tzinfo=UTC),
                days=1,
                late=0,
                malformed=0,
                duplicates=0,
                users_per_region=100_000,
            )
        )
    )
    produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, late)
    assert run_pending(settings, warehouse=False).success

    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def("warehouse_schedule")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 10, 0, 30, tzinfo=UTC))
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags[ASSET_PARTITION_RANGE_START] == "2026-11-07"
    assert request.tags[ASSET_PARTITION_RANGE_END] == "2026-11-09"
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("warehouse_job").execute_in_process(instance=instance, tags=request.tags)
        assert result.success

    after = daily_users(settings)
    expected = expected_gold(on_time + late)["fct_daily_active_users"]
    assert after == expected
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed and all(day == date(2026, 11, 8) for _, day in changed)
