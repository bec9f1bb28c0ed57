"""The bronze asset on a real broker: retries overwrite, conflicts are refused, metadata is complete."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.defs.bronze.assets import run_config_for
from orchestration.lib.bronze.landing import RangeConflictError
from orchestration.lib.bronze.ranges import OffsetRange
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from tests.helpers import produce_and_place, read_layer

pytestmark = pytest.mark.integration


def test_a_retried_range_overwrites_its_own_file_and_an_overlapping_one_is_refused(settings: PlatformSettings) -> None:
    placed = produce_and_place(
        settings.kafka.bootstrap_servers,
        settings.kafka.events_topic,
        list(generate(TrafficSpec(count=600, seed=4, malformed=0.05))),
    )
    partition = placed[0].partition
    count = sum(1 for p in placed if p.partition == partition)
    job = build_definitions(settings).resolve_job_def("bronze_job")
    whole = OffsetRange(partition, 0, count)
    with dg.instance_for_test() as instance:
        first = job.execute_in_process(run_config=run_config_for([whole]), instance=instance)
        again = job.execute_in_process(run_config=run_config_for([whole]), instance=instance)
        assert first.success and again.success
        events = read_layer(settings.lake.root, "us", "events", settings.kafka.events_topic)
        quarantine = read_layer(settings.lake.root, "us", "quarantine", settings.kafka.events_topic)
        assert events.num_rows + quarantine.num_rows == count

        meta = again.asset_materializations_for_node("bronze__events")[0].metadata
        assert meta["dagster/row_count"].value == events.num_rows
        assert meta["quarantined"].value == quarantine.num_rows
        assert meta["records_read"].value == count
        assert meta["bytes_written"].value > 0
        assert meta["ranges"].value == [
            {
                "partition": partition,
                "start": 0,
                "end": count,
                "valid": events.num_rows,
                "quarantined": quarantine.num_rows,
            }
        ]

        overlapping = job.execute_in_process(
            run_config=run_config_for([OffsetRange(partition, 1, count)]), instance=instance, raise_on_error=False
        )
        assert not overlapping.success
        failure = overlapping.get_step_failure_events()[0].event_specific_data.error
        assert failure.cause.cls_name == RangeConflictError.__name__


def test_a_materialization_from_the_ui_lands_whatever_is_pending(settings: PlatformSettings) -> None:
    produce_and_place(
        settings.kafka.bootstrap_servers, settings.kafka.events_topic, list(generate(TrafficSpec(count=300, seed=6)))
    )
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("bronze_job").execute_in_process(instance=instance)
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert {c.check_name: c.passed for c in checks} == {
            "bronze_events_offset_coverage": True,
            "bronze_schema_matches_contract": True,
            "bronze_parse_rate": True,
            "bronze_quarantine_ratio": True,
        }
    events = read_layer(settings.lake.root, "us", "events", settings.kafka.events_topic)
    quarantine = read_layer(settings.lake.root, "us", "quarantine", settings.kafka.events_topic)
    assert events.num_rows + quarantine.num_rows == 300
