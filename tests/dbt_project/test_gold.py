"""Silver and gold built by dbt on DuckDB through Dagster, compared with a plain-Python oracle."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.runner import RunSummary, build_days, run_pending
from orchestration.settings import Settings
from streaming.generator import TrafficSpec, generate
from tests.dbt_project.oracle import expected_gold
from tests.helpers import produce_and_place, query_warehouse

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


def gold_tables(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "fct_events": query_warehouse(
            settings,
            "select event_id, event_type, occurred_at, event_date, region, user_id, session_id, country, "
            "device, latency_ms, amount, currency, amount_usd, app_version from gold.fct_events order by event_id",
        ),
        "fct_region_hourly_metrics": query_warehouse(
            settings,
            "select region, event_hour, events, users, purchases, revenue_usd, error_rate, p95_latency_ms "
            "from gold.fct_region_hourly_metrics order by region, event_hour",
        ),
        "fct_daily_active_users": query_warehouse(
            settings, "select region, event_date, users from gold.fct_daily_active_users order by region, event_date"
        ),
    }


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-8)


def test_gold_matches_an_independent_computation(settings: Settings) -> None:
    records = list(generate(SPEC))
    produce_and_place(settings.kafka_bootstrap_servers, settings.events_topic, records)

    summary = run_pending(settings)

    assert summary.success, summary.render()
    assert summary.built_days is not None
    expected = expected_gold(records)
    actual = gold_tables(settings)

    events = {row[0]: row for row in actual["fct_events"]}
    assert events.keys() == expected["fct_events"].keys()
    for event_id, row in events.items():
        want = expected["fct_events"][event_id]
        assert row[1:5] == (want["event_type"], want["occurred_at"], want["event_date"], want["region"])
        assert row[5:9] == (want["user_id"], want.get("session_id"), want.get("country"), want.get("device"))
        assert close(row[9], want.get("latency_ms")) and close(row[10], want.get("amount"))
        assert row[11] == want.get("currency") and close(row[12], want["amount_usd"])
        assert row[13] == want.get("app_version")

    hourly = {(r[0], r[1]): r[2:] for r in actual["fct_region_hourly_metrics"]}
    assert hourly.keys() == expected["fct_region_hourly_metrics"].keys()
    for key, (n, users, purchases, revenue, error_rate, p95) in hourly.items():
        want = expected["fct_region_hourly_metrics"][key]
        assert (n, users, purchases) == (want["events"], want["users"], want["purchases"]), key
        assert close(revenue, want["revenue_usd"]) and close(error_rate, want["error_rate"]), key
        assert close(p95, want["p95_latency_ms"]), key

    assert {(r[0], r[1]): r[2] for r in actual["fct_daily_active_users"]} == expected["fct_daily_active_users"]


def test_days_one_by_one_a_single_run_backfill_and_a_full_refresh_agree(settings: Settings) -> None:
    records = list(generate(SPEC))
    produce_and_place(settings.kafka_bootstrap_servers, settings.events_topic, records)
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
