"""The bronze sensor on a real broker: ranges requested once, resumed after a restart."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.defs.bronze.sensors import advance_cursor, resume_offsets
from orchestration.lib.bronze.ranges import OffsetRange
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from tests.helpers import produce_and_place, read_layer


def test_resume_takes_the_furthest_of_cursor_and_lake() -> None:
    assert resume_offsets('{"0": 10, "1": 5}', {1: 8, 2: 3}) == {0: 10, 1: 8, 2: 3}
    assert resume_offsets(None, {0: 4}) == {0: 4}
    assert advance_cursor({0: 10}, [OffsetRange(1, 0, 7)]) == '{"0": 10, "1": 7}'


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    sensor = defs.resolve_sensor_def("bronze_events_sensor")
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources)
    result = sensor(context)
    assert isinstance(result, dg.SensorResult | dg.SkipReason)
    return result


def _execute(defs: dg.Definitions, instance: dg.DagsterInstance, request: dg.RunRequest) -> None:
    job = defs.resolve_job_def("bronze_job")
    assert job.execute_in_process(run_config=request.run_config, instance=instance, tags=request.tags).success


@pytest.mark.integration
def test_sensor_requests_each_range_once_and_resumes_after_a_restart(settings: PlatformSettings) -> None:
    settings = settings.replaced(bronze={"max_records_per_range": 80})
    defs = build_definitions(settings)
    bootstrap, topic = settings.kafka.bootstrap_servers, settings.kafka.events_topic
    produce_and_place(bootstrap, topic, list(generate(TrafficSpec(count=1200, seed=1, malformed=0.02))))
    with dg.instance_for_test() as instance:
        first = _tick(defs, instance, None)
        assert isinstance(first, dg.SensorResult) and len(first.run_requests or []) == 1
        request = first.run_requests[0]
        ranges = request.run_config["ops"]["bronze__events"]["config"]["ranges"]
        assert all(r["start"] == 0 and r["end"] - r["start"] <= 80 for r in ranges)

        # The run has not happened yet: the next tick must not request the same ranges again.
        second = _tick(defs, instance, first.cursor)
        assert isinstance(second, dg.SensorResult)
        assert second.run_requests[0].run_key != request.run_key
        next_ranges = second.run_requests[0].run_config["ops"]["bronze__events"]["config"]["ranges"]
        ends = {r["partition"]: r["end"] for r in ranges}
        assert all(r["start"] == ends[r["partition"]] for r in next_ranges)

        for req in (request, second.run_requests[0]):
            _execute(defs, instance, req)

        # The daemon restarts with the stored cursor; new traffic arrives; it resumes where it stopped.
        cursor = second.cursor
        while isinstance(result := _tick(defs, instance, cursor), dg.SensorResult):
            _execute(defs, instance, result.run_requests[0])
            cursor = result.cursor
        produce_and_place(bootstrap, topic, list(generate(TrafficSpec(count=300, seed=2))))
        resumed = _tick(defs, instance, cursor)
        assert isinstance(resumed, dg.SensorResult)
        stopped_at = {int(p): off for p, off in json.loads(cursor).items()}
        for r in resumed.run_requests[0].run_config["ops"]["bronze__events"]["config"]["ranges"]:
            assert r["start"] == stopped_at.get(r["partition"], 0)
        _execute(defs, instance, resumed.run_requests[0])

        # A lost cursor (sensor reset) resumes from what the lake says landed, not from zero.
        assert isinstance(_tick(defs, instance, None), dg.SkipReason)

    events = read_layer(settings.lake.root, "us", "events", topic)
    quarantine = read_layer(settings.lake.root, "us", "quarantine", topic)
    positions = list(
        zip(
            events["kafka_partition"].to_pylist() + quarantine["kafka_partition"].to_pylist(),
            events["kafka_offset"].to_pylist() + quarantine["kafka_offset"].to_pylist(),
            strict=True,
        )
    )
    assert len(positions) == len(set(positions)) == 1500
