"""Silver and gold built by dbt on DuckDB through Dagster, compared with a plain-Python oracle."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import orjson
import pytest

from orchestration.definitions import build_definitions
from orchestration.runner import RunSummary, build_days, run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from tests.dbt_project.gold import assert_gold_matches_oracle, read_gold
from tests.dbt_project.oracle import expected_gold
from tests.dbt_project.provenance import kept_copies_that_were_not_first, through_edges
from tests.helpers import produce_and_place, query_warehouse, read_layer

pytestmark = pytest.mark.integration

SPEC = TrafficSpec(
    count=12_000,
    seed=21,
    start=datetime(2026, 11, 2, tzinfo=UTC),
    days=4,
    duplicates=0.05,
    late=0.05,
    malformed=0.02,
    v2=0.4,
)


def gold_tables(settings: PlatformSettings) -> dict[str, list[tuple[Any, ...]]]:
    return read_gold(lambda sql: query_warehouse(settings, sql))


def test_gold_matches_an_independent_computation(settings: PlatformSettings) -> None:
    records = through_edges(list(generate(SPEC)))
    assert kept_copies_that_were_not_first(records) > 20  # the data exercises the received_at tie-break
    produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, records)

    summary = run_pending(settings)

    assert summary.success, summary.render()
    assert summary.built_days is not None
    # bronze keeps the edge's provenance as sent, text and all
    bronze = read_layer(settings.lake.root, settings.lake.primary_region, "events", settings.kafka.events_topic)
    sent = Counter(
        (e["event_id"], e.get("received_at"), e.get("edge_id"), e.get("edge_region"))
        for e in (orjson.loads(r.value) for r in records if r.expected_reason is None)
    )
    landed = bronze.select(["event_id", "received_at", "edge_id", "edge_region"]).to_pylist()
    assert Counter(tuple(row.values()) for row in landed) == sent
    assert_gold_matches_oracle(gold_tables(settings), records)
    # the region whose lake landed each copy reaches gold, and one region's re-sends are no conflicts
    primary = settings.lake.primary_region
    assert set(bronze.column("ingest_region").to_pylist()) == {primary}
    assert query_warehouse(settings, "select distinct ingest_region from gold.fct_events") == [(primary,)]
    assert query_warehouse(settings, "select count(*) from silver.stg_event_conflicts") == [(0,)]


def test_days_one_by_one_a_single_run_backfill_and_a_full_refresh_agree(settings: PlatformSettings) -> None:
    # two days, no late events (test_late_data covers those): each build is two dbt invocations
    records = through_edges(list(generate(replace(SPEC, count=6_000, days=2, late=0.0))))
    produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, records)
    assert run_pending(settings, warehouse=False).success
    defs = build_definitions(settings)
    summary = RunSummary()
    with dg.instance_for_test() as instance:
        assert defs.resolve_job_def("reference_job").execute_in_process(instance=instance).success
        days = sorted({e["event_date"].isoformat() for e in expected_gold(records)["fct_events"].values()})
        shuffled = days[:]
        random.Random(3).shuffle(shuffled)
        for day in shuffled:
            build_days(defs, settings, instance, day, day, summary)
            assert summary.success, summary.render()
        one_by_one = gold_tables(settings)
        build_days(defs, settings, instance, days[0], days[-1], summary)
        backfill = gold_tables(settings)
        build_days(defs, settings, instance, days[0], days[-1], summary, full_refresh=True)
        full = gold_tables(settings)
    assert summary.success, summary.render()
    for name in full:
        diffs = [
            (a, b, c) for a, b, c in zip(one_by_one[name], backfill[name], full[name], strict=True) if not a == b == c
        ]
        assert diffs == [], (name, diffs[:3])
    assert len(full["fct_events"]) == len(expected_gold(records)["fct_events"])
