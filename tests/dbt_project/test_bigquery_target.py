"""The BigQuery path, run for real against bqemulator: raw load, dbt-bigquery models, tests and checks.

What the emulator cannot prove is stated in the README ("BigQuery: what the tests verify"):
it executes BigQuery SQL on DuckDB through SQLGlot, so it accepts some SQL BigQuery would not, and
it cannot run insert_overwrite's script twice; these tests select the merge strategy for that.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from orchestration.definitions import build_definitions
from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.bigquery import RawEventsTable, bigquery_client, lake_file_rows, load_bronze, raw_rows
from orchestration.runner import RunSummary, build_days, run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from tests.dbt_project.gold import assert_gold_matches_oracle, read_gold
from tests.dbt_project.provenance import kept_copies_that_were_not_first, through_edges
from tests.helpers import produce_and_place

pytestmark = pytest.mark.integration

SPEC = TrafficSpec(
    count=6_000,
    seed=33,
    start=datetime(2026, 11, 9, tzinfo=UTC),
    days=3,
    duplicates=0.05,
    late=0.05,
    malformed=0.02,
    v2=0.4,
)


@pytest.fixture()
def bq_settings(settings: PlatformSettings, bigquery_endpoint: str) -> PlatformSettings:
    """The emulator target, in a project of its own so tests never see each other's datasets."""
    return settings.replaced(
        warehouse={"dbt_target": "emulator"},
        bigquery={
            "endpoint": bigquery_endpoint,
            "project": f"meridian-test-{uuid.uuid4().hex[:8]}",
            "incremental_strategy": "merge",
        },
        event_time={"partitions_start_date": "2026-11-01"},
    )


def client_for(settings: PlatformSettings) -> Any:
    return bigquery_client(settings.bigquery.project, None, settings.bigquery.endpoint)


def query(settings: PlatformSettings, sql: str) -> list[tuple[Any, ...]]:
    with client_for(settings) as client:
        return [tuple(row.values()) for row in client.query(sql).result()]


def raw_table(settings: PlatformSettings, client: Any) -> RawEventsTable:
    return RawEventsTable(client, f"{settings.bigquery.project}.{settings.bigquery.raw_dataset}.events")


def test_gold_on_bigquery_matches_an_independent_computation(bq_settings: PlatformSettings) -> None:
    records = through_edges(list(generate(SPEC)))
    assert kept_copies_that_were_not_first(records) > 10  # the data exercises the received_at tie-break
    produce_and_place(bq_settings.kafka.bootstrap_servers, bq_settings.kafka.events_topic, records)

    summary = run_pending(bq_settings)  # bronze -> raw table -> seeds -> silver + gold over every day

    assert summary.success, summary.render()
    assert_gold_matches_oracle(read_gold(lambda sql: query(bq_settings, sql)), records)

    # the incremental path: rebuild two days on top of the built tables, nothing may change
    defs = build_definitions(bq_settings)
    rebuilt = RunSummary()
    import dagster as dg

    with dg.instance_for_test() as instance:
        build_days(defs, bq_settings, instance, "2026-11-10", "2026-11-11", rebuilt)
    assert rebuilt.success, rebuilt.render()
    assert_gold_matches_oracle(read_gold(lambda sql: query(bq_settings, sql)), records)


def test_the_raw_table_holds_each_lake_file_once(bq_settings: PlatformSettings) -> None:
    records = list(generate(TrafficSpec(count=3_000, seed=5, malformed=0.02)))
    produce_and_place(bq_settings.kafka.bootstrap_servers, bq_settings.kafka.events_topic, records)
    assert run_pending(bq_settings.replaced(warehouse={"dbt_target": "local"}), warehouse=False).success
    storage = LakeResource.from_settings(bq_settings.lake).storage()
    files = storage.list("bronze/events/")
    assert len(files) > 2

    with client_for(bq_settings) as client:
        raw = raw_table(bq_settings, client)
        first = load_bronze(raw, storage, files[:2])  # as if the run had died after two files
        rest = load_bronze(raw, storage, files, max_rows_per_job=400)
        again = load_bronze(raw, storage, files)
        per_file = raw.rows_per_file()

    assert (first.files, rest.files, again.files) == (2, len(files) - 2, 0)
    assert rest.jobs > 1 and again.jobs == 0
    assert per_file == {path: lake_file_rows(storage, path) for path in files}
    # late events from before the first daily partition (2026-11-01 here) are quarantined, not loaded
    first_day = bq_settings.event_time.rules().earliest
    placeable = [r for r in records if r.expected_reason is None and _occurred_at(r.value) >= first_day]
    assert len(placeable) < sum(1 for r in records if r.expected_reason is None)  # the rule is exercised
    assert sum(per_file.values()) == len(placeable)


def test_the_coverage_check_fails_when_a_file_is_loaded_twice(bq_settings: PlatformSettings) -> None:
    import dagster as dg

    records = list(generate(TrafficSpec(count=1_000, seed=6)))
    produce_and_place(bq_settings.kafka.bootstrap_servers, bq_settings.kafka.events_topic, records)
    assert run_pending(bq_settings, warehouse=False).success  # bronze_job lands and loads, check passes
    storage = LakeResource.from_settings(bq_settings.lake).storage()
    twice = storage.list("bronze/events/")[0]
    with client_for(bq_settings) as client:
        raw_table(bq_settings, client).append(raw_rows(storage, twice))

    defs = build_definitions(bq_settings)
    from orchestration.defs.bronze import bigquery

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [bigquery.bronze_events_bigquery, bigquery.bronze_events_bigquery_matches_lake],
            resources=defs.resources,
            instance=instance,
            raise_on_error=False,
        )
    evaluations = result.get_asset_check_evaluations()
    assert [e.check_name for e in evaluations] == ["bronze_events_bigquery_matches_lake"]
    assert not evaluations[0].passed
    assert evaluations[0].metadata["mismatched_files (lake, bigquery)"].value == {
        twice: [lake_file_rows(storage, twice), 2 * lake_file_rows(storage, twice)]
    }


def _occurred_at(value: bytes) -> datetime:
    from streaming.events.contract import Accepted, parse_record

    outcome = parse_record(value)
    assert isinstance(outcome, Accepted) and outcome.occurred_at is not None
    return outcome.occurred_at
